//! The everyday conventions, against the real programs: `service status` as
//! a table with uptimes, colour only on a terminal and never with
//! `NO_COLOR`, the documented exit statuses, and the boot progress line on
//! a terminal console.
//!
//! The tests with a running init need root for its PID namespace (see
//! `pid1_support`); they fail under `CI=true` rather than skip.

mod pid1_support;
mod service_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use init_core::events::ServiceState;
use pid1_support::{run_on_terminal, Config, Pty};
use service_support::Sandbox;

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";

fn service(socket: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_service"));
    command.arg("--socket").arg(socket).env_remove("NO_COLOR");
    command
}

/// Runs with stdout on a pipe: code, stdout, stderr.
fn run(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The words of the table row of `name`.
fn row<'a>(table: &'a str, name: &str) -> Vec<&'a str> {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
        .split_whitespace()
        .collect()
}

fn is_uptime(text: &str) -> bool {
    text.strip_suffix('s')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A sleeper that runs, a wait service that exited 3 and a respawn
/// service given up on.
fn three_services(cfg: &Config) {
    cfg.enable(
        "sleeper",
        "description sleeper daemon\ntype respawn\ntarget boot\nexec sleep 100\n",
    );
    cfg.enable(
        "exits",
        "description exits badly\ntype wait\ntarget boot\nexec sh -c \"exit 3\"\n",
    );
    cfg.enable(
        "gone",
        "description gives up\ntype respawn limit 1\ntarget boot\nexec false\n",
    );
}

#[test]
fn status_is_a_table_with_uptimes_coloured_only_on_a_terminal() {
    let cfg = Config::new("conv-status");
    three_services(&cfg);
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "sleeper", ServiceState::Running);
    ns.wait_for_state(&socket, "exits", ServiceState::Done);
    ns.wait_for_state(&socket, "gone", ServiceState::Failed);
    // A whole second of uptime.
    std::thread::sleep(std::time::Duration::from_millis(1100));

    let (code, table, _) = run(service(&socket).arg("status"));
    assert_eq!(code, 0);
    assert_eq!(
        table
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "STATE", "PID", "UPTIME", "RUNS", "DESCRIPTION"]
    );
    let sleeper = row(&table, "sleeper");
    assert_eq!(sleeper[1], "running");
    assert!(sleeper[2].parse::<u32>().is_ok(), "{table}");
    assert!(is_uptime(sleeper[3]) && sleeper[3] != "0s", "{table}");
    assert_eq!(&sleeper[4..], ["1", "sleeper", "daemon"]);
    assert_eq!(row(&table, "exits")[1..4], ["done", "-", "-"]);
    assert_eq!(row(&table, "gone")[1], "failed");
    assert!(!table.contains('\x1b'), "no colour on a pipe:\n{table}");

    // On a terminal: failed and badly exited in red, running in green.
    let (code, shown, _) = run_on_terminal(service(&socket).arg("status"));
    assert_eq!(code, 0);
    assert!(
        shown.contains(&format!("{GREEN}running\x1b[0m")),
        "{shown:?}"
    );
    assert!(shown.contains(&format!("{RED}failed\x1b[0m")), "{shown:?}");
    assert!(shown.contains(&format!("{RED}done\x1b[0m")), "{shown:?}");
    // The colour codes do not move the columns.
    let plain = shown
        .replace(GREEN, "")
        .replace(RED, "")
        .replace("\x1b[0m", "");
    let widths = |text: &str| {
        text.lines()
            .map(|l| l.find("DESC").or(l.find("sleeper d")))
            .collect::<Vec<_>>()
    };
    assert_eq!(widths(&plain)[0], widths(&table)[0]);

    // NO_COLOR set (and not empty) wins over the terminal.
    let (_, shown, _) = run_on_terminal(service(&socket).arg("status").env("NO_COLOR", "1"));
    assert!(!shown.contains('\x1b'), "{shown:?}");
    let (_, shown, _) = run_on_terminal(service(&socket).arg("status").env("NO_COLOR", ""));
    assert!(shown.contains(GREEN), "an empty NO_COLOR counts as unset");

    // The details have the uptime too; JSON stays plain.
    let (_, details, _) = run(service(&socket).args(["status", "-d", "sleeper"]));
    let uptime = details
        .lines()
        .find_map(|l| l.trim().strip_prefix("uptime:"))
        .unwrap_or_else(|| panic!("{details}"));
    assert!(is_uptime(uptime.trim()), "{details}");
    let (_, json, _) = run_on_terminal(service(&socket).args(["status", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON on a terminal");
    assert_eq!(value.as_array().map(Vec::len), Some(3));
}

/// A copy of `service` that user nobody may run.
fn service_for_nobody(cfg: &Config) -> PathBuf {
    let copy = cfg.path("service-copy");
    fs::copy(env!("CARGO_BIN_EXE_service"), &copy).unwrap();
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

#[test]
fn service_exits_1_for_a_refusal_and_when_init_is_not_running() {
    let cfg = Config::new("conv-exit");
    cfg.enable("sleeper", "type respawn\ntarget boot\nexec sleep 100\n");
    // Init not running: nothing listens on the socket yet.
    let (code, _, stderr) = run(service(&cfg.socket()).arg("status"));
    assert_eq!(code, 1);
    assert!(stderr.contains("is init running?"), "{stderr}");

    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "sleeper", ServiceState::Running);
    let copy = service_for_nobody(&cfg);
    let (code, _, stderr) = run(Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(&copy)
        .arg("--socket")
        .arg(&socket)
        .args(["stop", "sleeper"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
    // No such service.
    let (code, _, stderr) = run(service(&socket).args(["stop", "nosuch"]));
    assert_eq!(
        (code, stderr.trim()),
        (1, "service: no service matches nosuch")
    );
}

#[test]
fn usage_errors_exit_2_and_not_found_exits_1() {
    let empty = std::env::temp_dir().join(format!("init-conv-empty-{}", std::process::id()));
    fs::create_dir_all(&empty).unwrap();
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        ("service", vec!["frobnicate"], 2),
        ("service", vec!["list", "sometimes"], 2),
        ("service", vec!["start"], 2),
        ("shutdown", vec!["--frobnicate"], 2),
        ("killall5", vec!["NOPE"], 2),
        ("waitfile", vec!["0.1", "x", "/"], 2),
        ("waitfile", vec!["0.05", "10", "/nonexistent/never"], 1),
        ("init-sim", vec!["run", "/nonexistent/scenario.scn"], 2),
        ("init", vec!["--frobnicate"], 2),
        // Not PID 1 and no --supervise.
        ("init", vec![], 1),
    ];
    for (program, args, expected) in cases {
        let binary = match program {
            "service" => env!("CARGO_BIN_EXE_service"),
            "shutdown" => env!("CARGO_BIN_EXE_shutdown"),
            "killall5" => env!("CARGO_BIN_EXE_killall5"),
            "waitfile" => env!("CARGO_BIN_EXE_waitfile"),
            "init-sim" => env!("CARGO_BIN_EXE_init-sim"),
            _ => env!("CARGO_BIN_EXE_init"),
        };
        let (code, _, stderr) = run(Command::new(binary).args(&args));
        assert_eq!(code, expected, "{program} {args:?}: {stderr}");
    }
    // Not found: a service that is neither enabled nor a template.
    let (code, _, stderr) = run(Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--config-dir")
        .arg(&empty)
        .arg("--template-dir")
        .arg(&empty)
        .args(["show", "nosuch"]));
    assert_eq!(code, 1, "{stderr}");
    let _ = fs::remove_dir_all(&empty);
}

/// Boots `cfg` on the terminal `pty` until `last` is done, and returns
/// all the terminal showed. `None` where namespaces are not available.
fn terminal_boot_until_done(cfg: &Config, pty: Pty, last: &str) -> Option<String> {
    let ns = cfg.boot_on_terminal(&[], &pty)?;
    ns.wait_for_state(&cfg.socket(), last, ServiceState::Done);
    // The console is written in the same turn; give the reader a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(ns);
    Some(pty.finish())
}

#[test]
fn a_long_boot_shows_what_it_waits_for_on_a_terminal_console() {
    let cfg = Config::new("conv-progress");
    cfg.enable(
        "slow",
        "description slow setup\ntype wait\ntarget boot\nexec sleep 3.5\n",
    );
    cfg.enable("quick", "type wait\ntarget boot\nexec true\n");
    cfg.enable("later", "type once\ntarget boot\nafter slow\nexec true\n");
    let Some(shown) = terminal_boot_until_done(&cfg, Pty::open(), "later") else {
        return;
    };

    // Drawn at about 2 s and 3 s, in place, naming both waiting services.
    let lines: Vec<&str> = shown
        .split('\r')
        .filter_map(|part| part.strip_prefix("boot: "))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2 pending (slow, later) 2.")),
        "{shown:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2 pending (slow, later) 3.")),
        "{shown:?}"
    );
    assert!(lines.iter().all(|l| l.ends_with("s\x1b[K")), "{shown:?}");
    // A report takes the line's place.
    assert!(
        shown.contains("\r\x1b[K\x1b[32m[ OK ]\x1b[0m slow setup\n"),
        "{shown:?}"
    );
    // Cleared when the boot completed, and never drawn again.
    let last_drawn = shown.rfind("\rboot: ").unwrap();
    let cleared = shown.rfind("\r\x1b[K").expect("the line is cleared");
    assert!(cleared > last_drawn, "{shown:?}");
}

/// Whether every `prompt` on the terminal is still whole: nothing after
/// it rewrites its line (a `\r`, or clear to the end of the line) before
/// a newline ends it.
fn prompts_kept(shown: &str, prompt: &str) -> bool {
    let mut found = false;
    for (at, _) in shown.match_indices(prompt) {
        found = true;
        let rest = &shown[at + prompt.len()..];
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        if line.contains('\r') || line.contains("\x1b[K") {
            return false;
        }
    }
    found
}

/// issue 26, defect 2: a getty's `login: ` prompt, written without a
/// newline while the boot still runs, is never erased by the progress
/// line or a status line; whether the getty shares init's console or
/// opens the terminal itself (`tty`, as agetty's does).
#[test]
fn a_prompt_a_service_leaves_on_the_console_is_never_rewritten() {
    let cfg = Config::new("conv-prompt");
    let pty = Pty::open();
    cfg.enable(
        "slow",
        "description slow setup\ntype wait\ntarget boot\nexec sleep 3.5\n",
    );
    cfg.enable(
        "getty",
        "type respawn\ntarget boot\n\
         exec sh -c \"sleep 0.3; printf 'mybox login: '; exec sleep 100\"\n",
    );
    cfg.enable(
        "agetty",
        &format!(
            "type respawn\ntarget boot\ntty {}\n\
             exec sh -c \"sleep 0.6; printf 'ttybox login: '; exec sleep 100\"\n",
            pty.path().display()
        ),
    );
    cfg.enable("later", "type once\ntarget boot\nafter slow\nexec true\n");
    let Some(shown) = terminal_boot_until_done(&cfg, pty, "later") else {
        return;
    };
    assert!(prompts_kept(&shown, "mybox login: "), "{shown:?}");
    assert!(prompts_kept(&shown, "ttybox login: "), "{shown:?}");
    // The lines init wrote after them are all there, after them.
    let prompt = shown.find("ttybox login: ").unwrap();
    assert!(
        shown[prompt..].contains("[ OK ]\x1b[0m slow setup\n"),
        "{shown:?}"
    );
}

/// issue 20, item 10: as in the original, a `wait` service shows
/// `[ .. ] description` while it runs, and its result takes that line's
/// place; off a terminal only the result is printed.
#[test]
fn a_running_wait_service_shows_a_line_its_result_replaces() {
    let cfg = Config::new("conv-running");
    cfg.enable(
        "mounts",
        "description mount things\ntype wait\ntarget boot\nexec sleep 0.5\n",
    );
    cfg.enable("later", "type once\ntarget boot\nafter mounts\nexec true\n");
    let Some(shown) = terminal_boot_until_done(&cfg, Pty::open(), "later") else {
        return;
    };
    assert!(
        shown.contains(
            "\x1b[33m[ .. ]\x1b[0m mount things\r\x1b[K\x1b[32m[ OK ]\x1b[0m mount things\n"
        ),
        "{shown:?}"
    );

    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "later", ServiceState::Done);
    let console = ns.console();
    assert!(console.contains("[ OK ] mount things\n"), "{console:?}");
    assert!(!console.contains("[ .. ]"), "{console:?}");
}

#[test]
fn verify_json_has_the_counts_and_every_diagnostic_with_its_place() {
    let sandbox = Sandbox::new("conv-verify-json");
    sandbox.config_file("typo", "type wait\ntarget boot\nexce true\n");
    sandbox.config_file("fine", "type wait\ntarget boot\nafter ghost\nexec true\n");
    let run = sandbox.service(&["verify", "--env-file", "/nonexistent", "--json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(run.stderr, "", "the summary is in the JSON");
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(value["services"], 2);
    assert_eq!(value["errors"], 1);
    assert_eq!(value["warnings"], 1);
    let typo = &value["diagnostics"][0];
    assert_eq!(
        (
            &typo["file"],
            &typo["line"],
            &typo["column"],
            &typo["severity"]
        ),
        (
            &serde_json::json!("config/typo"),
            &serde_json::json!(3),
            &serde_json::json!(1),
            &serde_json::json!("error")
        )
    );
    let ghost = &value["diagnostics"][1];
    assert_eq!(ghost["severity"], "warning");
    assert!(
        ghost["message"].as_str().unwrap().contains("ghost"),
        "{ghost}"
    );
}

#[test]
fn no_progress_line_when_the_console_is_no_terminal() {
    let cfg = Config::new("conv-noprogress");
    cfg.enable("slow", "type wait\ntarget boot\nexec sleep 2.6\n");
    cfg.enable("later", "type once\ntarget boot\nafter slow\nexec true\n");
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "later", ServiceState::Done);
    let console = ns.console();
    assert!(!console.contains("pending"), "{console:?}");
    assert!(!console.contains('\r'), "{console:?}");
}

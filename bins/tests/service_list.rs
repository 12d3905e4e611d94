//! `service list` and `service show`: the table, the JSON contract, and the
//! start order of the real Pygos corpus.

mod service_support;

use serde_json::Value;
use service_support::{service_text, Sandbox};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

/// Three services over two targets, with a dependency that reverses the
/// alphabetical order.
fn small_config(sandbox: &Sandbox) {
    sandbox.config_file(
        "alpha",
        "description first by name, last by order\ntype once\ntarget boot\nafter zulu\nexec alpha\n",
    );
    sandbox.config_file("zulu", &service_text("wait", "boot", "zulu --now"));
    sandbox.config_file("halt", &service_text("wait", "shutdown", "halt"));
}

#[test]
fn list_prints_a_table_in_start_order_target_by_target() {
    let sandbox = Sandbox::new("list-table");
    small_config(&sandbox);
    let run = sandbox.ok(&["list"]);
    assert_eq!(
        run.stdout,
        "\
TARGET    NAME   TYPE  DESCRIPTION
boot      zulu   wait  test service
boot      alpha  once  first by name, last by order
shutdown  halt   wait  test service
"
    );
    assert_eq!(run.stderr, "");

    let run = sandbox.ok(&["list", "shutdown"]);
    assert_eq!(
        run.stdout,
        "TARGET    NAME  TYPE  DESCRIPTION\nshutdown  halt  wait  test service\n"
    );
}

#[test]
fn list_json_keeps_its_contract() {
    let sandbox = Sandbox::new("list-json");
    small_config(&sandbox);
    sandbox.template(
        "agetty",
        "description agetty on %0\ntype respawn limit 3\nexec agetty %0 linux\ntty /dev/%0\n",
    );
    sandbox.ok(&["enable", "agetty", "tty1"]);
    let list = json(&sandbox.ok(&["list", "--json"]).stdout);
    let names: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["agetty@tty1", "zulu", "alpha", "halt"]);

    assert_eq!(
        list[0],
        json(
            r#"{
                "name": "agetty@tty1", "base": "agetty", "arg": "tty1",
                "description": "agetty on tty1", "type": "respawn", "respawn_limit": 3,
                "target": "boot", "tty": "/dev/tty1", "truncate": false,
                "after": [], "before": [], "exec": [["agetty", "tty1", "linux"]],
                "stop_signal": null, "stop_timeout_ms": null,
                "respawn_delay_ms": null, "respawn_delay_max_ms": null, "respawn_window_ms": null,
                "user": null, "groups": [], "env": [], "env_file": null, "working_dir": null,
                "rlimits": [], "umask": null, "nice": null, "oom_score_adjust": null,
                "ready_fd": null, "ready_file": null, "ready_timeout_ms": null
            }"#
        )
    );
    assert_eq!(list[2]["arg"], Value::Null);
    assert_eq!(list[2]["tty"], Value::Null);
    assert_eq!(list[2]["respawn_limit"], Value::Null);
    assert_eq!(list[2]["after"], json(r#"["zulu"]"#));
    assert_eq!(list[3]["target"], "shutdown");

    let boot_only = json(&sandbox.ok(&["list", "boot", "--json"]).stdout);
    assert_eq!(boot_only.as_array().unwrap().len(), 3);
}

#[test]
fn list_shows_the_rest_when_a_file_is_broken_and_then_fails_as_the_original() {
    let sandbox = Sandbox::new("list-broken");
    small_config(&sandbox);
    sandbox.config_file("broken", "description broken\nexce true\n");
    sandbox.config_link("dangling", "../templates/nowhere");
    let run = sandbox.service(&["list", "--json"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr
            .ends_with("service: 2 files could not be loaded (see above)\n"),
        "{}",
        run.stderr
    );
    assert_eq!(json(&run.stdout).as_array().unwrap().len(), 3);
    assert!(run.stderr.contains("config/broken:2"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("config/dangling: broken symlink (-> ../templates/nowhere)"),
        "{}",
        run.stderr
    );
}

#[test]
fn list_of_a_missing_config_dir_fails() {
    let sandbox = Sandbox::new("list-missing");
    let run = sandbox.raw(&["--config-dir", "nowhere", "list"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: the config directory nowhere does not exist\n"
    );
}

#[test]
fn show_reads_the_enabled_file_or_else_the_template() {
    let sandbox = Sandbox::new("show");
    sandbox.template(
        "swclocksave",
        "description write current time\ntype wait\ntarget %0\nafter sigkill\nbefore sync\n\
         tty truncate /var/lib/swclock\nexec date --utc +%%m%%d%%H%%M%%Y.%%S\n",
    );
    // Not enabled: read from the template with the argument.
    let shown = json(&sandbox.ok(&["show", "swclocksave@reboot", "--json"]).stdout);
    assert_eq!(
        shown,
        json(
            r#"{
                "name": "swclocksave@reboot", "base": "swclocksave", "arg": "reboot",
                "description": "write current time", "type": "wait", "respawn_limit": null,
                "target": "reboot", "tty": "/var/lib/swclock", "truncate": true,
                "after": ["sigkill"], "before": ["sync"],
                "exec": [["date", "--utc", "+%m%d%H%M%Y.%S"]],
                "stop_signal": null, "stop_timeout_ms": null,
                "respawn_delay_ms": null, "respawn_delay_max_ms": null, "respawn_window_ms": null,
                "user": null, "groups": [], "env": [], "env_file": null, "working_dir": null,
                "rlimits": [], "umask": null, "nice": null, "oom_score_adjust": null,
                "ready_fd": null, "ready_file": null, "ready_timeout_ms": null
            }"#
        )
    );

    // Enabled as a plain file: that file wins over the template.
    sandbox.config_file(
        "swclocksave@reboot",
        "description local copy\ntype wait\ntarget reboot\nexec true\n",
    );
    let shown = json(&sandbox.ok(&["show", "swclocksave@reboot", "--json"]).stdout);
    assert_eq!(shown["description"], "local copy");

    let run = sandbox.ok(&["show", "swclocksave@shutdown"]);
    assert_eq!(
        run.stdout,
        "\
name:          swclocksave@shutdown
description:   write current time
type:          wait
respawn_limit: -
target:        shutdown
tty:           /var/lib/swclock
truncate:      true
after:         sigkill
before:        sync
exec:          date --utc +%m%d%H%M%Y.%S
"
    );

    let run = sandbox.service(&["show", "nothing"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: nothing is not enabled in config and there is no template nothing in templates\n"
    );
}

#[test]
fn show_includes_the_stop_settings_when_given() {
    let sandbox = Sandbox::new("show-stop");
    sandbox.template(
        "nginx",
        "type respawn
target boot
exec nginx
stop-signal QUIT
stop-timeout 1.5s
",
    );
    let shown = json(&sandbox.ok(&["show", "nginx", "--json"]).stdout);
    assert_eq!(shown["stop_signal"], "QUIT");
    assert_eq!(shown["stop_timeout_ms"], 1500);
    let run = sandbox.ok(&["show", "nginx"]);
    assert!(
        run.stdout
            .ends_with("exec:          nginx\nstop_signal:   QUIT\nstop_timeout:  1.5s\n"),
        "{}",
        run.stdout
    );
}

/// The position of every service in a `list --json` array.
fn positions(list: &Value) -> Vec<(String, String, String, usize)> {
    list.as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(position, s)| {
            (
                s["base"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
                s["target"].as_str().unwrap().to_string(),
                position,
            )
        })
        .collect()
}

#[test]
fn the_corpus_parses_resolves_and_honours_every_edge() {
    let sandbox = Sandbox::new("corpus");
    sandbox.enable_corpus();

    let verify = sandbox.service(&["verify"]);
    assert_eq!(verify.code, 0, "{verify:#?}");
    assert!(!verify.stdout.contains("cycle"), "{}", verify.stdout);
    assert!(
        !verify.stdout.lines().any(|l| !l.contains(": warning: ")),
        "only warnings expected:\n{}",
        verify.stdout
    );
    // The Pygos files order some services `before reboot shutdown`, naming
    // the targets; verify says so, and nothing else.
    insta::assert_snapshot!(
        "corpus_verify",
        format!("{}--- stderr\n{}", verify.stdout, verify.stderr)
    );

    let run = sandbox.ok(&["list", "--json"]);
    assert_eq!(run.stderr, "", "no broken files, no cycles");
    let list = json(&run.stdout);
    let services = positions(&list);
    assert_eq!(services.len(), 44);

    let mut edges = 0;
    for (index, service) in list.as_array().unwrap().iter().enumerate() {
        let (_, name, target, position) = &services[index];
        for (keyword, must_come_first) in [("after", true), ("before", false)] {
            for dependency in service[keyword].as_array().unwrap() {
                let dependency = dependency.as_str().unwrap();
                for (base, other, other_target, other_position) in &services {
                    if base != dependency || other_target != target {
                        continue;
                    }
                    edges += 1;
                    let honoured = if must_come_first {
                        other_position < position
                    } else {
                        position < other_position
                    };
                    assert!(
                        honoured,
                        "{name} {keyword} {other} in target {target} is not honoured"
                    );
                }
            }
        }
    }
    assert!(edges > 60, "only {edges} edges checked");

    let table = sandbox.ok(&["list"]).stdout;
    insta::assert_snapshot!("corpus_list", table);
}

#[test]
fn list_with_a_cycle_still_lists_everything_and_says_so() {
    let sandbox = Sandbox::new("list-cycle");
    sandbox.config_file(
        "ping",
        "description ping\ntype wait\ntarget boot\nafter pong\nexec ping\n",
    );
    sandbox.config_file(
        "pong",
        "description pong\ntype wait\ntarget boot\nafter ping\nexec pong\n",
    );
    let run = sandbox.ok(&["list", "--json"]);
    assert_eq!(json(&run.stdout).as_array().unwrap().len(), 2);
    assert_eq!(
        run.stderr,
        "config/ping: cycle in target boot: ping -> pong -> ping\n"
    );
}

#[test]
fn show_of_a_broken_file_prints_its_errors_and_fails() {
    let sandbox = Sandbox::new("show-broken");
    sandbox.config_file(
        "typo",
        "description typo\ntype wiat\ntarget boot\nexec true\n",
    );
    let run = sandbox.service(&["show", "typo"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].starts_with("config/typo:2"), "{}", run.stderr);
    assert_eq!(lines[1], "service: typo: config/typo has errors");
}

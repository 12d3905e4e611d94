//! `init-sim` as a user runs it: replay, JSON trace, scenario errors,
//! the what-if boot of a directory, fuzzing, and the analysis views of a
//! run and of a predicted boot (drawn as `service analyze` draws a live
//! one).

mod service_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use service_support::Sandbox;

fn init_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_init-sim"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("init-sim runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("init-sim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// The stdout of a run that must succeed.
fn succeeded(args: &[&str]) -> String {
    let out = init_sim(args);
    assert!(out.status.success(), "init-sim {args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn run_prints_the_trace_and_succeeds() {
    let out = init_sim(&["run", "scenarios/ordering.scn"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("  0.000s > boot\n"), "{text}");
    assert!(text.ends_with("  5.000s < power      poweroff\n"), "{text}");
}

#[test]
fn json_lines_carry_time_service_and_event() {
    let out = init_sim(&["run", "--json", "scenarios/respawn-limit.scn"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut events = Vec::new();
    for line in stdout(&out).lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        assert!(value["t_ms"].is_u64(), "{line}");
        assert!(value.get("service").is_some(), "{line}");
        events.push(value["event"].as_str().expect("event").to_string());
        if value["event"] == "exit" {
            assert_eq!(value["status"], 1, "{line}");
        }
        if value["event"] == "target-complete" {
            assert!(value["target"].is_string(), "{line}");
        }
    }
    for expected in [
        "boot",
        "spawn",
        "spawned",
        "exit",
        "report",
        "timeout",
        "target-complete",
        "kill-all",
        "sync",
        "power",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "no {expected} in {events:?}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let a = init_sim(&["run", "--seed", "7", "scenarios/shutdown-stubborn.scn"]);
    let b = init_sim(&["run", "--seed", "7", "scenarios/shutdown-stubborn.scn"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn a_scenario_error_names_its_file_and_line() {
    let dir = temp_dir("broken");
    let path = dir.join("broken.scn");
    std::fs::write(
        &path,
        "service web\n  type respawn\n  exec httpd\nend\n\nat 1s crash\n",
    )
    .expect("write");
    let out = init_sim(&["run", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("broken.scn:6: unknown event 'crash'"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn boot_predicts_a_directory() {
    let dir = temp_dir("boot");
    let files = [
        ("mounts", "type wait\ntarget boot\nexec mount -a\n"),
        (
            "keys",
            "type wait\ntarget boot\nafter mounts\nexec ssh-keygen -A\n",
        ),
        (
            "sshd",
            "type respawn\ntarget boot\nafter keys\nexec sshd -D\n",
        ),
        ("README", "not a service\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let config_dir = dir.to_str().expect("utf-8 path");
    let out = init_sim(&[
        "boot",
        "--config-dir",
        config_dir,
        "--takes",
        "ssh-keygen=2s",
        "--takes",
        "mount=0.5s",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("boot complete at 2.500s (3 services, parallel)\n"),
        "{text}"
    );
    assert!(text.contains("keys"), "{text}");

    let out = init_sim(&["boot", "--config-dir", config_dir, "--json", "--sequential"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(value["boot_ms"], 0);
    assert_eq!(value["sequential"], true);
    assert_eq!(value["chain"][0]["service"], "sshd");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fuzz_reports_its_seeds() {
    let dir = temp_dir("fuzz");
    let out = init_sim(&[
        "fuzz",
        "--seeds",
        "20",
        "--start",
        "100",
        "--out",
        dir.to_str().expect("utf-8 path"),
    ]);
    let text = stdout(&out);
    assert!(text.contains("20 seeds from 100: 20 ran, "), "{text}");
    // Every failure names its seed and leaves a reproducer.
    for line in text.lines().filter(|l| l.starts_with("seed ")) {
        let seed = line.split([' ', ':']).nth(1).expect("seed number");
        assert!(dir.join(format!("fuzz-{seed}.scn")).exists(), "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_shows_the_chain_of_boot_and_of_shutdown() {
    let text = succeeded(&["run", "scenarios/shutdown-stubborn.scn", "--critical-chain"]);
    assert!(text.contains("\nboot complete @"), "{text}");
    assert!(text.contains("\nshutdown complete @"), "{text}");
    let json: Value = serde_json::from_str(&succeeded(&[
        "run",
        "scenarios/shutdown-stubborn.scn",
        "--critical-chain",
        "--json",
    ]))
    .expect("JSON");
    let targets: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["target"].as_str().expect("target"))
        .collect();
    assert_eq!(targets, ["boot", "shutdown"]);
}

#[test]
fn readiness_shows_as_starting_time_in_blame_and_the_chain() {
    let blame = succeeded(&["run", "scenarios/readiness.scn", "--blame"]);
    let chain = succeeded(&["run", "scenarios/readiness.scn", "--critical-chain"]);
    insta::assert_snapshot!("readiness_blame_and_chain", format!("{blame}\n{chain}"));
}

#[test]
fn the_plot_and_the_graph_of_a_scenario() {
    let svg = succeeded(&["run", "scenarios/ordering.scn", "--plot"]);
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
    assert_eq!(svg.matches("<g class=\"row").count(), 4, "{svg}");
    let dot = succeeded(&["run", "scenarios/cycle.scn", "--dot"]);
    assert!(dot.contains("label=\"cycle broken here\""), "{dot}");
}

#[test]
fn only_one_view_at_a_time() {
    let out = init_sim(&["run", "scenarios/ordering.scn", "--plot", "--dot"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_predicted_chain_is_the_what_if_chain() {
    let sandbox = Sandbox::new("analyze-sim-pygos");
    sandbox.enable_corpus();
    let config_dir = sandbox.config_dir();
    let config_dir = config_dir.to_str().expect("UTF-8 path");
    let takes = ["--takes", "ssh-keygen=1500ms", "--takes", "hwclock=300ms"];
    let mut boot = vec!["boot", "--config-dir", config_dir];
    boot.extend(takes);
    let prediction: Value =
        serde_json::from_str(&succeeded(&[&boot[..], &["--json"]].concat())).expect("JSON");
    let chains: Value = serde_json::from_str(&succeeded(
        &[&boot[..], &["--critical-chain", "--json"]].concat(),
    ))
    .expect("JSON");
    let names = |links: &Value| -> Vec<String> {
        links
            .as_array()
            .expect("links")
            .iter()
            .map(|l| l["service"].as_str().expect("service").to_string())
            .collect()
    };
    assert_eq!(chains[0]["target"], "boot");
    assert_eq!(names(&chains[0]["chain"]), names(&prediction["chain"]));
    assert_eq!(chains[0]["completed_at_ms"], prediction["boot_ms"]);

    let blame: Value =
        serde_json::from_str(&succeeded(&[&boot[..], &["--blame", "--json"]].concat()))
            .expect("JSON");
    assert_eq!(blame["services"][0]["service"], "sshd", "{blame:#}");
    assert_eq!(blame["not_ready"], Value::Array(vec![]));
}

/// A trace as the real init writes one (`init --trace`): a mount, then a
/// slower service, with init's own 4 ms between each input and its spawn.
const REAL_TRACE: &str = r#"{"dir":"in","event":"boot","service":null,"t_ms":20}
{"dir":"out","event":"spawn","exec":[["mount","-a"]],"service":"mounts","t_ms":24,"tty":null}
{"dir":"in","event":"spawned","pid":2,"service":"mounts","t_ms":24}
{"dir":"in","event":"exit","pid":2,"service":"mounts","signal":null,"status":0,"t_ms":124}
{"dir":"out","event":"report","report":"OK","service":"mounts","t_ms":124}
{"dir":"out","event":"spawn","exec":[["ssh-keygen","-A"]],"service":"keys","t_ms":128,"tty":null}
{"dir":"in","event":"spawned","pid":3,"service":"keys","t_ms":128}
{"dir":"in","event":"exit","pid":3,"service":"keys","signal":null,"status":0,"t_ms":428}
{"dir":"out","event":"report","report":"OK","service":"keys","t_ms":428}
{"dir":"out","event":"target-complete","service":null,"t_ms":428,"target":"boot"}
"#;

#[test]
fn a_profile_of_a_real_boot_predicts_a_changed_directory() {
    let dir = temp_dir("profile");
    let trace = dir.join("boot.trace");
    std::fs::write(&trace, REAL_TRACE).expect("write");
    let profile_text = succeeded(&["profile", trace.to_str().expect("utf-8 path")]);
    assert!(
        profile_text.contains("\nboot 408ms\ninit spawn-overhead 4ms\n"),
        "{profile_text}"
    );
    let profile = dir.join("boot.profile");
    std::fs::write(&profile, &profile_text).expect("write");
    let config = dir.join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    for (name, body) in [
        ("mounts", "type wait\ntarget boot\nexec mount -a\n"),
        (
            "keys",
            "type wait\ntarget boot\nafter mounts\nexec ssh-keygen -A\n",
        ),
        // Added since the profiled boot.
        (
            "slow",
            "type wait\ntarget boot\nafter keys\nexec sleep 0.5\n",
        ),
    ] {
        std::fs::write(config.join(name), body).expect("service file");
    }
    let args = [
        "boot",
        "--config-dir",
        config.to_str().expect("utf-8 path"),
        "--profile",
        profile.to_str().expect("utf-8 path"),
    ];
    let text = succeeded(&args);
    assert!(
        text.starts_with(
            "boot complete at 0.912s (3 services, parallel)\n\
             profiled boot 0.408s: +0.504s (+123.5%)\n\
             measured times for 2 services, 4ms of init per spawn\n\
             not in the profile (sleep and --takes, else no time): slow\n"
        ),
        "{text}"
    );
    let json: Value =
        serde_json::from_str(&succeeded(&[&args[..], &["--json"]].concat())).expect("JSON");
    assert_eq!(json["profile"]["unprofiled"][0], "slow");
    assert_eq!(json["profile"]["profiled_boot_ms"], 408);
    let plot = succeeded(&[&args[..], &["--plot"]].concat());
    assert_eq!(
        plot.matches("<svg ").count(),
        3,
        "one chart beside the other"
    );
    assert!(plot.contains(">measured: "), "{plot}");
    assert!(plot.contains(">predicted: "), "{plot}");

    // A broken profile says where.
    std::fs::write(
        &profile,
        "boot 1s\ninit spawn-overhead 2ms\nservice a lasted 5ms\n",
    )
    .expect("write");
    let out = init_sim(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("boot.profile:3: unknown measure 'lasted'"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

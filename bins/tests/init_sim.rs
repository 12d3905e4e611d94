//! `init-sim` as a user runs it: replay, JSON trace, scenario errors,
//! the what-if boot of a directory, and fuzzing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    assert!(text.contains("20 seeds from 100: "), "{text}");
    // Every failure names its seed and leaves a reproducer.
    for line in text.lines().filter(|l| l.starts_with("seed ")) {
        let seed = line.split([' ', ':']).nth(1).expect("seed number");
        assert!(dir.join(format!("fuzz-{seed}.scn")).exists(), "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

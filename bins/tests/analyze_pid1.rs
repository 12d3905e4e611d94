//! `service analyze` against the real `init` as PID 1 of a fresh PID
//! namespace: a few services boot, and blame, the critical chain, the
//! chart and the graph read back what really happened.
//!
//! Needs root (for the namespace). Without it the tests skip loudly, or
//! fail under `CI=true`. Every namespace is ended with SIGKILL to its
//! `unshare` process (which `--kill-child` passes on), never by name.

mod pid1_support;

use pid1_support::*;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn analyze(socket: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--socket")
        .arg(socket)
        .arg("analyze")
        .args(args)
        .output()
        .expect("service runs");
    assert!(
        out.status.success(),
        "service analyze {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn names(values: &[Value]) -> Vec<&str> {
    values
        .iter()
        .map(|v| v["service"].as_str().expect("a service name"))
        .collect()
}

#[test]
fn analyze_reads_the_boot_the_init_really_ran() {
    let cfg = Config::new("analyze");
    cfg.enable(
        "mounts",
        "type wait\ntarget boot\nexec sh -c \"sleep 0.3; echo mounts >> LOG\"\n",
    );
    cfg.enable("vfs", "type wait\ntarget boot\nafter mounts\n");
    cfg.enable(
        "net",
        "type wait\ntarget boot\nafter vfs\nexec sh -c \"sleep 0.2; echo net >> LOG\"\n",
    );
    cfg.enable(
        "broken",
        "type wait\ntarget boot\nafter vfs\nexec sh -c \"echo broken >> LOG; exit 3\"\n",
    );
    cfg.enable(
        "syslog",
        "type respawn\ntarget boot\nexec sh -c \"echo syslog >> LOG; exec sleep 100\"\n",
    );
    cfg.enable(
        "web",
        "type respawn\ntarget boot\nafter net\nexec sh -c \"echo web >> LOG; exec sleep 100\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_until("web to be ready", || {
        ns.service(&socket, "web").ready_at_ms.is_some()
    });
    let status = ns.status(&socket);
    let ready_at = |name: &str| {
        status
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.ready_at_ms)
            .unwrap_or_else(|| panic!("{name} is not ready: {status:?}"))
    };

    // Blame: longest first, with the times status has.
    let blame: Value = serde_json::from_str(&analyze(&socket, &["blame", "--json"])).unwrap();
    let lines = blame["services"].as_array().expect("services");
    assert_eq!(lines.len(), 6, "{blame:#}");
    let totals: Vec<u64> = lines
        .iter()
        .map(|l| l["total_ms"].as_u64().unwrap())
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    // web became ready as net exited: the two took longest, maybe to the
    // millisecond the same.
    let mut longest = names(lines)[..2].to_vec();
    longest.sort_unstable();
    assert_eq!(longest, ["net", "web"], "{blame:#}");
    for line in lines {
        let name = line["service"].as_str().unwrap();
        assert_eq!(line["ready_at_ms"].as_u64(), Some(ready_at(name)), "{name}");
        assert_eq!(line["failed"], name == "broken", "{name}");
    }
    let mounts = lines.iter().find(|l| l["service"] == "mounts").unwrap();
    // Its shell sleeps 0.3 s between being queued and exiting (when the
    // spawn is reported within that time depends on the machine's load).
    assert!(mounts["total_ms"].as_u64().unwrap() >= 300, "{mounts}");
    assert!(mounts["starting_ms"].as_u64().unwrap() > 0, "{mounts}");

    // The critical chain is the dependency path that really decided.
    let chains: Value =
        serde_json::from_str(&analyze(&socket, &["critical-chain", "--json"])).unwrap();
    let boot = &chains[0];
    assert_eq!(boot["target"], "boot", "{chains:#}");
    let chain = boot["chain"].as_array().expect("chain");
    assert_eq!(names(chain), ["web", "net", "vfs", "mounts"], "{chains:#}");
    assert_eq!(boot["completed_at_ms"].as_u64(), Some(ready_at("web")));
    for link in chain {
        let name = link["service"].as_str().unwrap();
        assert_eq!(link["ready_at_ms"].as_u64(), Some(ready_at(name)), "{name}");
    }
    // Ready means spawned for web: its shell may not have written yet.
    ns.wait_until("web to log", || cfg.log_lines().iter().any(|l| l == "web"));
    let log = cfg.log_lines();
    let at = |word: &str| log.iter().position(|l| l == word).unwrap();
    assert!(at("mounts") < at("net") && at("net") < at("web"), "{log:?}");
    let text = analyze(&socket, &["critical-chain"]);
    assert!(text.contains("\nboot complete @"), "{text}");
    assert!(text.contains("└─web @"), "{text}");

    // The chart has a row per service, the graph a node per service.
    let times: Value = serde_json::from_str(&analyze(&socket, &["plot", "--json"])).unwrap();
    assert_eq!(
        times["services"].as_array().map(Vec::len),
        Some(6),
        "{times:#}"
    );
    let svg = analyze(&socket, &["plot"]);
    assert_eq!(svg.matches("<g class=\"row").count(), 6, "{svg}");
    assert_eq!(svg.matches("<g class=\"row failed\"").count(), 1, "{svg}");
    let dot = analyze(&socket, &["dot"]);
    assert!(dot.contains("\"net\" -> \"web\";"), "{dot}");
    assert!(dot.contains("\"vfs\" [shape=ellipse"), "{dot}");
}

#[test]
fn dot_works_offline_from_the_config_dir() {
    let cfg = Config::new("analyze-offline");
    cfg.enable("a", "type wait\ntarget boot\nafter b\nexec true\n");
    cfg.enable("b", "type wait\ntarget boot\nafter a\nexec true\n");
    let out = Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--config-dir")
        .arg(cfg.path("init.d"))
        .args([
            "--socket",
            "/nonexistent/init.sock",
            "analyze",
            "dot",
            "--offline",
        ])
        .output()
        .expect("service runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.contains("\"a\" -> \"b\" [color=\"#d03a3a\""), "{dot}");
    assert!(dot.contains("\"b\" -> \"a\" [color=\"#d03a3a\""), "{dot}");

    let out = Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--config-dir")
        .arg(cfg.path("init.d"))
        .args(["analyze", "dot", "--offline", "--json"])
        .output()
        .expect("service runs");
    let graph: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let kinds: Vec<&str> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["cycle", "broken"], "{graph:#}");
    assert_eq!(graph["nodes"][0]["name"], "a", "{graph:#}");

    let live = Command::new(env!("CARGO_BIN_EXE_service"))
        .args(["--socket", "/nonexistent/init.sock", "analyze", "blame"])
        .output()
        .expect("service runs");
    assert!(!live.status.success());
    let stderr = String::from_utf8_lossy(&live.stderr);
    assert!(stderr.contains("--offline"), "{stderr}");
}

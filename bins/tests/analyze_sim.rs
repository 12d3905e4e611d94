//! The analysis views of `init-sim`: a scenario's run and a predicted boot
//! drawn as `service analyze` draws a live one.

mod service_support;

use std::path::Path;
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

fn stdout_of(args: &[&str]) -> String {
    let out = init_sim(args);
    assert!(
        out.status.success(),
        "init-sim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn a_run_shows_the_chain_of_boot_and_of_shutdown() {
    let text = stdout_of(&["run", "scenarios/shutdown-stubborn.scn", "--critical-chain"]);
    assert!(text.contains("\nboot complete @"), "{text}");
    assert!(text.contains("\nshutdown complete @"), "{text}");
    let json: Value = serde_json::from_str(&stdout_of(&[
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
    let blame = stdout_of(&["run", "scenarios/readiness.scn", "--blame"]);
    let chain = stdout_of(&["run", "scenarios/readiness.scn", "--critical-chain"]);
    insta::assert_snapshot!("readiness_blame_and_chain", format!("{blame}\n{chain}"));
}

#[test]
fn the_plot_and_the_graph_of_a_scenario() {
    let svg = stdout_of(&["run", "scenarios/ordering.scn", "--plot"]);
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
    assert_eq!(svg.matches("<g class=\"row").count(), 4, "{svg}");
    let dot = stdout_of(&["run", "scenarios/cycle.scn", "--dot"]);
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
        serde_json::from_str(&stdout_of(&[&boot[..], &["--json"]].concat())).expect("JSON");
    let chains: Value = serde_json::from_str(&stdout_of(
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
        serde_json::from_str(&stdout_of(&[&boot[..], &["--blame", "--json"]].concat()))
            .expect("JSON");
    assert_eq!(blame["services"][0]["service"], "sshd", "{blame:#}");
    assert_eq!(blame["not_ready"], Value::Array(vec![]));
}

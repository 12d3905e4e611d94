//! Every scenario in `scenarios/*.scn` replays to its reviewed snapshot in
//! `scenarios/snapshots/`, keeps every invariant, and replays to the same
//! bytes every time, under every seed.

use std::path::{Path, PathBuf};

use init_core::trace;
use init_sim::scenario::Scenario;
use init_sim::Sim;

fn load(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("the scenario is readable");
    let name = format!(
        "scenarios/{}",
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    match Scenario::parse(&name, &text) {
        Ok(scenario) => scenario,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_scenario_replays_to_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../scenarios/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../../scenarios", "*.scn", |path| {
            let scenario = load(path);
            let outcome = Sim::from_scenario(&scenario, None).run();
            if let Some(v) = outcome.violations.first() {
                panic!(
                    "{}: {v}\n{}",
                    path.display(),
                    trace::render_text(&outcome.trace)
                );
            }
            insta::assert_snapshot!("trace", trace::render_text(&outcome.trace));
        });
    });
}

/// The scenario files, sorted (without insta's glob, which counts its
/// failures across tests).
fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    files.sort();
    files
}

#[test]
fn there_are_scenarios_for_every_topic() {
    assert!(scenario_files().len() >= 12);
}

#[test]
fn replays_are_byte_for_byte_under_every_seed() {
    for path in scenario_files() {
        let scenario = load(&path);
        let first = trace::render_text(&Sim::from_scenario(&scenario, None).run().trace);
        let again = trace::render_text(&Sim::from_scenario(&scenario, None).run().trace);
        assert_eq!(first, again, "{}", path.display());
        for seed in 1..=3 {
            let a = Sim::from_scenario(&scenario, Some(seed)).run();
            let b = Sim::from_scenario(&scenario, Some(seed)).run();
            assert!(
                a.violations.is_empty(),
                "{} seed {seed}: {:?}",
                path.display(),
                a.violations
            );
            assert_eq!(trace::render_json(&a.trace), trace::render_json(&b.trace));
        }
    }
}

#[test]
fn a_seed_only_reorders_exits_that_fall_on_the_same_instant() {
    // At 5s the final TERM ends getty and syslog at once: their exits tie.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/ordering.scn");
    let scenario = load(&path);
    let unseeded = trace::render_text(&Sim::from_scenario(&scenario, None).run().trace);
    let mut sorted_unseeded: Vec<&str> = unseeded.lines().collect();
    sorted_unseeded.sort_unstable();
    let mut reordered = false;
    for seed in 0..16 {
        let seeded = trace::render_text(&Sim::from_scenario(&scenario, Some(seed)).run().trace);
        let mut sorted: Vec<&str> = seeded.lines().collect();
        sorted.sort_unstable();
        assert_eq!(
            sorted, sorted_unseeded,
            "seed {seed} changed more than an order"
        );
        reordered |= seeded != unseeded;
    }
    assert!(reordered, "some seed puts syslog's exit before getty's");
}

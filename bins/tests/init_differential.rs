//! The simulator predicts the real init: for one configuration directory,
//! the order in which the real `init` (PID 1 of a fresh PID namespace)
//! spawns services equals the order `init-sim boot` predicts, in parallel
//! and in sequential mode; and the real init's own trace (`--trace FILE`)
//! equals the simulator's, event by event, up to the end of boot.
//!
//! Every service first logs `NAME PID` where PID is its own process (the
//! runner of its `exec` block, `$PPID` of the logging shell). Pids in a
//! fresh namespace are handed out in fork order, so sorting the log by pid
//! gives the real spawn order exactly, even for services spawned in the
//! same instant. The sleeps are at least 100 ms apart wherever two exits
//! would otherwise race (times the emulation's slowdown, under qemu), so
//! real timing cannot reorder what the model orders.

mod pid1_support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pid1_support::Config;

/// name, type, after, seconds of sleep. `m` is a milestone.
const SERVICES: &[(&str, &str, &str, &str)] = &[
    ("a", "wait", "", "0.1"),
    ("b", "wait", "", "0.3"),
    ("c", "once", "a", "30"),
    ("d", "wait", "a", "0.1"),
    ("e", "wait", "d b", "0.1"),
    ("m", "milestone", "e c", ""),
    ("f", "respawn", "m", "30"),
    ("g", "wait", "m", "0.1"),
    ("h", "once", "g", "30"),
    ("i", "wait", "a b", "0.5"),
    ("j", "wait", "i h", "0.1"),
    ("k", "wait", "", "0.7"),
];

fn write_config(cfg: &Config) {
    // Under emulation a process takes longer to start than the margins
    // between the sleeps: they grow with it.
    let slowdown = u64::from(pid1_support::slowdown());
    for (name, kind, after, sleep) in SERVICES {
        // In whole milliseconds, so that the model reads the same times.
        let sleep = sleep.parse::<f64>().map_or(String::new(), |s| {
            let ms = (s * 1000.0).round() as u64 * slowdown;
            format!("{}.{:03}", ms / 1000, ms % 1000)
        });
        let mut text = format!("description differential {name}\ntarget boot\n");
        if !after.is_empty() {
            text.push_str(&format!("after {after}\n"));
        }
        if *kind == "milestone" {
            text.push_str("type wait\n");
        } else {
            text.push_str(&format!(
                "type {kind}\nexec {{\n\tsh -c \"echo {name} $PPID >> LOG\"\n\tsleep {sleep}\n}}\n"
            ));
        }
        cfg.enable(name, &text);
    }
}

/// The spawn order `init-sim boot` predicts.
fn predicted(config_dir: &Path, sequential: bool) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_init-sim"));
    cmd.args(["boot", "--json", "--config-dir"]).arg(config_dir);
    if sequential {
        cmd.arg("--sequential");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "init-sim boot failed: {out:?}");
    let prediction: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    prediction["spawns"]
        .as_array()
        .expect("spawns in the prediction")
        .iter()
        .map(|s| s["service"].as_str().unwrap().to_string())
        .collect()
}

/// The spawn order of the real init, from the services' own log; None
/// where namespaces are unavailable (and not under CI).
fn observed(cfg: &Config, sequential: bool, expected: usize) -> Option<Vec<String>> {
    let flags: &[&str] = if sequential { &["--sequential"] } else { &[] };
    let _namespace = cfg.boot_with(flags)?;
    let started = Instant::now();
    loop {
        let mut entries: Vec<(i32, String)> = cfg
            .log_lines()
            .iter()
            .filter_map(|line| {
                let (name, pid) = line.split_once(' ')?;
                Some((pid.trim().parse().ok()?, name.to_string()))
            })
            .collect();
        if entries.len() >= expected {
            entries.sort();
            return Some(entries.into_iter().map(|(_, name)| name).collect());
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "only {} of {expected} services logged their spawn: {:?}",
            entries.len(),
            cfg.read_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn compare(test: &str, sequential: bool) {
    let cfg = Config::new(test);
    write_config(&cfg);
    let predicted = predicted(&cfg.path("init.d"), sequential);
    let spawned = SERVICES.iter().filter(|s| s.1 != "milestone").count();
    assert_eq!(predicted.len(), spawned, "prediction: {predicted:?}");
    let Some(observed) = observed(&cfg, sequential, spawned) else {
        return;
    };
    assert_eq!(observed, predicted, "real spawn order vs init-sim boot");
}

/// The events of a trace that both a real boot and a simulated one must
/// have alike, up to the boot target's completion: every input and output
/// about a service or a target, without the pids and times (which only
/// the simulator makes up) and without the exits of processes that were
/// no service's (a real machine's orphans).
fn comparable(lines: &[serde_json::Value]) -> Vec<String> {
    let mut kept = Vec::new();
    for line in lines {
        let field = |name: &str| match &line[name] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(text) => text.clone(),
            value => value.to_string(),
        };
        if line["event"] == "exit" && line["service"].is_null() {
            continue;
        }
        kept.push(format!(
            "{} {} {} status={} signal={} report={} target={} timer={}",
            field("dir"),
            field("event"),
            field("service"),
            field("status"),
            field("signal"),
            field("report"),
            field("target"),
            field("timer"),
        ));
        if line["event"] == "target-complete" && line["target"] == "boot" {
            break;
        }
    }
    kept
}

/// The simulator's trace of the boot of the directory, as JSON lines.
fn simulated_trace(config_dir: &Path, sequential: bool) -> Vec<serde_json::Value> {
    use init_core::events::Millis;
    use init_core::service::Target;
    use init_core::supervisor::Options;
    use init_sim::model::ProcessModel;
    use init_sim::{RunLimits, Sim};
    let loaded = init_os_adapter::loader::load_dir_on_threads(config_dir, 1);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let options = Options {
        sequential,
        ..Options::default()
    };
    let model = ProcessModel {
        daemons_run_forever: true,
        ..ProcessModel::default()
    };
    let limits = RunLimits {
        until: Millis(600_000),
        max_steps: 1_000_000,
    };
    let mut sim =
        Sim::new(loaded.services, options, model, limits).stop_when_complete(Target::Boot);
    sim.boot_at_start();
    let outcome = sim.run();
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    outcome
        .trace
        .iter()
        .map(|line| serde_json::from_str(&line.render_json()).unwrap())
        .collect()
}

/// The real init's trace of its boot, once it says boot is complete;
/// None where namespaces are unavailable (and not under CI).
fn real_trace(cfg: &Config, sequential: bool) -> Option<Vec<serde_json::Value>> {
    let trace = cfg.path("init.trace");
    let trace_flag = trace.display().to_string();
    let mut flags = vec!["--trace", trace_flag.as_str()];
    if sequential {
        flags.push("--sequential");
    }
    let _namespace = cfg.boot_with(&flags)?;
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        // Whole lines only: the last may be half written.
        let lines: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        if lines
            .iter()
            .any(|l| l["event"] == "target-complete" && l["target"] == "boot")
        {
            return Some(lines);
        }
        assert!(
            started.elapsed() < pid1_support::patience(),
            "the real boot did not complete; its trace:\n{text}\nconsole:\n{}",
            cfg.console()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn compare_traces(test: &str, sequential: bool) {
    let cfg = Config::new(test);
    write_config(&cfg);
    let simulated = comparable(&simulated_trace(&cfg.path("init.d"), sequential));
    assert!(
        simulated.iter().any(|l| l.contains("target-complete")),
        "{simulated:#?}"
    );
    let Some(real) = real_trace(&cfg, sequential) else {
        return;
    };
    let real = comparable(&real);
    assert_eq!(
        real.join("\n"),
        simulated.join("\n"),
        "the real init's trace (left) against the simulator's (right)"
    );
}

#[test]
fn the_real_parallel_boot_traces_what_the_simulator_traces() {
    compare_traces("differential-trace-parallel", false);
}

#[test]
fn the_real_sequential_boot_traces_what_the_simulator_traces() {
    compare_traces("differential-trace-sequential", true);
}

#[test]
fn the_real_parallel_boot_spawns_in_the_predicted_order() {
    compare("differential-parallel", false);
}

#[test]
fn the_real_sequential_boot_spawns_in_the_predicted_order() {
    compare("differential-sequential", true);
}

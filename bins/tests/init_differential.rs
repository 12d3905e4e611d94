//! The simulator predicts the real init: for one configuration directory,
//! the order in which the real `init` (PID 1 of a fresh PID namespace)
//! spawns services equals the order `init-sim boot` predicts, in parallel
//! and in sequential mode.
//!
//! Every service first logs `NAME PID` where PID is its own process (the
//! runner of its `exec` block, `$PPID` of the logging shell). Pids in a
//! fresh namespace are handed out in fork order, so sorting the log by pid
//! gives the real spawn order exactly, even for services spawned in the
//! same instant. The sleeps are at least 100 ms apart wherever two exits
//! would otherwise race, so real timing cannot reorder what the model
//! orders.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("init-diff-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("init.d")).unwrap();
        Scratch { dir }
    }

    fn log(&self) -> PathBuf {
        self.dir.join("spawns.log")
    }

    fn write_config(&self) {
        for (name, kind, after, sleep) in SERVICES {
            let mut text = format!("description differential {name}\ntarget boot\n");
            if !after.is_empty() {
                text.push_str(&format!("after {after}\n"));
            }
            if *kind == "milestone" {
                text.push_str("type wait\n");
            } else {
                text.push_str(&format!(
                    "type {kind}\nexec {{\n\tsh -c \"echo {name} $PPID >> {log}\"\n\tsleep {sleep}\n}}\n",
                    log = self.log().display()
                ));
            }
            fs::write(self.dir.join("init.d").join(name), text).unwrap();
        }
        fs::write(
            self.dir.join("initd.env"),
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n",
        )
        .unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
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

/// Kills the namespace (its init and everything in it) however the test
/// ends.
struct Namespace(Child);

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The spawn order of the real init, from the services' own log.
fn observed(scratch: &Scratch, sequential: bool, expected: usize) -> Option<Vec<String>> {
    if !nix::unistd::geteuid().is_root() {
        let why = "the real-init differential test needs root for PID namespaces";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("SKIPPED (not under CI): {why}");
        return None;
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .arg(env!("CARGO_BIN_EXE_init"))
        .arg("--config-dir")
        .arg(scratch.dir.join("init.d"))
        .arg("--env-file")
        .arg(scratch.dir.join("initd.env"))
        .arg("--socket")
        .arg(scratch.dir.join("init.sock"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if sequential {
        cmd.arg("--sequential");
    }
    let _namespace = Namespace(cmd.spawn().expect("run unshare"));
    let started = Instant::now();
    loop {
        let text = fs::read_to_string(scratch.log()).unwrap_or_default();
        let mut entries: Vec<(i32, String)> = text
            .lines()
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
            "only {} of {expected} services logged their spawn: {text}",
            entries.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn compare(test: &str, sequential: bool) {
    let scratch = Scratch::new(test);
    scratch.write_config();
    let predicted = predicted(&scratch.dir.join("init.d"), sequential);
    let spawned = SERVICES.iter().filter(|s| s.1 != "milestone").count();
    assert_eq!(predicted.len(), spawned, "prediction: {predicted:?}");
    let Some(observed) = observed(&scratch, sequential, spawned) else {
        return;
    };
    assert_eq!(observed, predicted, "real spawn order vs init-sim boot");
}

#[test]
fn the_real_parallel_boot_spawns_in_the_predicted_order() {
    compare("parallel", false);
}

#[test]
fn the_real_sequential_boot_spawns_in_the_predicted_order() {
    compare("sequential", true);
}

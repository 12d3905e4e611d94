//! The harness of the reliability tests: a configuration in a scratch
//! directory, and the real `init` as PID 1 of a fresh PID namespace, started
//! in whatever hostile way a test needs (no /proc, a process limit, a user
//! namespace) and watched from outside.
//!
//! Like init_pid1.rs it needs root; without it a test skips loudly, and
//! fails under `CI=true`. A namespace is ended only by SIGKILL to the pid
//! of the `unshare` (or wrapper) process this harness started.

#![allow(dead_code)] // each test file uses part of the harness

// For the cgroup clean-up after a killed namespace, which both harnesses
// need.
#[path = "../pid1_support/mod.rs"]
mod pid1_support;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome, Reply, ServiceEntry};
use init_os_adapter::client;

pub const PATIENCE: Duration = Duration::from_secs(20);

/// A configuration being written: templates in `share/`, enabled as
/// symlinks in `init.d/`, a log services append to, the socket in `run/`.
pub struct Config {
    pub dir: PathBuf,
}

impl Drop for Config {
    /// Keeps the directory of a failed test for a look at its console.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Config {
    pub fn new(test: &str) -> Config {
        let dir = std::env::temp_dir().join(format!("init-rel-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["share", "init.d", "run"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // Reachable by the non-root client; run/ and the log writable by an
        // init whose root is an unprivileged user outside its namespace.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(dir.join("run"), fs::Permissions::from_mode(0o777)).unwrap();
        fs::write(dir.join("log"), "").unwrap();
        fs::set_permissions(dir.join("log"), fs::Permissions::from_mode(0o666)).unwrap();
        fs::write(
            dir.join("initd.env"),
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n",
        )
        .unwrap();
        Config { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn log(&self) -> PathBuf {
        self.path("log")
    }

    fn expand(&self, text: &str) -> String {
        text.replace("LOG", &self.log().display().to_string())
            .replace("DIR", &self.dir.display().to_string())
    }

    /// Writes the template `base` (once) and enables it as `enabled`.
    /// `LOG` and `DIR` in the text stand for the log and the test dir.
    pub fn enable(&self, enabled: &str, text: &str) {
        let base = enabled.split('@').next().unwrap();
        let template = self.path("share").join(base);
        fs::write(&template, self.expand(text)).unwrap();
        let link = self.path("init.d").join(enabled);
        let _ = fs::remove_file(&link);
        symlink(&template, link).unwrap();
    }

    pub fn log_lines(&self) -> Vec<String> {
        fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn socket(&self) -> PathBuf {
        self.path("run/init.sock")
    }

    pub fn console(&self) -> String {
        fs::read_to_string(self.path("console")).unwrap_or_default()
    }

    /// `init` and the flags that point it at this configuration.
    pub fn init_argv(&self) -> Vec<OsString> {
        vec![
            env!("CARGO_BIN_EXE_init").into(),
            "--config-dir".into(),
            self.path("init.d").into(),
            "--env-file".into(),
            self.path("initd.env").into(),
            "--socket".into(),
            self.socket().into(),
        ]
    }

    /// The usual start: `unshare --pid --fork --kill-child --mount-proc
    /// init ...`, waiting for the socket.
    pub fn boot(&self) -> Option<Namespace> {
        self.boot_with(&[])
    }

    /// As [`Config::boot`], with more flags for init (e.g. its timeouts).
    pub fn boot_with(&self, init_flags: &[&str]) -> Option<Namespace> {
        // A socket left by an earlier boot must not pass for this one's.
        let _ = fs::remove_file(self.socket());
        let mut command = Command::new("unshare");
        command
            .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(self.init_argv())
            .args(init_flags);
        self.boot_command(command, Ready::Socket)
    }

    /// Starts `command` (which must end up running init as PID 1 of a new
    /// PID namespace, as its only child) with the console captured, and
    /// waits until `ready`. Whatever is at the socket path stays.
    pub fn boot_command(&self, mut command: Command, ready: Ready) -> Option<Namespace> {
        if !nix::unistd::geteuid().is_root() {
            return unavailable("not root");
        }
        let console = fs::File::create(self.path("console")).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(console.try_clone().unwrap())
            .stderr(console)
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => return unavailable(&format!("cannot start the namespace: {e}")),
        };
        let mut ns = Namespace {
            unshare: child,
            console: self.path("console"),
            socket: self.socket(),
        };
        let started = Instant::now();
        loop {
            let done = match &ready {
                Ready::Socket => self.socket().exists(),
                Ready::Console(text) => self.console().contains(text.as_str()),
            };
            if done {
                return Some(ns);
            }
            if let Ok(Some(status)) = ns.unshare.try_wait() {
                return unavailable(&format!(
                    "init in a PID namespace ended at once ({status}): {}",
                    self.console()
                ));
            }
            if started.elapsed() > PATIENCE {
                panic!("init never got ready; console:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// What shows that init is up.
pub enum Ready {
    Socket,
    Console(String),
}

pub fn unavailable<T>(why: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("PID-namespace tests cannot run under CI: {why}");
    }
    eprintln!("SKIPPED (not under CI): PID-namespace tests need root and unshare: {why}");
    None
}

/// A running namespace. Dropping it kills it.
pub struct Namespace {
    pub unshare: Child,
    console: PathBuf,
    socket: PathBuf,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let parent = self.unshare.id() as i32;
        let subtree = all_stats()
            .into_iter()
            .find(|(_, stat)| parent_of(stat) == Some(parent))
            .and_then(|(init, _)| pid1_support::cgroup_subtree_of(init));
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
        if let Some(subtree) = subtree {
            pid1_support::remove_cgroup_subtree(&subtree);
        }
    }
}

/// One process of the namespace, as the parent namespace sees it.
#[derive(Debug, Clone)]
pub struct Process {
    pub pid: i32,
    pub state: char,
    pub name: String,
}

impl Namespace {
    pub fn console(&self) -> String {
        fs::read_to_string(&self.console).unwrap_or_default()
    }

    pub fn request(&self, request: Request) -> Reply {
        client::send(&self.socket, request, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}; console:\n{}", self.console()))
    }

    pub fn status(&self) -> Vec<ServiceEntry> {
        match self.request(Request::Status { patterns: vec![] }).outcome {
            Outcome::Ok { services, .. } => services,
            Outcome::Error { message } => panic!("status refused: {message}"),
        }
    }

    pub fn service(&self, name: &str) -> ServiceEntry {
        self.status()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no service {name} in status"))
    }

    /// Waits until `done` holds, or fails the test saying `what`.
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let started = Instant::now();
        while !done() {
            if started.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}; console:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for_state(&self, name: &str, state: ServiceState) -> ServiceEntry {
        let mut last = None;
        self.wait_until(&format!("{name} to be {}", state.as_str()), || {
            let entry = self.service(name);
            let reached = entry.state == state;
            last = Some(entry);
            reached
        });
        last.unwrap()
    }

    /// init (the namespace's PID 1) as the parent namespace sees it: the
    /// only child of the process this harness started.
    pub fn init_pid(&self) -> nix::unistd::Pid {
        let parent = self.unshare.id() as i32;
        for (pid, stat) in all_stats() {
            if parent_of(&stat) == Some(parent) {
                return nix::unistd::Pid::from_raw(pid);
            }
        }
        panic!("the namespace has no init; console:\n{}", self.console());
    }

    pub fn signal_init(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.init_pid(), signal).unwrap();
    }

    /// Every process of the namespace but init, by the PID namespace link
    /// of init (so it works whatever /proc the namespace has).
    pub fn processes(&self) -> Vec<Process> {
        let init = self.init_pid().as_raw();
        let Ok(ns) = fs::read_link(format!("/proc/{init}/ns/pid")) else {
            return Vec::new();
        };
        all_stats()
            .into_iter()
            .filter(|(pid, _)| *pid != init)
            .filter(|(pid, _)| {
                fs::read_link(format!("/proc/{pid}/ns/pid")).ok() == Some(ns.clone())
            })
            .map(|(pid, stat)| Process {
                pid,
                state: state_of(&stat),
                name: stat[stat.find('(').unwrap_or(0) + 1..stat.rfind(')').unwrap_or(0)]
                    .to_string(),
            })
            .collect()
    }

    /// Waits for the namespace to end (init called reboot(2)); how the
    /// harness's child ended.
    pub fn wait_for_end(&mut self, patience: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.unshare.try_wait() {
                return status;
            }
            if started.elapsed() > patience {
                panic!("the namespace never ended; console:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether init is still there (the namespace did not end).
    pub fn init_alive(&mut self) -> bool {
        matches!(self.unshare.try_wait(), Ok(None))
    }
}

fn all_stats() -> Vec<(i32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<i32>().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            Some((pid, stat))
        })
        .collect()
}

fn parent_of(stat: &str) -> Option<i32> {
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn state_of(stat: &str) -> char {
    stat.rfind(')')
        .and_then(|at| stat[at + 1..].trim_start().chars().next())
        .unwrap_or('?')
}

/// Waits up to `patience` for `done`; whether it came.
pub fn eventually(patience: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < patience {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// The pid, as the parent namespace sees it, of the process the
/// namespace calls `ns_pid` (the pids in status are the namespace's own:
/// signalling them from here would hit an unrelated host process).
pub fn host_pid(ns: &Namespace, ns_pid: i32) -> nix::unistd::Pid {
    let init = ns.init_pid().as_raw();
    let own_ns = fs::read_link(format!("/proc/{init}/ns/pid")).unwrap();
    for (pid, _) in all_stats() {
        if fs::read_link(format!("/proc/{pid}/ns/pid")).ok().as_ref() != Some(&own_ns) {
            continue;
        }
        let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let inner = status
            .lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .and_then(|ids| ids.split_whitespace().last())
            .and_then(|id| id.parse::<i32>().ok());
        if inner == Some(ns_pid) {
            return nix::unistd::Pid::from_raw(pid);
        }
    }
    panic!("no process {ns_pid} in the namespace");
}

/// Kills a service's process from outside and checks init starts it again.
pub fn check_still_supervised(ns: &Namespace, name: &str) {
    let before = ns.wait_for_state(name, ServiceState::Running);
    let pid = host_pid(ns, before.pid.expect("a running service has a pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    ns.wait_until(&format!("{name} to be respawned"), || {
        let now = ns.service(name);
        now.state == ServiceState::Running && now.pid != before.pid
    });
}

pub fn socket_path(ns: &Namespace) -> &Path {
    &ns.socket
}

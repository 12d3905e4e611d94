//! The harness of the reliability tests: a configuration in a scratch
//! directory, and the real `init` as PID 1 of a fresh PID namespace, started
//! in whatever hostile way a test needs (no /proc, a process limit, a user
//! namespace) and watched from outside.
//!
//! Like init_pid1.rs it needs root; without it a test skips loudly, and
//! fails under `CI=true`. A namespace is ended only by SIGKILL to the pid
//! of the `unshare` (or wrapper) process this harness started.

#![allow(dead_code)] // each test file uses part of the harness

// Built on the PID-1 harness (a test that uses this declares
// `mod pid1_support;` beside it): its configuration, namespace, requests,
// waits and cgroup clean-up; this adds the hostile starts and the view of
// the namespace's processes from outside.
use crate::pid1_support;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Reply, ServiceEntry};

pub use pid1_support::unavailable;

/// How long init may take to get ready (see `pid1_support::patience`).
pub fn patience() -> Duration {
    Duration::from_secs(20) * pid1_support::slowdown()
}

/// The shared configuration of pid1_support (templates in `share/`,
/// enabled as symlinks in `init.d/`, the log, the socket in `run/`), made
/// reachable for an init or a client that is not root.
pub struct Config {
    inner: pid1_support::Config,
}

impl std::ops::Deref for Config {
    type Target = pid1_support::Config;

    fn deref(&self) -> &pid1_support::Config {
        &self.inner
    }
}

impl Config {
    pub fn new(test: &str) -> Config {
        let inner = pid1_support::Config::new(&format!("rel-{test}"));
        // run/ and the log writable by an init whose root is an
        // unprivileged user outside its namespace.
        let mode = |mode| fs::Permissions::from_mode(mode);
        fs::set_permissions(inner.path("run"), mode(0o777)).unwrap();
        fs::write(inner.log(), "").unwrap();
        fs::set_permissions(inner.log(), mode(0o666)).unwrap();
        Config { inner }
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
            inner: pid1_support::Namespace {
                unshare: child,
                console: self.path("console"),
                cgroup_subtree: None,
            },
            socket: self.socket(),
        };
        let started = Instant::now();
        loop {
            let done = match &ready {
                // Connectable, not merely there: bind(2) makes the file
                // before listen(2) makes it answer.
                Ready::Socket => std::os::unix::net::UnixStream::connect(self.socket()).is_ok(),
                Ready::Console(text) => self.console().contains(text.as_str()),
            };
            if done {
                return Some(ns);
            }
            if let Ok(Some(status)) = ns.inner.unshare.try_wait() {
                return unavailable(&format!(
                    "init in a PID namespace ended at once ({status}): {}",
                    self.console()
                ));
            }
            if started.elapsed() > patience() {
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

/// A running namespace: pid1_support's (dropping it kills it and removes
/// init's cgroup subtree), with the socket kept for the requests.
pub struct Namespace {
    inner: pid1_support::Namespace,
    socket: std::path::PathBuf,
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
        self.inner.console()
    }

    pub fn request(&self, request: Request) -> Reply {
        self.inner.request(&self.socket, request)
    }

    pub fn status(&self) -> Vec<ServiceEntry> {
        self.inner.status(&self.socket)
    }

    pub fn service(&self, name: &str) -> ServiceEntry {
        self.inner.service(&self.socket, name)
    }

    /// Waits until `done` holds, or fails the test saying `what`.
    pub fn wait_until(&self, what: &str, done: impl FnMut() -> bool) {
        self.inner.wait_until(what, done)
    }

    pub fn wait_for_state(&self, name: &str, state: ServiceState) -> ServiceEntry {
        self.inner.wait_for_state(&self.socket, name, state)
    }

    /// init (the namespace's PID 1) as the parent namespace sees it: the
    /// only child of the process this harness started.
    pub fn init_pid(&self) -> nix::unistd::Pid {
        self.inner.init_pid()
    }

    pub fn signal_init(&self, signal: nix::sys::signal::Signal) {
        self.inner.signal_init(signal)
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
            if let Ok(Some(status)) = self.inner.unshare.try_wait() {
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
        matches!(self.inner.unshare.try_wait(), Ok(None))
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
    pid1_support::host_pid_in(ns.init_pid(), ns_pid)
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

//! What goes into the supervisor, what comes out, and what can be observed.
//!
//! Owns the vocabulary shared by the core and both drivers (`os-adapter`,
//! `sim`): time, pids, service ids, the input events, the output commands and
//! the status of a service. It holds no behaviour beyond formatting, and
//! the status an init that ends by exiting reports for how it ended
//! ([`PowerAction::exit_code`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::commands::Commands;
use crate::service::{ExecSettingsBox, ServiceDef, Target, Tty};

/// A point in monotonic time, in milliseconds since the driver started.
///
/// The core never reads a clock: every input carries the time it happened.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub u64);

impl Millis {
    pub const ZERO: Millis = Millis(0);

    pub fn saturating_add(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// The milliseconds from `earlier` to this time; zero if `earlier`
    /// is later.
    pub fn ms_since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Millis {
    /// `12.345s`, the fixed-width time column of traces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// A process id, as the driver reported it. The core never makes one up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pid(pub i32);

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A service's identity inside one supervisor. Ids are handed out in load
/// order, survive reloads for services that keep their enabled name, and are
/// never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceId(pub u32);

/// How a reaped process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitStatus {
    /// It called exit with this code.
    Exited(i32),
    /// A signal (by number) killed it.
    Signaled(i32),
}

impl ExitStatus {
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// The status as a shell reports it (`$?`): the exit code, or 128
    /// plus the signal number for a process a signal killed. A container
    /// init exits with this for its main service.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code & 0xff,
            ExitStatus::Signaled(sig) => 128 + (sig & 0x7f),
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(code) => write!(f, "{code}"),
            ExitStatus::Signaled(sig) => write!(f, "signal {sig}"),
        }
    }
}

/// The signals the core asks to send. KILL is the last resort; the others
/// are what a service may name as its `stop-signal` (TERM by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Signal {
    Term,
    Kill,
    Hup,
    Int,
    Quit,
    Usr1,
    Usr2,
}

impl Signal {
    /// Every signal a service may stop with, in the order messages list them.
    pub const STOP_SIGNALS: [Signal; 6] = [
        Signal::Term,
        Signal::Hup,
        Signal::Int,
        Signal::Quit,
        Signal::Usr1,
        Signal::Usr2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "TERM",
            Signal::Kill => "KILL",
            Signal::Hup => "HUP",
            Signal::Int => "INT",
            Signal::Quit => "QUIT",
            Signal::Usr1 => "USR1",
            Signal::Usr2 => "USR2",
        }
    }

    /// The signal called `name` (`TERM` or `SIGTERM`), if it is one a
    /// service may stop with. KILL is not: it is what a stop ends with.
    pub fn stop_signal_from_name(name: &str) -> Option<Signal> {
        let bare = name.strip_prefix("SIG").unwrap_or(name);
        Signal::STOP_SIGNALS
            .into_iter()
            .find(|signal| signal.name() == bare)
    }
}

/// Why a spawn failed, as the driver saw it. The errno name is kept so that
/// traces read the same on every machine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SpawnError {
    /// The errno name, e.g. `EAGAIN`, `ENOMEM`, `ENOENT`.
    pub errno: String,
    /// Human text for the console and status.
    pub message: String,
}

/// How the machine ends once the last target is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerAction {
    PowerOff,
    Reboot,
    /// Not an end of the machine: the end of the initramfs. No final
    /// target runs; the driver moves to the new root and execs its init.
    SwitchRoot,
}

impl PowerAction {
    /// The status init exits with when it ends by exiting rather than by
    /// reboot(2) (a container's init, or under `--supervise`): after a
    /// power-off, the main service's status as a shell shows it (128 + N
    /// for signal N), or 0 when no main service ended it; after a reboot
    /// 129, as a shell shows the SIGHUP the kernel kills a PID namespace's
    /// init with for a reboot, so that a runtime's restart policy can tell
    /// it from a clean stop.
    pub fn exit_code(self, main_service_exit: Option<ExitStatus>) -> i32 {
        match self {
            PowerAction::PowerOff => main_service_exit.map_or(0, ExitStatus::shell_code),
            PowerAction::Reboot => ExitStatus::Signaled(SIGHUP).shell_code(),
            // Refused outside a machine's init; never an exit.
            PowerAction::SwitchRoot => 0,
        }
    }
}

/// SIGHUP's number: 1 on every architecture Linux runs on.
const SIGHUP: i32 = 1;

/// An input to the supervisor. Every one comes with the time it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Start the `boot` target. Sent once, first.
    Boot,
    /// The driver started the process the core asked for.
    Spawned { service: ServiceId, pid: Pid },
    /// The driver could not start it (fork or exec setup failed).
    SpawnFailed {
        service: ServiceId,
        error: SpawnError,
    },
    /// A child was reaped. Any pid, orphans included: the core decides
    /// whether it belonged to a service. `leftovers`: the service's other
    /// processes (its cgroup, or its process group without one) were
    /// still there when its main process was reaped; always false for a
    /// pid that is no service's.
    Exited {
        pid: Pid,
        status: ExitStatus,
        leftovers: bool,
    },
    /// SIGTERM or a control request: run the `shutdown` target, power off.
    Shutdown,
    /// SIGINT (Ctrl-Alt-Del) or a control request: run `reboot`, reboot.
    Reboot,
    /// A control request: stop every service (as the way down does, but
    /// with no final target), then `Power { SwitchRoot }`, after which the
    /// driver hands the machine to the init of the new root.
    SwitchRoot,
    /// SIGHUP or a control request: take this new configuration.
    Reload { services: Vec<ServiceDef> },
    /// Admin start: from done, failed or stopped, with the run count reset.
    Start(ServiceId),
    /// Admin stop: TERM, and never restarted until started again.
    Stop(ServiceId),
    /// Admin restart: stop, then start once it has exited.
    Restart(ServiceId),
    /// The live process of a service with `ready-fd` or `ready-file`
    /// said it is ready.
    Ready(ServiceId),
    /// Nothing is left of the service's last run: the answer to
    /// `SignalLeftovers`, once its cgroup (or process group) is empty.
    LeftoversGone(ServiceId),
}

/// A command from the supervisor, drained with `poll_output` in order.
/// The sequence of outputs is the trace of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Start the service's process: run `exec` lines in order (stopping at
    /// the first failure), with stdio on `tty` if set. Answer with
    /// `Spawned` or `SpawnFailed`.
    Spawn {
        service: ServiceId,
        exec: Commands,
        tty: Option<Tty>,
        /// User, environment, limits and the rest, applied in the child
        /// before exec. A setting the system cannot apply fails the spawn.
        settings: ExecSettingsBox,
    },
    /// Send `signal` to this service's process.
    Signal {
        service: ServiceId,
        pid: Pid,
        signal: Signal,
    },
    /// Send `signal` to what is left of a service whose main process
    /// `pid` has ended: every process of its cgroup, or its process group
    /// (`pid`) without one. Answer with `LeftoversGone` once nothing is
    /// left, at once if nothing was.
    SignalLeftovers {
        service: ServiceId,
        pid: Pid,
        signal: Signal,
    },
    /// Send `signal` to every process but init (the final safety net).
    KillAll { signal: Signal },
    /// A line for the console, in the original's style. `text` is what
    /// follows the tag: the service's description, or its name without
    /// one. It travels with the report because a service may be gone by
    /// the time the line is printed (a reload removed it while it ran).
    Report {
        service: ServiceId,
        report: Report,
        text: String,
    },
    /// Every service of `target` is satisfied.
    TargetComplete { target: Target },
    /// Flush file systems (before power-off or reboot).
    Sync,
    /// The end: exactly one of these per run, after which nothing follows.
    Power { action: PowerAction },
}

/// What the console says about a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Report {
    /// `[ OK ]`: a wait or once service exited 0 (or a milestone was reached).
    Ok,
    /// `[FAIL]`: it exited non-zero, was killed, could not spawn, or hit its
    /// respawn limit.
    Fail,
    /// `[ UP ]`: a respawn service was started.
    Up,
}

/// The lifecycle state of one service, as `status` shows it: a flat view
/// of the supervisor's finer state (`supervisor::LifecycleKind`), which
/// never changes what the control protocol, traces or saved states hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceState {
    /// Known, but its target has not run (or it was added by a reload to a
    /// target that already ran).
    Inactive,
    /// Its target runs; it waits for its predecessors.
    Waiting,
    /// A spawn was asked for and not yet answered.
    Starting,
    /// A live process.
    Running,
    /// Waiting out the minimum delay before a respawn.
    Restarting,
    /// TERM was sent; waiting for the exit.
    Stopping,
    /// Ran to completion (wait/once), or a milestone reached.
    Done,
    /// Given up on: spawn failure, respawn limit.
    Failed,
    /// Stopped by the admin; not restarted.
    Stopped,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Inactive => "inactive",
            ServiceState::Waiting => "waiting",
            ServiceState::Starting => "starting",
            ServiceState::Running => "running",
            ServiceState::Restarting => "restarting",
            ServiceState::Stopping => "stopping",
            ServiceState::Done => "done",
            ServiceState::Failed => "failed",
            ServiceState::Stopped => "stopped",
        }
    }
}

/// Everything `status` can tell about one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub id: ServiceId,
    /// The definition the service runs with (the old one while a reload
    /// waits for a restart).
    pub def: ServiceDef,
    pub state: ServiceState,
    pub pid: Option<Pid>,
    pub exit_status: Option<ExitStatus>,
    /// Runs in a row; reset by an admin start.
    pub runs: u32,
    pub queued_at: Option<Millis>,
    pub spawned_at: Option<Millis>,
    pub exited_at: Option<Millis>,
    /// Why the last spawn failed (a missing program, a user that does not
    /// exist, a limit the system refused), until a spawn succeeds.
    #[serde(default)]
    pub error: Option<String>,
    /// For a service that declares readiness: whether its process said
    /// it is ready. `None` for the others (ready once spawned).
    #[serde(default)]
    pub ready: Option<bool>,
    /// When it last stopped holding up the services after it: a `wait`
    /// service's exit, a `once` or `respawn` service's spawn (or its word
    /// with `ready-fd`/`ready-file`), a failed spawn, a milestone reached.
    /// Cleared when its target queues it again. Saved as `ready_at`, its
    /// name before "ready" came to mean only a service's own notice, so
    /// that saved states read both ways across the rename.
    #[serde(default, rename = "ready_at")]
    pub satisfied_at: Option<Millis>,
}

impl ServiceStatus {
    /// A service that has never run.
    pub fn new(id: ServiceId, def: ServiceDef, state: ServiceState) -> ServiceStatus {
        ServiceStatus {
            id,
            def,
            state,
            pid: None,
            exit_status: None,
            runs: 0,
            queued_at: None,
            spawned_at: None,
            exited_at: None,
            error: None,
            ready: None,
            satisfied_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_is_the_main_services_as_a_shell_shows_it() {
        assert_eq!(PowerAction::PowerOff.exit_code(None), 0);
        assert_eq!(
            PowerAction::PowerOff.exit_code(Some(ExitStatus::Exited(3))),
            3
        );
        assert_eq!(
            PowerAction::PowerOff.exit_code(Some(ExitStatus::Signaled(15))),
            143
        );
        assert_eq!(PowerAction::Reboot.exit_code(None), 129);
        assert_eq!(
            PowerAction::Reboot.exit_code(Some(ExitStatus::Exited(3))),
            129
        );
    }
}

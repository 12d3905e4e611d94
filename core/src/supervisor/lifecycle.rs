//! A service's lifecycle: one enum that carries its sub-state, and the
//! table of the changes allowed between its kinds.
//!
//! Owns the shape of the lifecycle and the check every change passes
//! (`Entry::set_state` applies it). It decides no change itself: the
//! handlers do. The flat [`ServiceState`] that `status` shows is derived
//! from it, so the control protocol, traces and snapshots never see the
//! sub-states. docs/services.md ("How a service's state changes") holds
//! the same table; a test keeps the two equal.

use crate::events::{Millis, ServiceState};

/// Where one service is in its life, with what that part of its life
/// needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lifecycle {
    /// Known, but its target has not run (or a reload moved it to a target
    /// yet to run).
    Inactive,
    /// Queued by its target's run; waits for its predecessors.
    Waiting,
    /// A spawn was asked for and not yet answered.
    Starting,
    /// A live process with `ready-fd` or `ready-file` that has yet to say
    /// it is ready.
    AwaitingReady,
    /// A live process, ready (or with nothing to say).
    Up,
    /// Its stop signal (or KILL) went out; waiting for the exit. Without a
    /// pid, the spawn is still unanswered and the signal goes out with the
    /// answer.
    Stopping(Stop),
    /// A respawn is owed and not yet asked for.
    BackingOff(Backoff),
    /// Ran to completion (`wait`, `once`), or a milestone reached.
    Done,
    /// Given up on: a spawn failure, the respawn limit, a timeout.
    Failed {
        /// The spawn was given up on unanswered (the final-service
        /// timeout): if the answer still comes, the process is taken in
        /// only to be stopped.
        spawn_abandoned: bool,
    },
    /// Stopped by the admin or by the way down; not restarted.
    Stopped,
}

/// A stop under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stop {
    /// What the exit leads to.
    pub then: AfterStop,
    /// The stop timeout passed and KILL went out (or the stop began with
    /// KILL); what is left is the kill grace.
    pub killed: bool,
}

/// Why a service is being stopped, which is what its exit leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterStop {
    /// An admin stop or the way down: Stopped, never restarted.
    Stopped,
    /// An admin restart (or a start while stopping): spawned again once
    /// it has exited, unless the machine is going down by then.
    Restart,
    /// A ready or final-service timeout gave up on it: Failed.
    Failed,
}

/// Why a respawn that is owed has not gone out yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backoff {
    /// The respawn delay runs until `until` (the `Respawn` timer).
    Delay { until: Millis },
    /// What the last run left behind is being ended (`leftovers.rs`); the
    /// spawn goes out once it is gone.
    Leftovers,
}

impl Lifecycle {
    pub fn kind(self) -> LifecycleKind {
        match self {
            Lifecycle::Inactive => LifecycleKind::Inactive,
            Lifecycle::Waiting => LifecycleKind::Waiting,
            Lifecycle::Starting => LifecycleKind::Starting,
            Lifecycle::AwaitingReady => LifecycleKind::AwaitingReady,
            Lifecycle::Up => LifecycleKind::Up,
            Lifecycle::Stopping(_) => LifecycleKind::Stopping,
            Lifecycle::BackingOff(_) => LifecycleKind::BackingOff,
            Lifecycle::Done => LifecycleKind::Done,
            Lifecycle::Failed { .. } => LifecycleKind::Failed,
            Lifecycle::Stopped => LifecycleKind::Stopped,
        }
    }

    /// The state `status` shows.
    pub fn public(self) -> ServiceState {
        self.kind().public()
    }

    /// A stop that leads to `then`, its signal not yet escalated.
    pub fn stopping(then: AfterStop) -> Lifecycle {
        Lifecycle::Stopping(Stop {
            then,
            killed: false,
        })
    }

    /// Failed, with no spawn left outstanding.
    pub const FAILED: Lifecycle = Lifecycle::Failed {
        spawn_abandoned: false,
    };
}

/// The kinds of a service's lifecycle (`Lifecycle`) without their
/// sub-states: the rows and columns of the table of allowed changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifecycleKind {
    Inactive,
    Waiting,
    Starting,
    AwaitingReady,
    Up,
    Stopping,
    BackingOff,
    Done,
    Failed,
    Stopped,
}

impl LifecycleKind {
    /// Every kind, in the order of the table in docs/services.md.
    pub const ALL: [LifecycleKind; 10] = [
        LifecycleKind::Inactive,
        LifecycleKind::Waiting,
        LifecycleKind::Starting,
        LifecycleKind::AwaitingReady,
        LifecycleKind::Up,
        LifecycleKind::Stopping,
        LifecycleKind::BackingOff,
        LifecycleKind::Done,
        LifecycleKind::Failed,
        LifecycleKind::Stopped,
    ];

    /// The name docs/services.md gives it.
    pub fn name(self) -> &'static str {
        match self {
            LifecycleKind::Inactive => "inactive",
            LifecycleKind::Waiting => "waiting",
            LifecycleKind::Starting => "starting",
            LifecycleKind::AwaitingReady => "awaiting-ready",
            LifecycleKind::Up => "up",
            LifecycleKind::Stopping => "stopping",
            LifecycleKind::BackingOff => "backing-off",
            LifecycleKind::Done => "done",
            LifecycleKind::Failed => "failed",
            LifecycleKind::Stopped => "stopped",
        }
    }

    /// The state `status` shows for it: both kinds of a live process are
    /// `running`, and backing off is `restarting`.
    pub fn public(self) -> ServiceState {
        match self {
            LifecycleKind::Inactive => ServiceState::Inactive,
            LifecycleKind::Waiting => ServiceState::Waiting,
            LifecycleKind::Starting => ServiceState::Starting,
            LifecycleKind::AwaitingReady | LifecycleKind::Up => ServiceState::Running,
            LifecycleKind::Stopping => ServiceState::Stopping,
            LifecycleKind::BackingOff => ServiceState::Restarting,
            LifecycleKind::Done => ServiceState::Done,
            LifecycleKind::Failed => ServiceState::Failed,
            LifecycleKind::Stopped => ServiceState::Stopped,
        }
    }

    /// Whether a service may go from `self` to `to`. A kind to itself is
    /// a change of its sub-state only (a stop that escalates to KILL, a
    /// backoff that ends up waiting for leftovers). Anything else is a bug
    /// in the supervisor: `Entry::set_state` refuses it and counts it.
    pub fn may_become(self, to: LifecycleKind) -> bool {
        use LifecycleKind::*;
        match self {
            // A target runs (or a reload joins the run), an admin start
            // or stop, a reload into a target whose run is over, or a
            // hand-over that adopts what the old init ran.
            Inactive => matches!(
                to,
                Waiting | Starting | BackingOff | Done | Stopped | Failed | Up
            ),
            // Its turn (a milestone is Done at once), an admin stop, or a
            // reload moving it to a target yet to run.
            Waiting => matches!(to, Starting | Done | Stopped | Inactive),
            // The spawn's answer, a stop before it, a failed spawn (a
            // respawn owed, or given up on), the final-service timeout.
            Starting => matches!(to, AwaitingReady | Up | Stopping | BackingOff | Failed),
            // Its word, a stop or timeout, or the process's end.
            AwaitingReady => {
                matches!(to, Up | Stopping | BackingOff | Done | Failed | Stopped)
            }
            // A stop or timeout, or the process's end (respawn owed, run
            // done, respawn limit, or no respawn on the way down).
            Up => matches!(to, Stopping | BackingOff | Done | Failed | Stopped),
            // The exit: Stopped (then spawned again for a restart) or
            // Failed; meanwhile what it leads to and KILL may change.
            Stopping => matches!(to, Stopping | Stopped | Failed),
            // The respawn goes out (a milestone by a reload is Done), an
            // admin stop or the way down, or the spawn waits for leftovers.
            BackingOff => matches!(to, BackingOff | Starting | Done | Stopped),
            // Its target runs again, or an admin start.
            Done => matches!(to, Waiting | Starting | BackingOff),
            // As Done; and an abandoned spawn that is answered after all
            // (the process is stopped) or fails (nothing is outstanding).
            Failed => matches!(
                to,
                Waiting | Starting | BackingOff | Done | Stopping | Failed
            ),
            // An admin start.
            Stopped => matches!(to, Starting | BackingOff | Done),
        }
    }
}

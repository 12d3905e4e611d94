//! One service as the supervisor tracks it: the public status plus the
//! bookkeeping that policy needs (ordering, pending reload, admin requests).
//!
//! Owns no policy; it only answers questions about one service's state.

use serde::{Deserialize, Serialize};

use crate::events::{Millis, Pid, ServiceState, ServiceStatus};
use crate::service::{ServiceDef, ServiceType, Target};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Entry {
    pub status: ServiceStatus,
    /// The definition from the last reload, held back while the process
    /// that runs the old one is alive.
    /// Boxed: rarely there, and as big as the rest of the entry inline.
    pub pending_def: Option<Box<ServiceDef>>,
    /// Gone from the configuration but still alive: dropped on exit and
    /// never restarted.
    pub removed: bool,
    /// Satisfied for the ordering of the current run of its target. Only
    /// ever goes from false to true within one run. Private: it changes
    /// only through `Supervisor::set_satisfied`, which keeps the run's
    /// counts in step.
    satisfied: bool,
    /// An admin restart waits for the exit to spawn again.
    pub restart_after_exit: bool,
    /// The final-service timeout fired: the exit that follows was already
    /// reported and ends in Failed.
    pub given_up: bool,
    /// `Up` was reported for this series of runs (reset when the run
    /// count is).
    pub up_reported: bool,
    /// A failed spawn of this respawn service was reported and no spawn
    /// has succeeded since: a missing binary says FAIL once, not every
    /// respawn delay.
    pub spawn_failure_reported: bool,
    /// A spawn was given up on unanswered (Failed by the final-service
    /// timeout); if the answer still comes, the process is taken in only to
    /// be stopped.
    pub spawn_abandoned: bool,
    /// The stop timeout passed and KILL went out; what remains is waiting
    /// for the exit.
    #[serde(default)]
    pub stop_killed: bool,
    /// How many respawns in a row followed a short run: the next delay is
    /// the base doubled this many times (up to the cap).
    #[serde(default)]
    pub backoff_step: u32,
    /// When the last Spawn was asked for; the respawn delay counts from it.
    pub last_spawn_at: Option<Millis>,
    /// What the last run left behind is being ended; no spawn until it is
    /// gone (`leftovers.rs`).
    #[serde(default)]
    pub leftovers: Option<LeftoversEnding>,
}

/// The end of what a run left behind, under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LeftoversEnding {
    /// The main process that ended: its process group is what is left
    /// where there is no cgroup.
    pub pid: Pid,
    /// KILL went out; past the kill grace the wait is over.
    pub killed: bool,
}

impl Entry {
    pub fn new(status: ServiceStatus) -> Entry {
        Entry {
            status,
            pending_def: None,
            removed: false,
            satisfied: false,
            restart_after_exit: false,
            given_up: false,
            spawn_abandoned: false,
            up_reported: false,
            spawn_failure_reported: false,
            last_spawn_at: None,
            stop_killed: false,
            backoff_step: 0,
            leftovers: None,
        }
    }

    pub fn is_satisfied(&self) -> bool {
        self.satisfied
    }

    /// For `Supervisor::set_satisfied` only.
    pub fn set_satisfied_flag(&mut self, satisfied: bool) {
        self.satisfied = satisfied;
    }

    pub fn state(&self) -> ServiceState {
        self.status.state
    }

    /// The definition the configuration wants (the pending one if a reload
    /// is waiting for the process to end).
    pub fn configured_def(&self) -> &ServiceDef {
        self.pending_def.as_deref().unwrap_or(&self.status.def)
    }

    pub fn configured_target(&self) -> Target {
        self.configured_def().target
    }

    /// The type of the process that runs (or ran) now.
    pub fn kind(&self) -> ServiceType {
        self.status.def.kind
    }

    /// A process exists or may exist: a spawn is outstanding, or a pid is
    /// known and its exit not yet handled.
    pub fn is_live(&self) -> bool {
        matches!(
            self.status.state,
            ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
        )
    }

    /// Waits for a `Spawned` or `SpawnFailed` answer.
    pub fn awaits_spawn_answer(&self) -> bool {
        self.is_live() && self.status.pid.is_none()
    }

    /// Waiting for its turn in a run that begins or goes on at `now`,
    /// with its run count and its backoff reset.
    pub fn queue(&mut self, now: Millis) {
        self.status.state = ServiceState::Waiting;
        self.status.queued_at = Some(now);
        self.status.runs = 0;
        self.backoff_step = 0;
        self.given_up = false;
    }

    /// Once the process is gone, the held-back definition takes over.
    pub fn apply_pending_def(&mut self) {
        if let Some(def) = self.pending_def.take() {
            self.status.def = *def;
        }
    }
}

//! One service as the supervisor tracks it: its lifecycle, the public
//! status derived from it, and the bookkeeping that policy needs
//! (ordering, pending reload, a series of runs), with the shape it is
//! saved in.
//!
//! Owns the one place a service's state changes (`Entry::set_state`) and
//! no policy; it only answers questions about one service's state.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::lifecycle::{AfterStop, Backoff, Lifecycle, Stop};
use crate::events::{Millis, Pid, ServiceState, ServiceStatus};
use crate::service::{ServiceDef, ServiceType, Target};

/// Serialised in the shape it had before the lifecycle was an enum (see
/// [`SavedEntry`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The public view; `status.state` follows `lifecycle` and changes
    /// only with it, in [`Entry::set_state`].
    pub status: ServiceStatus,
    /// Where the service is in its life. Private: it changes only through
    /// [`Entry::set_state`], which checks the change against the table.
    lifecycle: Lifecycle,
    /// Changes `set_state` refused: a bug in the supervisor, which tests
    /// and the fuzzer's checker require to stay at zero. Not saved.
    refused_transitions: u32,
    /// The definition from the last reload, held back while the process
    /// that runs the old one is alive.
    /// Boxed: rarely there, and as big as the rest of the entry inline.
    pub pending_def: Option<Box<ServiceDef>>,
    // The flags below are not states: each holds in several states and
    // outlives a change of state, so folding one into the lifecycle would
    // copy it into every kind it spans.
    /// Gone from the configuration but still alive: dropped on exit and
    /// never restarted. About the configuration, whatever the state.
    pub removed: bool,
    /// Satisfied for the ordering of the current run of its target. Only
    /// ever goes from false to true within one run. About the run, not the
    /// process: a Stopped, Running or Done service may be either. Private:
    /// it changes only through `Supervisor::set_satisfied`, which keeps
    /// the run's counts in step.
    satisfied: bool,
    /// `Up` was reported for this series of runs (reset when the run
    /// count is). About the series, across its runs.
    pub up_reported: bool,
    /// A failed spawn of this respawn service was reported and no spawn
    /// has succeeded since: a missing binary says FAIL once, not every
    /// respawn delay. About the series, across its runs.
    pub spawn_failure_reported: bool,
    /// How many respawns in a row followed a short run: the next delay is
    /// the base doubled this many times (up to the cap).
    pub backoff_step: u32,
    /// When the last Spawn was asked for; the respawn delay counts from it.
    pub last_spawn_at: Option<Millis>,
    /// What the last run left behind is being ended; no spawn until it is
    /// gone (`leftovers.rs`). About the last run's other processes, which
    /// outlive its state: a service may be Stopped, Failed, Waiting or
    /// backing off meanwhile.
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
    /// An entry for a service that has never run: Inactive.
    pub fn new(status: ServiceStatus) -> Entry {
        let mut entry = Entry {
            status,
            lifecycle: Lifecycle::Inactive,
            refused_transitions: 0,
            pending_def: None,
            removed: false,
            satisfied: false,
            up_reported: false,
            spawn_failure_reported: false,
            last_spawn_at: None,
            backoff_step: 0,
            leftovers: None,
        };
        entry.status.state = entry.lifecycle.public();
        entry
    }

    /// The one way a service's state changes: `to` is taken if the table
    /// ([`LifecycleKind::may_become`]) allows the change from the state
    /// now, and `status.state` follows it. A change the table does not
    /// allow is refused and counted, never a panic: PID 1 goes on with
    /// the state it had, and tests and the fuzzer require the count to be
    /// zero. Setting the state it is in already changes nothing.
    ///
    /// [`LifecycleKind::may_become`]: super::lifecycle::LifecycleKind::may_become
    pub fn set_state(&mut self, to: Lifecycle) -> bool {
        if to == self.lifecycle {
            return true;
        }
        if !self.lifecycle.kind().may_become(to.kind()) {
            self.refused_transitions = self.refused_transitions.saturating_add(1);
            return false;
        }
        self.lifecycle = to;
        self.status.state = to.public();
        true
    }

    pub fn lifecycle(&self) -> Lifecycle {
        self.lifecycle
    }

    pub fn refused_transitions(&self) -> u32 {
        self.refused_transitions
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
            self.lifecycle,
            Lifecycle::Starting | Lifecycle::AwaitingReady | Lifecycle::Up | Lifecycle::Stopping(_)
        )
    }

    /// Waits for a `Spawned` or `SpawnFailed` answer.
    pub fn awaits_spawn_answer(&self) -> bool {
        self.is_live() && self.status.pid.is_none()
    }

    /// Waiting for its turn in a run that begins or goes on at `now`,
    /// with its run count and its backoff reset.
    pub fn queue(&mut self, now: Millis) {
        self.set_state(Lifecycle::Waiting);
        self.status.queued_at = Some(now);
        self.status.runs = 0;
        self.backoff_step = 0;
    }

    /// A start while it is being stopped: spawned again once it has
    /// exited, unless a timeout gave up on it (it ends Failed).
    pub fn restart_after_stop(&mut self) {
        if let Lifecycle::Stopping(stop) = self.lifecycle {
            if stop.then == AfterStop::Stopped {
                self.set_state(Lifecycle::Stopping(Stop {
                    then: AfterStop::Restart,
                    ..stop
                }));
            }
        }
    }

    /// A stop under way ends Stopped, whatever it was for (a restart the
    /// way down or a reload forgets).
    pub fn forget_restart(&mut self) {
        if let Lifecycle::Stopping(
            stop @ Stop {
                then: AfterStop::Restart,
                ..
            },
        ) = self.lifecycle
        {
            self.set_state(Lifecycle::Stopping(Stop {
                then: AfterStop::Stopped,
                ..stop
            }));
        }
    }

    /// Once the process is gone, the held-back definition takes over.
    pub fn apply_pending_def(&mut self) {
        if let Some(def) = self.pending_def.take() {
            self.status.def = *def;
        }
    }
}

/// An entry as it is saved for a re-exec: the shape it had when its
/// sub-states were flags beside the flat state, so that a state saved by
/// an earlier build reads, and an earlier build reads this one's.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Entry")]
struct SavedEntry<'a> {
    status: std::borrow::Cow<'a, ServiceStatus>,
    pending_def: std::borrow::Cow<'a, Option<Box<ServiceDef>>>,
    removed: bool,
    satisfied: bool,
    /// Stopping for an admin restart.
    restart_after_exit: bool,
    /// Stopping after a ready or final-service timeout gave up on it.
    given_up: bool,
    up_reported: bool,
    spawn_failure_reported: bool,
    /// Failed with its spawn given up on unanswered.
    spawn_abandoned: bool,
    /// Stopping, with KILL sent.
    #[serde(default)]
    stop_killed: bool,
    #[serde(default)]
    backoff_step: u32,
    last_spawn_at: Option<Millis>,
    #[serde(default)]
    leftovers: Option<LeftoversEnding>,
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stop = match self.lifecycle {
            Lifecycle::Stopping(stop) => Some(stop),
            _ => None,
        };
        SavedEntry {
            status: std::borrow::Cow::Borrowed(&self.status),
            pending_def: std::borrow::Cow::Borrowed(&self.pending_def),
            removed: self.removed,
            satisfied: self.satisfied,
            restart_after_exit: stop.is_some_and(|s| s.then == AfterStop::Restart),
            given_up: stop.is_some_and(|s| s.then == AfterStop::Failed),
            up_reported: self.up_reported,
            spawn_failure_reported: self.spawn_failure_reported,
            spawn_abandoned: self.lifecycle
                == (Lifecycle::Failed {
                    spawn_abandoned: true,
                }),
            stop_killed: stop.is_some_and(|s| s.killed),
            backoff_step: self.backoff_step,
            last_spawn_at: self.last_spawn_at,
            leftovers: self.leftovers,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Entry {
    /// The lifecycle is made from the flat state and the flags. Backing
    /// off reads as waiting for leftovers; `saved.rs` makes it a respawn
    /// delay where the saved timers hold one.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entry, D::Error> {
        let saved = SavedEntry::deserialize(deserializer)?;
        let status = saved.status.into_owned();
        let lifecycle = match status.state {
            ServiceState::Inactive => Lifecycle::Inactive,
            ServiceState::Waiting => Lifecycle::Waiting,
            ServiceState::Starting => Lifecycle::Starting,
            ServiceState::Running if status.ready == Some(false) => Lifecycle::AwaitingReady,
            ServiceState::Running => Lifecycle::Up,
            ServiceState::Stopping => Lifecycle::Stopping(Stop {
                then: if saved.given_up {
                    AfterStop::Failed
                } else if saved.restart_after_exit {
                    AfterStop::Restart
                } else {
                    AfterStop::Stopped
                },
                killed: saved.stop_killed,
            }),
            ServiceState::Restarting => Lifecycle::BackingOff(Backoff::Leftovers),
            ServiceState::Done => Lifecycle::Done,
            ServiceState::Failed => Lifecycle::Failed {
                spawn_abandoned: saved.spawn_abandoned,
            },
            ServiceState::Stopped => Lifecycle::Stopped,
        };
        Ok(Entry {
            status,
            lifecycle,
            refused_transitions: 0,
            pending_def: saved.pending_def.into_owned(),
            removed: saved.removed,
            satisfied: saved.satisfied,
            up_reported: saved.up_reported,
            spawn_failure_reported: saved.spawn_failure_reported,
            backoff_step: saved.backoff_step,
            last_spawn_at: saved.last_spawn_at,
            leftovers: saved.leftovers,
        })
    }
}

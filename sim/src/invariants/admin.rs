//! Admin requests as the checker sees them: what a start, a stop and a
//! restart must do at once, and what they must keep from happening.
//!
//! Owns invariant 3. A start spawns a service that is not alive and not
//! waiting for its turn; a stop sends a running service its stop signal; a
//! restart does both, the spawn once the process has exited (as does a
//! start of a service being stopped, unless the core had given up on it);
//! and a service an admin stopped is not spawned again until an admin
//! start or restart. None of it once the machine is going down, but stop.

use std::collections::BTreeSet;

use init_core::events::{Event, ServiceId, ServiceState, Signal};
use init_core::supervisor::Supervisor;

use super::{Found, Invariant, World};

#[derive(Debug, Clone, Default)]
pub(super) struct Admin {
    /// Services the core stopped on an admin request.
    stopped: BTreeSet<ServiceId>,
    /// Services to be spawned again when their process exits.
    restart_pending: BTreeSet<ServiceId>,
    /// Services the core gave up on and stops (a ready timeout): a start
    /// while they are stopped does not bring them back.
    given_up: BTreeSet<ServiceId>,
    /// What this step owes: a spawn, a stop signal.
    owe_spawn: BTreeSet<ServiceId>,
    /// Spawns owed but held back until what the service's last run left
    /// is gone: owed at the step that sees it gone.
    held: BTreeSet<ServiceId>,
    owe_stop: BTreeSet<ServiceId>,
}

impl Admin {
    /// `waiting`: whether the service waits for its turn in the run
    /// (`None`: only the core knows), where a start does nothing.
    pub fn on_input(&mut self, w: &World, event: &Event, waiting: Option<bool>) {
        match event {
            Event::Start(id) | Event::Restart(id) => {
                let id = *id;
                let restart = matches!(event, Event::Restart(_));
                if w.down.is_some() || !w.is_configured(id) {
                    return;
                }
                let live = w.live.contains_key(&id);
                let stopping = w.stopping.contains(&id);
                if !live {
                    let spawns = w.def(id).is_some_and(|d| !d.is_milestone());
                    if spawns && waiting == Some(false) {
                        self.owe_spawn.insert(id);
                    }
                } else if stopping {
                    if !self.given_up.contains(&id) {
                        self.restart_pending.insert(id);
                    }
                } else if restart {
                    self.owe_stop.insert(id);
                    self.restart_pending.insert(id);
                }
            }
            Event::Stop(id) => {
                self.restart_pending.remove(id);
                self.held.remove(id);
                // The admin's stop sticks: the exit ends it Stopped.
                self.given_up.remove(id);
                if w.live.contains_key(id) && !w.stopping.contains(id) && !w.kill_all {
                    self.owe_stop.insert(*id);
                }
            }
            Event::Exited { pid, .. } => {
                let Some(&id) = w.owner.get(pid).filter(|id| w.live.get(id) == Some(pid)) else {
                    return;
                };
                self.given_up.remove(&id);
                let spawns = w.def(id).is_some_and(|d| !d.is_milestone());
                if self.restart_pending.remove(&id) && w.down.is_none() && spawns {
                    self.owe_spawn.insert(id);
                }
            }
            Event::Shutdown | Event::Reboot => {
                self.restart_pending.clear();
                self.held.clear();
            }
            _ => {}
        }
    }

    /// Whether this step owes a spawn of `id` (its restart, at the exit
    /// just seen).
    pub fn restarts(&self, id: ServiceId) -> bool {
        self.owe_spawn.contains(&id)
    }

    /// The way down forgets pending restarts.
    pub fn on_down(&mut self) {
        self.restart_pending.clear();
        self.held.clear();
    }

    pub fn after_input(&mut self, w: &World, event: &Event, supervisor: &Supervisor) {
        match event {
            Event::Stop(id) => {
                // A stop sticks only where the core took it: it leaves
                // Done and Failed services alone.
                let taken = supervisor.service(*id).is_some_and(|s| {
                    matches!(s.state, ServiceState::Stopped | ServiceState::Stopping)
                });
                if taken {
                    self.stopped.insert(*id);
                }
            }
            Event::Start(id) | Event::Restart(id) => {
                self.stopped.remove(id);
            }
            Event::Reload { .. } => {
                self.restart_pending.retain(|id| w.is_configured(*id));
                // A held start of a service the reload changed is the
                // core's to keep or drop.
                self.held.retain(|id| {
                    w.def(*id)
                        .is_some_and(|def| w.spawn_def.get(id) == Some(def))
                });
            }
            _ => {}
        }
    }

    pub fn on_spawn(&mut self, w: &World, id: ServiceId, found: &mut Found) {
        self.owe_spawn.remove(&id);
        self.held.remove(&id);
        if self.stopped.contains(&id) {
            found.add(
                w.now,
                Invariant::AdminStop,
                format!("{} is spawned after an admin stop", w.name(id)),
            );
        }
    }

    pub fn on_signal(&mut self, w: &World, id: ServiceId, signal: Signal) {
        if signal == Signal::Kill {
            return;
        }
        self.owe_stop.remove(&id);
        let by_admin =
            w.is_handling(|e| matches!(e, Event::Stop(x) | Event::Restart(x) if *x == id));
        if !by_admin && w.down.is_none() {
            self.given_up.insert(id);
        }
    }

    /// What the step owed and did not do.
    pub fn end_of_step(&mut self, w: &World, found: &mut Found) {
        // A spawn held back for leftovers is owed once they are gone.
        self.held.append(&mut self.owe_spawn);
        let (still_held, owed): (BTreeSet<ServiceId>, BTreeSet<ServiceId>) =
            std::mem::take(&mut self.held)
                .into_iter()
                .partition(|&id| w.leftovers_ending(id));
        self.held = still_held;
        for id in owed {
            found.add(
                w.now,
                Invariant::AdminStop,
                format!("{} is not spawned at an admin start or restart", w.name(id)),
            );
        }
        for id in std::mem::take(&mut self.owe_stop) {
            found.add(
                w.now,
                Invariant::AdminStop,
                format!(
                    "{} gets no stop signal at an admin stop or restart",
                    w.name(id)
                ),
            );
        }
    }
}

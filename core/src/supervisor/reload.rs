//! Reload: taking a new configuration while services run.
//!
//! Owns matching old and new services by enabled name, keeping ids stable,
//! and deciding which definition each service runs with. It starts nothing
//! new by itself; the re-resolved run may.

use std::collections::BTreeMap;

use super::lifecycle::Lifecycle;
use super::timers::TimerKind;
use super::Supervisor;
use crate::events::{Millis, ServiceId, ServiceState};
use crate::service::{ServiceDef, ServiceType};

impl Supervisor {
    pub(super) fn handle_reload(&mut self, now: Millis, services: Vec<ServiceDef>) {
        if self.phase.is_going_down() {
            return;
        }
        // Names identify services; the first of a repeated name wins.
        let mut incoming: Vec<Option<ServiceDef>> = Vec::new();
        let mut incoming_by_name: BTreeMap<String, usize> = BTreeMap::new();
        for def in services {
            if !incoming_by_name.contains_key(&def.name) {
                incoming_by_name.insert(def.name.clone(), incoming.len());
                incoming.push(Some(def));
            }
        }

        let mut dropped = Vec::new();
        // Respawns owed to a respawn service the new definition makes
        // something else: they do not go out.
        let mut respawn_dropped = Vec::new();
        for entry in self.entries.values_mut() {
            let matched = incoming_by_name
                .get(&entry.status.def.name)
                .and_then(|&at| incoming.get_mut(at))
                .and_then(Option::take);
            match matched {
                Some(def) if entry.is_live() => {
                    entry.removed = false;
                    entry.pending_def = (def != entry.status.def).then(|| Box::new(def));
                }
                Some(def) => {
                    entry.removed = false;
                    entry.pending_def = None;
                    if matches!(entry.lifecycle(), Lifecycle::BackingOff(_))
                        && respawning_ends(&entry.status.def, &def)
                    {
                        // Taken over below as a service that was not
                        // running.
                        entry.set_state(Lifecycle::Inactive);
                        respawn_dropped.push(entry.status.id);
                    }
                    entry.status.def = def;
                }
                None if entry.is_live() => {
                    entry.removed = true;
                    entry.pending_def = None;
                    entry.forget_restart();
                }
                None => dropped.push(entry.status.id),
            }
        }
        self.drop_entries(&dropped);
        for id in respawn_dropped {
            self.timers.cancel(TimerKind::Respawn(id));
        }
        for def in incoming.into_iter().flatten() {
            self.add_entry(def);
        }

        // New services (or services moved) to the target that runs now join
        // its run: a service a reload removed while it waited for its turn
        // and the next one brought back must still get it. To a target
        // whose run is over they are known and Done, not started, as in the
        // original. Waiting services moved to a target yet to run wait for
        // that one.
        let targets_run = self.targets_run.clone();
        let running = self
            .run
            .as_ref()
            .filter(|run| !run.complete)
            .map(|run| run.target);
        let mut reached = Vec::new();
        let mut queued = Vec::new();
        for entry in self.entries.values_mut() {
            if entry.removed {
                continue;
            }
            let target = entry.configured_target();
            let has_run = targets_run.contains(&target);
            match entry.state() {
                ServiceState::Inactive if running == Some(target) => {
                    entry.queue(now);
                    queued.push(entry.status.id);
                }
                ServiceState::Inactive if has_run => {
                    entry.set_state(Lifecycle::Done);
                    reached.push(entry.status.id);
                }
                ServiceState::Waiting if !has_run => {
                    entry.set_state(Lifecycle::Inactive);
                }
                _ => {}
            }
        }
        for id in reached {
            self.set_satisfied(now, id, true);
        }
        // A respawn service whose respawning a reload ended may still count
        // as satisfied by its old runs: joining the run, it starts afresh.
        for id in queued {
            self.set_satisfied(now, id, false);
        }

        self.re_resolve_run();
        self.advance(now);
    }

    /// Resolves the current run again from the services' configured
    /// definitions.
    fn re_resolve_run(&mut self) {
        if let Some(target) = self.run.as_ref().map(|r| r.target) {
            let slots = self.resolve_slots(target);
            let predecessors = self.predecessor_counts(&slots);
            if let Some(run) = &mut self.run {
                run.slots = slots;
                run.predecessors = predecessors;
            }
        }
    }

    /// `id`, Inactive, takes its place as a service a reload found not
    /// running does: it joins the run of its target if that runs now,
    /// is Done if its target's run is over, and waits for its target
    /// otherwise. For a respawn service whose process ended after a
    /// reload made it something else.
    pub(super) fn take_over_as_not_running(&mut self, now: Millis, id: ServiceId) {
        let running = self
            .run
            .as_ref()
            .filter(|run| !run.complete)
            .map(|run| run.target);
        let targets_run = self.targets_run.clone();
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.state() != ServiceState::Inactive {
            return;
        }
        let target = entry.configured_target();
        if running == Some(target) {
            entry.queue(now);
            self.set_satisfied(now, id, false);
            self.re_resolve_run();
        } else if targets_run.contains(&target) {
            entry.set_state(Lifecycle::Done);
            self.set_satisfied(now, id, true);
        }
    }
}

/// Whether a respawn service given `new` while it ran (or waited to be
/// respawned) as `old` is respawned no more: `new` makes it another type
/// or moves it to another target. It then becomes what a service that was
/// not running becomes under `new`.
pub(super) fn respawning_ends(old: &ServiceDef, new: &ServiceDef) -> bool {
    old.kind == ServiceType::Respawn
        && !(new.kind == ServiceType::Respawn && new.target == old.target)
}

//! Reload: taking a new configuration while services run.
//!
//! Owns matching old and new services by enabled name, keeping ids stable,
//! and deciding which definition each service runs with. It starts nothing
//! new by itself; the re-resolved run may.

use std::collections::BTreeMap;

use super::lifecycle::Lifecycle;
use super::Supervisor;
use crate::events::{Millis, ServiceState};
use crate::service::ServiceDef;

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
        for entry in self.entries.values_mut() {
            if entry.removed {
                continue;
            }
            let target = entry.configured_target();
            let has_run = targets_run.contains(&target);
            match entry.state() {
                ServiceState::Inactive if running == Some(target) => entry.queue(now),
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

        if let Some(target) = self.run.as_ref().map(|r| r.target) {
            let slots = self.resolve_slots(target);
            let predecessors = self.predecessor_counts(&slots);
            if let Some(run) = &mut self.run {
                run.slots = slots;
                run.predecessors = predecessors;
            }
        }
        self.advance(now);
    }
}

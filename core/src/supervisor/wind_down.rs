//! The wind-down: before the shutdown or reboot target's own services run,
//! every live service is stopped in reverse dependency order.
//!
//! Owns which service is stopped when on the way down, and the bound on
//! the whole wind-down. It does not stop a process itself (`stop.rs` does)
//! and does not run the final target (`run.rs` does).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::lifecycle::{AfterStop, Lifecycle};
use super::{Phase, Supervisor, TimerKind};
use crate::events::{Millis, PowerAction, ServiceId, ServiceState};
use crate::service::Target;

/// The services still to end, each with the live services it must outlive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct WindDown {
    /// For each service still to end: the live services it started after
    /// (directly, or through services that are not alive), which are
    /// stopped only once it has ended.
    predecessors: BTreeMap<ServiceId, Vec<ServiceId>>,
    /// For each service still to end: how many services still to end
    /// started after it. It is stopped when this reaches zero.
    dependents_left: BTreeMap<ServiceId, usize>,
}

/// The final target of a power action; a switch-root has none.
pub(super) fn final_target(action: PowerAction) -> Option<Target> {
    match action {
        PowerAction::PowerOff => Some(Target::Shutdown),
        PowerAction::Reboot => Some(Target::Reboot),
        PowerAction::SwitchRoot => None,
    }
}

impl Supervisor {
    /// Plans the wind-down and stops what no live service depends on. The
    /// caller has set the phase to `WindDown`.
    pub(super) fn begin_wind_down(&mut self, now: Millis, action: PowerAction) {
        let target = final_target(action);
        // A service of the final target that an admin started early keeps
        // running: its target is about to count on it.
        let live: BTreeSet<ServiceId> = self
            .entries
            .values()
            .filter(|e| e.is_live() && Some(e.status.def.target) != target)
            .map(|e| e.status.id)
            .collect();
        let mut plan = WindDown::default();
        // Boot's slots come in start order, so a slot's predecessors are
        // known before it: the live ones a dead slot stood for are carried
        // through it, keeping the order transitive.
        let mut live_before: BTreeMap<ServiceId, BTreeSet<ServiceId>> = BTreeMap::new();
        for slot in self.resolve_slots_ordered(Target::Boot) {
            let mut before = BTreeSet::new();
            for p in slot.after.iter() {
                if live.contains(p) {
                    before.insert(*p);
                } else if let Some(through) = live_before.get(p) {
                    before.extend(through.iter().copied());
                }
            }
            live_before.insert(slot.id, before);
        }
        for &id in &live {
            let before: Vec<ServiceId> = live_before
                .get(&id)
                .map(|set| set.iter().copied().collect())
                .unwrap_or_default();
            for p in &before {
                *plan.dependents_left.entry(*p).or_insert(0) += 1;
            }
            plan.dependents_left.entry(id).or_insert(0);
            plan.predecessors.insert(id, before);
        }
        let ready: Vec<ServiceId> = plan
            .dependents_left
            .iter()
            .filter(|&(_, &left)| left == 0)
            .map(|(&id, _)| id)
            .collect();
        self.wind_down = Some(plan);
        for id in ready {
            self.stop_for_wind_down(now, id);
        }
        self.finish_wind_down_if_done(now);
    }

    /// Every process end goes through here: during the wind-down it may
    /// let the services this one started after be stopped.
    pub(super) fn wind_down_process_ended(&mut self, now: Millis, id: ServiceId) {
        if !matches!(self.phase, Phase::WindDown(_)) {
            return;
        }
        if self.entry(id).is_some_and(|e| e.is_live()) {
            return;
        }
        self.wind_down_release(now, id);
    }

    /// `id` no longer holds up the wind-down: it ended, or KILL did not end
    /// it within `kill_grace_ms` (a process in uninterruptible sleep must
    /// not hold the machine up; the final safety net is left for it).
    pub(super) fn wind_down_release(&mut self, now: Millis, id: ServiceId) {
        if !matches!(self.phase, Phase::WindDown(_)) {
            return;
        }
        let Some(plan) = &mut self.wind_down else {
            return;
        };
        if plan.dependents_left.remove(&id).is_none() {
            return;
        }
        let mut ready = Vec::new();
        for p in plan.predecessors.remove(&id).unwrap_or_default() {
            if let Some(left) = plan.dependents_left.get_mut(&p) {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    ready.push(p);
                }
            }
        }
        for p in ready {
            self.stop_for_wind_down(now, p);
        }
        self.finish_wind_down_if_done(now);
    }

    fn stop_for_wind_down(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        match entry.state() {
            ServiceState::Running => {
                entry.set_state(Lifecycle::stopping(AfterStop::Stopped));
                self.send_stop(now, id);
            }
            // No pid yet: the stop goes out with the `Spawned`, and the
            // timeout bounds the wait for it.
            ServiceState::Starting => {
                entry.set_state(Lifecycle::stopping(AfterStop::Stopped));
                self.arm_stop_timeout(now, id);
            }
            // Being stopped already (an admin stop): bounded like the rest,
            // even if the admin's stop went out before any pid was known.
            ServiceState::Stopping if !self.timers.is_armed(TimerKind::StopTimeout(id)) => {
                self.arm_stop_timeout(now, id);
            }
            _ => {}
        }
        // An entry that is not live any more (or never was) has ended.
        if !self.entry(id).is_some_and(|e| e.is_live()) {
            self.wind_down_process_ended(now, id);
        }
    }

    fn finish_wind_down_if_done(&mut self, now: Millis) {
        let Phase::WindDown(action) = self.phase else {
            return;
        };
        if self
            .wind_down
            .as_ref()
            .is_some_and(|plan| !plan.dependents_left.is_empty())
        {
            return;
        }
        self.wind_down = None;
        self.phase = Phase::FinalTarget(action);
        match final_target(action) {
            Some(target) => self.begin_final_run(now, target),
            None => self.begin_kill_grace(now, action),
        }
    }
}

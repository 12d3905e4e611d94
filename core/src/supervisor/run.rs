//! Target runs: queueing a target's services, starting each once its
//! predecessors are satisfied, noticing completion, and the way down
//! (shutdown/reboot, the final safety net, `Power`).
//!
//! Owns ordering and the end of the machine. Process bookkeeping (spawn
//! answers, exits, respawn) lives in `process.rs`.

use serde::{Deserialize, Serialize};

use super::lifecycle::{AfterStop, Lifecycle, Stop};
use super::predecessors::PredecessorCounts;
use super::{Phase, Supervisor, TimerKind};
use crate::events::{
    ExitStatus, Millis, Output, PowerAction, Report, ServiceId, ServiceState, Signal,
};
use crate::resolve::resolve_refs;
use crate::service::{ServiceDef, ServiceType, Target};

/// One place in a target run: a service with the services that must be
/// satisfied before it starts. A boxed slice: 8 bytes less than a `Vec`
/// on every slot of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RunSlot {
    pub id: ServiceId,
    pub after: Box<[ServiceId]>,
}

/// The run of one target: its services in start order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct TargetRun {
    pub target: Target,
    /// Saved as `steps`, their name before.
    #[serde(rename = "steps")]
    pub slots: Vec<RunSlot>,
    /// `TargetComplete` was output; it never is twice for one run.
    pub complete: bool,
    /// Derived from `slots` and the services' `satisfied` flags. Saved
    /// as `readiness`, its name before.
    #[serde(rename = "readiness")]
    pub predecessors: PredecessorCounts,
}

impl Supervisor {
    /// The slots of `target` for the configuration as it stands: every
    /// service not being removed, resolved by its configured definition,
    /// and every removed one that is still alive, by the definition it
    /// runs: it keeps its place until its process ends.
    pub(super) fn resolve_slots(&self, target: Target) -> Vec<RunSlot> {
        self.resolve_slots_with(target, !self.options.sequential)
    }

    /// The slots of `target` with their predecessors, even in sequential
    /// mode: the wind-down stops services by what they depend on.
    pub(super) fn resolve_slots_ordered(&self, target: Target) -> Vec<RunSlot> {
        self.resolve_slots_with(target, true)
    }

    fn resolve_slots_with(&self, target: Target, with_predecessors: bool) -> Vec<RunSlot> {
        // Sorted by name, the order the loader hands services in, so that
        // the resolver's tie-break does not depend on reload history.
        let mut members: Vec<(&ServiceDef, ServiceId)> = self
            .entries
            .values()
            .filter(|e| !e.removed || e.is_live())
            .map(|e| (e.configured_def(), e.status.id))
            .collect();
        members.sort_by(|a, b| a.0.name.cmp(&b.0.name).then(a.1.cmp(&b.1)));
        let defs: Vec<&ServiceDef> = members.iter().map(|(d, _)| *d).collect();
        let ids: Vec<ServiceId> = members.iter().map(|(_, id)| *id).collect();
        let order = resolve_refs(&defs, target);

        let mut slots: Vec<RunSlot> = Vec::new();
        let mut placed = vec![false; defs.len()];
        let push_slot = |index: usize, slots: &mut Vec<RunSlot>, placed: &mut Vec<bool>| {
            let Some(&id) = ids.get(index) else { return };
            let belongs = defs.get(index).is_some_and(|d| d.target == target);
            if !belongs || placed.get(index).copied().unwrap_or(true) {
                return;
            }
            let after: Box<[ServiceId]> = if !with_predecessors {
                // The order alone decides (see `Readiness`).
                Box::default()
            } else {
                // Only predecessors placed earlier: a wrong order from the
                // resolver can then delay a service but never deadlock it.
                order
                    .predecessors
                    .get(index)
                    .map(|p| {
                        p.iter()
                            .filter(|&&j| placed.get(j).copied().unwrap_or(false))
                            .filter_map(|&j| ids.get(j).copied())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            slots.push(RunSlot { id, after });
            if let Some(flag) = placed.get_mut(index) {
                *flag = true;
            }
        };
        for &index in &order.order {
            push_slot(index, &mut slots, &mut placed);
        }
        // A service the resolver left out still runs, last.
        for index in 0..defs.len() {
            push_slot(index, &mut slots, &mut placed);
        }
        // Kept for the whole run: without the room a list grown by
        // doubling has spare.
        slots.shrink_to_fit();
        slots
    }

    pub(super) fn handle_boot(&mut self, now: Millis) {
        if self.phase != Phase::Idle {
            return;
        }
        self.phase = Phase::Up;
        self.begin_run(now, Target::Boot);
    }

    /// `Shutdown` or `Reboot`: the first one wins.
    pub(super) fn handle_final_target(&mut self, now: Millis, action: PowerAction) {
        if self.phase.is_going_down() {
            return;
        }
        self.phase = Phase::WindDown(action);
        for entry in self.entries.values_mut() {
            entry.forget_restart();
            if entry.state() == ServiceState::Restarting {
                entry.set_state(Lifecycle::Stopped);
            }
        }
        self.timers
            .retain(|kind| !matches!(kind, TimerKind::Respawn(_)));
        self.pull_in_stop_timeouts(now);
        self.begin_wind_down(now, action);
    }

    /// A service ended for good while the machine was up: if it is the
    /// main service, its status is kept for the driver and the machine
    /// shuts down. `status` is `None` when its spawn failed, which counts
    /// as 127, a shell's "cannot run".
    pub(super) fn main_service_ended(
        &mut self,
        now: Millis,
        id: ServiceId,
        status: Option<ExitStatus>,
    ) {
        if !self
            .entry(id)
            .is_some_and(|e| e.status.def.settings.main_service)
        {
            return;
        }
        self.main_service_exit = Some(status.unwrap_or(ExitStatus::Exited(127)));
        self.handle_final_target(now, PowerAction::PowerOff);
    }

    /// Runs the shutdown or reboot target, once the wind-down is over.
    pub(super) fn begin_final_run(&mut self, now: Millis, target: Target) {
        self.begin_run(now, target);
    }

    /// Queues every service of `target` and starts what may start.
    fn begin_run(&mut self, now: Millis, target: Target) {
        if !self.targets_run.contains(&target) {
            self.targets_run.push(target);
        }
        // The old run's counts would only be kept up to date for nothing.
        self.run = None;
        let slots = self.resolve_slots(target);
        let in_final_target = matches!(self.phase, Phase::FinalTarget(_));
        let final_deadline = now.saturating_add(self.options.final_service_timeout_ms);
        for slot in &slots {
            let Some(entry) = self.entry_mut(slot.id) else {
                continue;
            };
            let satisfied = match entry.state() {
                ServiceState::Inactive
                | ServiceState::Done
                | ServiceState::Failed
                | ServiceState::Waiting => {
                    entry.queue(now);
                    false
                }
                // Stopped (or being stopped) by the admin: it stays so and
                // blocks nothing. Restarting: an admin start made it run
                // before its target did; it counts as started.
                ServiceState::Stopped | ServiceState::Stopping | ServiceState::Restarting => true,
                // Alive already (an admin start): it counts as started, and
                // a `wait` one still has to exit.
                ServiceState::Running => entry.kind() != ServiceType::Wait,
                ServiceState::Starting => false,
            };
            let is_live = entry.is_live();
            self.set_satisfied(now, slot.id, satisfied);
            if in_final_target && is_live && !satisfied {
                // Spawned before the switch, so no timer bounds it yet.
                self.timers
                    .set(TimerKind::FinalService(slot.id), final_deadline);
            }
        }
        let predecessors = self.predecessor_counts(&slots);
        self.run = Some(TargetRun {
            target,
            slots,
            complete: false,
            predecessors,
        });
        self.advance(now);
    }

    /// Fresh counts for `slots` from the services' flags as they stand.
    pub(super) fn predecessor_counts(&self, slots: &[RunSlot]) -> PredecessorCounts {
        PredecessorCounts::new(slots, self.options.sequential, |id| {
            self.entry(id).map_or(true, |e| e.is_satisfied())
        })
    }

    /// Starts every Waiting service of the run whose predecessors are all
    /// satisfied, lowest position first, then notices completion. Called
    /// after every change that can satisfy a service.
    pub(super) fn advance(&mut self, now: Millis) {
        // The boot run is over once the wind-down begins: nothing of it
        // starts any more, however its services end.
        if matches!(self.phase, Phase::WindDown(_)) {
            return;
        }
        let mut still_waiting = Vec::new();
        loop {
            let Some(run) = &mut self.run else { return };
            if run.complete {
                return;
            }
            let Some(position) = run.predecessors.pop_startable() else {
                break;
            };
            let Some(id) = run.slots.get(position).map(|s| s.id) else {
                continue;
            };
            let Some(entry) = self.entry_mut(id) else {
                continue;
            };
            // A slot that is not Waiting now never is again in this run:
            // only a new run (or a reload's rebuilt counts) queues services.
            if entry.state() != ServiceState::Waiting {
                continue;
            }
            if entry.status.def.is_milestone() {
                entry.set_state(Lifecycle::Done);
                self.set_satisfied(now, id, true);
            } else {
                self.spawn(now, id);
                if self
                    .entry(id)
                    .is_some_and(|e| e.state() == ServiceState::Waiting)
                {
                    still_waiting.push(position);
                }
            }
        }
        let Some(run) = &mut self.run else { return };
        // A spawn that did not happen is tried again at the next advance,
        // as a full pass over the slots would.
        for position in still_waiting {
            run.predecessors.retry(position);
        }
        if run.predecessors.all_satisfied() {
            self.complete_run(now);
        }
    }

    fn complete_run(&mut self, now: Millis) {
        let Some(run) = &mut self.run else { return };
        if run.complete {
            return;
        }
        run.complete = true;
        let target = run.target;
        self.emit(Output::TargetComplete { target });
        if let Phase::FinalTarget(action) = self.phase {
            self.begin_kill_grace(now, action);
        }
    }

    /// The safety net: TERM to everything, then KILL after the grace or as
    /// soon as every tracked process is gone.
    pub(super) fn begin_kill_grace(&mut self, now: Millis, action: PowerAction) {
        self.phase = Phase::KillGrace(action);
        self.timers
            .retain(|kind| !matches!(kind, TimerKind::FinalService(_) | TimerKind::StopTimeout(_)));
        self.emit(Output::KillAll {
            signal: Signal::Term,
        });
        self.timers.set(
            TimerKind::KillGrace,
            now.saturating_add(self.options.kill_grace_ms),
        );
        self.finish_if_all_exited();
    }

    /// During the grace: ends early once no tracked process is left.
    pub(super) fn finish_if_all_exited(&mut self) {
        if !matches!(self.phase, Phase::KillGrace(_)) {
            return;
        }
        if self.pids.is_empty() {
            self.finish();
        }
    }

    /// `KillAll{KILL}`, `Sync`, `Power`: the end.
    pub(super) fn finish(&mut self) {
        let action = match self.phase {
            Phase::KillGrace(action) => action,
            _ => return,
        };
        self.emit(Output::KillAll {
            signal: Signal::Kill,
        });
        self.emit(Output::Sync);
        self.emit(Output::Power { action });
    }

    /// A service of the final target took too long (its spawn unanswered,
    /// a `wait` process still running, or a process not yet ready): stop
    /// waiting for it.
    pub(super) fn fire_final_service_timeout(&mut self, now: Millis, id: ServiceId) {
        if !matches!(self.phase, Phase::FinalTarget(_)) {
            return;
        }
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.is_satisfied() {
            return;
        }
        // A `wait` process that has not ended, or one that has yet to say
        // it is ready (its ready timeout may be far longer), is given up.
        let not_ready = entry.lifecycle() == Lifecycle::AwaitingReady;
        let kill = match (entry.state(), entry.status.pid) {
            (ServiceState::Running, Some(pid))
                if entry.kind() == ServiceType::Wait || not_ready =>
            {
                // KILL goes out at once: the way down has no time for
                // the stop signal.
                entry.set_state(Lifecycle::Stopping(Stop {
                    then: AfterStop::Failed,
                    killed: true,
                }));
                Some(pid)
            }
            (ServiceState::Starting, _) => {
                entry.set_state(Lifecycle::Failed {
                    spawn_abandoned: true,
                });
                None
            }
            _ => return,
        };
        self.timers.cancel(TimerKind::Ready(id));
        self.set_satisfied(now, id, true);
        if let Some(pid) = kill {
            self.emit(Output::Signal {
                service: id,
                pid,
                signal: Signal::Kill,
            });
        }
        self.report(id, Report::Fail);
        self.advance(now);
    }
}

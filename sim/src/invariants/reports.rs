//! Console reports as the checker sees them: the lines a step owes, and
//! `[ UP ]` lines that are not owed.
//!
//! Owns invariant 17 (the supervisor's "Console reports" policy): a
//! `wait` or `once` process that ends by itself is reported OK (status 0)
//! or FAIL; a failed spawn of one is reported FAIL; a respawn service is
//! reported UP when the first run of a series starts (at its ready word,
//! if it declares one) and not for the runs after; a respawn service given
//! up at its limit is reported FAIL. Nothing is owed for a service being
//! stopped or removed, nor once the final safety net has begun.

use std::collections::{BTreeMap, BTreeSet};

use init_core::events::{Event, ExitStatus, Report, ServiceId, Signal};
use init_core::service::ServiceType;

use super::{Found, Invariant, World};

#[derive(Debug, Clone, Default)]
pub(super) struct Reports {
    /// Reports this step owes.
    owed: BTreeMap<ServiceId, Report>,
    /// Services whose live process got KILL without a stop signal (a
    /// final-service timeout): being stopped too.
    killed: BTreeSet<ServiceId>,
    /// For each respawn service whose series the respawn model knows:
    /// whether UP was said in it yet.
    up_said: BTreeMap<ServiceId, bool>,
}

impl Reports {
    /// `runs`: the series' run count after this spawn, if known (1: a new
    /// series).
    pub fn on_spawn(&mut self, id: ServiceId, runs: Option<u32>) {
        match runs {
            Some(1) => {
                self.up_said.insert(id, false);
            }
            Some(_) => {}
            None => {
                self.up_said.remove(&id);
            }
        }
        self.killed.remove(&id);
    }

    pub fn on_input(&mut self, w: &World, event: &Event) {
        if w.kill_all {
            return;
        }
        match event {
            Event::Spawned { service, .. } => {
                let Some(def) = w.spawn_def.get(service) else {
                    return;
                };
                if def.kind == ServiceType::Respawn
                    && !wound_down(w, *service)
                    && def.settings.ready.is_none()
                    && self.up_said.get(service) == Some(&false)
                    && !w.touched.contains(service)
                {
                    self.owed.insert(*service, Report::Up);
                }
            }
            Event::Ready(id) => {
                let first_word = w.live.contains_key(id)
                    && w.declares_ready(*id)
                    && !w.ready_said.contains(id)
                    && !w.stopping.contains(id);
                let respawn = w
                    .spawn_def
                    .get(id)
                    .is_some_and(|d| d.kind == ServiceType::Respawn);
                let up_owed = self.up_said.get(id) == Some(&false) && !w.touched.contains(id);
                if first_word && respawn && up_owed {
                    self.owed.insert(*id, Report::Up);
                }
            }
            Event::Exited { pid, status, .. } => {
                let Some(&id) = w.owner.get(pid).filter(|id| w.live.get(id) == Some(pid)) else {
                    return;
                };
                let kind = w.spawn_def.get(&id).map(|d| d.kind);
                let by_itself = !w.stopping.contains(&id)
                    && !self.killed.contains(&id)
                    && !w.touched.contains(&id)
                    && w.is_configured(id);
                if by_itself && matches!(kind, Some(ServiceType::Wait | ServiceType::Once)) {
                    let report = match status {
                        ExitStatus::Exited(0) => Report::Ok,
                        _ => Report::Fail,
                    };
                    self.owed.insert(id, report);
                }
            }
            Event::SpawnFailed { service, .. } => {
                let kind = w.spawn_def.get(service).map(|d| d.kind);
                let ends = matches!(kind, Some(ServiceType::Wait | ServiceType::Once))
                    && !wound_down(w, *service);
                if ends && w.is_configured(*service) && !w.touched.contains(service) {
                    self.owed.insert(*service, Report::Fail);
                }
            }
            _ => {}
        }
    }

    /// A respawn service whose limit was reached at this step's exit.
    pub fn given_up(&mut self, w: &World, id: ServiceId) {
        if !w.kill_all && !w.touched.contains(&id) {
            self.owed.insert(id, Report::Fail);
        }
    }

    pub fn on_signal(&mut self, id: ServiceId, signal: Signal) {
        if signal == Signal::Kill {
            self.killed.insert(id);
        }
    }

    pub fn on_report(&mut self, w: &World, id: ServiceId, report: &Report, found: &mut Found) {
        if self.owed.get(&id) == Some(report) {
            self.owed.remove(&id);
        }
        if *report != Report::Up {
            return;
        }
        if let Some(said) = self.up_said.get_mut(&id) {
            if *said && !w.touched.contains(&id) {
                found.add(
                    w.now,
                    Invariant::Reports,
                    format!("{} is reported UP twice in one series of runs", w.name(id)),
                );
            }
            *said = true;
        }
    }

    /// Reports the step owed and did not output.
    pub fn end_of_step(&mut self, w: &World, found: &mut Found) {
        for (id, report) in std::mem::take(&mut self.owed) {
            if w.kill_all {
                continue;
            }
            found.add(
                w.now,
                Invariant::Reports,
                format!("{} is owed a report {report:?}, and got none", w.name(id)),
            );
        }
    }
}

/// A service the way down stops (not of the final target): a spawn
/// answered meanwhile is stopped at once, and ends unreported.
fn wound_down(w: &World, id: ServiceId) -> bool {
    w.down.is_some_and(|down| {
        w.spawn_def
            .get(&id)
            .is_some_and(|d| d.target != down.final_target())
    })
}

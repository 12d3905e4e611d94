//! Stops as the checker sees them: when each stopped process is owed its
//! KILL, and the wind-down before the final target.
//!
//! Owns invariants 12 (the stop signal, once a process, and KILL exactly
//! at the stop timeout, capped by the shutdown ceiling once the machine
//! goes down) and
//! 13 (the wind-down: a service is stopped once every service live at the
//! switch that starts after it, directly or through services that were
//! not live then, has ended, and not before; the final target starts
//! after the last of them). The order comes from `graph.rs`, over the
//! boot target as the core winds it down.

use std::collections::{BTreeMap, BTreeSet};

use init_core::events::{Event, Millis, Pid, Report, ServiceId, Signal};
use init_core::service::Target;

use super::graph::Graph;
use super::{Down, Found, Invariant, World};

#[derive(Debug, Clone, Default)]
pub(super) struct Stops {
    /// Each process that got its stop signal: whose it is, and when its
    /// KILL is due.
    kill_due: BTreeMap<Pid, (ServiceId, Millis)>,
    /// Every process that got its stop signal: it gets one, once.
    stopped_pids: BTreeSet<Pid>,
    wind_down: Option<WindDown>,
    /// Services reported FAIL in this step (a ready timeout stops a
    /// service whatever the order).
    failed_now: BTreeSet<ServiceId>,
}

#[derive(Debug, Clone)]
struct WindDown {
    /// The live services at the switch that are not of the final target.
    members: BTreeSet<ServiceId>,
    /// When each ended: its exit (`false`), or its KILL plus the kill
    /// grace, after which the core stops waiting for it (`true`).
    ended: BTreeMap<ServiceId, (Millis, bool)>,
    /// When each got its KILL.
    killed_at: BTreeMap<ServiceId, Millis>,
    /// Members that got their stop signal (or were being stopped at the
    /// switch).
    stopped: BTreeSet<ServiceId>,
    /// Stop signals of this step, checked against the order at its end.
    stopped_now: Vec<ServiceId>,
    graph: Graph,
}

impl WindDown {
    /// Whether `id` had ended by now: `strict` counts a release by the
    /// kill grace only once its instant has passed, since at that very
    /// instant the core may not have fired the timer yet.
    fn has_ended(&self, id: ServiceId, now: Millis, strict: bool) -> bool {
        match self.ended.get(&id) {
            Some(&(at, released)) => at < now || (at == now && !(strict && released)),
            None => false,
        }
    }

    fn is_over(&self, now: Millis, strict: bool) -> bool {
        self.members
            .iter()
            .all(|&id| self.has_ended(id, now, strict))
    }

    /// The first member `after` ends after that has not yet ended.
    fn first_left(
        &self,
        after: &BTreeSet<ServiceId>,
        now: Millis,
        strict: bool,
    ) -> Option<ServiceId> {
        after
            .iter()
            .copied()
            .find(|&y| self.members.contains(&y) && !self.has_ended(y, now, strict))
    }
}

impl Stops {
    /// The switch to the way down: stops under way get their KILL by the
    /// shutdown ceiling at the latest, and the wind-down begins.
    pub fn on_down(&mut self, w: &World, down: Down) {
        let latest = down.at.saturating_add(w.options.shutdown_stop_timeout_ms);
        for (_, due) in self.kill_due.values_mut() {
            *due = (*due).min(latest);
        }
        let target = down.final_target();
        let members: BTreeSet<ServiceId> = w
            .live
            .keys()
            .chain(&w.spawning)
            .copied()
            .filter(|id| w.spawn_def.get(id).is_some_and(|d| d.target != target))
            .collect();
        // A spawn not yet answered is stopped when the answer comes,
        // whatever the order: it counts as stopped already.
        let stopped = members
            .iter()
            .copied()
            .filter(|id| w.stopping.contains(id) || w.spawning.contains(id))
            .collect();
        self.wind_down = Some(WindDown {
            members,
            ended: BTreeMap::new(),
            killed_at: BTreeMap::new(),
            stopped,
            stopped_now: Vec::new(),
            graph: Graph::new(w.ordered(), Target::Boot),
        });
    }

    pub fn on_input(&mut self, w: &World, event: &Event) {
        if let (Event::SpawnFailed { service, .. }, Some(plan)) = (event, self.wind_down.as_mut()) {
            if plan.members.contains(service) {
                plan.ended.entry(*service).or_insert((w.now, false));
            }
        }
        if let Event::Exited { pid, .. } = event {
            self.kill_due.remove(pid);
            self.stopped_pids.remove(pid);
            if let (Some(&id), Some(plan)) = (w.owner.get(pid), self.wind_down.as_mut()) {
                if plan.members.contains(&id) && w.live.get(&id) == Some(pid) {
                    plan.ended.entry(id).or_insert((w.now, false));
                }
            }
        }
    }

    /// Invariant 13: the final target's services start only after the
    /// wind-down.
    pub fn on_spawn(&mut self, w: &World, id: ServiceId, found: &mut Found) {
        let (Some(down), Some(plan)) = (w.down, &self.wind_down) else {
            return;
        };
        let of_final = w.def(id).is_some_and(|d| d.target == down.final_target());
        if !of_final || w.touched.contains(&id) || w.ever_spawned.contains(&id) {
            return;
        }
        if let Some(left) = plan.first_left(&plan.members, w.now, false) {
            found.add(
                w.now,
                Invariant::WindDown,
                format!(
                    "{} of the {} target is spawned while {} is still being wound down",
                    w.name(id),
                    down.final_target(),
                    w.name(left)
                ),
            );
        }
    }

    pub fn on_signal(
        &mut self,
        w: &World,
        id: ServiceId,
        pid: Pid,
        signal: Signal,
        found: &mut Found,
    ) {
        if w.kill_all || w.live.get(&id) != Some(&pid) {
            return;
        }
        let name = w.name(id);
        if signal == Signal::Kill {
            self.on_kill(w, id, pid, found);
            return;
        }
        if !self.stopped_pids.insert(pid) {
            found.add(
                w.now,
                Invariant::StopTimeout,
                format!("{name} gets a second stop signal ({})", signal.name()),
            );
        }
        let def = w.spawn_def.get(&id);
        let own_signal = def
            .and_then(|d| d.settings.stop_signal)
            .unwrap_or(Signal::Term);
        if signal != own_signal {
            found.add(
                w.now,
                Invariant::StopTimeout,
                format!(
                    "{name} is stopped with {}, but its stop signal is {}",
                    signal.name(),
                    own_signal.name()
                ),
            );
        }
        let own_ms = def
            .and_then(|d| d.settings.stop_timeout_ms)
            .unwrap_or(w.options.stop_timeout_ms);
        let timeout_ms = if w.down.is_some() {
            own_ms.min(w.options.shutdown_stop_timeout_ms)
        } else {
            own_ms
        };
        self.kill_due
            .insert(pid, (id, w.now.saturating_add(timeout_ms)));
        let by_admin = w.is_handling(|e| matches!(e, Event::Stop(x) if *x == id));
        if let Some(plan) = &mut self.wind_down {
            if plan.members.contains(&id) && plan.stopped.insert(id) && !by_admin {
                plan.stopped_now.push(id);
            }
        }
    }

    fn on_kill(&mut self, w: &World, id: ServiceId, pid: Pid, found: &mut Found) {
        let name = w.name(id);
        match self.kill_due.remove(&pid) {
            Some((_, due)) if w.now < due => found.add(
                w.now,
                Invariant::StopTimeout,
                format!(
                    "{name} gets KILL at {}, before its stop timeout ends at {due}",
                    w.now
                ),
            ),
            Some(_) => {}
            None => {
                // The only KILL without a stop first: a `wait` service of
                // the final target past its final-service timeout.
                let final_timeout = w.down.is_some_and(|down| {
                    w.spawn_def
                        .get(&id)
                        .is_some_and(|d| d.target == down.final_target())
                });
                if !final_timeout {
                    found.add(
                        w.now,
                        Invariant::StopTimeout,
                        format!("{name} gets KILL with no stop signal before it"),
                    );
                }
            }
        }
        if let Some(plan) = &mut self.wind_down {
            if plan.members.contains(&id) {
                plan.killed_at.entry(id).or_insert(w.now);
            }
        }
    }

    pub fn on_report(&mut self, id: ServiceId, report: &Report) {
        if *report == Report::Fail {
            self.failed_now.insert(id);
        }
    }

    /// The checks of what must have happened by the end of a step.
    /// Returns whether the wind-down is over (and so the final target's
    /// run has begun).
    pub fn end_of_step(&mut self, w: &World, found: &mut Found) -> bool {
        let failed_now = std::mem::take(&mut self.failed_now);
        if w.kill_all {
            self.kill_due.clear();
            return true;
        }
        for (&pid, &(id, due)) in &self.kill_due {
            if due < w.now {
                found.add(
                    w.now.min(due.saturating_add(1)),
                    Invariant::StopTimeout,
                    format!(
                        "{}'s pid {pid} is still alive after its stop timeout ended at {due}, \
                         and got no KILL",
                        w.name(id)
                    ),
                );
            }
        }
        let Some(plan) = &mut self.wind_down else {
            return false;
        };
        let grace_ms = w.options.kill_grace_ms;
        for (&id, &killed) in &plan.killed_at {
            let released = killed.saturating_add(grace_ms);
            if released <= w.now {
                plan.ended.entry(id).or_insert((released, true));
            }
        }
        for id in std::mem::take(&mut plan.stopped_now) {
            if failed_now.contains(&id) {
                continue;
            }
            let after = plan.graph.after_up_to(id, true, &plan.members);
            if let Some(left) = plan.first_left(&after, w.now, false) {
                found.add(
                    w.now,
                    Invariant::WindDown,
                    format!(
                        "{} is stopped while {}, which starts after it, has not ended",
                        w.name(id),
                        w.name(left)
                    ),
                );
            }
        }
        let now = w.now;
        for &id in &plan.members {
            if plan.stopped.contains(&id) || plan.has_ended(id, now, true) {
                continue;
            }
            let after = plan.graph.after_up_to(id, false, &plan.members);
            if plan.first_left(&after, now, true).is_none() {
                found.add(
                    now,
                    Invariant::WindDown,
                    format!(
                        "{} still runs unstopped, though everything that starts after it has \
                         ended",
                        w.name(id)
                    ),
                );
            }
        }
        plan.is_over(now, true)
    }
}

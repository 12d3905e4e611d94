//! Target runs as the checker sees them: which services of the running
//! target are surely satisfied, which may be, and which were started.
//!
//! Owns invariants 1 (start order), 9 (progress) and 10 (readiness). Two
//! bounds of the core's `satisfied` flags come from the events alone:
//! `surely` (the core must count these satisfied) drives the liveness
//! checks, and `maybe` (the core may count nothing else satisfied) the
//! safety ones, so that neither needs the core's own view.

use std::collections::{BTreeMap, BTreeSet};

use init_core::events::{Event, Millis, Report, ServiceId, Signal};
use init_core::service::{ServiceType, Target};
use init_core::supervisor::Supervisor;

use super::graph::Graph;
use super::{Down, Found, Invariant, World};

/// The run of the target that runs now, and the ready timeouts.
#[derive(Debug, Clone, Default)]
pub(super) struct Runs {
    run: Option<Run>,
    /// Live processes that have yet to say they are ready: when their
    /// ready timeout ends.
    ready_due: BTreeMap<ServiceId, Millis>,
}

#[derive(Debug, Clone)]
struct Run {
    target: Target,
    /// The final target's run begins when the wind-down is over.
    is_final: bool,
    /// The checker knows the run has begun: the boot run at once, the
    /// final one once the wind-down is over.
    begun: bool,
    graph: Graph,
    surely: BTreeSet<ServiceId>,
    maybe: BTreeSet<ServiceId>,
    /// Spawned in this run.
    started: BTreeSet<ServiceId>,
    /// Members whose state only the core knows: milestones that may have
    /// been reached before a reload gave them an `exec`, and members of
    /// the final target that ran before it.
    unknown: BTreeSet<ServiceId>,
    complete: bool,
    /// Members not started, not satisfied, not acted on by an admin, and
    /// not milestones: what the core must still start.
    waiting: BTreeSet<ServiceId>,
    /// Members started (or acted on by an admin) and not surely satisfied.
    in_progress: BTreeSet<ServiceId>,
    not_surely: BTreeSet<ServiceId>,
    /// Surely satisfied since the last step's checks.
    newly: Vec<ServiceId>,
    /// The members changed: check them all at the next step.
    check_all: bool,
}

impl Run {
    fn new(w: &World, target: Target, is_final: bool) -> Run {
        let mut run = Run {
            target,
            is_final,
            begun: !is_final,
            graph: Graph::default(),
            surely: BTreeSet::new(),
            maybe: BTreeSet::new(),
            started: BTreeSet::new(),
            unknown: BTreeSet::new(),
            complete: false,
            waiting: BTreeSet::new(),
            in_progress: BTreeSet::new(),
            not_surely: BTreeSet::new(),
            newly: Vec::new(),
            check_all: true,
        };
        run.rebuild(w);
        run
    }

    /// The members (the configured services of the target) and the sets
    /// over them, afresh.
    fn rebuild(&mut self, w: &World) {
        // A milestone may have been reached under the old configuration;
        // a reload that gives it an `exec` takes nothing back.
        let reached: Vec<ServiceId> = self
            .graph
            .members()
            .iter()
            .filter(|&&m| self.graph.is_milestone(m) && self.maybe_satisfied(w, m))
            .copied()
            .collect();
        self.maybe.extend(reached.iter().copied());
        self.unknown
            .extend(reached.into_iter().filter(|m| !self.surely.contains(m)));
        self.graph = Graph::new(w.ordered(), self.target);
        let members = self.graph.members().clone();
        self.not_surely = members
            .iter()
            .filter(|id| !self.surely.contains(id))
            .copied()
            .collect();
        self.waiting = self
            .not_surely
            .iter()
            .filter(|id| {
                !self.graph.is_milestone(**id)
                    && !self.started.contains(id)
                    && !self.unknown.contains(id)
                    && !w.touched.contains(id)
            })
            .copied()
            .collect();
        self.in_progress = self
            .not_surely
            .iter()
            .filter(|id| {
                self.started.contains(id) || self.unknown.contains(id) || w.touched.contains(id)
            })
            .copied()
            .collect();
        self.check_all = true;
    }

    fn mark_maybe(&mut self, id: ServiceId) {
        self.maybe.insert(id);
    }

    fn mark_surely(&mut self, id: ServiceId) {
        self.maybe.insert(id);
        if self.surely.insert(id) {
            self.waiting.remove(&id);
            self.in_progress.remove(&id);
            self.not_surely.remove(&id);
            self.newly.push(id);
        }
    }

    /// Under way: started, or acted on by an admin.
    fn mark_under_way(&mut self, id: ServiceId) {
        self.waiting.remove(&id);
        if self.graph.is_member(id) && !self.surely.contains(&id) {
            self.in_progress.insert(id);
        }
    }

    /// Whether the core may count `id` satisfied: the events said so, an
    /// admin acted on it, or it is a milestone whose firm predecessors may
    /// all be. Iterative, for long chains of milestones.
    fn maybe_satisfied(&self, w: &World, id: ServiceId) -> bool {
        let mut known: BTreeMap<ServiceId, bool> = BTreeMap::new();
        let mut stack = vec![id];
        while let Some(&node) = stack.last() {
            if known.contains_key(&node) {
                stack.pop();
                continue;
            }
            if self.maybe.contains(&node) || w.touched.contains(&node) {
                known.insert(node, true);
                stack.pop();
                continue;
            }
            // A milestone is reached while it waits for its turn; one
            // that was started (before a reload made it a milestone) is
            // satisfied by its process while it runs, and reached when a
            // respawn of it comes due.
            if !self.graph.is_milestone(node) || w.live.contains_key(&node) {
                known.insert(node, false);
                stack.pop();
                continue;
            }
            if self.started.contains(&node) {
                known.insert(node, true);
                stack.pop();
                continue;
            }
            let preds: Vec<ServiceId> = self.graph.firm_preds(node).collect();
            match preds.iter().find(|p| !known.contains_key(p)) {
                Some(&next) => stack.push(next),
                None => {
                    let all = preds.iter().all(|p| known.get(p) == Some(&true));
                    known.insert(node, all);
                    stack.pop();
                }
            }
        }
        known.get(&id) == Some(&true)
    }
}

impl Runs {
    /// The way down begins: the final target's run is what runs now (it
    /// begins once the wind-down is over).
    pub fn on_down(&mut self, w: &World, down: Down) {
        let mut run = Run::new(w, down.final_target(), true);
        // A member that ran before (moved to this target by a reload) may
        // be Stopped now, which satisfies it, or Done and run again: only
        // the core knows which.
        let ran_before: Vec<ServiceId> = run
            .graph
            .members()
            .iter()
            .filter(|id| w.ever_spawned.contains(id) && !w.touched.contains(id))
            .copied()
            .collect();
        run.maybe.extend(ran_before.iter().copied());
        run.unknown.extend(ran_before);
        run.rebuild(w);
        self.run = Some(run);
    }

    pub fn on_reload(&mut self, w: &World) {
        if let Some(run) = &mut self.run {
            if !run.is_final {
                run.rebuild(w);
            }
        }
    }

    /// `respawns`: the exit of this step leads to a respawn for sure.
    pub fn on_input(&mut self, w: &World, event: &Event, respawns: bool) {
        if let Event::Boot = event {
            if !w.booted && w.down.is_none() {
                self.run = Some(Run::new(w, Target::Boot, false));
            }
            return;
        }
        match event {
            Event::Spawned { service, .. } => {
                let declares = w
                    .spawn_def
                    .get(service)
                    .is_some_and(|d| d.kind != ServiceType::Wait && d.settings.ready.is_some());
                if declares && !w.touched.contains(service) && !w.kill_all {
                    let timeout_ms = w
                        .spawn_def
                        .get(service)
                        .and_then(|d| d.settings.ready_timeout_ms)
                        .unwrap_or(w.options.ready_timeout_ms);
                    self.ready_due
                        .insert(*service, w.now.saturating_add(timeout_ms));
                }
            }
            Event::Ready(id) => {
                self.ready_due.remove(id);
            }
            // A start that waited for them may go out now: look at every
            // waiting service again.
            Event::LeftoversGone(_) => {
                if let Some(run) = &mut self.run {
                    run.check_all = true;
                }
            }
            Event::Exited { pid, .. } => {
                if let Some(id) = w.owner.get(pid) {
                    if w.live.get(id) == Some(pid) {
                        self.ready_due.remove(id);
                    }
                }
            }
            _ => {}
        }
        let Some(run) = &mut self.run else {
            return;
        };
        if w.kill_all {
            return;
        }
        match event {
            Event::Spawned { service, .. } => {
                let satisfied_now = w.spawn_def.get(service).is_some_and(|d| {
                    d.kind != ServiceType::Wait && d.settings.ready.is_none() && !d.is_milestone()
                });
                if satisfied_now {
                    run.mark_surely(*service);
                }
            }
            Event::SpawnFailed { service, .. } => run.mark_surely(*service),
            Event::Exited { pid, .. } => {
                let Some(&id) = w.owner.get(pid) else {
                    return;
                };
                if w.live.get(&id) != Some(pid) {
                    return;
                }
                // A service that has yet to say it is ready and respawns
                // is not satisfied by its exit: the next run's word counts.
                let not_ready = w.declares_ready(id) && !w.ready_said.contains(&id);
                if !(not_ready && respawns) {
                    run.mark_maybe(id);
                }
                // A `wait` service is satisfied by its exit, a `once` one
                // ends for good (unless an admin restart brings it back).
                let kind = w.spawn_def.get(&id).map(|d| d.kind);
                let ends = match kind {
                    Some(ServiceType::Wait) => true,
                    Some(ServiceType::Once) => !w.touched.contains(&id),
                    _ => false,
                };
                if ends {
                    run.mark_surely(id);
                }
            }
            Event::Ready(id) if w.live.contains_key(id) && w.declares_ready(*id) => {
                run.mark_maybe(*id);
                if !w.stopping.contains(id) {
                    run.mark_surely(*id);
                }
            }
            Event::Stop(id) => {
                run.mark_under_way(*id);
                run.mark_surely(*id);
            }
            Event::Start(id) | Event::Restart(id) => run.mark_under_way(*id),
            _ => {}
        }
    }

    /// A spawn of `id`: checks it against the order and notes it started.
    /// Returns whether it is the service's first spawn in this run.
    pub fn on_spawn(&mut self, w: &World, id: ServiceId, found: &mut Found) -> bool {
        let Some(run) = &mut self.run else {
            return false;
        };
        let first = !run.started.contains(&id);
        if first && !w.touched.contains(&id) && !w.kill_all {
            check_order(run, w, id, found);
        }
        run.started.insert(id);
        run.mark_under_way(id);
        first
    }

    pub fn on_signal(&mut self, w: &World, id: ServiceId, signal: Signal, found: &mut Found) {
        let Some(due) = self.ready_due.remove(&id) else {
            return;
        };
        let admin = w.is_handling(|e| matches!(e, Event::Stop(x) | Event::Restart(x) if *x == id));
        if signal != Signal::Kill && w.now < due && !admin && w.down.is_none() {
            found.add(
                w.now,
                Invariant::Readiness,
                format!(
                    "{} is stopped as not ready at {}, before its ready timeout ends at {due}",
                    w.name(id),
                    w.now
                ),
            );
        }
    }

    pub fn on_report(&mut self, w: &World, id: ServiceId, report: &Report, found: &mut Found) {
        if *report == Report::Up
            && w.live.contains_key(&id)
            && w.declares_ready(id)
            && !w.ready_said.contains(&id)
        {
            found.add(
                w.now,
                Invariant::Readiness,
                format!("{} is reported UP before it said it is ready", w.name(id)),
            );
        }
        if let Some(run) = &mut self.run {
            if !w.kill_all {
                run.mark_surely(id);
            }
        }
    }

    pub fn on_complete(&mut self, w: &World, target: Target, found: &mut Found) {
        let Some(run) = self.run.as_mut().filter(|r| r.target == target) else {
            let running = self
                .run
                .as_ref()
                .map_or("none".to_string(), |r| r.target.to_string());
            found.add(
                w.now,
                Invariant::Order,
                format!("target {target} completes, but the run is {running}'s"),
            );
            return;
        };
        if run.complete {
            found.add(
                w.now,
                Invariant::Order,
                format!("target {target} completes twice"),
            );
            return;
        }
        run.complete = true;
        let pending: Vec<String> = run
            .graph
            .members()
            .iter()
            .filter(|&&id| !run.maybe_satisfied(w, id))
            .map(|&id| w.name(id))
            .collect();
        if !pending.is_empty() {
            found.add(
                w.now,
                Invariant::Order,
                format!(
                    "target {target} completes while {} is not satisfied",
                    pending.join(", ")
                ),
            );
        }
    }

    /// The checks of what must have happened by the end of a step.
    /// `wind_down_over`: the final target's run has begun, if it is the
    /// one that runs.
    pub fn end_of_step(&mut self, w: &World, wind_down_over: bool, found: &mut Found) {
        if !w.kill_all {
            for (&id, &due) in &self.ready_due {
                if due < w.now {
                    found.add(
                        w.now.min(due.saturating_add(1)),
                        Invariant::Readiness,
                        format!(
                            "{} did not say it is ready by its ready timeout at {due}, \
                             and was not stopped",
                            w.name(id)
                        ),
                    );
                }
            }
        } else {
            self.ready_due.clear();
        }
        let Some(run) = &mut self.run else {
            return;
        };
        if run.is_final && wind_down_over && !run.begun {
            // The core has begun the final run by now (at this step or an
            // earlier one of the same instant): what its services did
            // before it re-queued them counts for nothing, and what they
            // did since may be lost here, which only weakens the checks.
            run.begun = true;
            run.surely.clear();
            run.newly.clear();
            run.rebuild(w);
        }
        if run.complete || w.kill_all || !run.begun {
            return;
        }
        if !w.options.sequential {
            settle_milestones(run, w);
        }
        let target = run.target;
        if run.not_surely.is_empty() {
            found.add(
                w.now,
                Invariant::Progress,
                format!("every service of {target} is satisfied, yet {target} is not complete"),
            );
        }
        if !w.options.sequential {
            let candidates: BTreeSet<ServiceId> = if run.check_all {
                run.waiting.clone()
            } else {
                run.newly
                    .iter()
                    .flat_map(|&p| run.graph.succs(p).collect::<Vec<_>>())
                    .filter(|x| run.waiting.contains(x))
                    .collect()
            };
            for x in candidates {
                // Its start waits for what its last run left to be ended.
                if w.leftovers_ending(x) {
                    continue;
                }
                if run.graph.preds(x).all(|p| run.surely.contains(&p)) {
                    let preds: Vec<String> = run.graph.preds(x).map(|p| w.name(p)).collect();
                    let why = if preds.is_empty() {
                        "nothing".to_string()
                    } else {
                        preds.join(", ")
                    };
                    found.add(
                        w.now,
                        Invariant::Progress,
                        format!(
                            "{} waits, though what it starts after is satisfied ({why})",
                            w.name(x)
                        ),
                    );
                }
            }
        }
        if run.in_progress.is_empty() {
            if let Some(&x) = run.waiting.iter().find(|&&x| !w.leftovers_ending(x)) {
                found.add(
                    w.now,
                    Invariant::Progress,
                    format!(
                        "nothing of {target} is under way, yet {} waits to start",
                        w.name(x)
                    ),
                );
            }
        }
        run.newly.clear();
        run.check_all = false;
    }
}

impl Runs {
    /// Whether `id` waits for its turn in the run that runs now (where an
    /// admin start does nothing): `None` when only the core knows.
    pub fn waits_in_run(&self, w: &World, id: ServiceId) -> Option<bool> {
        let Some(run) = &self.run else {
            return Some(false);
        };
        let queued = run.begun
            && !run.complete
            && run.graph.is_member(id)
            && !run.started.contains(&id)
            && !run.surely.contains(&id);
        if !queued {
            Some(false)
        } else if w.touched.contains(&id) || run.unknown.contains(&id) {
            None
        } else {
            Some(true)
        }
    }

    /// Invariant 14: what the core reports of its run (the target, its
    /// completion, the services it still waits for) agrees with the run
    /// the checker saw, where the checker knows it for sure.
    pub fn check_reported(&self, w: &World, supervisor: &Supervisor, found: &mut Found) {
        let Some(run) = &self.run else {
            if supervisor.current_target().is_some() {
                found.add(
                    w.now,
                    Invariant::Pids,
                    "the core reports a target run before any began".to_string(),
                );
            }
            return;
        };
        // During the wind-down the core still reports the boot run.
        if !run.begun || w.kill_all {
            return;
        }
        let target = run.target;
        let mut wrong = Vec::new();
        if supervisor.current_target() != Some(target) {
            wrong.push(format!("its target is {:?}", supervisor.current_target()));
        }
        if supervisor.is_target_complete(target) != run.complete {
            wrong.push(format!(
                "{target} is {}complete",
                if run.complete { "not " } else { "" }
            ));
        }
        // The services it waits for: a look at every service, so only for
        // the sizes the fuzzer makes (a what-if boot of thousands stays
        // linear).
        if w.names.len() > super::FULL_CHECK_SERVICES {
            if let Some(first) = wrong.first() {
                found.add(w.now, Invariant::Pids, format!("the core reports {first}"));
            }
            return;
        }
        let pending: BTreeSet<ServiceId> = supervisor.pending_in_run().into_iter().collect();
        if run.complete && !pending.is_empty() {
            wrong.push(format!("it still waits for {} services", pending.len()));
        }
        if let Some(&x) = pending.iter().find(|x| run.surely.contains(x)) {
            wrong.push(format!("it waits for {}, which is satisfied", w.name(x)));
        }
        if !run.complete {
            let members = run.graph.members();
            let unsatisfied = members
                .iter()
                .find(|&&x| !pending.contains(&x) && !run.maybe_satisfied(w, x));
            if let Some(&x) = unsatisfied {
                wrong.push(format!("it does not wait for {}", w.name(x)));
            }
        }
        if let Some(first) = wrong.first() {
            found.add(
                w.now,
                Invariant::Pids,
                format!("the core reports its run of {target} wrong: {first}"),
            );
        }
    }
}

/// A milestone whose predecessors are all surely satisfied is reached at
/// once (parallel mode; in sequential mode its turn depends on the order,
/// which the checker does not know).
fn settle_milestones(run: &mut Run, w: &World) {
    let mut todo: Vec<ServiceId> = if run.check_all {
        run.not_surely.iter().copied().collect()
    } else {
        run.newly
            .iter()
            .flat_map(|&p| run.graph.succs(p).collect::<Vec<_>>())
            .collect()
    };
    while let Some(m) = todo.pop() {
        let waits = run.graph.is_member(m)
            && !run.started.contains(&m)
            && !run.unknown.contains(&m)
            && !w.touched.contains(&m);
        if !run.graph.is_milestone(m) || run.surely.contains(&m) || !waits {
            continue;
        }
        if run.graph.preds(m).all(|p| run.surely.contains(&p)) {
            run.mark_surely(m);
            todo.extend(run.graph.succs(m));
        }
    }
}

/// Invariant 1 (and 10 for a predecessor that has yet to say it is
/// ready): the first spawn of `id` in the run comes only once every firm
/// predecessor may be satisfied (in sequential mode, every firm
/// ancestor), and only for a member of the target that runs.
fn check_order(run: &Run, w: &World, id: ServiceId, found: &mut Found) {
    let name = w.name(id);
    if !run.graph.is_member(id) {
        if !w.ever_spawned.contains(&id) {
            found.add(
                w.now,
                Invariant::Order,
                format!(
                    "{name} is spawned, but the run is {}'s, not its target's",
                    run.target
                ),
            );
        }
        return;
    }
    let preds: BTreeSet<ServiceId> = if w.options.sequential {
        run.graph.before_all(id, true)
    } else {
        run.graph.firm_preds(id).collect()
    };
    for p in preds {
        if w.touched.contains(&p) || run.maybe_satisfied(w, p) {
            continue;
        }
        let pred = w.name(p);
        if w.live.contains_key(&p) && w.declares_ready(p) && !w.ready_said.contains(&p) {
            found.add(
                w.now,
                Invariant::Readiness,
                format!("{name} is spawned before {pred} said it is ready"),
            );
        } else {
            let state = if w.live.contains_key(&p) {
                "running"
            } else if run.started.contains(&p) {
                "started"
            } else {
                "not started"
            };
            found.add(
                w.now,
                Invariant::Order,
                format!("{name} is spawned before {pred} ({state}) is satisfied"),
            );
        }
    }
}

//! The event loop in virtual time: the clock, the process table, the
//! agenda of things due, and the feeding of the core.
//!
//! Owns carrying out the core's outputs on scripted processes and turning
//! process ends and scenario steps into inputs. It decides no policy: every
//! spawn, signal and timeout comes from the core.
//!
//! Order at one instant (the tie rule): queued inputs first (the answers
//! to spawns, in the order the spawns were output); then process exits, by
//! pid (or, with a seed, in an order the seed shuffles); then scenario
//! steps in file order; then the core's timer, if it is due.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use init_core::drive::{self, Body};
use init_core::events::{
    Event, ExitStatus, Millis, Output, Pid, PowerAction, ServiceId, ServiceState, Signal,
};
use init_core::resolve::resolve_refs;
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};
use init_core::trace::{TraceLine, Tracer};

use crate::invariants::{Checker, Invariant, Violation};
use crate::model::{signal_number, ProcessModel, SpawnOutcome, Subject, SIGKILL, SIGTERM};
use crate::scenario::{Action, Control, Scenario, TimelineEntry};

/// The first pid handed out; the rest count up and are never reused.
pub const FIRST_PID: i32 = 100;

/// When a run stops at the latest, unless the scenario says `option until`.
pub const DEFAULT_UNTIL_MS: u64 = 600_000;

/// Guards against a core that never lets the clock move.
const MAX_STEPS_AT_ONE_INSTANT: u32 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// Stop once virtual time would pass this.
    pub until: Millis,
    /// Stop after this many steps in all.
    pub max_steps: u64,
}

/// How a run ended and what it saw.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub trace: Vec<TraceLine>,
    pub violations: Vec<Violation>,
    pub power: Option<(Millis, PowerAction)>,
    pub end: Millis,
    pub steps: u64,
}

/// The order of things due at one instant: exits before scenario steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DueClass {
    Exit = 0,
    Step = 1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AgendaKey {
    at: Millis,
    class: DueClass,
    tie: u64,
    seq: u64,
}

#[derive(Debug, Clone, Copy)]
enum Due {
    Exit(Pid),
    Ready(Pid),
    Boot,
    Step(usize),
}

#[derive(Debug, Clone)]
struct Process {
    service: ServiceId,
    /// When and how it ends, if it does by itself or was killed.
    end: Option<(AgendaKey, ExitStatus)>,
    ignores_term: bool,
    /// A signal already ended it; it waits to be reaped.
    killed: bool,
    /// The children it left running (`leaves children`), and whether they
    /// ignore TERM. A stop signal reaches them too, as the real adapter
    /// signals the whole service; a crash does not.
    children: Option<bool>,
}

/// What the simulator knows about one service id.
#[derive(Debug, Clone)]
struct Info {
    name: String,
    base: String,
    kind: ServiceType,
}

/// When the things a what-if asks about first happened to a service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceTimes {
    pub spawned: Option<Millis>,
    pub exited: Option<Millis>,
    pub spawn_failed: Option<Millis>,
}

pub struct Sim {
    supervisor: Supervisor,
    now: Millis,
    agenda: BTreeMap<AgendaKey, Due>,
    processes: BTreeMap<Pid, Process>,
    /// The newest process of each service, for `crash`.
    newest: BTreeMap<ServiceId, Pid>,
    /// Services whose ended runs left children that are still there, and
    /// whether those ignore TERM (`leaves children`).
    leftovers: BTreeMap<ServiceId, bool>,
    /// Every pid ever handed out and its service (pids are never reused).
    pid_owner: BTreeMap<Pid, ServiceId>,
    next_pid: i32,
    next_seq: u64,
    /// The input being fed, for the checker's look after it.
    input: Option<Event>,
    /// Inputs fed at `now` so far: a core that never lets the clock
    /// move is stopped.
    inputs_at_instant: (Millis, u32),
    model: ProcessModel,
    info: BTreeMap<ServiceId, Info>,
    ids_by_name: BTreeMap<String, ServiceId>,
    spawn_counts: BTreeMap<ServiceId, u32>,
    /// The instant of the last spawn and how many spawns it has had.
    spawns_at_instant: (Millis, u32),
    timeline: Vec<TimelineEntry>,
    seed: Option<u64>,
    record_trace: bool,
    tracer: Tracer,
    trace: Vec<TraceLine>,
    checker: Checker,
    power: Option<(Millis, PowerAction)>,
    limits: RunLimits,
    steps: u64,
    steps_at_instant: u32,
    times: BTreeMap<ServiceId, ServiceTimes>,
    target_complete: BTreeMap<Target, Millis>,
    stop_at_target: Option<Target>,
}

impl Sim {
    /// A simulation of `scenario`. `seed` only shuffles the order of
    /// process exits that fall on the same millisecond.
    pub fn from_scenario(scenario: &Scenario, seed: Option<u64>) -> Sim {
        let options = scenario.options.core.clone();
        let until = Millis(scenario.options.until_ms.unwrap_or(DEFAULT_UNTIL_MS));
        let mut sim = Sim::new(
            scenario.services.clone(),
            options,
            scenario.model.clone(),
            RunLimits {
                until,
                max_steps: 5_000_000,
            },
        );
        sim.seed = seed;
        sim.timeline = scenario.timeline.clone();
        if scenario.options.boot_at_start {
            sim.schedule(Millis::ZERO, DueClass::Step, 0, Due::Boot);
        }
        for index in 0..sim.timeline.len() {
            let at = sim.timeline[index].at;
            sim.schedule(at, DueClass::Step, 0, Due::Step(index));
        }
        sim
    }

    /// A simulation with no timeline: schedule inputs with [`Sim::boot_at_start`].
    pub fn new(
        services: Vec<ServiceDef>,
        options: Options,
        model: ProcessModel,
        limits: RunLimits,
    ) -> Sim {
        let supervisor = Supervisor::new(services, options.clone());
        let checker = Checker::new(options, &supervisor);
        let mut sim = Sim {
            supervisor,
            now: Millis::ZERO,
            agenda: BTreeMap::new(),
            processes: BTreeMap::new(),
            newest: BTreeMap::new(),
            leftovers: BTreeMap::new(),
            pid_owner: BTreeMap::new(),
            next_pid: FIRST_PID,
            next_seq: 0,
            input: None,
            inputs_at_instant: (Millis::ZERO, 0),
            model,
            info: BTreeMap::new(),
            ids_by_name: BTreeMap::new(),
            spawn_counts: BTreeMap::new(),
            spawns_at_instant: (Millis::ZERO, 0),
            timeline: Vec::new(),
            seed: None,
            record_trace: true,
            tracer: Tracer::default(),
            trace: Vec::new(),
            checker,
            power: None,
            limits,
            steps: 0,
            steps_at_instant: 0,
            times: BTreeMap::new(),
            target_complete: BTreeMap::new(),
            stop_at_target: None,
        };
        sim.refresh_names();
        sim.tracer = Tracer::new(&sim.supervisor);
        let defs: Vec<ServiceDef> = sim.supervisor.services().map(|s| s.def.clone()).collect();
        for note in resolver_notes(&defs) {
            sim.note(note);
        }
        sim
    }

    /// Sends `Boot` at time 0.
    pub fn boot_at_start(&mut self) {
        self.schedule(Millis::ZERO, DueClass::Step, 0, Due::Boot);
    }

    /// Keeps no trace (the fuzzer and what-if only need the verdict).
    pub fn without_trace(mut self) -> Sim {
        self.record_trace = false;
        self.trace.clear();
        self
    }

    /// Ends the run as soon as `target` completes (what-if).
    pub fn stop_when_complete(mut self, target: Target) -> Sim {
        self.stop_at_target = Some(target);
        self
    }

    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    pub fn times(&self) -> &BTreeMap<ServiceId, ServiceTimes> {
        &self.times
    }

    pub fn target_complete(&self) -> &BTreeMap<Target, Millis> {
        &self.target_complete
    }

    /// Every service that was spawned, in the order of its first spawn.
    /// Pids are handed out in spawn order and never reused, so this is the
    /// order of the core's `Spawn` outputs, ties within an instant included.
    pub fn first_spawns(&self) -> Vec<ServiceId> {
        let mut seen = std::collections::BTreeSet::new();
        self.pid_owner
            .values()
            .filter(|id| seen.insert(**id))
            .copied()
            .collect()
    }

    /// Runs until power-off, a violation, quiet, or the limits.
    pub fn run(&mut self) -> RunOutcome {
        let quiescent = loop {
            if !self.checker.violations().is_empty() {
                break false;
            }
            match self.step() {
                StepResult::Went => {}
                StepResult::Quiet => break true,
                StepResult::Stopped => break false,
            }
        };
        if self.checker.violations().is_empty() && self.power.is_none() {
            self.checker.finish(self.now, quiescent);
        }
        RunOutcome {
            trace: std::mem::take(&mut self.trace),
            violations: self.checker.violations().to_vec(),
            power: self.power,
            end: self.now,
            steps: self.steps,
        }
    }

    fn step(&mut self) -> StepResult {
        // After the power command the machine is gone: an answer still
        // queued (leftovers KILLed on the way down) is never given.
        if self.power.is_some() {
            return StepResult::Stopped;
        }
        if let Some(target) = self.stop_at_target {
            if self.target_complete.contains_key(&target) {
                return StepResult::Stopped;
            }
        }
        if self.steps >= self.limits.max_steps {
            return StepResult::Stopped;
        }
        let next_due = self.agenda.first_key_value().map(|(k, _)| k.at);
        let timer = self.call_core(|s| s.poll_timeout()).flatten();
        let (at, is_timer) = match (next_due, timer) {
            (Some(due), Some(timer)) if timer < due => (timer, true),
            (Some(due), _) => (due, false),
            (None, Some(timer)) => (timer, true),
            (None, None) => return StepResult::Quiet,
        };
        let at = at.max(self.now);
        // A shutdown owes a power command: run on past `until` to see it.
        let until = match self.checker.power_deadline() {
            Some(deadline) => self.limits.until.max(deadline),
            None => self.limits.until,
        };
        if at > until {
            self.now = self.now.max(until);
            return StepResult::Stopped;
        }
        if at == self.now {
            self.steps_at_instant += 1;
            if self.steps_at_instant > MAX_STEPS_AT_ONE_INSTANT {
                self.checker.report(
                    self.now,
                    Invariant::NoPanic,
                    format!("more than {MAX_STEPS_AT_ONE_INSTANT} steps at one instant: the clock never moves"),
                );
                return StepResult::Stopped;
            }
        } else {
            self.steps_at_instant = 0;
        }
        self.now = at;
        self.steps += 1;
        if is_timer {
            self.guarded(drive::fire_timers);
        } else if let Some((_, due)) = self.agenda.pop_first() {
            self.handle_due(due);
        }
        StepResult::Went
    }

    fn handle_due(&mut self, due: Due) {
        match due {
            Due::Boot => self.feed(Event::Boot),
            Due::Ready(pid) => {
                // Only a process that is still there (and not dying) says so.
                if let Some(process) = self.processes.get(&pid).filter(|p| !p.killed) {
                    let service = process.service;
                    self.feed(Event::Ready(service));
                }
            }
            Due::Exit(pid) => {
                let Some(process) = self.processes.remove(&pid) else {
                    return;
                };
                if self.newest.get(&process.service) == Some(&pid) {
                    self.newest.remove(&process.service);
                }
                let status = process.end.map_or(ExitStatus::Exited(0), |(_, s)| s);
                let times = self.times.entry(process.service).or_default();
                times.exited.get_or_insert(self.now);
                if let Some(ignores_term) = process.children {
                    self.leftovers.insert(process.service, ignores_term);
                }
                let leftovers = self.leftovers.contains_key(&process.service);
                self.feed(Event::Exited {
                    pid,
                    status,
                    leftovers,
                });
            }
            Due::Step(index) => {
                let Some(entry) = self.timeline.get(index).cloned() else {
                    return;
                };
                self.run_timeline_entry(entry);
            }
        }
    }

    fn run_timeline_entry(&mut self, entry: TimelineEntry) {
        match entry.action {
            Action::Boot => self.feed(Event::Boot),
            Action::Shutdown => self.feed(Event::Shutdown),
            Action::Reboot => self.feed(Event::Reboot),
            Action::Reload(services) => self.feed(Event::Reload { services }),
            Action::Crash { service, signal } => {
                let pid = self
                    .ids_by_name
                    .get(&service)
                    .and_then(|id| self.newest.get(id))
                    .copied();
                match pid.filter(|pid| self.processes.get(pid).is_some_and(|p| !p.killed)) {
                    Some(pid) => self.end_process(pid, signal),
                    None => self.note(format!("crash {service}: no live process")),
                }
            }
            Action::Control(control, name) => match self.ids_by_name.get(&name).copied() {
                Some(id) => self.feed(match control {
                    Control::Start => Event::Start(id),
                    Control::Stop => Event::Stop(id),
                    Control::Restart => Event::Restart(id),
                }),
                None => self.note(format!(
                    "control {} {name}: no such service",
                    control.as_str()
                )),
            },
            Action::Reexec => self.reexec(),
            Action::ConfigChange => {}
        }
    }

    /// A re-exec, as the real init does it when the core allows it: the
    /// whole supervisor saved as JSON and read back, and the run goes on
    /// from that. The checker holds the core to when it may happen, and
    /// the state to coming back unchanged.
    fn reexec(&mut self) {
        let allowed = self.call_core(|s| s.can_hand_over()).unwrap_or(false);
        self.checker.on_reexec(self.now, allowed);
        if !allowed {
            self.note("reexec refused: only once boot is complete and before the way down".into());
            return;
        }
        let restored = serde_json::to_string(&self.supervisor)
            .and_then(|json| serde_json::from_str::<Supervisor>(&json));
        match restored {
            Ok(restored) => {
                let changed = |a: &Supervisor, b: &Supervisor| {
                    !a.services().eq(b.services())
                        || a.poll_timeout() != b.poll_timeout()
                        || a.current_target() != b.current_target()
                };
                if changed(&self.supervisor, &restored) {
                    self.checker.report(
                        self.now,
                        Invariant::Pids,
                        "the state read back after a re-exec is not the state saved".into(),
                    );
                }
                self.supervisor = restored;
                self.note("reexec: the state handed over".into());
            }
            Err(e) => self.checker.report(
                self.now,
                Invariant::Pids,
                format!("the state does not survive a re-exec: {e}"),
            ),
        }
    }

    /// Hands one input to the core and carries out what it says, then
    /// the answers that calls for (`init_core::drive`).
    fn feed(&mut self, event: Event) {
        self.guarded(|sim| drive::feed(sim, event));
    }

    /// Runs the shared loop, turning a panic of the core into a violation.
    fn guarded(&mut self, f: impl FnOnce(&mut Sim)) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            self.report_panic(payload);
        }
    }

    fn report_panic(&mut self, payload: Box<dyn std::any::Any + Send>) {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_string());
        self.checker.report(
            self.now,
            Invariant::NoPanic,
            format!("the core panicked: {message}"),
        );
    }

    /// What the trace notes after a reload: the resolver's findings over
    /// the new configuration.
    fn note_reload(&mut self, services: &[ServiceDef]) {
        self.refresh_names();
        // A service the reload removed keeps its place in the order
        // while its process runs.
        let names: BTreeSet<&str> = services.iter().map(|d| d.name.as_str()).collect();
        let mut ordered = services.to_vec();
        ordered.extend(
            self.supervisor
                .services()
                .filter(|s| {
                    matches!(
                        s.state,
                        ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
                    ) && !names.contains(s.def.name.as_str())
                })
                .map(|s| s.def.clone()),
        );
        for note in resolver_notes(&ordered) {
            self.note(note);
        }
    }

    /// Calls into the core, turning a panic into a violation.
    fn call_core<T>(&mut self, f: impl FnOnce(&mut Supervisor) -> T) -> Option<T> {
        let supervisor = &mut self.supervisor;
        match catch_unwind(AssertUnwindSafe(|| f(supervisor))) {
            Ok(value) => Some(value),
            Err(payload) => {
                self.report_panic(payload);
                None
            }
        }
    }

    /// Carries out one output on the scripted processes; returns the
    /// answer it calls for.
    fn carry_out_output(&mut self, output: Output) -> Option<Event> {
        match output {
            Output::Spawn {
                service,
                exec,
                ready,
                ..
            } => return Some(self.spawn(service, &exec.to_vecs(), ready.is_some())),
            Output::Signal {
                service,
                pid,
                signal,
                ..
            } => {
                // The stop reaches the whole service: what earlier runs
                // left (kept) too.
                if self
                    .leftovers
                    .get(&service)
                    .is_some_and(|&ignores_term| signal == Signal::Kill || !ignores_term)
                {
                    self.leftovers.remove(&service);
                }
                self.deliver(pid, signal);
            }
            Output::SignalLeftovers {
                service, signal, ..
            } => {
                // They end on the signal as a process does; once none are
                // left the driver says so at once, as a real one does.
                let ignores = self.leftovers.get(&service).copied();
                if signal == Signal::Kill || ignores != Some(true) {
                    self.leftovers.remove(&service);
                    return Some(Event::LeftoversGone(service));
                }
            }
            Output::KillAll { signal, .. } => {
                let pids: Vec<Pid> = self.processes.keys().copied().collect();
                for pid in pids {
                    self.deliver(pid, signal);
                }
                match signal {
                    Signal::Kill => self.leftovers.clear(),
                    _ => self.leftovers.retain(|_, ignores_term| *ignores_term),
                }
            }
            Output::TargetComplete { target } => {
                self.target_complete.entry(target).or_insert(self.now);
            }
            Output::Power { action, .. } => {
                if self.power.is_none() {
                    self.power = Some((self.now, action));
                    self.check_nothing_runs_at_power();
                }
            }
            Output::Report { .. } | Output::Sync => {}
        }
        None
    }

    /// Invariant 6: at power-off every process has ended (the final KILL
    /// counts; its victims need not be reaped yet).
    fn check_nothing_runs_at_power(&mut self) {
        let running: Vec<String> = self
            .processes
            .iter()
            .filter(|(_, p)| !p.killed && p.end.map_or(true, |(key, _)| key.at > self.now))
            .map(|(pid, p)| format!("{} (pid {pid})", self.name_of(p.service)))
            .collect();
        if !running.is_empty() {
            self.checker.report(
                self.now,
                Invariant::Reaped,
                format!("still running at power-off: {}", running.join(", ")),
            );
        }
    }

    /// Whether each run of `service` leaves children, and whether they
    /// ignore TERM.
    fn leaves_children(&mut self, service: ServiceId) -> Option<bool> {
        let info = self.info_of(service);
        let subject = Subject {
            name: &info.name,
            base: &info.base,
            kind: info.kind,
        };
        self.model
            .settings_for(subject)
            .and_then(|s| s.leaves_children)
    }

    /// Starts a scripted process; returns the core's answer.
    fn spawn(&mut self, service: ServiceId, exec: &[Vec<String>], declares_ready: bool) -> Event {
        let info = self.info_of(service);
        let index = self.spawn_counts.entry(service).or_insert(0);
        let spawn_index = *index;
        *index += 1;
        let subject = Subject {
            name: &info.name,
            base: &info.base,
            kind: info.kind,
        };
        let spawns_before = match self.spawns_at_instant {
            (at, count) if at == self.now => count,
            _ => 0,
        };
        self.spawns_at_instant = (self.now, spawns_before + 1);
        match self.model.spawn(subject, exec, spawn_index, spawns_before) {
            SpawnOutcome::Fails(error) => {
                self.times
                    .entry(service)
                    .or_default()
                    .spawn_failed
                    .get_or_insert(self.now);
                Event::SpawnFailed { service, error }
            }
            SpawnOutcome::Runs(run) => {
                let pid = Pid(self.next_pid);
                self.next_pid += 1;
                let end = run.end.map(|(after_ms, status)| {
                    let key = self.schedule(
                        self.now.saturating_add(after_ms),
                        DueClass::Exit,
                        self.tie(pid),
                        Due::Exit(pid),
                    );
                    (key, status)
                });
                let children = self.leaves_children(service);
                self.processes.insert(
                    pid,
                    Process {
                        service,
                        end,
                        ignores_term: run.ignores_term,
                        killed: false,
                        children,
                    },
                );
                if let (true, Some(after_ms)) = (declares_ready, run.ready_after_ms) {
                    self.schedule(
                        self.now.saturating_add(after_ms),
                        DueClass::Step,
                        self.tie(pid),
                        Due::Ready(pid),
                    );
                }
                self.newest.insert(service, pid);
                self.pid_owner.insert(pid, service);
                self.times
                    .entry(service)
                    .or_default()
                    .spawned
                    .get_or_insert(self.now);
                Event::Spawned { service, pid }
            }
        }
    }

    fn deliver(&mut self, pid: Pid, signal: Signal) {
        let Some(process) = self.processes.get_mut(&pid) else {
            return;
        };
        if process
            .children
            .is_some_and(|ignores_term| signal == Signal::Kill || !ignores_term)
        {
            process.children = None;
        }
        if process.killed {
            return;
        }
        match signal {
            Signal::Term if process.ignores_term => {}
            Signal::Term => self.end_process(pid, SIGTERM),
            Signal::Kill => self.end_process(pid, SIGKILL),
            // Other stop signals end a process as TERM does: modelled
            // processes have no handlers but the `ignores TERM` one.
            other => self.end_process(pid, signal_number(other.name()).unwrap_or(SIGTERM)),
        }
    }

    /// A signal ends the process now; its exit is due at once.
    fn end_process(&mut self, pid: Pid, signal: i32) {
        let tie = self.tie(pid);
        let Some(process) = self.processes.get(&pid) else {
            return;
        };
        if let Some((key, _)) = process.end {
            self.agenda.remove(&key);
        }
        let key = self.schedule(self.now, DueClass::Exit, tie, Due::Exit(pid));
        if let Some(process) = self.processes.get_mut(&pid) {
            process.end = Some((key, ExitStatus::Signaled(signal)));
            process.killed = true;
        }
    }

    fn tie(&self, pid: Pid) -> u64 {
        match self.seed {
            Some(seed) => crate::rng::mix(seed ^ (pid.0 as u64)),
            None => pid.0 as u64,
        }
    }

    fn schedule(&mut self, at: Millis, class: DueClass, tie: u64, due: Due) -> AgendaKey {
        let key = AgendaKey {
            at,
            class,
            tie,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.agenda.insert(key, due);
        key
    }

    fn refresh_names(&mut self) {
        self.ids_by_name.clear();
        for status in self.supervisor.services() {
            self.ids_by_name.insert(status.def.name.clone(), status.id);
            self.info.insert(
                status.id,
                Info {
                    name: status.def.name.clone(),
                    base: status.def.base().to_string(),
                    kind: status.def.kind,
                },
            );
        }
    }

    fn info_of(&mut self, id: ServiceId) -> Info {
        if let Some(info) = self.info.get(&id) {
            return info.clone();
        }
        let info = match self.supervisor.service(id) {
            Some(status) => Info {
                name: status.def.name.clone(),
                base: status.def.base().to_string(),
                kind: status.def.kind,
            },
            None => Info {
                name: format!("#{}", id.0),
                base: format!("#{}", id.0),
                kind: ServiceType::Once,
            },
        };
        self.info.insert(id, info.clone());
        info
    }

    fn name_of(&self, id: ServiceId) -> String {
        self.info
            .get(&id)
            .map_or_else(|| format!("#{}", id.0), |i| i.name.clone())
    }

    fn note(&mut self, text: String) {
        if self.record_trace {
            let line = self.tracer.note(self.now, text);
            self.trace.push(line);
        }
    }
}

/// The resolver's findings over a configuration, as notes for the trace:
/// its cycles, the edges that broke them, and names that are not enabled.
/// What the trace shows of the order; the invariants check the order with
/// an oracle of their own.
fn resolver_notes(services: &[ServiceDef]) -> Vec<String> {
    // In loader order (sorted by name; the first of a repeated name
    // wins), as a directory is read: with a cycle, which edge breaks
    // depends on the order.
    let mut defs: Vec<&ServiceDef> = Vec::new();
    let mut seen = BTreeSet::new();
    for def in services {
        if seen.insert(def.name.as_str()) {
            defs.push(def);
        }
    }
    defs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut notes = Vec::new();
    for target in Target::ALL {
        let order = resolve_refs(&defs, target);
        let name_of = |i: usize| defs.get(i).map_or("?", |d| d.name.as_str());
        for cycle in &order.cycles {
            let mut members: Vec<&str> = cycle.iter().map(|&i| name_of(i)).collect();
            if let Some(first) = members.first().copied() {
                members.push(first);
            }
            notes.push(format!("cycle in {target}: {}", members.join(" -> ")));
        }
        for &(before, after) in &order.broken_edges {
            notes.push(format!(
                "  broken by starting {} without waiting for {}",
                name_of(after),
                name_of(before)
            ));
        }
        for (i, missing) in &order.missing {
            notes.push(format!(
                "{}: '{missing}' is not enabled in target {target}",
                name_of(*i)
            ));
        }
    }
    notes
}

enum StepResult {
    Went,
    Quiet,
    Stopped,
}

/// The simulator's side of the loop every driver runs
/// (`init_core::drive`): outputs carried out on scripted processes, the
/// trace written and the checker told around each input.
impl Body for Sim {
    fn core(&mut self) -> &mut Supervisor {
        &mut self.supervisor
    }

    fn now(&mut self) -> Millis {
        self.now
    }

    fn carry_out(&mut self, now: Millis, output: Output) -> Option<Event> {
        if self.record_trace {
            let line = self.tracer.output(now, &output);
            self.trace.push(line);
        }
        self.checker.on_output(now, &output);
        self.carry_out_output(output)
    }

    fn before_input(&mut self, now: Millis, event: &Event) {
        let (instant, count) = &mut self.inputs_at_instant;
        if *instant != now {
            *instant = now;
            *count = 0;
        }
        *count += 1;
        if *count > MAX_STEPS_AT_ONE_INSTANT {
            self.checker.report(
                now,
                Invariant::NoPanic,
                format!("more than {MAX_STEPS_AT_ONE_INSTANT} inputs at one instant: the clock never moves"),
            );
        }
        if self.record_trace {
            let line = self.tracer.input(now, event);
            self.trace.push(line);
        }
        self.checker.on_input(now, event, &self.supervisor);
        self.input = Some(event.clone());
    }

    fn after_input(&mut self, now: Millis) {
        let Some(event) = self.input.take() else {
            return;
        };
        self.checker.after_input(now, &event, &self.supervisor);
        self.tracer.after_input(&self.supervisor);
        if let Event::Reload { services } = &event {
            self.note_reload(services);
        }
    }

    fn after_outputs(&mut self, now: Millis) {
        self.checker.end_of_step(now, &self.supervisor);
    }

    fn before_timers(&mut self, now: Millis) {
        if self.record_trace {
            let lines = self.tracer.timeouts(now, &self.supervisor);
            self.trace.extend(lines);
        }
    }

    fn stopped(&self) -> bool {
        !self.checker.violations().is_empty()
    }
}

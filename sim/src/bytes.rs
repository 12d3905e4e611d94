//! The core driven directly by bytes: every input byte picks the next
//! event (an exit of a chosen process, a spawn answer, a timer, a stretch
//! of time, an admin request, a reload, a power request), and the
//! invariant checker watches every step. This is the libFuzzer target's
//! body: unlike a generated scenario, the fuzzer mutates the event
//! sequence itself, and one execution costs microseconds.
//!
//! Owns only the mapping from bytes to a consistent sequence of events (a
//! process exits once, KILL always kills, timers fire on time, `Ready`
//! comes only from a live process). No policy: every decision is the
//! core's.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use init_core::drive::{self, Body};
use init_core::events::{Event, ExitStatus, Millis, Output, Pid, ServiceId, Signal, SpawnError};
use init_core::name::EnabledName;
use init_core::parse::parse_service;
use init_core::service::ServiceDef;
use init_core::supervisor::{Options, Supervisor};

use crate::invariants::{Checker, Invariant};

/// At most this many services: small graphs keep an execution fast, and
/// the keywords below still reach every feature of the core.
pub const MAX_SERVICES: usize = 6;

/// Events a run may take before it stops feeding the core (the end phase
/// has its own bound).
const MAX_STEPS: usize = 4096;

/// The input as a stream of choices; past its end every choice is 0.
struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Choices<'_> {
    fn next(&mut self) -> u8 {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

/// The service files the bytes choose: `s0`..`sN`, each with a type, a
/// target, `after` edges to earlier services and a few lifecycle keywords.
fn configuration(choices: &mut Choices) -> Vec<ServiceDef> {
    let count = usize::from(choices.next()) % MAX_SERVICES + 1;
    (0..count)
        .filter_map(|i| {
            let shape = choices.next();
            let edges = choices.next();
            let extras = choices.next();
            let kind = ["wait", "once", "respawn"][usize::from(shape % 3)];
            let target = match (shape >> 2) % 8 {
                0 => "shutdown",
                1 => "reboot",
                _ => "boot",
            };
            let mut text = format!("type {kind}\ntarget {target}\n");
            for j in (0..i).filter(|j| edges & (1 << j) != 0) {
                text.push_str(&format!("after s{j}\n"));
            }
            if extras & 1 != 0 {
                text.push_str("stop-timeout 150ms\n");
            }
            if extras & 2 != 0 {
                text.push_str("respawn-delay 20ms\nrespawn-delay-max 400ms\n");
            }
            if extras & 4 != 0 {
                text.push_str("respawn-window 300ms\n");
            }
            if extras & 8 != 0 {
                text.push_str("ready-fd 3\nready-timeout 250ms\n");
            }
            if extras & 16 != 0 {
                text.push_str("stop-signal HUP\n");
            }
            if extras & 64 != 0 {
                text.push_str("leftovers keep\n");
            }
            // A milestone has no exec.
            if extras & 32 == 0 {
                text.push_str(&format!("exec prog{i}\n"));
            }
            let name = format!("s{i}");
            let enabled = EnabledName::parse(&name).ok()?;
            parse_service(&name, text.as_bytes(), &enabled).service
        })
        .collect()
}

/// A live process of the run. One sent KILL (or a signal it dies of) is
/// taken out at once, its exit pending.
struct Process {
    service: ServiceId,
}

struct Run<'a> {
    choices: Choices<'a>,
    now: Millis,
    core: Supervisor,
    checker: Checker,
    processes: BTreeMap<Pid, Process>,
    /// Services whose ended process left others behind, still there.
    leftovers: BTreeSet<ServiceId>,
    next_pid: i32,
    /// Deaths by signal the outputs caused, fed before the next chosen
    /// event (the answers to spawns are fed by the shared loop).
    pending: VecDeque<Event>,
    powered: bool,
    /// The input being fed, for the checker's look after it.
    input: Option<Event>,
    /// The event log, kept only when a failing input is run again to
    /// explain itself (formatting every event would cost more than the run).
    log: Option<Vec<String>>,
}

impl Run<'_> {
    /// Logs `what` (formatted only when a log is kept) at the current time.
    fn note(&mut self, what: impl FnOnce() -> String) {
        let now = self.now.0;
        if let Some(log) = self.log.as_mut() {
            log.push(format!("{now:>6} {}", what()));
        }
    }

    /// Feeds `event`, its outputs and their answers (`init_core::drive`).
    fn feed(&mut self, event: Event) {
        drive::feed(self, event);
    }

    fn fire_timer(&mut self, at: Millis) {
        self.now = self.now.max(at);
        drive::fire_timers(self);
    }

    /// Carries out one output; returns the answer it calls for. Deaths by
    /// signal wait in `pending`, fed before the next chosen event.
    fn carry_out_output(&mut self, output: Output) -> Option<Event> {
        match output {
            Output::Spawn { service, .. } => {
                // Most spawns work; a chosen few fail as fork or exec would.
                if self.choices.next() % 8 == 7 {
                    let error = SpawnError {
                        errno: "EAGAIN".into(),
                        message: "fork failed".into(),
                    };
                    return Some(Event::SpawnFailed { service, error });
                }
                let pid = Pid(self.next_pid);
                self.next_pid += 1;
                self.processes.insert(pid, Process { service });
                return Some(Event::Spawned { service, pid });
            }
            Output::Signal { pid, signal, .. } => self.deliver(pid, signal),
            Output::SignalLeftovers {
                service, signal, ..
            } => {
                // KILL always ends them; another signal when the bytes say.
                let end = signal == Signal::Kill || self.choices.next() % 4 != 3;
                if end || !self.leftovers.contains(&service) {
                    self.leftovers.remove(&service);
                    return Some(Event::LeftoversGone(service));
                }
            }
            Output::KillAll { signal } => {
                let pids: Vec<Pid> = self.processes.keys().copied().collect();
                for pid in pids {
                    self.deliver(pid, signal);
                }
                if signal == Signal::Kill {
                    self.leftovers.clear();
                }
            }
            Output::Power { .. } => {
                self.powered = true;
                // A process that died of its signal is out of the table
                // already, its exit pending; what is left was never killed.
                let left: Vec<Pid> = self.processes.keys().copied().collect();
                if !left.is_empty() {
                    self.checker.report(
                        self.now,
                        Invariant::Reaped,
                        format!("still running at power-off: pids {left:?}"),
                    );
                }
            }
            Output::Report { .. } | Output::TargetComplete { .. } | Output::Sync => {}
        }
        None
    }

    /// KILL always kills; any other signal kills when the bytes say so (a
    /// process may ignore TERM).
    fn deliver(&mut self, pid: Pid, signal: Signal) {
        let dies = signal == Signal::Kill || self.choices.next() % 4 != 3;
        if let Some(process) = dies.then(|| self.processes.remove(&pid)).flatten() {
            let leftovers = self.leftovers.contains(&process.service);
            let number = match signal {
                Signal::Hup => 1,
                Signal::Int => 2,
                Signal::Quit => 3,
                Signal::Kill => 9,
                Signal::Usr1 => 10,
                Signal::Usr2 => 12,
                Signal::Term => 15,
            };
            self.pending.push_back(Event::Exited {
                pid,
                status: ExitStatus::Signaled(number),
                leftovers,
            });
        }
    }

    fn flush_pending(&mut self) {
        while let Some(event) = self.pending.pop_front() {
            self.feed(event);
            if self.powered {
                return;
            }
        }
    }

    fn live_pid(&mut self) -> Option<Pid> {
        if self.processes.is_empty() {
            return None;
        }
        let index = usize::from(self.choices.next()) % self.processes.len();
        self.processes.keys().nth(index).copied()
    }

    fn service_id(&mut self) -> Option<ServiceId> {
        let ids: Vec<ServiceId> = self.core.services().map(|s| s.id).collect();
        if ids.is_empty() {
            return None;
        }
        Some(ids[usize::from(self.choices.next()) % ids.len()])
    }

    /// Moves the clock forward by `ms`, firing every timer due on the way
    /// at its own time.
    fn advance(&mut self, ms: u64) {
        let until = self.now.saturating_add(ms);
        while let Some(at) = self.core.poll_timeout().filter(|at| *at <= until) {
            self.fire_timer(at);
            self.flush_pending();
            if self.powered {
                return;
            }
        }
        self.now = until;
    }

    /// One event the bytes choose.
    fn step(&mut self) {
        match self.choices.next() % 32 {
            0..=9 => {
                if let Some(pid) = self.live_pid() {
                    let service = self.processes.remove(&pid).map(|p| p.service);
                    let choice = self.choices.next();
                    let status = match choice % 4 {
                        0 | 1 => ExitStatus::Exited(0),
                        2 => ExitStatus::Exited(1),
                        _ => ExitStatus::Signaled(11),
                    };
                    // Bit 2: it leaves processes behind (a worker, a
                    // double-forked child).
                    if let Some(service) = service.filter(|_| choice & 4 != 0) {
                        self.leftovers.insert(service);
                    }
                    let leftovers = service.is_some_and(|s| self.leftovers.contains(&s));
                    self.feed(Event::Exited {
                        pid,
                        status,
                        leftovers,
                    });
                }
            }
            10..=13 => {
                if let Some(at) = self.core.poll_timeout() {
                    self.fire_timer(at);
                }
            }
            14..=17 => {
                let ms = u64::from(self.choices.next()) * 5;
                self.advance(ms);
            }
            18..=19 => {
                if let Some(pid) = self.live_pid() {
                    let service = self.processes[&pid].service;
                    self.feed(Event::Ready(service));
                }
            }
            20..=21 => {
                if let Some(id) = self.service_id() {
                    self.feed(Event::Start(id));
                }
            }
            22..=23 => {
                if let Some(id) = self.service_id() {
                    self.feed(Event::Stop(id));
                }
            }
            24..=25 => {
                if let Some(id) = self.service_id() {
                    self.feed(Event::Restart(id));
                }
            }
            26..=27 => {
                let services = configuration(&mut self.choices);
                self.feed(Event::Reload { services });
            }
            28 => self.feed(Event::Shutdown),
            29 => self.feed(Event::Reboot),
            _ => {
                // A reaped orphan: a pid that never belonged to a service.
                let pid = Pid(1_000_000 + i32::from(self.choices.next()));
                self.feed(Event::Exited {
                    pid,
                    status: ExitStatus::Exited(0),
                    leftovers: false,
                });
            }
        }
        self.flush_pending();
    }

    /// After the chosen events: ask for power-off (again, if need be) and
    /// run on until it comes, every process dying on its signal.
    fn finish(&mut self) {
        if self.powered {
            return;
        }
        self.feed(Event::Shutdown);
        self.flush_pending();
        for _ in 0..MAX_STEPS {
            if self.powered || !self.checker.violations().is_empty() {
                return;
            }
            match self.core.poll_timeout() {
                Some(at) => self.fire_timer(at),
                None => break,
            }
            self.flush_pending();
        }
        if !self.powered && self.checker.violations().is_empty() {
            let quiescent = self.core.poll_timeout().is_none();
            self.checker.finish(self.now, quiescent);
        }
    }
}

/// Runs the core on the events `data` chooses. `Err` carries the first
/// broken invariant and the event log that led to it.
pub fn run_bytes(data: &[u8]) -> Result<(), String> {
    if run(data, false).is_ok() {
        return Ok(());
    }
    // The run is deterministic: again, with the log this time.
    run(data, true)
}

fn run(data: &[u8], keep_log: bool) -> Result<(), String> {
    let mut choices = Choices { bytes: data, at: 0 };
    let flags = choices.next();
    let options = Options {
        sequential: flags & 1 != 0,
        respawn_delay_ms: 100,
        respawn_delay_max_ms: 400,
        kill_grace_ms: 200,
        final_service_timeout_ms: 500,
        stop_timeout_ms: 300,
        // Below `stop_timeout_ms`: the way down caps the default stop.
        shutdown_stop_timeout_ms: 250,
        ready_timeout_ms: 400,
    };
    let services = configuration(&mut choices);
    let core = Supervisor::new(services, options.clone());
    let checker = Checker::new(options, &core);
    let mut run = Run {
        choices,
        now: Millis::ZERO,
        core,
        checker,
        processes: BTreeMap::new(),
        leftovers: BTreeSet::new(),
        next_pid: 100,
        pending: VecDeque::new(),
        powered: false,
        input: None,
        log: keep_log.then(Vec::new),
    };
    run.feed(Event::Boot);
    run.flush_pending();
    let mut steps = 0;
    while !run.choices.is_empty() && !run.powered && steps < MAX_STEPS {
        run.step();
        steps += 1;
        if !run.checker.violations().is_empty() {
            break;
        }
    }
    if run.checker.violations().is_empty() {
        run.finish();
    }
    match run.checker.violations().first() {
        None => Ok(()),
        Some(violation) => {
            let log = run.log.unwrap_or_default().join("\n");
            Err(format!("{violation}\n{log}"))
        }
    }
}

/// The byte-driven side of the loop every driver runs (`init_core::drive`).
impl Body for Run<'_> {
    fn core(&mut self) -> &mut Supervisor {
        &mut self.core
    }

    fn now(&mut self) -> Millis {
        self.now
    }

    fn carry_out(&mut self, now: Millis, output: Output) -> Option<Event> {
        self.note(|| format!("out {output:?}"));
        self.checker.on_output(now, &output);
        self.carry_out_output(output)
    }

    fn before_input(&mut self, now: Millis, event: &Event) {
        self.note(|| format!("in  {event:?}"));
        self.checker.on_input(now, event, &self.core);
        self.input = Some(event.clone());
    }

    fn after_input(&mut self, now: Millis) {
        if let Some(event) = self.input.take() {
            self.checker.after_input(now, &event, &self.core);
        }
    }

    fn after_outputs(&mut self, now: Millis) {
        self.checker.end_of_step(now, &self.core);
    }

    fn before_timers(&mut self, _now: Millis) {
        self.note(|| "in  timeout".to_string());
    }
}

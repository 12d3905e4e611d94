//! A tiny driver for supervisor tests: answers every Spawn with the next pid,
//! lets the test script exits and time, and writes the trace every driver
//! writes (`init_core::trace`).
//!
//! It holds no policy: everything it does is what a test tells it to.

#![allow(dead_code)]

use init_core::drive::{self, Body};
use init_core::events::{Event, ExitStatus, Millis, Output, Pid, ServiceId, SpawnError};
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};
use init_core::trace::{self, TraceLine, Tracer};

/// Builds a service definition for a test.
pub fn svc(name: &str, kind: ServiceType, target: Target) -> ServiceDef {
    let base = name.split('@').next().unwrap_or(name);
    ServiceDef {
        name: name.to_string(),
        description: String::new(),
        kind,
        respawn_limit: None,
        target,
        tty: None,
        after: Box::default(),
        before: Box::default(),
        exec: [[format!("/bin/{base}")]].into_iter().collect(),
        settings: Default::default(),
    }
}

pub trait DefExt {
    fn after(self, names: &[&str]) -> Self;
    fn milestone(self) -> Self;
    fn limit(self, runs: u32) -> Self;
    fn exec(self, argv: &[&str]) -> Self;
}

impl DefExt for ServiceDef {
    fn after(mut self, names: &[&str]) -> Self {
        self.after = names.iter().map(|n| n.to_string()).collect();
        self
    }
    fn milestone(mut self) -> Self {
        self.exec.clear();
        self
    }
    fn limit(mut self, runs: u32) -> Self {
        self.respawn_limit = Some(runs);
        self
    }
    fn exec(mut self, argv: &[&str]) -> Self {
        self.exec = [argv].into_iter().collect();
        self
    }
}

/// How the driver answers Spawn outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `Spawned` with the next pid.
    Spawn,
    /// `SpawnFailed` with ENOENT.
    Fail,
    /// Nothing: the spawn hangs.
    Never,
}

pub struct Driver {
    pub sup: Supervisor,
    pub now: Millis,
    next_pid: i32,
    /// Per service name, how Spawn is answered (default: Spawn).
    answers: Vec<(String, Answer)>,
    /// Every output, in order, with the time it came out.
    pub outputs: Vec<(Millis, Output)>,
    pub trace: Vec<TraceLine>,
    /// Names the services of the trace, even those a reload dropped.
    tracer: Tracer,
}

impl Driver {
    pub fn new(services: Vec<ServiceDef>) -> Driver {
        Driver::with_options(services, Options::default())
    }

    pub fn with_options(services: Vec<ServiceDef>, options: Options) -> Driver {
        let sup = Supervisor::new(services, options);
        Driver {
            tracer: Tracer::new(&sup),
            sup,
            now: Millis::ZERO,
            next_pid: 100,
            answers: Vec::new(),
            outputs: Vec::new(),
            trace: Vec::new(),
        }
    }

    pub fn answer(&mut self, name: &str, answer: Answer) {
        self.answers.retain(|(n, _)| n != name);
        self.answers.push((name.to_string(), answer));
    }

    pub fn id(&self, name: &str) -> ServiceId {
        match self.sup.service_by_name(name) {
            Some(s) => s.id,
            None => panic!("no service {name}"),
        }
    }

    fn name(&self, id: ServiceId) -> String {
        self.tracer.name_of(id)
    }

    pub fn pid(&self, name: &str) -> Pid {
        match self.sup.service_by_name(name).and_then(|s| s.pid) {
            Some(pid) => pid,
            None => panic!("{name} has no pid"),
        }
    }

    pub fn state(&self, name: &str) -> &'static str {
        match self.sup.service_by_name(name) {
            Some(s) => s.state.as_str(),
            None => "gone",
        }
    }

    /// Feeds one event, then carries out the outputs; the answers to
    /// spawns are fed after them, in the order of the spawns, as every
    /// driver does (`init_core::drive`).
    pub fn event(&mut self, event: Event) {
        drive::feed(self, event);
    }

    pub fn boot(&mut self) {
        self.event(Event::Boot);
    }

    /// The process of `name` exits with `code`.
    pub fn exit(&mut self, name: &str, code: i32) {
        let pid = self.pid(name);
        self.event(Event::Exited {
            pid,
            status: ExitStatus::Exited(code),
            leftovers: false,
        });
    }

    pub fn killed(&mut self, name: &str, signal: i32) {
        self.died(name, signal, false);
    }

    /// The process of `name` dies of `signal`, leaving others of the
    /// service behind (a worker, a double-forked child).
    pub fn killed_leaving(&mut self, name: &str, signal: i32) {
        self.died(name, signal, true);
    }

    fn died(&mut self, name: &str, signal: i32, leftovers: bool) {
        let pid = self.pid(name);
        self.event(Event::Exited {
            pid,
            status: ExitStatus::Signaled(signal),
            leftovers,
        });
    }

    pub fn start(&mut self, name: &str) {
        let id = self.id(name);
        self.event(Event::Start(id));
    }

    pub fn stop(&mut self, name: &str) {
        let id = self.id(name);
        self.event(Event::Stop(id));
    }

    pub fn restart(&mut self, name: &str) {
        let id = self.id(name);
        self.event(Event::Restart(id));
    }

    /// Moves time to `ms`, firing every timer on the way at its deadline.
    pub fn advance_to(&mut self, ms: u64) {
        let end = Millis(ms);
        while let Some(deadline) = self.sup.poll_timeout() {
            if deadline > end {
                break;
            }
            self.now = self.now.max(deadline);
            drive::fire_timers(self);
        }
        self.now = self.now.max(end);
    }

    pub fn advance_by(&mut self, ms: u64) {
        let to = self.now.0 + ms;
        self.advance_to(to);
    }

    /// The outputs so far that match.
    pub fn count(&self, pred: impl Fn(&Output) -> bool) -> usize {
        self.outputs.iter().filter(|(_, o)| pred(o)).count()
    }

    /// How many times `name` was asked to spawn.
    pub fn spawns(&self, name: &str) -> usize {
        let id = self.id(name);
        self.count(|o| matches!(o, Output::Spawn { service, .. } if *service == id))
    }

    /// The times `name` was asked to spawn.
    pub fn spawn_times(&self, name: &str) -> Vec<u64> {
        let id = self.id(name);
        self.outputs
            .iter()
            .filter(|(_, o)| matches!(o, Output::Spawn { service, .. } if *service == id))
            .map(|(t, _)| t.0)
            .collect()
    }

    /// The names spawned so far, in order.
    pub fn spawned_names(&self) -> Vec<String> {
        self.outputs
            .iter()
            .filter_map(|(_, o)| match o {
                Output::Spawn { service, .. } => Some(self.name(*service)),
                _ => None,
            })
            .collect()
    }

    pub fn powers(&self) -> usize {
        self.count(|o| matches!(o, Output::Power { .. }))
    }

    /// The trace so far, as `init-sim run` and `init --trace` write it.
    pub fn trace_text(&self) -> String {
        trace::render_text(&self.trace)
    }
}

impl Body for Driver {
    fn core(&mut self) -> &mut Supervisor {
        &mut self.sup
    }

    fn now(&mut self) -> Millis {
        self.now
    }

    fn before_input(&mut self, now: Millis, event: &Event) {
        let line = self.tracer.input(now, event);
        self.trace.push(line);
    }

    fn after_input(&mut self, _now: Millis) {
        self.tracer.after_input(&self.sup);
    }

    fn before_timers(&mut self, now: Millis) {
        let lines = self.tracer.timeouts(now, &self.sup);
        self.trace.extend(lines);
    }

    /// Answers a spawn as the test said (the next pid by default).
    fn carry_out(&mut self, now: Millis, output: Output) -> Option<Event> {
        let line = self.tracer.output(now, &output);
        self.trace.push(line);
        let answer = match &output {
            Output::Spawn { service, .. } => {
                let name = self.name(*service);
                let answer = self
                    .answers
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, a)| *a)
                    .unwrap_or(Answer::Spawn);
                match answer {
                    Answer::Spawn => {
                        let pid = Pid(self.next_pid);
                        self.next_pid += 1;
                        Some(Event::Spawned {
                            service: *service,
                            pid,
                        })
                    }
                    Answer::Fail => Some(Event::SpawnFailed {
                        service: *service,
                        error: SpawnError {
                            errno: "ENOENT".to_string(),
                            message: "No such file or directory".to_string(),
                        },
                    }),
                    Answer::Never => None,
                }
            }
            _ => None,
        };
        self.outputs.push((now, output));
        answer
    }
}

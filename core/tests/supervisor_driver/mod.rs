//! A tiny driver for supervisor tests: answers every Spawn with the next pid,
//! lets the test script exits and time, and writes a trace in the fixed
//! column format of STYLE.md.
//!
//! It holds no policy: everything it does is what a test tells it to.

#![allow(dead_code)]

use std::collections::BTreeMap;

use init_core::events::{Event, ExitStatus, Millis, Output, Pid, ServiceId, SpawnError};
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};

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
    pub trace: Vec<String>,
    /// Every name an id ever had, so that traces still name services a
    /// reload dropped.
    names: BTreeMap<ServiceId, String>,
}

impl Driver {
    pub fn new(services: Vec<ServiceDef>) -> Driver {
        Driver::with_options(services, Options::default())
    }

    pub fn with_options(services: Vec<ServiceDef>, options: Options) -> Driver {
        Driver {
            sup: Supervisor::new(services, options),
            now: Millis::ZERO,
            next_pid: 100,
            answers: Vec::new(),
            outputs: Vec::new(),
            trace: Vec::new(),
            names: BTreeMap::new(),
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
        self.sup
            .service(id)
            .map(|s| s.def.name.clone())
            .or_else(|| self.names.get(&id).cloned())
            .unwrap_or_else(|| format!("#{}", id.0))
    }

    fn remember_names(&mut self) {
        for s in self.sup.services() {
            self.names.insert(s.id, s.def.name.clone());
        }
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

    fn line(&mut self, dir: char, who: &str, what: &str, rest: String) {
        let line = format!(
            "{:>8} {dir} {who:<20} {what:<8} {rest}",
            self.now.to_string()
        );
        self.trace.push(line.trim_end().to_string());
    }

    /// Feeds one event, then drains outputs, answering spawns.
    pub fn event(&mut self, event: Event) {
        let (who, what, rest) = match &event {
            Event::Boot => ("".to_string(), "boot", String::new()),
            Event::Shutdown => ("".to_string(), "shutdown", String::new()),
            Event::Reboot => ("".to_string(), "reboot", String::new()),
            Event::SwitchRoot => ("".to_string(), "switch-root", String::new()),
            Event::Reload { services } => (
                "".to_string(),
                "reload",
                format!("{} services", services.len()),
            ),
            Event::Spawned { service, pid } => {
                (self.name(*service), "spawned", format!("pid={pid}"))
            }
            Event::SpawnFailed { service, error } => {
                (self.name(*service), "failed", error.errno.clone())
            }
            Event::Exited {
                pid,
                status,
                leftovers,
            } => {
                let who = self
                    .sup
                    .services()
                    .find(|s| s.pid == Some(*pid))
                    .map(|s| s.def.name.clone())
                    .unwrap_or_else(|| "?".to_string());
                let left = if *leftovers { " leftovers" } else { "" };
                (who, "exited", format!("pid={pid} status={status}{left}"))
            }
            Event::Start(id) => (self.name(*id), "start", String::new()),
            Event::Stop(id) => (self.name(*id), "stop", String::new()),
            Event::Restart(id) => (self.name(*id), "restart", String::new()),
            Event::Ready(id) => (self.name(*id), "ready", String::new()),
            Event::LeftoversGone(id) => (self.name(*id), "gone", "leftovers".to_string()),
        };
        let (who, what) = if who.is_empty() {
            (what.to_string(), String::new())
        } else {
            (who, what.to_string())
        };
        self.line('>', &who, &what, rest);
        self.remember_names();
        self.sup.handle_event(self.now, event);
        self.remember_names();
        self.drain();
    }

    fn drain(&mut self) {
        let mut answers = Vec::new();
        while let Some(output) = self.sup.poll_output() {
            self.outputs.push((self.now, output.clone()));
            match &output {
                Output::Spawn { service, exec, .. } => {
                    let argv: Vec<String> = exec.iter().map(|a| a.to_vec().join(" ")).collect();
                    let name = self.name(*service);
                    self.line('<', &name, "spawn", format!("[{}]", argv.join("; ")));
                    let answer = self
                        .answers
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, a)| *a)
                        .unwrap_or(Answer::Spawn);
                    answers.push((*service, answer));
                }
                Output::Signal {
                    service,
                    pid,
                    signal,
                } => {
                    let name = self.name(*service);
                    self.line('<', &name, "signal", format!("{} pid={pid}", signal.name()));
                }
                Output::SignalLeftovers {
                    service,
                    pid,
                    signal,
                } => {
                    let name = self.name(*service);
                    self.line(
                        '<',
                        &name,
                        "leftovers",
                        format!("{} pid={pid}", signal.name()),
                    );
                }
                Output::KillAll { signal } => {
                    self.line('<', "killall", signal.name(), String::new())
                }
                Output::Report {
                    service, report, ..
                } => {
                    let name = self.name(*service);
                    self.line('<', &name, "report", format!("{report:?}"));
                }
                Output::TargetComplete { target } => {
                    self.line('<', target.as_str(), "complete", String::new())
                }
                Output::Sync => self.line('<', "sync", "", String::new()),
                Output::Power { action } => {
                    self.line('<', "power", &format!("{action:?}"), String::new())
                }
            }
        }
        for (service, answer) in answers {
            match answer {
                Answer::Spawn => {
                    let pid = Pid(self.next_pid);
                    self.next_pid += 1;
                    self.event(Event::Spawned { service, pid });
                }
                Answer::Fail => self.event(Event::SpawnFailed {
                    service,
                    error: SpawnError {
                        errno: "ENOENT".to_string(),
                        message: "No such file or directory".to_string(),
                    },
                }),
                Answer::Never => {}
            }
        }
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
            self.sup.handle_timeout(self.now);
            self.drain();
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

    pub fn trace_text(&self) -> String {
        self.trace.join("\n") + "\n"
    }
}

//! Random, often nonsensical event sequences against the supervisor: it must
//! never panic, never output anything after `Power`, output `Power` at most
//! once, never spawn a service whose process is alive, never signal a pid
//! whose exit it has handled, once going down always reach `Power`, and
//! never make a state change its table refuses (docs/services.md, "How a
//! service's state changes"), the status showing the flat view of it.
//!
//! The simulator checks the full invariants against a process model; this
//! only makes sure the core itself is sound whatever it is fed.

use std::collections::BTreeSet;

use init_core::events::{
    Event, ExitStatus, Millis, Output, Pid, ServiceId, ServiceState, SpawnError,
};
use init_core::service::{
    OutOfLine, ReadyNotice, ServiceDef, ServiceSettings, ServiceType, Target,
};
use init_core::supervisor::{Options, Supervisor};
use proptest::prelude::*;

const NAMES: [&str; 6] = ["a", "b", "c", "d", "e@x", "f"];

fn def_strategy(name: &'static str) -> impl Strategy<Value = ServiceDef> {
    (
        prop_oneof![
            Just(ServiceType::Wait),
            Just(ServiceType::Once),
            Just(ServiceType::Respawn)
        ],
        prop_oneof![
            3 => Just(Target::Boot),
            1 => Just(Target::Shutdown),
            1 => Just(Target::Reboot)
        ],
        proptest::option::weighted(0.3, 0u32..4),
        proptest::collection::vec(0usize..NAMES.len(), 0..3),
        proptest::bool::weighted(0.15),
        0u8..3,
        proptest::bool::weighted(0.2),
    )
        .prop_map(
            move |(kind, target, limit, after, milestone, variant, ready)| {
                let base = name.split('@').next().unwrap_or(name).to_string();
                ServiceDef {
                    name: name.to_string(),
                    description: String::new(),
                    kind,
                    respawn_limit: limit,
                    target,
                    tty: None,
                    after: after
                        .into_iter()
                        .filter_map(|i| NAMES.get(i))
                        .map(|n| n.split('@').next().unwrap_or(n).to_string())
                        .collect(),
                    before: Box::default(),
                    exec: if milestone {
                        Vec::new().into()
                    } else {
                        vec![vec![base, variant.to_string()]].into()
                    },
                    settings: OutOfLine::new(ServiceSettings {
                        ready: ready.then_some(ReadyNotice::Fd(3)),
                        ..Default::default()
                    }),
                }
            },
        )
}

fn config_strategy() -> impl Strategy<Value = Vec<ServiceDef>> {
    let per_name: Vec<_> = NAMES
        .iter()
        .map(|&n| proptest::option::weighted(0.7, def_strategy(n)))
        .collect();
    per_name.prop_map(|defs| defs.into_iter().flatten().collect())
}

/// One step of a run. Raw events may be nonsense; the `*Live`/`Answer`
/// steps pick a target from the supervisor's state so that sequences also
/// reach deep states.
#[derive(Debug, Clone)]
enum Op {
    Raw(RawEvent),
    /// Answer the k-th outstanding spawn with a fresh pid.
    AnswerSpawn(usize),
    /// Fail the k-th outstanding spawn.
    FailSpawn(usize),
    /// The k-th live process exits, maybe leaving others of the service.
    ExitLive(usize, i32, bool),
    /// Time passes, then the timers are handled (possibly early).
    Advance(u64),
    /// A driver bug: time goes backwards, then the timers are handled.
    Rewind(u64),
}

#[derive(Debug, Clone)]
enum RawEvent {
    Boot,
    Shutdown,
    Reboot,
    Reload(Vec<ServiceDef>),
    Start(u32),
    Stop(u32),
    Restart(u32),
    Spawned(u32, i32),
    SpawnFailed(u32),
    Exited(i32, i32),
    Ready(u32),
    LeftoversGone(u32),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let raw = prop_oneof![
        3 => Just(RawEvent::Boot),
        1 => Just(RawEvent::Shutdown),
        1 => Just(RawEvent::Reboot),
        1 => config_strategy().prop_map(RawEvent::Reload),
        1 => (0u32..10).prop_map(RawEvent::Start),
        1 => (0u32..10).prop_map(RawEvent::Stop),
        1 => (0u32..10).prop_map(RawEvent::Restart),
        1 => (0u32..10, 100i32..110).prop_map(|(s, p)| RawEvent::Spawned(s, p)),
        1 => (0u32..10).prop_map(RawEvent::SpawnFailed),
        1 => (100i32..110, -1i32..3).prop_map(|(p, c)| RawEvent::Exited(p, c)),
        2 => (0u32..10).prop_map(RawEvent::Ready),
        2 => (0u32..10).prop_map(RawEvent::LeftoversGone),
    ];
    prop_oneof![
        2 => raw.prop_map(Op::Raw),
        4 => (0usize..4).prop_map(Op::AnswerSpawn),
        1 => (0usize..4).prop_map(Op::FailSpawn),
        3 => (0usize..4, -1i32..3, proptest::bool::weighted(0.2))
            .prop_map(|(k, c, l)| Op::ExitLive(k, c, l)),
        3 => prop_oneof![0u64..50, 50u64..500, 500u64..40_000].prop_map(Op::Advance),
        1 => (0u64..1000).prop_map(Op::Rewind),
    ]
}

fn status(code: i32) -> ExitStatus {
    if code < 0 {
        ExitStatus::Signaled(9)
    } else {
        ExitStatus::Exited(code)
    }
}

/// Feeds events and checks every output against the invariants.
struct Checker {
    sup: Supervisor,
    now: Millis,
    next_pid: i32,
    powers: usize,
    /// Pids whose exit was fed and that no Spawned has given out since.
    dead: BTreeSet<Pid>,
    /// Spawn outputs not yet answered, oldest first.
    outstanding: Vec<ServiceId>,
    final_completions: usize,
    boot_completions: usize,
}

impl Checker {
    fn new(services: Vec<ServiceDef>, sequential: bool) -> Checker {
        let options = Options {
            sequential,
            ..Options::default()
        };
        Checker {
            sup: Supervisor::new(services, options),
            now: Millis::ZERO,
            next_pid: 1000,
            powers: 0,
            dead: BTreeSet::new(),
            outstanding: Vec::new(),
            final_completions: 0,
            boot_completions: 0,
        }
    }

    fn event(&mut self, event: Event) -> Result<(), TestCaseError> {
        // Before the event: which services have a process (or a spawn in
        // flight), so that a Spawn for them can be judged.
        let live_before: Vec<(ServiceId, Option<Pid>)> = self
            .sup
            .services()
            .filter(|s| {
                matches!(
                    s.state,
                    ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
                )
            })
            .map(|s| (s.id, s.pid))
            .collect();
        match &event {
            Event::Exited { pid, .. } => {
                self.dead.insert(*pid);
            }
            Event::Spawned { pid, .. } => {
                self.dead.remove(pid);
            }
            _ => {}
        }
        let ended = |id: ServiceId, pid: Option<Pid>| match (&event, pid) {
            (Event::Exited { pid: p, .. }, Some(pid)) => *p == pid,
            (Event::SpawnFailed { service, .. }, None) => *service == id,
            _ => false,
        };
        let permitted: Vec<ServiceId> = live_before
            .iter()
            .filter(|(id, pid)| ended(*id, *pid))
            .map(|(id, _)| *id)
            .collect();
        let forbidden: Vec<ServiceId> = live_before
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !permitted.contains(id))
            .collect();
        if let Event::Spawned { service, .. } | Event::SpawnFailed { service, .. } = &event {
            self.outstanding.retain(|s| s != service);
        }
        self.sup.handle_event(self.now, event);
        self.drain(&forbidden)
    }

    fn timeout(&mut self) -> Result<(), TestCaseError> {
        let forbidden: Vec<ServiceId> = self
            .sup
            .services()
            .filter(|s| {
                matches!(
                    s.state,
                    ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
                )
            })
            .map(|s| s.id)
            .collect();
        self.sup.handle_timeout(self.now);
        self.drain(&forbidden)
    }

    fn drain(&mut self, forbidden: &[ServiceId]) -> Result<(), TestCaseError> {
        let mut spawned_now = Vec::new();
        while let Some(output) = self.sup.poll_output() {
            prop_assert_eq!(self.powers, 0, "output after Power: {:?}", output);
            match &output {
                Output::Power { .. } => self.powers += 1,
                Output::Spawn { service, .. } => {
                    prop_assert!(
                        !forbidden.contains(service) && !spawned_now.contains(service),
                        "Spawn for a live service {:?}",
                        service
                    );
                    spawned_now.push(*service);
                    self.outstanding.push(*service);
                }
                Output::Signal { pid, .. } => {
                    prop_assert!(!self.dead.contains(pid), "Signal to exited pid {}", pid);
                }
                Output::TargetComplete { target } => match target {
                    Target::Boot => self.boot_completions += 1,
                    _ => self.final_completions += 1,
                },
                _ => {}
            }
        }
        prop_assert_eq!(
            self.sup.refused_transitions(),
            0,
            "a state change the table refuses"
        );
        for service in self.sup.services() {
            let kind = self.sup.lifecycle_kind(service.id);
            prop_assert_eq!(kind.map(|k| k.public()), Some(service.state));
        }
        prop_assert!(self.boot_completions <= 1, "boot completed twice");
        prop_assert!(self.final_completions <= 1, "final target completed twice");
        if self.sup.is_finished() {
            prop_assert_eq!(self.sup.poll_timeout(), None);
            prop_assert_eq!(self.powers, 1);
        }
        Ok(())
    }

    fn live_pids(&self) -> Vec<Pid> {
        self.sup.services().filter_map(|s| s.pid).collect()
    }

    fn step(&mut self, step: Op) -> Result<(), TestCaseError> {
        match step {
            Op::Raw(raw) => {
                let event = match raw {
                    RawEvent::Boot => Event::Boot,
                    RawEvent::Shutdown => Event::Shutdown,
                    RawEvent::Reboot => Event::Reboot,
                    RawEvent::Reload(services) => Event::Reload { services },
                    RawEvent::Start(id) => Event::Start(ServiceId(id)),
                    RawEvent::Stop(id) => Event::Stop(ServiceId(id)),
                    RawEvent::Restart(id) => Event::Restart(ServiceId(id)),
                    RawEvent::Spawned(id, pid) => Event::Spawned {
                        service: ServiceId(id),
                        pid: Pid(pid),
                    },
                    RawEvent::SpawnFailed(id) => Event::SpawnFailed {
                        service: ServiceId(id),
                        error: enoent(),
                    },
                    RawEvent::Exited(pid, code) => Event::Exited {
                        pid: Pid(pid),
                        status: status(code),
                        leftovers: false,
                    },
                    RawEvent::Ready(id) => Event::Ready(ServiceId(id)),
                    RawEvent::LeftoversGone(id) => Event::LeftoversGone(ServiceId(id)),
                };
                self.event(event)
            }
            Op::AnswerSpawn(k) => {
                if self.outstanding.is_empty() {
                    return Ok(());
                }
                let service = self.outstanding.remove(k % self.outstanding.len());
                let pid = Pid(self.next_pid);
                self.next_pid += 1;
                self.event(Event::Spawned { service, pid })
            }
            Op::FailSpawn(k) => {
                if self.outstanding.is_empty() {
                    return Ok(());
                }
                let service = self.outstanding.remove(k % self.outstanding.len());
                self.event(Event::SpawnFailed {
                    service,
                    error: enoent(),
                })
            }
            Op::ExitLive(k, code, leftovers) => {
                let pids = self.live_pids();
                match pids.get(k % pids.len().max(1)) {
                    Some(&pid) => self.event(Event::Exited {
                        pid,
                        status: status(code),
                        leftovers,
                    }),
                    None => Ok(()),
                }
            }
            Op::Advance(ms) => {
                self.now = self.now.saturating_add(ms);
                self.timeout()
            }
            Op::Rewind(ms) => {
                self.now = Millis(self.now.0.saturating_sub(ms));
                self.timeout()
            }
        }
    }
}

fn enoent() -> SpawnError {
    SpawnError {
        errno: "ENOENT".to_string(),
        message: "No such file or directory".to_string(),
    }
}

proptest! {
    // No regression files: a failure prints its minimal input, which
    // belongs in a named unit test in `supervisor.rs`.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_core_is_sound_whatever_it_is_fed(
        config in config_strategy(),
        sequential in any::<bool>(),
        steps in proptest::collection::vec(op_strategy(), 0..80),
    ) {
        let mut checker = Checker::new(config, sequential);
        for step in steps {
            checker.step(step)?;
        }
        prop_assert!(checker.powers <= 1);
    }

    /// Whatever happened before, once shutdown or reboot is asked for and
    /// the driver only lets time pass (no spawn answered, no process ever
    /// exits), `Power` comes, within a bounded time.
    #[test]
    fn going_down_always_ends_in_power(
        config in config_strategy(),
        sequential in any::<bool>(),
        steps in proptest::collection::vec(op_strategy(), 0..60),
        reboot in any::<bool>(),
    ) {
        let mut checker = Checker::new(config, sequential);
        for step in steps {
            checker.step(step)?;
        }
        checker.event(if reboot { Event::Reboot } else { Event::Shutdown })?;
        let start = checker.now;
        let options = Options::default();
        let bound_ms = (NAMES.len() as u64 + 1) * options.final_service_timeout_ms
            + options.kill_grace_ms;
        while !checker.sup.is_finished() {
            let deadline = checker.sup.poll_timeout();
            prop_assert!(deadline.is_some(), "going down with no timer armed: a hang");
            if let Some(deadline) = deadline {
                checker.now = checker.now.max(deadline);
            }
            prop_assert!(
                checker.now.ms_since(start) <= bound_ms,
                "no Power after {} ms",
                checker.now.ms_since(start)
            );
            checker.timeout()?;
        }
        prop_assert_eq!(checker.powers, 1);
    }
}

//! The supervisor at scale: ten thousand services in a random dependency
//! graph boot (or shut down) in order, each started once, and the target
//! completes once, after the last one.
//!
//! The work per event is logarithmic in the number of services, so this
//! runs in about a second even unoptimised; a supervisor that scanned every
//! service on every event would take minutes here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use init_core::events::{Event, ExitStatus, Millis, Output, Pid, PowerAction, ServiceId};
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};
use rstest::rstest;

const SERVICES: usize = 10_000;
const EDGES_PER_SERVICE: usize = 5;

/// `s00000` .. `s09999`, all `wait`, each after five random earlier ones
/// (xorshift with a fixed seed, so every run sees the same graph).
fn random_dag(target: Target) -> Vec<ServiceDef> {
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut below = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let name = |i: usize| format!("s{i:05}");
    (0..SERVICES)
        .map(|i| ServiceDef {
            name: name(i),
            description: String::new(),
            kind: ServiceType::Wait,
            respawn_limit: None,
            target,
            tty: None,
            after: match i {
                0 => Box::default(),
                _ => (0..EDGES_PER_SERVICE).map(|_| name(below(i))).collect(),
            },
            before: Box::default(),
            exec: vec![vec![name(i)]].into(),
            settings: Default::default(),
        })
        .collect()
}

#[rstest]
fn ten_thousand_services_start_once_each_after_their_predecessors(
    #[values(Target::Boot, Target::Shutdown)] target: Target,
) {
    let defs = random_dag(target);
    let after: BTreeMap<String, Vec<String>> = defs
        .iter()
        .map(|d| (d.name.clone(), d.after.to_vec()))
        .collect();
    let mut sup = Supervisor::new(defs, Options::default());
    let name_of = |sup: &Supervisor, id: ServiceId| {
        sup.service(id)
            .map(|s| s.def.name.clone())
            .unwrap_or_default()
    };

    let mut inputs: VecDeque<Event> = VecDeque::from([Event::Boot]);
    if target == Target::Shutdown {
        inputs.push_back(Event::Shutdown);
    }
    let mut spawn_answers: VecDeque<ServiceId> = VecDeque::new();
    let mut exited: BTreeSet<String> = BTreeSet::new();
    let mut started: BTreeSet<String> = BTreeSet::new();
    let mut completed_after_exits = Vec::new();
    let mut powers = Vec::new();
    let mut names_by_pid: BTreeMap<Pid, String> = BTreeMap::new();
    let mut next_pid = 100;
    let mut now = Millis::ZERO;
    while let Some(event) = inputs.pop_front() {
        if let Event::Exited { pid, .. } = &event {
            if let Some(name) = names_by_pid.remove(pid) {
                exited.insert(name);
            }
        }
        now = now.saturating_add(1);
        sup.handle_event(now, event);
        while let Some(output) = sup.poll_output() {
            match output {
                Output::Spawn { service, .. } => {
                    let name = name_of(&sup, service);
                    let waiting_for: Vec<&String> = after[&name]
                        .iter()
                        .filter(|p| !exited.contains(*p))
                        .collect();
                    assert!(
                        waiting_for.is_empty(),
                        "{name} started before {waiting_for:?} exited"
                    );
                    assert!(started.insert(name.clone()), "{name} started twice");
                    spawn_answers.push_back(service);
                }
                Output::TargetComplete { target: done } if done == target => {
                    completed_after_exits.push(exited.len());
                }
                Output::Power { action, .. } => powers.push(action),
                _ => {}
            }
        }
        // Every spawn is answered at once, and the process exits at once.
        if inputs.is_empty() {
            if let Some(service) = spawn_answers.pop_front() {
                let pid = Pid(next_pid);
                next_pid += 1;
                names_by_pid.insert(pid, name_of(&sup, service));
                inputs.push_back(Event::Spawned { service, pid });
                inputs.push_back(Event::Exited {
                    pid,
                    status: ExitStatus::Exited(0),
                    leftovers: false,
                });
            }
        }
    }

    assert_eq!(started.len(), SERVICES);
    assert_eq!(completed_after_exits, [SERVICES], "completes once, last");
    match target {
        Target::Boot => assert_eq!(powers, []),
        _ => assert_eq!(powers, [PowerAction::PowerOff]),
    }
}

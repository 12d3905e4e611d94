//! The invariant checker catches what it should (fed hand-made outputs, as
//! a broken core would send them), and random scenarios keep every
//! invariant against the real core.

use init_core::events::{Event, ExitStatus, Millis, Output, Pid, PowerAction, ServiceId, Signal};
use init_core::supervisor::{Options, Supervisor};
use init_sim::fuzz;
use init_sim::invariants::{Bounds, Checker, Invariant};
use init_sim::scenario::Scenario;
use proptest::prelude::*;

const BOUNDS: Bounds = Bounds {
    respawn_delay_ms: 100,
    kill_grace_ms: 5000,
    final_service_timeout_ms: 30_000,
    stop_timeout_ms: 5000,
    shutdown_stop_timeout_ms: 5000,
};

/// `a` (wait) and `b` (respawn limit 2, after a), not yet booted.
fn two_services() -> Supervisor {
    let text = "\
service a
  type wait
  target boot
  exec a
end
service b
  type respawn limit 2
  target boot
  after a
  exec b
end
";
    let scenario = Scenario::parse("two.scn", text).expect("parses");
    Supervisor::new(scenario.services, Options::default())
}

fn id(supervisor: &Supervisor, name: &str) -> ServiceId {
    supervisor
        .services()
        .find(|s| s.def.name == name)
        .map(|s| s.id)
        .expect("known service")
}

fn spawn(service: ServiceId) -> Output {
    Output::Spawn {
        service,
        exec: vec![vec!["x".to_string()]].into(),
        tty: None,
        settings: Default::default(),
    }
}

fn first(checker: &Checker) -> Option<Invariant> {
    checker.violations().first().map(|v| v.invariant)
}

#[test]
fn a_spawn_before_its_predecessor_breaks_the_order() {
    let supervisor = two_services();
    let b = id(&supervisor, "b");
    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_output(Millis(0), &spawn(b), &supervisor);
    assert_eq!(first(&checker), Some(Invariant::Order));
}

#[test]
fn an_admin_start_may_ignore_the_order() {
    let supervisor = two_services();
    let b = id(&supervisor, "b");
    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(Millis(0), &Event::Start(b), &supervisor);
    checker.on_output(Millis(0), &spawn(b), &supervisor);
    assert_eq!(first(&checker), None);
}

#[test]
fn a_second_live_process_a_fast_respawn_and_a_run_past_the_limit_are_caught() {
    let supervisor = two_services();
    let b = id(&supervisor, "b");

    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(Millis(0), &Event::Start(b), &supervisor);
    checker.on_output(Millis(0), &spawn(b), &supervisor);
    checker.on_input(
        Millis(0),
        &Event::Spawned {
            service: b,
            pid: Pid(100),
        },
        &supervisor,
    );
    checker.on_output(Millis(500), &spawn(b), &supervisor);
    assert_eq!(first(&checker), Some(Invariant::OneProcess));

    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(Millis(0), &Event::Start(b), &supervisor);
    checker.on_output(Millis(0), &spawn(b), &supervisor);
    checker.on_output(Millis(50), &spawn(b), &supervisor);
    assert_eq!(
        first(&checker),
        Some(Invariant::Respawn),
        "respawned after 50 ms"
    );

    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(Millis(0), &Event::Start(b), &supervisor);
    for t in [0, 1000, 2000] {
        checker.on_output(Millis(t), &spawn(b), &supervisor);
    }
    assert_eq!(
        first(&checker),
        Some(Invariant::Respawn),
        "third run with limit 2"
    );
}

#[test]
fn a_signal_to_a_reaped_pid_is_caught() {
    let supervisor = two_services();
    let a = id(&supervisor, "a");
    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(
        Millis(0),
        &Event::Spawned {
            service: a,
            pid: Pid(100),
        },
        &supervisor,
    );
    let exited = Event::Exited {
        pid: Pid(100),
        status: ExitStatus::Exited(0),
        leftovers: false,
    };
    checker.on_input(Millis(1), &exited, &supervisor);
    let term = Output::Signal {
        service: a,
        pid: Pid(100),
        signal: Signal::Term,
    };
    checker.on_output(Millis(2), &term, &supervisor);
    assert_eq!(first(&checker), Some(Invariant::SignalAfterReap));
}

#[test]
fn power_must_be_asked_for_come_once_and_come_in_time() {
    let supervisor = two_services();
    let power_off = Output::Power {
        action: PowerAction::PowerOff,
    };

    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_output(Millis(0), &power_off, &supervisor);
    assert_eq!(first(&checker), Some(Invariant::Power), "nobody asked");

    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(Millis(0), &Event::Shutdown, &supervisor);
    checker.on_output(Millis(10), &power_off, &supervisor);
    assert_eq!(first(&checker), None);
    checker.on_output(Millis(10), &Output::Sync, &supervisor);
    assert_eq!(
        first(&checker),
        Some(Invariant::Power),
        "output after power"
    );

    let mut checker = Checker::new(BOUNDS, &supervisor);
    checker.on_input(Millis(0), &Event::Shutdown, &supervisor);
    let deadline = checker.power_deadline().expect("power is owed");
    checker.finish(deadline, false);
    assert_eq!(first(&checker), Some(Invariant::Power), "never came");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random graphs (types, edges, cycles, milestones, `target %0`),
    /// random faults and random timelines keep every invariant.
    #[test]
    fn random_scenarios_keep_every_invariant(seed in any::<u64>(), services in 1usize..20) {
        let text = fuzz::generate(seed, services);
        if let Some(violation) = fuzz::first_violation(&text, Some(seed)) {
            prop_assert!(false, "seed {seed}, {services} services: {violation}\n{text}");
        }
    }
}

/// Found by the fuzzer: in sequential mode, a service satisfied out of turn
/// (here an admin stop of a Waiting service) once let the next one start
/// while an earlier one still ran.
#[test]
fn sequential_mode_keeps_the_order_after_an_admin_stop() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reproducers/sequential-stop.scn"
    );
    let text = std::fs::read_to_string(path).expect("readable");
    assert_eq!(fuzz::first_violation(&text, None), None);
}

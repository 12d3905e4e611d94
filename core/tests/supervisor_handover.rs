//! Handing the supervisor over to a new binary: the whole state survives a
//! serde round trip, and the fallback adopts running processes by pid
//! without running anything of the boot again.

mod supervisor_driver;

use init_core::events::{Event, Millis, Output, Pid, ServiceState};
use init_core::service::ServiceType::{Once, Respawn, Wait};
use init_core::service::Target::{Boot, Shutdown};
use init_core::supervisor::{AdoptedService, Options, Supervisor};
use supervisor_driver::{svc, DefExt, Driver};

#[test]
fn a_hand_over_is_possible_only_between_boot_and_the_way_down() {
    let mut d = Driver::new(vec![svc("mount", Wait, Boot), svc("db", Respawn, Boot)]);
    assert!(!d.sup.can_hand_over(), "before boot");
    d.boot();
    assert!(!d.sup.can_hand_over(), "the wait service still runs");
    d.exit("mount", 0);
    assert!(d.sup.can_hand_over());
    d.event(Event::Shutdown);
    assert!(!d.sup.can_hand_over(), "going down");
}

#[test]
fn the_saved_state_goes_on_with_its_pending_respawn() {
    let mut d = Driver::new(vec![svc("db", Respawn, Boot)]);
    d.boot();
    d.advance_to(10);
    d.exit("db", 1);
    assert_eq!(d.state("db"), "restarting");
    let saved = serde_json::to_string(&d.sup).unwrap();

    let mut resumed: Supervisor = serde_json::from_str(&saved).unwrap();
    assert_eq!(resumed.poll_timeout(), Some(Millis(100)));
    resumed.handle_timeout(Millis(100));
    assert!(matches!(resumed.poll_output(), Some(Output::Spawn { .. })));
}

fn adopted(name: &str, pid: Option<i32>, state: ServiceState) -> AdoptedService {
    AdoptedService {
        name: name.to_string(),
        pid: pid.map(Pid),
        state,
    }
}

#[test]
fn the_fallback_adopts_by_pid_and_runs_nothing_of_the_boot_again() {
    let services = vec![
        svc("mount", Wait, Boot),
        svc("db", Respawn, Boot).after(&["mount"]),
        svc("web", Respawn, Boot),
        svc("idle", Respawn, Boot),
        svc("report", Once, Boot),
        svc("save", Wait, Shutdown),
    ];
    let list = [
        adopted("mount", None, ServiceState::Done),
        adopted("db", Some(41), ServiceState::Running),
        adopted("web", None, ServiceState::Restarting),
        adopted("idle", None, ServiceState::Stopped),
    ];
    let mut sup = Supervisor::adopting(services, Options::default(), Millis(0), &list);
    let state = |sup: &Supervisor, name: &str| sup.service_by_name(name).unwrap().state;
    assert_eq!(state(&sup, "mount"), ServiceState::Done);
    assert_eq!(state(&sup, "db"), ServiceState::Running);
    assert_eq!(sup.service_by_name("db").unwrap().pid, Some(Pid(41)));
    assert_eq!(state(&sup, "idle"), ServiceState::Stopped);
    assert_eq!(state(&sup, "report"), ServiceState::Done, "not run again");
    assert_eq!(state(&sup, "save"), ServiceState::Inactive);
    // A respawn service that had no process is started: the only spawn.
    assert_eq!(state(&sup, "web"), ServiceState::Starting);
    let mut spawns = 0;
    while let Some(output) = sup.poll_output() {
        assert!(matches!(output, Output::Spawn { .. }), "{output:?}");
        spawns += 1;
    }
    assert_eq!(spawns, 1);
    assert!(sup.can_hand_over());

    // The adopted process is supervised: its exit respawns it.
    sup.handle_event(
        Millis(1000),
        Event::Exited {
            pid: Pid(41),
            status: init_core::events::ExitStatus::Signaled(9),
            leftovers: false,
        },
    );
    assert!(matches!(sup.poll_output(), Some(Output::Spawn { .. })));
}

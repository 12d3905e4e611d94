//! The main service (`main-service`): when it ends for good, the machine
//! shuts down in order, and its status is kept for a container's init to
//! exit with.

mod supervisor_driver;

use init_core::events::{ExitStatus, Output, PowerAction};
use init_core::service::ServiceDef;
use init_core::service::ServiceType::{Once, Respawn, Wait};
use init_core::service::Target::{Boot, Shutdown};
use supervisor_driver::{svc, Answer, DefExt, Driver};

fn main_service(mut def: ServiceDef) -> ServiceDef {
    def.settings.main_service = true;
    def
}

fn powered_off(d: &Driver) -> bool {
    exit_code(d).is_some()
}

/// What the power-off says init exits with, once it came.
fn exit_code(d: &Driver) -> Option<i32> {
    d.outputs.iter().find_map(|(_, o)| match o {
        Output::Power {
            action: PowerAction::PowerOff,
            exit_code,
        } => Some(*exit_code),
        _ => None,
    })
}

/// A database, the app after it (the main service), and a shutdown step.
fn app_container(app_kind: init_core::service::ServiceType) -> Driver {
    let mut d = Driver::new(vec![
        svc("db", Respawn, Boot),
        main_service(svc("app", app_kind, Boot).after(&["db"])),
        svc("save", Wait, Shutdown),
    ]);
    d.boot();
    d
}

#[test]
fn the_main_service_exiting_shuts_down_in_order_and_keeps_its_status() {
    let mut d = app_container(Once);
    assert_eq!(d.state("app"), "running");
    d.advance_to(1000);
    d.exit("app", 3);
    assert_eq!(d.sup.main_service_exit(), Some(ExitStatus::Exited(3)));
    // The way down is the ordinary one: db is stopped, then the shutdown
    // target runs, then the safety net and Power.
    assert_eq!(d.state("db"), "stopping");
    d.exit("db", 0);
    assert_eq!(d.state("save"), "running");
    d.exit("save", 0);
    d.advance_by(10_000);
    assert!(powered_off(&d), "{}", d.trace_text());
    assert_eq!(d.sup.main_service_exit(), Some(ExitStatus::Exited(3)));
    assert_eq!(exit_code(&d), Some(3), "the power-off carries the status");
}

#[test]
fn a_signal_death_is_kept_as_such() {
    let mut d = app_container(Wait);
    d.killed("app", 9);
    assert_eq!(d.sup.main_service_exit(), Some(ExitStatus::Signaled(9)));
    assert_eq!(ExitStatus::Signaled(9).shell_code(), 137);
    assert_eq!(ExitStatus::Exited(3).shell_code(), 3);
}

#[test]
fn a_respawn_main_service_ends_the_machine_only_when_given_up() {
    let mut d = app_container(Respawn);
    d.exit("app", 1);
    assert_eq!(d.sup.main_service_exit(), None, "{}", d.trace_text());
    assert_eq!(d.state("app"), "restarting");

    let mut d = Driver::new(vec![main_service(svc("app", Respawn, Boot).limit(2))]);
    d.boot();
    d.exit("app", 1);
    d.advance_by(1000);
    d.exit("app", 2);
    assert_eq!(d.state("app"), "failed");
    assert_eq!(d.sup.main_service_exit(), Some(ExitStatus::Exited(2)));
}

#[test]
fn a_main_service_that_cannot_spawn_counts_as_127() {
    let mut d = Driver::new(vec![main_service(svc("app", Once, Boot))]);
    d.answer("app", Answer::Fail);
    d.boot();
    assert_eq!(d.sup.main_service_exit(), Some(ExitStatus::Exited(127)));
}

#[test]
fn an_admin_restart_of_the_main_service_does_not_end_the_machine() {
    let mut d = app_container(Once);
    d.restart("app");
    d.exit("app", 0);
    assert_eq!(d.state("app"), "running");
    assert_eq!(d.sup.main_service_exit(), None);
}

#[test]
fn once_the_machine_goes_down_the_main_service_ending_changes_nothing() {
    let mut d = app_container(Once);
    d.event(init_core::events::Event::Shutdown);
    d.exit("app", 143);
    assert_eq!(
        d.sup.main_service_exit(),
        None,
        "a shutdown asked from outside ends with 0, not with the status \
         the stop gave the main service"
    );
}

#[test]
fn other_services_ending_change_nothing() {
    let mut d = app_container(Once);
    d.exit("db", 1);
    assert_eq!(d.sup.main_service_exit(), None);
    assert!(!powered_off(&d));
}

#[test]
fn the_keyword_is_a_line_alone() {
    use init_core::parse::parse_service;
    use init_core::EnabledName;
    let parse = |extra: &str| {
        let text = format!("type once\ntarget boot\nexec app\n{extra}\n");
        let enabled = EnabledName::parse("app").expect("a valid enabled name");
        let parsed = parse_service("app", text.as_bytes(), &enabled);
        let diagnostics: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
        (parsed.service.map(|s| s.settings.main_service), diagnostics)
    };
    assert_eq!(parse(""), (Some(false), vec![]));
    assert_eq!(parse("main-service"), (Some(true), vec![]));
    let (service, diagnostics) = parse("main-service yes");
    assert_eq!(service, None);
    assert_eq!(
        diagnostics,
        [
            "app:4:14: unexpected `yes`: `main-service` expects nothing: \
          the line alone marks the main service"
        ]
    );
}

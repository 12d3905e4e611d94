//! The lifecycle settings in the supervisor: stop signals and timeouts,
//! restart backoff and the respawn window.

mod supervisor_driver;

use init_core::events::{Event, Output, Pid, Report, Signal};
use init_core::service::ReadyNotice;
use init_core::service::ServiceDef;
use init_core::service::ServiceType::Once;
use init_core::service::ServiceType::{self, Respawn, Wait};
use init_core::service::Target::{Boot, Shutdown};
use init_core::supervisor::Options;
use proptest::prelude::*;
use rstest::rstest;
use supervisor_driver::{svc, DefExt, Driver};

fn with(mut def: ServiceDef, edit: impl FnOnce(&mut ServiceDef)) -> ServiceDef {
    edit(&mut def);
    def
}

fn signals(d: &Driver, name: &str) -> Vec<(u64, Signal)> {
    signals_to(d, name, false)
}

/// The signals sent to `name`'s process, or with `leftovers` to what its
/// ended processes left, with their times.
fn signals_to(d: &Driver, name: &str, leftovers: bool) -> Vec<(u64, Signal)> {
    let id = d.id(name);
    d.outputs
        .iter()
        .filter_map(|(t, o)| match o {
            Output::Signal {
                service, signal, ..
            } if !leftovers && *service == id => Some((t.0, *signal)),
            Output::SignalLeftovers {
                service, signal, ..
            } if leftovers && *service == id => Some((t.0, *signal)),
            _ => None,
        })
        .collect()
}

/// Lets the service exit 1 at once after every start, until `until_ms`.
fn crash_loop(d: &mut Driver, name: &str, until_ms: u64) {
    while d.now.0 <= until_ms {
        if d.sup.service_by_name(name).is_some_and(|s| s.pid.is_some()) {
            d.exit(name, 1);
        }
        match d.sup.poll_timeout() {
            Some(next) if next.0 <= until_ms => d.advance_to(next.0),
            _ => break,
        }
    }
}

#[test]
fn a_stop_sends_the_stop_signal_then_kill_at_the_stop_timeout() {
    let mut d = Driver::new(vec![with(svc("web", Respawn, Boot), |def| {
        def.settings.stop_signal = Some(Signal::Quit);
        def.settings.stop_timeout_ms = Some(2000);
    })]);
    d.boot();
    d.advance_to(1000);
    d.stop("web");
    assert_eq!(d.state("web"), "stopping");
    d.advance_to(2999);
    assert_eq!(signals(&d, "web"), [(1000, Signal::Quit)]);
    d.advance_to(3000);
    assert_eq!(
        signals(&d, "web"),
        [(1000, Signal::Quit), (3000, Signal::Kill)]
    );
    d.killed("web", 9);
    assert_eq!(d.state("web"), "stopped");
}

#[test]
fn an_exit_before_the_stop_timeout_cancels_the_kill() {
    let mut d = Driver::new(vec![svc("web", Respawn, Boot)]);
    d.boot();
    d.stop("web");
    d.advance_to(100);
    d.killed("web", 15);
    d.advance_to(60_000);
    assert_eq!(signals(&d, "web"), [(0, Signal::Term)]);
}

#[test]
fn the_shutdown_ceiling_caps_every_stop_once_the_machine_goes_down() {
    let stubborn = |name| {
        with(svc(name, Respawn, Boot), |def| {
            def.settings.stop_timeout_ms = Some(1_000_000_000);
        })
    };
    let options = Options {
        shutdown_stop_timeout_ms: 2000,
        ..Options::default()
    };
    let mut d = Driver::with_options(vec![stubborn("db"), stubborn("web")], options);
    d.boot();
    // While the machine is up a stop keeps the service's own timeout.
    d.advance_to(1000);
    d.stop("db");
    d.advance_to(10_000);
    assert_eq!(signals(&d, "db"), [(1000, Signal::Term)]);
    // The way down caps a new stop, and pulls in the KILL of the one
    // under way.
    d.event(Event::Shutdown);
    d.advance_to(11_999);
    assert_eq!(signals(&d, "db"), [(1000, Signal::Term)]);
    assert_eq!(signals(&d, "web"), [(10_000, Signal::Term)]);
    d.advance_to(12_000);
    assert_eq!(
        signals(&d, "db"),
        [(1000, Signal::Term), (12_000, Signal::Kill)]
    );
    assert_eq!(
        signals(&d, "web"),
        [(10_000, Signal::Term), (12_000, Signal::Kill)]
    );
    d.killed("db", 9);
    d.killed("web", 9);
    assert_eq!(d.powers(), 1);
}

#[test]
fn a_crash_loop_backs_off_to_the_cap_and_fails_at_the_limit() {
    let mut d = Driver::new(vec![with(svc("flaky", Respawn, Boot).limit(8), |def| {
        def.settings.respawn_delay_ms = Some(100);
        def.settings.respawn_delay_max_ms = Some(1000);
    })]);
    d.boot();
    crash_loop(&mut d, "flaky", 60_000);
    assert_eq!(
        d.spawn_times("flaky"),
        [0, 100, 300, 700, 1500, 2500, 3500, 4500]
    );
    assert_eq!(d.state("flaky"), "failed");
}

#[test]
fn by_default_a_crash_loop_backs_off_to_one_start_in_five_seconds() {
    let mut d = Driver::new(vec![svc("flaky", Respawn, Boot)]);
    d.boot();
    crash_loop(&mut d, "flaky", 60_000);
    let times = d.spawn_times("flaky");
    assert_eq!(
        times[..9],
        [0, 100, 300, 700, 1500, 3100, 6300, 11_300, 16_300]
    );
    // 600 starts a minute with the original's constant 100 ms.
    assert_eq!(times.len(), 17);
}

#[test]
fn a_cap_equal_to_the_delay_keeps_the_original_constant_delay() {
    // In the service file.
    let own = with(svc("flaky", Respawn, Boot).limit(4), |def| {
        def.settings.respawn_delay_max_ms = Some(100);
    });
    let mut d = Driver::new(vec![own]);
    d.boot();
    crash_loop(&mut d, "flaky", 60_000);
    assert_eq!(d.spawn_times("flaky"), [0, 100, 200, 300]);
    // For every service, on init's command line.
    let options = Options {
        respawn_delay_max_ms: 100,
        ..Options::default()
    };
    let mut d = Driver::with_options(vec![svc("flaky", Respawn, Boot).limit(4)], options);
    d.boot();
    crash_loop(&mut d, "flaky", 60_000);
    assert_eq!(d.spawn_times("flaky"), [0, 100, 200, 300]);
}

proptest! {
    /// Whatever the lengths of its runs (at once, or up to past the cap
    /// that resets the delay), a crash-looping service with the default
    /// backoff starts less than once a second on average over ten
    /// minutes, after its first few starts.
    #[test]
    fn a_crash_loop_starts_at_most_about_once_a_second(
        runs_ms in prop::collection::vec(
            prop_oneof![3 => Just(0u64), 2 => 0u64..6000, 1 => 5000u64..6000],
            1..64,
        )
    ) {
        const SPAN_MS: u64 = 600_000;
        let mut d = Driver::new(vec![svc("flaky", Respawn, Boot)]);
        d.boot();
        let mut next = runs_ms.iter().cycle();
        while d.now.0 < SPAN_MS {
            d.advance_by(*next.next().unwrap_or(&0));
            d.exit("flaky", 1);
            if d.state("flaky") == "restarting" {
                let due = d.sup.poll_timeout().expect("a respawn is due");
                d.advance_to(due.0);
            }
        }
        let starts = d.spawn_times("flaky").len() as u64;
        prop_assert!(
            starts <= 5 + d.now.0 / 1000,
            "{starts} starts in {} ms",
            d.now.0
        );
    }
}

#[test]
fn a_run_past_the_window_starts_the_count_and_the_delay_afresh() {
    let mut d = Driver::new(vec![with(svc("steady", Respawn, Boot).limit(2), |def| {
        def.settings.respawn_delay_ms = Some(100);
        def.settings.respawn_delay_max_ms = Some(10_000);
        def.settings.respawn_window_ms = Some(5000);
    })]);
    d.boot();
    // Two quick crashes would reach the limit; a long run in between
    // starts the count afresh.
    d.exit("steady", 1);
    d.advance_to(100);
    d.advance_to(6000);
    d.exit("steady", 1);
    d.advance_to(6100);
    assert_eq!(d.spawn_times("steady"), [0, 100, 6000]);
    assert_eq!(d.state("steady"), "running");
    d.exit("steady", 1);
    // The second quick run of the new series is its limit.
    assert_eq!(d.state("steady"), "failed");
    let fails = d.count(|o| {
        matches!(
            o,
            Output::Report {
                report: Report::Fail,
                ..
            }
        )
    });
    assert_eq!(fails, 1);
}

#[test]
fn services_after_one_that_declares_readiness_wait_for_its_word() {
    let mut d = Driver::new(vec![
        with(svc("db", Respawn, Boot), |def| {
            def.settings.ready = Some(ReadyNotice::Fd(3));
        }),
        svc("web", Once, Boot).after(&["db"]),
    ]);
    d.boot();
    d.advance_to(700);
    assert_eq!(d.spawned_names(), ["db"]);
    assert_eq!(
        d.sup.service_by_name("db").and_then(|s| s.ready),
        Some(false)
    );
    let db = d.id("db");
    d.event(Event::Ready(db));
    assert_eq!(d.spawned_names(), ["db", "web"]);
    assert_eq!(
        d.sup.service_by_name("db").and_then(|s| s.ready),
        Some(true)
    );
}

#[test]
fn no_word_within_the_ready_timeout_stops_and_fails_the_service() {
    let mut d = Driver::new(vec![
        with(svc("db", Respawn, Boot), |def| {
            def.settings.ready = Some(ReadyNotice::File("/run/db.ready".to_string()));
            def.settings.ready_timeout_ms = Some(2000);
        }),
        svc("web", Once, Boot).after(&["db"]),
    ]);
    d.boot();
    d.advance_to(2000);
    assert_eq!(signals(&d, "db"), [(2000, Signal::Term)]);
    assert_eq!(d.state("db"), "stopping");
    assert_eq!(
        d.spawned_names(),
        ["db", "web"],
        "a failed db holds nothing up"
    );
    d.killed("db", 15);
    assert_eq!(d.state("db"), "failed");
    // A word that comes too late changes nothing.
    let db = d.id("db");
    d.event(Event::Ready(db));
    assert_eq!(d.state("db"), "failed");
}

/// Found by the `core_bytes` fuzzer: an admin stop that arrives while the
/// core is already stopping a service it gave up on (here, no word within
/// the ready timeout) must still stick. The service ends Stopped, not
/// Failed, so a later run of its target does not start it again.
#[test]
fn an_admin_stop_of_a_service_being_given_up_on_still_sticks() {
    let mut d = Driver::new(vec![with(svc("db", Respawn, Boot), |def| {
        def.settings.ready = Some(ReadyNotice::Fd(3));
        def.settings.ready_timeout_ms = Some(2000);
    })]);
    d.boot();
    d.advance_to(2000);
    assert_eq!(d.state("db"), "stopping");
    d.stop("db");
    d.killed("db", 15);
    assert_eq!(d.state("db"), "stopped");
    // Without the admin, the same exit ends Failed (the test above).
}

// ---- leftovers ----

fn leftover_signals(d: &Driver, name: &str) -> Vec<(u64, Signal)> {
    signals_to(d, name, true)
}

fn nginx() -> ServiceDef {
    with(svc("nginx", Respawn, Boot), |d| {
        d.settings.stop_signal = Some(Signal::Quit);
        d.settings.stop_timeout_ms = Some(2000);
    })
}

/// issue 26, defect 3: an nginx master killed while its worker holds the
/// port. The worker gets the stop signal, KILL at the stop timeout, and
/// the master is started again only once nothing of the old run is left.
#[test]
fn what_a_crashed_respawn_service_left_is_ended_before_it_is_started_again() {
    let mut d = Driver::new(vec![nginx()]);
    d.boot();
    d.advance_to(1000);
    let (id, master) = (d.id("nginx"), d.pid("nginx"));
    d.killed_leaving("nginx", 9);
    assert_eq!(leftover_signals(&d, "nginx"), [(1000, Signal::Quit)]);
    assert_eq!(d.state("nginx"), "restarting");
    // What a driver taking over (a re-exec) must go on watching.
    let ending: Vec<_> = d.sup.ending_leftovers().collect();
    assert_eq!(ending, [(id, master)]);
    d.advance_to(2999);
    assert_eq!(d.spawns("nginx"), 1, "no start while the worker is there");
    d.advance_to(3000);
    assert_eq!(
        leftover_signals(&d, "nginx"),
        [(1000, Signal::Quit), (3000, Signal::Kill)]
    );
    d.advance_to(3010);
    d.event(Event::LeftoversGone(id));
    assert_eq!(d.sup.ending_leftovers().count(), 0);
    assert_eq!(d.spawn_times("nginx"), [0, 3010]);
    assert_eq!(d.state("nginx"), "running");
}

#[test]
fn leftovers_that_go_at_once_hold_the_respawn_for_no_longer_than_its_delay() {
    let mut d = Driver::new(vec![nginx()]);
    d.boot();
    d.advance_to(20);
    d.killed_leaving("nginx", 9);
    d.event(Event::LeftoversGone(d.id("nginx")));
    assert_eq!(
        d.spawn_times("nginx"),
        [0],
        "the respawn delay still counts"
    );
    d.advance_to(100);
    assert_eq!(d.spawn_times("nginx"), [0, 100]);
    // Gone long after the delay: the start follows at once.
    d.advance_to(5000);
    d.killed_leaving("nginx", 9);
    d.advance_to(5500);
    d.event(Event::LeftoversGone(d.id("nginx")));
    assert_eq!(d.spawn_times("nginx"), [0, 100, 5500]);
}

#[test]
fn leftovers_that_survive_kill_stop_holding_the_service_after_the_grace() {
    let options = Options {
        kill_grace_ms: 1000,
        ..Options::default()
    };
    let mut d = Driver::with_options(vec![nginx()], options);
    d.boot();
    d.killed_leaving("nginx", 9);
    d.advance_to(2000);
    assert_eq!(d.spawns("nginx"), 1);
    d.advance_to(3000);
    assert_eq!(d.spawn_times("nginx"), [0, 3000]);
}

#[test]
fn a_service_that_keeps_its_leftovers_is_respawned_as_before() {
    let keep = with(nginx(), |d| {
        d.settings.leftovers = init_core::service::Leftovers::Keep;
    });
    let mut d = Driver::new(vec![keep]);
    d.boot();
    d.advance_to(1000);
    d.killed_leaving("nginx", 9);
    assert!(leftover_signals(&d, "nginx").is_empty());
    assert_eq!(d.spawn_times("nginx"), [0, 1000]);
}

#[test]
fn what_a_once_service_left_is_left_alone() {
    // A script that starts a daemon and exits: the daemon is the point.
    let mut d = Driver::new(vec![svc("startd", Once, Boot)]);
    d.boot();
    let pid = d.pid("startd");
    d.event(Event::Exited {
        pid,
        status: init_core::events::ExitStatus::Exited(0),
        leftovers: true,
    });
    assert!(leftover_signals(&d, "startd").is_empty());
    assert_eq!(d.state("startd"), "done");
}

#[test]
fn after_a_stop_what_is_left_gets_kill_and_a_restart_waits_for_it() {
    let mut d = Driver::new(vec![nginx()]);
    d.boot();
    d.advance_to(1000);
    d.restart("nginx");
    d.killed_leaving("nginx", 3);
    assert_eq!(leftover_signals(&d, "nginx"), [(1000, Signal::Kill)]);
    assert_eq!(d.spawns("nginx"), 1, "the restart waits");
    d.advance_to(1005);
    d.event(Event::LeftoversGone(d.id("nginx")));
    assert_eq!(d.spawn_times("nginx"), [0, 1005]);
    // A plain stop: KILL to what is left, and nothing after.
    d.stop("nginx");
    d.killed_leaving("nginx", 3);
    assert_eq!(
        leftover_signals(&d, "nginx").last(),
        Some(&(1005, Signal::Kill))
    );
    assert_eq!(d.state("nginx"), "stopped");
}

/// Found by the fuzzer: a service of the final target that has yet to say
/// it is ready is held to the final-service timeout, not its (here an
/// hour's) ready timeout: KILL at 30 s, FAIL, and the way down goes on.
#[rstest]
#[case(Once)]
#[case(Respawn)]
fn a_final_service_that_is_not_ready_is_given_up_at_the_final_service_timeout(
    #[case] kind: ServiceType,
) {
    let mut d = Driver::new(vec![
        with(svc("slow", kind, Shutdown), |def| {
            def.settings.ready = Some(ReadyNotice::Fd(3));
            def.settings.ready_timeout_ms = Some(3_600_000);
        }),
        svc("umount", Wait, Shutdown).after(&["slow"]),
    ]);
    d.boot();
    d.event(Event::Shutdown);
    d.advance_to(29_999);
    assert_eq!(d.spawned_names(), ["slow"]);
    d.advance_to(30_000);
    let slow = d.id("slow");
    assert!(d.outputs.iter().any(|(_, o)| *o
        == Output::Signal {
            service: slow,
            name: "slow".into(),
            pid: Pid(100),
            signal: Signal::Kill
        }));
    assert_eq!(d.spawned_names(), ["slow", "umount"]);
    d.exit("slow", 137);
    d.exit("umount", 0);
    d.advance_to(40_000);
    assert_eq!(d.powers(), 1);
    assert_eq!(d.state("slow"), "failed");
}

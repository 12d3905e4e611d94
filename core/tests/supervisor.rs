//! The supervisor's policy, rule by rule, driven by the tiny test driver in
//! `supervisor_driver`: it answers spawns with increasing pids and lets each
//! test script exits and time.

mod supervisor_driver;

use init_core::events::{
    Event, ExitStatus, Millis, Output, Pid, PowerAction, Report, ServiceId, Signal,
};
use init_core::service::ServiceType::{Once, Respawn, Wait};
use init_core::service::Target::{Boot, Reboot, Shutdown};
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};
use rstest::rstest;
use supervisor_driver::{svc, Answer, DefExt, Driver};

fn reports(d: &Driver, name: &str) -> Vec<Report> {
    let id = d.id(name);
    d.outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Report {
                service, report, ..
            } if *service == id => Some(report.clone()),
            _ => None,
        })
        .collect()
}

fn completions(d: &Driver, target: Target) -> usize {
    d.count(|o| *o == Output::TargetComplete { target })
}

// ---- ordering ----

#[test]
fn independent_services_start_in_parallel() {
    let mut d = Driver::new(vec![
        svc("hostname", Once, Boot),
        svc("klogd", Respawn, Boot),
        svc("mounts", Wait, Boot),
    ]);
    d.boot();
    // All three Spawns come out of the one Boot, before any answer.
    let first: Vec<bool> = d.outputs[..3]
        .iter()
        .map(|(_, o)| matches!(o, Output::Spawn { .. }))
        .collect();
    assert_eq!(first, [true, true, true]);
    assert_eq!(d.spawned_names(), ["hostname", "klogd", "mounts"]);
    assert_eq!(completions(&d, Boot), 0, "mounts (wait) has not exited");
    d.exit("mounts", 0);
    assert_eq!(completions(&d, Boot), 1);
}

#[test]
fn the_run_names_what_it_still_waits_for_until_it_completes() {
    let mut d = Driver::new(vec![
        svc("mounts", Wait, Boot),
        svc("syslog", Respawn, Boot).after(&["mounts"]),
        svc("halt", Wait, Shutdown),
    ]);
    assert!(d.sup.pending_in_run().is_empty(), "nothing before boot");
    d.boot();
    let names = |d: &Driver| -> Vec<String> {
        d.sup
            .pending_in_run()
            .into_iter()
            .map(|id| d.sup.service(id).unwrap().def.name.clone())
            .collect()
    };
    // syslog waits behind mounts; halt is of another target.
    assert_eq!(names(&d), ["mounts", "syslog"]);
    d.exit("mounts", 0);
    assert!(names(&d).is_empty(), "syslog is satisfied once spawned");
    assert_eq!(completions(&d, Boot), 1);
}

#[test]
fn a_wait_service_blocks_its_successors_until_it_exits() {
    let mut d = Driver::new(vec![
        svc("mounts", Wait, Boot),
        svc("syslog", Respawn, Boot).after(&["mounts"]),
    ]);
    d.boot();
    assert_eq!(d.spawned_names(), ["mounts"]);
    d.advance_to(12);
    d.exit("mounts", 1);
    assert_eq!(d.spawned_names(), ["mounts", "syslog"]);
    assert_eq!(reports(&d, "mounts"), [Report::Fail]);
    assert_eq!(reports(&d, "syslog"), [Report::Up]);
    assert_eq!(completions(&d, Boot), 1);
    insta::assert_snapshot!(d.trace_text());
}

#[test]
fn a_once_service_lets_its_successors_start_once_spawned() {
    let mut d = Driver::new(vec![
        svc("a", Once, Boot),
        svc("b", Once, Boot).after(&["a"]),
    ]);
    d.answer("a", Answer::Never);
    d.boot();
    assert_eq!(d.spawned_names(), ["a"]);
    let a = d.id("a");
    d.event(Event::Spawned {
        service: a,
        pid: Pid(7),
    });
    assert_eq!(d.spawned_names(), ["a", "b"]);
}

#[test]
fn a_milestone_is_done_when_its_predecessors_are_and_never_spawns() {
    let mut d = Driver::new(vec![
        svc("mounts", Wait, Boot),
        svc("network", Once, Boot).after(&["vfs"]),
        svc("vfs", Wait, Boot).milestone().after(&["mounts"]),
    ]);
    d.boot();
    assert_eq!(d.state("vfs"), "waiting");
    d.exit("mounts", 0);
    assert_eq!(d.state("vfs"), "done");
    assert_eq!(d.spawned_names(), ["mounts", "network"]);
    assert_eq!(reports(&d, "vfs"), []);
    assert_eq!(completions(&d, Boot), 1);
}

#[test]
fn a_target_of_milestones_only_completes_at_once() {
    let mut d = Driver::new(vec![svc("sysinit", Wait, Boot).milestone()]);
    d.boot();
    assert_eq!(d.state("sysinit"), "done");
    assert_eq!(completions(&d, Boot), 1);
}

#[test]
fn a_cycle_is_broken_and_everything_still_starts() {
    let mut d = Driver::new(vec![
        svc("a", Wait, Boot).after(&["b"]),
        svc("b", Wait, Boot).after(&["a"]),
        svc("c", Once, Boot).after(&["a", "b"]),
    ]);
    d.boot();
    let first = d.spawned_names();
    assert_eq!(first.len(), 1, "one of the cycle goes first: {first:?}");
    d.exit(&first[0], 0);
    let second = d.spawned_names()[1].clone();
    d.exit(&second, 0);
    assert_eq!(d.spawns("c"), 1);
    assert_eq!(completions(&d, Boot), 1);
}

#[rstest]
#[case::parallel(false, &["a", "b", "c"])]
#[case::sequential(true, &["a"])]
fn sequential_mode_starts_one_at_a_time(#[case] sequential: bool, #[case] at_boot: &[&str]) {
    let options = Options {
        sequential,
        ..Options::default()
    };
    let mut d = Driver::with_options(
        vec![
            svc("a", Wait, Boot),
            svc("b", Once, Boot),
            svc("c", Wait, Boot),
        ],
        options,
    );
    d.answer("b", Answer::Never);
    d.boot();
    assert_eq!(d.spawned_names(), at_boot);
}

#[test]
fn sequential_mode_follows_resolved_order_and_blocks_on_wait() {
    let options = Options {
        sequential: true,
        ..Options::default()
    };
    let mut d = Driver::with_options(
        vec![
            svc("a", Once, Boot).after(&["c"]),
            svc("b", Wait, Boot),
            svc("c", Wait, Boot),
        ],
        options,
    );
    d.boot();
    assert_eq!(d.spawned_names(), ["b"]);
    d.exit("b", 0);
    assert_eq!(d.spawned_names(), ["b", "c"]);
    d.exit("c", 0);
    // a is once: satisfied at Spawned, and the target completes then.
    assert_eq!(d.spawned_names(), ["b", "c", "a"]);
    assert_eq!(completions(&d, Boot), 1);
}

#[test]
fn target_complete_is_output_exactly_once() {
    let mut d = Driver::new(vec![svc("getty", Respawn, Boot)]);
    d.boot();
    for _ in 0..3 {
        d.advance_by(200);
        d.exit("getty", 0);
    }
    d.restart("getty");
    assert_eq!(completions(&d, Boot), 1);
}

// ---- respawn ----

#[test]
fn a_respawn_never_comes_sooner_than_the_delay_after_the_last_start() {
    let mut d = Driver::new(vec![svc("crashy", Respawn, Boot)]);
    d.boot();
    // Dies at once, every time: the delay doubles from 100 ms.
    for delay in [100, 200, 400, 800] {
        d.exit("crashy", 1);
        assert_eq!(d.state("crashy"), "restarting");
        d.advance_by(delay - 1);
        assert_eq!(d.state("crashy"), "restarting");
        d.advance_by(1);
        assert_eq!(d.state("crashy"), "running");
    }
    assert_eq!(d.spawn_times("crashy"), [0, 100, 300, 700, 1500]);
    // A service that ran as long as the cap comes back at once, and its
    // backoff starts afresh: that respawn was the base delay's, and the
    // next crash waits 200 ms, not 1.6 s.
    d.advance_by(5000);
    d.exit("crashy", 0);
    assert_eq!(d.spawn_times("crashy").last(), Some(&6500));
    d.exit("crashy", 1);
    d.advance_by(200);
    assert_eq!(d.spawn_times("crashy").last(), Some(&6700));
    assert_eq!(reports(&d, "crashy"), [Report::Up]);
}

#[rstest]
#[case(1)]
#[case(3)]
#[case(5)]
fn a_respawn_limit_of_n_means_exactly_n_spawns(#[case] limit: u32) {
    let mut d = Driver::new(vec![svc("flaky", Respawn, Boot).limit(limit)]);
    d.boot();
    for _ in 0..limit {
        d.exit("flaky", 1);
        d.advance_by(1000);
    }
    assert_eq!(d.spawns("flaky") as u32, limit);
    assert_eq!(d.state("flaky"), "failed");
    assert_eq!(reports(&d, "flaky"), [Report::Up, Report::Fail]);
    assert_eq!(d.sup.service(d.id("flaky")).map(|s| s.runs), Some(limit));
}

#[test]
fn spawn_failures_of_a_respawn_service_count_as_runs_and_are_retried() {
    let mut d = Driver::new(vec![svc("missing", Respawn, Boot).limit(3)]);
    d.answer("missing", Answer::Fail);
    d.boot();
    assert_eq!(d.state("missing"), "restarting");
    assert_eq!(completions(&d, Boot), 1, "a failed spawn satisfies");
    d.advance_to(10_000);
    assert_eq!(d.spawn_times("missing"), [0, 100, 300]);
    assert_eq!(d.state("missing"), "failed");
    // Once for the first failure in a row, once for giving up.
    assert_eq!(reports(&d, "missing"), [Report::Fail, Report::Fail]);
}

#[test]
fn a_failed_spawn_of_a_wait_service_satisfies_it() {
    let mut d = Driver::new(vec![
        svc("mounts", Wait, Boot),
        svc("syslog", Once, Boot).after(&["mounts"]),
    ]);
    d.answer("mounts", Answer::Fail);
    d.boot();
    assert_eq!(d.state("mounts"), "failed");
    assert_eq!(reports(&d, "mounts"), [Report::Fail]);
    assert_eq!(d.spawned_names(), ["mounts", "syslog"]);
}

#[rstest]
#[case::wait_ok(Wait, ExitStatus::Exited(0), &[Report::Ok])]
#[case::wait_fail(Wait, ExitStatus::Exited(3), &[Report::Fail])]
#[case::wait_killed(Wait, ExitStatus::Signaled(9), &[Report::Fail])]
#[case::once_ok(Once, ExitStatus::Exited(0), &[Report::Ok])]
#[case::once_fail(Once, ExitStatus::Exited(1), &[Report::Fail])]
fn exits_of_wait_and_once_services_are_reported(
    #[case] kind: ServiceType,
    #[case] status: ExitStatus,
    #[case] expected: &[Report],
) {
    let mut d = Driver::new(vec![svc("job", kind, Boot)]);
    d.boot();
    let pid = d.pid("job");
    d.event(Event::Exited {
        pid,
        status,
        leftovers: false,
    });
    assert_eq!(reports(&d, "job"), expected);
    assert_eq!(d.state("job"), "done");
}

// ---- admin requests ----

#[test]
fn stop_sends_term_and_the_service_is_never_restarted() {
    let mut d = Driver::new(vec![svc("sshd", Respawn, Boot)]);
    d.boot();
    let pid = d.pid("sshd");
    d.stop("sshd");
    assert_eq!(d.state("sshd"), "stopping");
    assert_eq!(
        d.outputs.last().map(|(_, o)| o.clone()),
        Some(Output::Signal {
            service: d.id("sshd"),
            pid,
            signal: Signal::Term
        })
    );
    d.exit("sshd", 0);
    d.advance_to(10_000);
    assert_eq!(d.state("sshd"), "stopped");
    assert_eq!(d.spawns("sshd"), 1);
}

#[test]
fn stop_cancels_a_pending_respawn() {
    let mut d = Driver::new(vec![svc("sshd", Respawn, Boot)]);
    d.boot();
    d.exit("sshd", 1);
    assert_eq!(d.state("sshd"), "restarting");
    d.stop("sshd");
    assert_eq!(d.state("sshd"), "stopped");
    assert_eq!(d.sup.poll_timeout(), None);
    d.advance_to(10_000);
    assert_eq!(d.spawns("sshd"), 1);
}

#[test]
fn stopping_a_waiting_service_unblocks_its_successors() {
    let mut d = Driver::new(vec![
        svc("a", Wait, Boot),
        svc("b", Wait, Boot).after(&["a"]),
        svc("c", Once, Boot).after(&["b"]),
    ]);
    d.boot();
    d.stop("b");
    assert_eq!(d.state("b"), "stopped");
    d.exit("a", 0);
    assert_eq!(d.spawned_names(), ["a", "c"]);
    assert_eq!(completions(&d, Boot), 1);
}

#[test]
fn stop_of_done_or_failed_changes_nothing() {
    let mut d = Driver::new(vec![svc("a", Wait, Boot), svc("b", Wait, Boot)]);
    d.answer("b", Answer::Fail);
    d.boot();
    d.exit("a", 0);
    let before = d.outputs.len();
    d.stop("a");
    d.stop("b");
    assert_eq!((d.state("a"), d.state("b")), ("done", "failed"));
    assert_eq!(d.outputs.len(), before);
}

#[rstest]
#[case::done("done")]
#[case::failed("failed")]
#[case::stopped("stopped")]
#[case::inactive("inactive")]
fn start_spawns_at_once_with_the_run_count_reset(#[case] from: &str) {
    let mut d = Driver::new(vec![
        svc("job", Respawn, Boot).limit(1),
        svc("later", Once, Shutdown),
    ]);
    let name = match from {
        "inactive" => "later",
        _ => "job",
    };
    d.boot();
    match from {
        "done" => {
            // A respawn service is never Done; use a once one.
            d.event(Event::Reload {
                services: vec![svc("job", Once, Boot), svc("later", Once, Shutdown)],
            });
            // The restart brings the new definition in; its exit ends it.
            d.restart("job");
            d.exit("job", 0);
            d.exit("job", 0);
        }
        "failed" => d.exit("job", 1),
        "stopped" => {
            d.stop("job");
            d.exit("job", 0);
        }
        _ => {}
    }
    assert_eq!(d.state(name), from);
    let spawns = d.spawns(name);
    d.start(name);
    assert_eq!(d.spawns(name), spawns + 1);
    assert_eq!(d.state(name), "running");
    assert_eq!(d.sup.service_by_name(name).map(|s| s.runs), Some(1));
}

#[test]
fn start_of_a_live_service_does_nothing() {
    let mut d = Driver::new(vec![svc("sshd", Respawn, Boot)]);
    d.boot();
    let before = d.outputs.len();
    d.start("sshd");
    assert_eq!(d.outputs.len(), before);
}

#[test]
fn restart_terms_and_spawns_again_on_exit_with_the_count_reset() {
    let mut d = Driver::new(vec![svc("sshd", Respawn, Boot).limit(2)]);
    d.boot();
    d.advance_to(1000);
    d.exit("sshd", 1);
    d.advance_to(2000);
    assert_eq!(d.sup.service(d.id("sshd")).map(|s| s.runs), Some(2));
    d.restart("sshd");
    assert_eq!(d.state("sshd"), "stopping");
    assert_eq!(d.spawns("sshd"), 2, "not before the exit");
    d.exit("sshd", 0);
    assert_eq!(d.spawns("sshd"), 3);
    assert_eq!(d.state("sshd"), "running");
    assert_eq!(d.sup.service(d.id("sshd")).map(|s| s.runs), Some(1));
    insta::assert_snapshot!(d.trace_text());
}

#[test]
fn stop_before_the_spawn_is_answered_terms_the_process_when_it_is() {
    let mut d = Driver::new(vec![svc("slow", Respawn, Boot)]);
    d.answer("slow", Answer::Never);
    d.boot();
    d.stop("slow");
    assert_eq!(d.state("slow"), "stopping");
    let id = d.id("slow");
    d.event(Event::Spawned {
        service: id,
        pid: Pid(42),
    });
    assert_eq!(
        d.outputs.last().map(|(_, o)| o.clone()),
        Some(Output::Signal {
            service: id,
            pid: Pid(42),
            signal: Signal::Term
        })
    );
    d.exit("slow", 0);
    assert_eq!(d.state("slow"), "stopped");
}

// ---- shutdown and reboot ----

fn final_outputs(d: &Driver) -> Vec<Output> {
    d.outputs
        .iter()
        .map(|(_, o)| o.clone())
        .filter(|o| {
            matches!(
                o,
                Output::KillAll { .. } | Output::Sync | Output::Power { .. }
            )
        })
        .collect()
}

const SAFETY_NET_OFF: [Output; 3] = [
    Output::KillAll {
        signal: Signal::Kill,
    },
    Output::Sync,
    Output::Power {
        action: PowerAction::PowerOff,
    },
];

#[test]
fn shutdown_runs_its_target_then_the_safety_net_then_power_off() {
    let mut d = Driver::new(vec![
        svc("getty", Respawn, Boot),
        svc("swclock", Wait, Shutdown),
        svc("umount", Wait, Shutdown).after(&["swclock"]),
    ]);
    d.boot();
    d.advance_to(1000);
    d.event(Event::Shutdown);
    // The wind-down comes first: getty is stopped before swclock starts.
    assert_eq!(d.spawned_names(), ["getty"]);
    assert_eq!(d.state("getty"), "stopping");
    d.advance_to(1005);
    d.killed("getty", 15);
    assert_eq!(d.state("getty"), "stopped", "no respawn on the way down");
    assert_eq!(d.spawned_names(), ["getty", "swclock"]);
    d.advance_to(1010);
    d.exit("swclock", 0);
    d.advance_to(1020);
    d.exit("umount", 0);
    // Nothing is tracked any more: the safety net runs straight through.
    assert_eq!(
        final_outputs(&d)[..1],
        [Output::KillAll {
            signal: Signal::Term
        }]
    );
    assert_eq!(final_outputs(&d)[1..], SAFETY_NET_OFF);
    assert_eq!(d.powers(), 1);
    insta::assert_snapshot!(d.trace_text());
}

#[test]
fn a_hanging_wait_service_of_shutdown_is_killed_and_the_machine_still_powers_off() {
    let mut d = Driver::new(vec![
        svc("hang", Wait, Shutdown),
        svc("umount", Wait, Shutdown).after(&["hang"]),
    ]);
    d.boot();
    d.event(Event::Shutdown);
    d.advance_to(29_999);
    assert_eq!(d.spawned_names(), ["hang"]);
    d.advance_to(30_000);
    let hang = d.id("hang");
    assert!(d.outputs.iter().any(|(_, o)| *o
        == Output::Signal {
            service: hang,
            pid: Pid(100),
            signal: Signal::Kill
        }));
    assert_eq!(reports(&d, "hang"), [Report::Fail]);
    assert_eq!(d.spawned_names(), ["hang", "umount"]);
    d.exit("umount", 0);
    // hang ignores even KILL (a D-state process): the grace bounds it.
    d.advance_to(200_000);
    assert_eq!(d.powers(), 1);
    let power_at = d
        .outputs
        .iter()
        .find(|(_, o)| matches!(o, Output::Power { .. }))
        .map(|(t, _)| t.0);
    assert_eq!(power_at, Some(35_000));
}

#[test]
fn a_spawn_that_is_never_answered_in_shutdown_is_bounded() {
    let mut d = Driver::new(vec![svc("stuck", Once, Shutdown)]);
    d.answer("stuck", Answer::Never);
    d.boot();
    d.event(Event::Shutdown);
    d.advance_to(30_000);
    assert_eq!(reports(&d, "stuck"), [Report::Fail]);
    assert_eq!(d.state("stuck"), "failed");
    assert_eq!(final_outputs(&d)[1..], SAFETY_NET_OFF);
}

#[test]
fn a_process_that_turns_up_after_its_spawn_was_given_up_on_gets_term() {
    let mut d = Driver::new(vec![
        svc("stuck", Once, Shutdown),
        svc("after", Wait, Shutdown).after(&["stuck"]),
    ]);
    d.answer("stuck", Answer::Never);
    d.boot();
    d.event(Event::Shutdown);
    d.advance_to(30_000);
    assert_eq!(d.state("stuck"), "failed");
    assert_eq!(d.spawned_names(), ["stuck", "after"]);
    let stuck = d.id("stuck");
    d.event(Event::Spawned {
        service: stuck,
        pid: Pid(66),
    });
    assert_eq!(d.state("stuck"), "stopping");
    d.exit("after", 0);
    // The grace waits for the late process too.
    assert_eq!(d.powers(), 0);
    d.exit("stuck", 0);
    assert_eq!(d.state("stuck"), "failed");
    assert_eq!(d.powers(), 1);
    assert_eq!(reports(&d, "stuck"), [Report::Fail]);
}

#[test]
fn a_service_ignoring_term_on_the_way_down_gets_kill_at_its_stop_timeout() {
    let mut d = Driver::new(vec![svc("stubborn", Respawn, Boot)]);
    d.boot();
    d.advance_to(500);
    d.event(Event::Shutdown);
    let stubborn = d.id("stubborn");
    let kill = Output::Signal {
        service: stubborn,
        pid: d.pid("stubborn"),
        signal: Signal::Kill,
    };
    assert_eq!(completions(&d, Shutdown), 0, "the wind-down waits for it");
    d.advance_to(5499);
    assert!(!d.outputs.iter().any(|(_, o)| *o == kill));
    d.advance_to(5500);
    assert_eq!(d.outputs.last().map(|(_, o)| o.clone()), Some(kill));
    d.killed("stubborn", 9);
    assert_eq!(
        completions(&d, Shutdown),
        1,
        "an empty target completes at once"
    );
    assert_eq!(final_outputs(&d)[1..], SAFETY_NET_OFF);
}

#[test]
fn a_service_that_survives_kill_holds_the_wind_down_only_for_the_grace() {
    let mut d = Driver::new(vec![
        svc("dstate", Respawn, Boot),
        svc("halt", Wait, Shutdown),
    ]);
    d.boot();
    d.event(Event::Shutdown);
    d.advance_to(9_999);
    assert_eq!(d.spawned_names(), ["dstate"]);
    // stop timeout 5 s, then the kill grace of 5 s for KILL to work.
    d.advance_to(10_000);
    assert_eq!(d.spawned_names(), ["dstate", "halt"]);
    assert_eq!(d.state("dstate"), "stopping");
}

#[test]
fn reboot_runs_the_reboot_target_and_reboots() {
    let mut d = Driver::new(vec![svc("save", Wait, Reboot), svc("halt", Wait, Shutdown)]);
    d.boot();
    d.event(Event::Reboot);
    assert_eq!(d.spawned_names(), ["save"]);
    d.exit("save", 0);
    assert_eq!(completions(&d, Reboot), 1);
    assert_eq!(
        d.outputs.last().map(|(_, o)| o.clone()),
        Some(Output::Power {
            action: PowerAction::Reboot
        })
    );
    assert_eq!(d.state("halt"), "inactive");
}

#[rstest]
#[case::shutdown_then_shutdown(Event::Shutdown, Event::Shutdown, PowerAction::PowerOff)]
#[case::shutdown_then_reboot(Event::Shutdown, Event::Reboot, PowerAction::PowerOff)]
#[case::reboot_then_shutdown(Event::Reboot, Event::Shutdown, PowerAction::Reboot)]
fn a_second_shutdown_or_reboot_is_ignored(
    #[case] first: Event,
    #[case] second: Event,
    #[case] action: PowerAction,
) {
    let mut d = Driver::new(vec![svc("halt", Wait, Shutdown), svc("save", Wait, Reboot)]);
    d.boot();
    d.event(first);
    let spawned = d.spawned_names();
    d.event(second);
    assert_eq!(d.spawned_names(), spawned);
    d.advance_to(100_000);
    assert_eq!(d.powers(), 1);
    assert!(d
        .outputs
        .iter()
        .any(|(_, o)| *o == Output::Power { action }));
}

#[test]
fn shutdown_before_boot_still_powers_off() {
    let mut d = Driver::new(vec![svc("mounts", Wait, Boot), svc("halt", Wait, Shutdown)]);
    d.event(Event::Shutdown);
    d.exit("halt", 0);
    assert_eq!(final_outputs(&d)[1..], SAFETY_NET_OFF);
    // Boot after the end is ignored.
    let before = d.outputs.len();
    d.boot();
    assert_eq!(d.outputs.len(), before);
    assert_eq!(d.state("mounts"), "inactive");
}

#[test]
fn shutdown_during_boot_drops_pending_work_and_ends_in_bounded_time() {
    let mut d = Driver::new(vec![
        svc("fsck", Wait, Boot),
        svc("net", Wait, Boot).after(&["fsck"]),
        svc("halt", Wait, Shutdown),
    ]);
    d.boot();
    d.advance_to(50);
    d.event(Event::Shutdown);
    // The wind-down stops fsck; net never starts.
    d.killed("fsck", 15);
    d.exit("halt", 0);
    d.advance_to(100_000);
    assert_eq!(d.spawned_names(), ["fsck", "halt"]);
    assert_eq!(d.state("net"), "waiting");
    assert_eq!(d.powers(), 1);
    assert_eq!(completions(&d, Boot), 0);
}

#[test]
fn a_pending_respawn_is_dropped_by_shutdown() {
    let mut d = Driver::new(vec![svc("getty", Respawn, Boot)]);
    d.boot();
    d.exit("getty", 1);
    assert_eq!(d.state("getty"), "restarting");
    d.event(Event::Shutdown);
    assert_eq!(d.state("getty"), "stopped");
    assert_eq!(d.spawns("getty"), 1);
    assert_eq!(final_outputs(&d)[1..], SAFETY_NET_OFF);
}

#[test]
fn nothing_is_output_after_power() {
    let mut d = Driver::new(vec![svc("getty", Respawn, Boot), svc("x", Once, Shutdown)]);
    d.boot();
    let getty_pid = d.pid("getty");
    d.event(Event::Shutdown);
    d.advance_to(100_000);
    assert!(d.sup.is_finished());
    let before = d.outputs.len();
    for event in [
        Event::Boot,
        Event::Shutdown,
        Event::Reboot,
        Event::Start(d.id("getty")),
        Event::Restart(d.id("x")),
        Event::Stop(d.id("getty")),
        Event::Exited {
            pid: getty_pid,
            status: ExitStatus::Exited(0),
            leftovers: false,
        },
        Event::Reload { services: vec![] },
    ] {
        d.event(event);
    }
    d.advance_to(1_000_000);
    assert_eq!(d.outputs.len(), before);
    assert_eq!(d.sup.poll_timeout(), None);
}

// ---- reload ----

#[test]
fn reload_keeps_ids_adds_new_ones_and_drops_what_is_gone() {
    let mut d = Driver::new(vec![
        svc("a", Once, Boot),
        svc("b", Respawn, Boot),
        svc("c", Wait, Boot),
        svc("s", Wait, Shutdown),
    ]);
    d.boot();
    d.exit("a", 0);
    d.exit("c", 0);
    let (a, b) = (d.id("a"), d.id("b"));
    d.event(Event::Reload {
        services: vec![
            svc("a", Once, Boot),
            svc("n", Once, Boot),
            svc("s", Wait, Shutdown),
            svc("t", Wait, Shutdown),
        ],
    });
    assert_eq!(d.id("a"), a);
    // b runs: it stays until it exits, and is not restarted.
    assert_eq!(d.state("b"), "running");
    assert_eq!(d.state("c"), "gone");
    // n joins a target that already ran: Done, not started.
    assert_eq!(d.state("n"), "done");
    assert_eq!(d.spawns("n"), 0);
    // t joins one that has yet to run.
    assert_eq!(d.state("t"), "inactive");
    let ids: Vec<u32> = d.sup.services().map(|s| s.id.0).collect();
    assert_eq!(ids, [0, 1, 3, 4, 5]);
    d.advance_to(1000);
    d.exit("b", 0);
    assert_eq!(d.state("b"), "gone");
    d.advance_to(2000);
    assert!(d.sup.service(b).is_none());
    // A new service with b's name gets a new id.
    d.event(Event::Reload {
        services: vec![
            svc("a", Once, Boot),
            svc("b", Respawn, Boot),
            svc("n", Once, Boot),
            svc("t", Wait, Shutdown),
        ],
    });
    assert_eq!(d.id("b"), ServiceId(6));
    assert_eq!(d.state("b"), "done", "boot already ran");
    assert_eq!(d.state("s"), "gone");
    d.event(Event::Shutdown);
    assert_eq!(d.spawned_names(), ["a", "b", "c", "t"]);
}

#[test]
fn a_running_service_keeps_its_definition_until_it_is_restarted() {
    let mut d = Driver::new(vec![svc("sshd", Respawn, Boot).exec(&["sshd", "-D"])]);
    d.boot();
    let new = svc("sshd", Respawn, Boot).exec(&["sshd", "-D", "-e"]);
    d.event(Event::Reload {
        services: vec![new.clone()],
    });
    let id = d.id("sshd");
    assert_eq!(
        d.sup.service(id).map(|s| s.def.exec.to_vecs()),
        Some(vec![vec!["sshd".to_string(), "-D".to_string()]])
    );
    assert_eq!(d.sup.pending_definition(id), Some(&new));
    d.restart("sshd");
    d.exit("sshd", 0);
    assert_eq!(d.sup.service(id).map(|s| &s.def), Some(&new));
    assert_eq!(d.sup.pending_definition(id), None);
    let last_spawn = d.outputs.iter().rev().find_map(|(_, o)| match o {
        Output::Spawn { exec, .. } => Some(exec.clone()),
        _ => None,
    });
    assert_eq!(last_spawn, Some(new.exec));
}

/// A reload that makes a running respawn service something else (another
/// type, another target) ends its respawning with its process: the end is
/// the old definition's, quiet, and the new one takes over as it would
/// have had the service not been running. A reload that keeps it a
/// respawn service of its target respawns it with the new definition.
#[rstest]
#[case::moved_to_shutdown(svc("getty", Respawn, Shutdown), false)]
#[case::made_a_wait_service(svc("getty", Wait, Boot), false)]
#[case::still_a_respawn_service(svc("getty", Respawn, Boot).exec(&["agetty", "tty2"]), true)]
fn a_respawn_service_a_reload_made_something_else_ends_with_its_process(
    #[case] new: ServiceDef,
    #[case] respawned: bool,
) {
    let mut d = Driver::new(vec![svc("getty", Respawn, Boot)]);
    d.boot();
    let id = d.id("getty");
    d.event(Event::Reload {
        services: vec![new.clone()],
    });
    assert_eq!(d.sup.pending_definition(id), Some(&new));
    let reports = d.count(|o| matches!(o, Output::Report { .. }));
    d.exit("getty", 1);
    d.advance_by(1_000);
    assert_eq!(
        d.spawns("getty"),
        if respawned { 2 } else { 1 },
        "{}",
        d.trace_text()
    );
    assert_eq!(d.sup.service(id).map(|s| &s.def), Some(&new));
    if !respawned {
        assert_eq!(d.state("getty"), "done");
        assert_eq!(
            d.count(|o| matches!(o, Output::Report { .. })),
            reports,
            "no report: {}",
            d.trace_text()
        );
    }
    assert_eq!(d.sup.refused_transitions(), 0);
}

#[test]
fn a_service_that_is_not_running_takes_the_new_definition_at_once() {
    let mut d = Driver::new(vec![svc("halt", Wait, Shutdown)]);
    d.boot();
    let new = svc("halt", Wait, Shutdown).exec(&["halt", "-f"]);
    d.event(Event::Reload {
        services: vec![new.clone()],
    });
    assert_eq!(d.sup.service_by_name("halt").map(|s| &s.def), Some(&new));
}

#[test]
fn reload_re_resolves_the_running_target() {
    let mut d = Driver::new(vec![
        svc("a", Wait, Boot),
        svc("b", Once, Boot).after(&["a"]),
    ]);
    d.boot();
    assert_eq!(d.spawned_names(), ["a"]);
    // b no longer waits for a.
    d.event(Event::Reload {
        services: vec![svc("a", Wait, Boot), svc("b", Once, Boot)],
    });
    assert_eq!(d.spawned_names(), ["a", "b"]);
}

#[test]
fn a_service_removed_and_added_again_while_its_target_runs_starts_in_that_run() {
    let services = || {
        vec![
            svc("mounts", Wait, Boot),
            svc("web", Respawn, Boot).after(&["mounts"]),
        ]
    };
    let mut d = Driver::new(services());
    d.boot();
    assert_eq!(d.state("web"), "waiting");
    d.advance_to(1000);
    d.event(Event::Reload {
        services: vec![svc("mounts", Wait, Boot)],
    });
    assert_eq!(d.state("web"), "gone");
    d.advance_to(2000);
    d.event(Event::Reload {
        services: services(),
    });
    // The boot run goes on: web joins it, behind mounts as before.
    assert_eq!(d.state("web"), "waiting");
    assert!(!d.sup.is_target_complete(Target::Boot));
    d.advance_to(3000);
    d.exit("mounts", 0);
    assert_eq!(d.state("web"), "running");
    assert_eq!(d.spawn_times("web"), [3000]);
    assert!(d.sup.is_target_complete(Target::Boot));
}

// ---- unknown input ----

#[test]
fn exits_of_unknown_pids_and_repeated_exits_are_ignored() {
    let mut d = Driver::new(vec![svc("getty", Respawn, Boot)]);
    d.boot();
    let pid = d.pid("getty");
    let before = d.outputs.len();
    d.event(Event::Exited {
        pid: Pid(9999),
        status: ExitStatus::Exited(0),
        leftovers: false,
    });
    assert_eq!(d.outputs.len(), before);
    d.advance_to(1000);
    d.event(Event::Exited {
        pid,
        status: ExitStatus::Exited(0),
        leftovers: false,
    });
    let after_first = d.spawns("getty");
    d.event(Event::Exited {
        pid,
        status: ExitStatus::Exited(0),
        leftovers: false,
    });
    assert_eq!(d.spawns("getty"), after_first);
}

#[test]
fn answers_nobody_asked_for_are_ignored() {
    let mut sup = Supervisor::new(vec![svc("a", Once, Boot)], Options::default());
    let now = Millis(0);
    sup.handle_event(
        now,
        Event::Spawned {
            service: ServiceId(0),
            pid: Pid(5),
        },
    );
    sup.handle_event(
        now,
        Event::Spawned {
            service: ServiceId(77),
            pid: Pid(5),
        },
    );
    sup.handle_event(now, Event::Stop(ServiceId(77)));
    sup.handle_timeout(Millis(u64::MAX));
    assert_eq!(sup.poll_output(), None);
    assert_eq!(sup.service(ServiceId(0)).map(|s| s.pid), Some(None));
}

// ---- status ----

#[test]
fn status_records_queue_spawn_and_exit_times() {
    let mut d = Driver::new(vec![
        svc("a", Wait, Boot),
        svc("b", Wait, Boot).after(&["a"]),
    ]);
    d.advance_to(5);
    d.boot();
    d.advance_to(20);
    d.exit("a", 0);
    d.advance_to(45);
    d.killed("b", 9);
    let b = d.sup.service_by_name("b").cloned();
    let b = b.expect("b is known");
    assert_eq!(b.queued_at, Some(Millis(5)));
    assert_eq!(b.spawned_at, Some(Millis(20)));
    assert_eq!(b.exited_at, Some(Millis(45)));
    assert_eq!(b.exit_status, Some(ExitStatus::Signaled(9)));
    assert_eq!(b.runs, 1);
    assert_eq!(b.pid, None);
}

#[test]
fn the_whole_state_survives_a_serde_round_trip() {
    let mut d = Driver::new(vec![
        svc("a", Wait, Boot),
        svc("b", Respawn, Boot).after(&["a"]),
    ]);
    d.boot();
    d.exit("a", 0);
    d.exit("b", 1);
    let json = serde_json::to_string(&d.sup).expect("serialises");
    let restored: Supervisor = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(serde_json::to_string(&restored).ok(), Some(json));
    assert_eq!(restored.poll_timeout(), Some(Millis(100)));
}

#[test]
fn a_respawn_service_reports_up_once_it_finally_starts() {
    let mut d = Driver::new(vec![svc("late", Respawn, Boot)]);
    d.answer("late", Answer::Fail);
    d.boot();
    d.advance_to(250);
    d.answer("late", Answer::Spawn);
    d.advance_to(300);
    assert_eq!(d.state("late"), "running");
    // One Fail for the run of failures, one Up when it came up.
    assert_eq!(reports(&d, "late"), [Report::Fail, Report::Up]);
    d.answer("late", Answer::Fail);
    d.exit("late", 1);
    d.advance_to(1000);
    assert_eq!(
        reports(&d, "late"),
        [Report::Fail, Report::Up, Report::Fail]
    );
}

#[test]
fn a_wait_service_started_by_hand_before_boot_still_blocks_its_successors() {
    let mut d = Driver::new(vec![
        svc("fsck", Wait, Boot),
        svc("mount", Once, Boot).after(&["fsck"]),
    ]);
    d.start("fsck");
    d.boot();
    assert_eq!(d.spawned_names(), ["fsck"]);
    d.exit("fsck", 0);
    assert_eq!(d.spawned_names(), ["fsck", "mount"]);
}

#[test]
fn a_final_service_started_before_the_switch_is_bounded_too() {
    let mut d = Driver::new(vec![svc("halt", Wait, Shutdown)]);
    d.boot();
    d.advance_to(1000);
    d.start("halt");
    d.event(Event::Shutdown);
    assert_eq!(d.spawns("halt"), 1, "it runs already");
    d.advance_to(31_000);
    assert_eq!(reports(&d, "halt"), [Report::Fail]);
    d.advance_to(36_000);
    assert_eq!(d.powers(), 1);
}

#[test]
fn a_removed_service_waiting_to_respawn_is_dropped_with_its_timer() {
    let mut d = Driver::new(vec![
        svc("getty", Respawn, Boot),
        svc("sshd", Respawn, Boot),
    ]);
    d.boot();
    d.exit("getty", 1);
    assert_eq!(d.state("getty"), "restarting");
    d.event(Event::Reload {
        services: vec![svc("sshd", Respawn, Boot)],
    });
    assert_eq!(d.state("getty"), "gone");
    assert_eq!(d.sup.poll_timeout(), None);
    d.advance_to(10_000);
    assert_eq!(d.spawned_names(), ["getty", "sshd"]);
}

#[test]
fn a_removed_service_whose_spawn_is_unanswered_is_dropped_after_it_ends() {
    let mut d = Driver::new(vec![svc("slow", Once, Boot)]);
    d.answer("slow", Answer::Never);
    d.boot();
    let id = d.id("slow");
    d.event(Event::Reload { services: vec![] });
    assert_eq!(d.state("slow"), "starting", "alive, so it stays");
    d.event(Event::Spawned {
        service: id,
        pid: Pid(50),
    });
    assert_eq!(d.state("slow"), "running");
    d.exit("slow", 0);
    assert_eq!(d.state("slow"), "gone");
    // Its end is reported as it would have been had it stayed.
    let said: Vec<(ServiceId, Report, String)> = d
        .outputs
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Report {
                service,
                report,
                text,
            } => Some((*service, report.clone(), text.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(said, [(id, Report::Ok, "slow".to_string())]);
}

/// The Pygos `sshd_keygen` pattern: a `wait` service runs `service
/// disable` on itself, which reloads init while it still runs.
#[rstest]
#[case::parallel(false)]
#[case::sequential(true)]
fn a_wait_service_removed_while_it_runs_keeps_its_place_until_it_exits(#[case] sequential: bool) {
    let services = vec![
        svc("keygen", Wait, Boot),
        svc("sshd", Respawn, Boot).after(&["keygen"]),
    ];
    let options = Options {
        sequential,
        ..Options::default()
    };
    let mut d = Driver::with_options(services, options);
    d.boot();
    let keygen = d.id("keygen");
    d.advance_to(1000);
    d.event(Event::Reload {
        services: vec![svc("sshd", Respawn, Boot).after(&["keygen"])],
    });
    assert_eq!(d.state("keygen"), "running", "it stays while it runs");
    assert_eq!(d.state("sshd"), "waiting", "and sshd still waits for it");
    assert_eq!(d.sup.pending_in_run(), [keygen, d.id("sshd")]);
    assert!(!d.sup.is_target_complete(Boot));
    d.advance_to(3000);
    d.exit("keygen", 0);
    assert_eq!(d.state("keygen"), "gone");
    assert_eq!(d.spawn_times("sshd"), [3000]);
    assert!(d.sup.is_target_complete(Boot));
    let keygen_reports = d.count(
        |o| matches!(o, Output::Report { service, report: Report::Ok, .. } if *service == keygen),
    );
    assert_eq!(keygen_reports, 1);
}

#[test]
fn reload_is_ignored_once_the_machine_is_going_down() {
    let mut d = Driver::new(vec![svc("halt", Wait, Shutdown)]);
    d.boot();
    d.event(Event::Shutdown);
    d.event(Event::Reload {
        services: vec![svc("other", Wait, Shutdown)],
    });
    assert_eq!(d.state("halt"), "running");
    assert!(d.sup.service_by_name("other").is_none());
}

#[test]
fn during_shutdown_stop_works_but_start_and_restart_are_ignored() {
    let mut d = Driver::new(vec![
        svc("sshd", Respawn, Boot),
        svc("fsck", Wait, Boot),
        svc("hang", Wait, Shutdown),
    ]);
    d.boot();
    d.exit("fsck", 0);
    d.event(Event::Shutdown);
    let spawns = d.spawned_names();
    d.start("fsck");
    d.restart("sshd");
    assert_eq!(d.spawned_names(), spawns);
    assert_eq!(d.state("sshd"), "stopping", "the wind-down stops it");
    d.killed("sshd", 15);
    assert_eq!(d.state("sshd"), "stopped", "and the restart is forgotten");
    // Stopping the hanging service lets the shutdown go on at once.
    d.stop("hang");
    assert_eq!(completions(&d, Shutdown), 1);
}

#[test]
fn a_spawn_answered_during_the_kill_grace_gets_its_own_term() {
    let mut d = Driver::new(vec![svc("late", Respawn, Boot), svc("x", Once, Boot)]);
    d.answer("late", Answer::Never);
    d.boot();
    d.event(Event::Shutdown);
    let late = d.id("late");
    d.advance_to(100);
    d.event(Event::Spawned {
        service: late,
        pid: Pid(77),
    });
    assert_eq!(
        d.outputs.last().map(|(_, o)| o.clone()),
        Some(Output::Signal {
            service: late,
            pid: Pid(77),
            signal: Signal::Term
        })
    );
    // x (pid 100) still runs, so the grace goes on.
    d.exit("late", 0);
    assert_eq!(d.powers(), 0);
    d.exit("x", 0);
    assert_eq!(d.powers(), 1);
}

//! Bounded shutdown against the real init as PID 1 of a PID namespace:
//! whatever the services do, shutdown ends in the power command (here,
//! a container init exiting 0) within the bound docs/reliability.md
//! states. The first tests run with the default timeouts (5 s for a stop
//! and for the final kill grace); the others set short ones with init's
//! flags, so that the bound of a hanging final service and of every hazard
//! at once is checked in seconds rather than the 45 s of the defaults.
//!
//! Needs root for the namespaces; see reliability_support.

mod pid1_support;
mod reliability_support;

use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::Command as Request;
use nix::sys::signal::Signal;
use reliability_support::{host_pid, Config, Namespace};

/// Options::default().stop_timeout_ms (= kill_grace_ms).
const KILL_GRACE: Duration = Duration::from_secs(5);
/// The short timeouts the later tests give init, and the flags for them.
const SHORT_STOP: Duration = Duration::from_secs(1);
const SHORT_FINAL_SERVICE: Duration = Duration::from_secs(2);
const SHORT_GRACE: Duration = Duration::from_secs(1);
const SHORT_FLAGS: [&str; 6] = [
    "--stop-timeout",
    "1s",
    "--final-service-timeout",
    "2s",
    "--kill-grace",
    "1s",
];
/// What a loaded test machine may add to a bound.
const SLACK: Duration = Duration::from_secs(3);

const GOODBYE: &str = "description goodbye\ntype wait\ntarget shutdown\n\
                       exec sh -c \"echo goodbye >> LOG\"\n";

/// Sends SIGTERM to init and returns how long the namespace took to end,
/// checking it ended the way a power-off does.
fn shut_down(ns: &mut Namespace, patience: Duration) -> Duration {
    let asked = Instant::now();
    ns.signal_init(Signal::SIGTERM);
    let ended = ns.wait_for_end(patience);
    let took = asked.elapsed();
    // A container's init (PID 1 of a PID namespace) exits 0 after a
    // power-off nobody's main service asked for.
    assert_eq!(ended.code(), Some(0), "{}", ns.console());
    assert!(
        ns.console().ends_with("init: powering off\n"),
        "{}",
        ns.console()
    );
    took
}

#[test]
fn services_that_ignore_term_are_killed_after_the_grace() {
    let cfg = Config::new("ignoreterm");
    cfg.enable(
        "stubborn",
        "description stubborn\ntype respawn\ntarget boot\n\
         exec sh -c \"trap '' TERM; echo up >> LOG; exec sleep 1000\"\n",
    );
    cfg.enable("goodbye", GOODBYE);
    let Some(mut ns) = cfg.boot() else { return };
    ns.wait_for_state("stubborn", ServiceState::Running);
    ns.wait_until("stubborn to ignore TERM", || cfg.log_lines() == ["up"]);
    let took = shut_down(&mut ns, KILL_GRACE + SLACK * 3);
    println!(
        "ignoring TERM: powered off {} ms after SIGTERM",
        took.as_millis()
    );
    assert!(took >= KILL_GRACE, "no grace: {took:?}");
    assert!(took < KILL_GRACE + SLACK, "{took:?}");
    assert_eq!(cfg.log_lines(), vec!["up", "goodbye"]);
}

#[test]
fn a_stopped_process_does_not_hold_up_shutdown() {
    let cfg = Config::new("sigstop");
    cfg.enable(
        "frozen",
        "description frozen\ntype respawn\ntarget boot\nexec sleep 1000\n",
    );
    cfg.enable("goodbye", GOODBYE);
    let Some(mut ns) = cfg.boot() else { return };
    let frozen = ns.wait_for_state("frozen", ServiceState::Running);
    let pid = host_pid(&ns, frozen.pid.unwrap());
    nix::sys::signal::kill(pid, Signal::SIGSTOP).unwrap();
    ns.wait_until("the process to be stopped", || {
        ns.processes().iter().any(|p| p.state == 'T')
    });
    let took = shut_down(&mut ns, KILL_GRACE + SLACK * 3);
    println!(
        "a SIGSTOPped service: powered off {} ms after SIGTERM",
        took.as_millis()
    );
    // A CONT follows the TERM: the stopped process dies at once instead of
    // holding the power-off for the whole grace until KILL.
    assert!(took < KILL_GRACE, "{took:?}");
    assert_eq!(cfg.log_lines(), vec!["goodbye"]);
}

#[test]
fn a_hanging_shutdown_service_is_given_up_on_and_power_still_comes() {
    let cfg = Config::new("hangdown");
    cfg.enable(
        "hang",
        "description hangs at shutdown\ntype wait\ntarget shutdown\n\
         exec sh -c \"echo hanging >> LOG; exec sleep 1000\"\n",
    );
    cfg.enable(
        "last",
        "description after the hang\ntype wait\ntarget shutdown\nafter hang\n\
         exec sh -c \"echo last >> LOG\"\n",
    );
    let Some(mut ns) = cfg.boot_with(&SHORT_FLAGS) else {
        return;
    };
    let bound = SHORT_FINAL_SERVICE + SHORT_GRACE;
    let took = shut_down(&mut ns, bound + SLACK * 3);
    println!(
        "a hanging shutdown service: powered off {} ms after SIGTERM",
        took.as_millis()
    );
    assert!(took >= SHORT_FINAL_SERVICE, "{took:?}");
    assert!(took < bound + SLACK, "{took:?}");
    // Given up on, the hanging service no longer holds the one after it.
    assert_eq!(cfg.log_lines(), vec!["hanging", "last"]);
}

/// A service file may ask for any stop timeout; the way down waits at
/// most the shutdown ceiling (`--shutdown-stop-timeout`), for a stop it
/// begins and for one an admin began before it with the service's own
/// timeout.
#[test]
fn a_huge_stop_timeout_is_capped_by_the_shutdown_ceiling() {
    const CEILING: Duration = Duration::from_secs(2);
    let cfg = Config::new("ceiling");
    for name in ["db", "web"] {
        cfg.enable(
            name,
            &format!(
                "description {name}\ntype respawn\ntarget boot\nstop-timeout 1000000s\n\
                 exec sh -c \"trap '' TERM; echo {name} >> LOG; exec sleep 1000\"\n"
            ),
        );
    }
    cfg.enable("goodbye", GOODBYE);
    let Some(mut ns) = cfg.boot_with(&["--shutdown-stop-timeout", "2s"]) else {
        return;
    };
    ns.wait_for_state("db", ServiceState::Running);
    ns.wait_for_state("web", ServiceState::Running);
    ns.wait_until("both to ignore TERM", || cfg.log_lines().len() == 2);
    ns.request(Request::Stop {
        patterns: vec!["db".to_string()],
    });
    ns.wait_for_state("db", ServiceState::Stopping);
    let took = shut_down(&mut ns, CEILING + SLACK * 3);
    println!(
        "stop-timeout 1000000s, ceiling 2s: powered off {} ms after SIGTERM",
        took.as_millis()
    );
    assert!(took >= CEILING, "{took:?}");
    assert!(took < CEILING + SLACK, "{took:?}");
    assert_eq!(cfg.log_lines().last().map(String::as_str), Some("goodbye"));
}

/// Every hazard at once: a boot service that ignores TERM, one stopped with
/// SIGSTOP, and a final service that hangs. The power command still comes
/// within the bound docs/reliability.md states for a flat configuration:
/// stop timeout + kill grace, then the final-service timeout, then the
/// kill grace of the safety net.
#[test]
fn every_hazard_at_once_still_ends_within_the_stated_bound() {
    let cfg = Config::new("hazards");
    cfg.enable(
        "stubborn",
        "description stubborn\ntype respawn\ntarget boot\n\
         exec sh -c \"trap '' TERM; echo up >> LOG; exec sleep 1000\"\n",
    );
    cfg.enable(
        "frozen",
        "description frozen\ntype respawn\ntarget boot\nexec sleep 1000\n",
    );
    cfg.enable(
        "hang",
        "description hangs at shutdown\ntype wait\ntarget shutdown\n\
         exec sh -c \"echo hanging >> LOG; exec sleep 1000\"\n",
    );
    let Some(mut ns) = cfg.boot_with(&SHORT_FLAGS) else {
        return;
    };
    ns.wait_for_state("stubborn", ServiceState::Running);
    ns.wait_until("stubborn to ignore TERM", || cfg.log_lines() == ["up"]);
    let frozen = ns.wait_for_state("frozen", ServiceState::Running);
    let pid = host_pid(&ns, frozen.pid.unwrap());
    nix::sys::signal::kill(pid, Signal::SIGSTOP).unwrap();
    ns.wait_until("the process to be stopped", || {
        ns.processes().iter().any(|p| p.state == 'T')
    });
    let bound = SHORT_STOP + SHORT_GRACE + SHORT_FINAL_SERVICE + SHORT_GRACE;
    let took = shut_down(&mut ns, bound + SLACK * 3);
    println!(
        "every hazard at once: powered off {} ms after SIGTERM (bound {} ms)",
        took.as_millis(),
        bound.as_millis()
    );
    // The TERM-ignorer holds the wind-down for the stop timeout, and the
    // hanging service holds the final target for its timeout.
    assert!(took >= SHORT_STOP + SHORT_FINAL_SERVICE, "{took:?}");
    assert!(took < bound + SLACK, "{took:?}");
    assert_eq!(cfg.log_lines(), vec!["up", "hanging"]);
}

/// The order of the end, from the core itself: after the final target and
/// the kill-all, `Sync` comes before `Power` (which the driver turns into
/// sync(2) and then reboot(2)), whether the services die on TERM or hold
/// out until KILL, for power-off and reboot alike.
#[test]
fn sync_always_comes_right_before_the_power_command() {
    use init_core::events::{Event, ExitStatus, Millis, Output, Pid};
    use init_core::name::EnabledName;
    use init_core::parse::parse_service;
    use init_core::supervisor::{Options, Supervisor};

    for (ending, die_on_term) in [
        (Event::Shutdown, true),
        (Event::Shutdown, false),
        (Event::Reboot, true),
        (Event::Reboot, false),
    ] {
        let services = ["daemon", "other"]
            .iter()
            .map(|name| {
                let text = "type respawn\ntarget boot\nexec sleep 100\n";
                parse_service(name, text.as_bytes(), &EnabledName::parse(name).unwrap())
                    .service
                    .unwrap()
            })
            .collect();
        let mut core = Supervisor::new(services, Options::default());
        let mut now = Millis(0);
        let mut next_pid = 100;
        let mut live: Vec<Pid> = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        let mut inputs = vec![Event::Boot, ending.clone()];
        for _ in 0..1000 {
            for event in inputs.drain(..) {
                core.handle_event(now, event);
            }
            while let Some(output) = core.poll_output() {
                match output {
                    Output::Spawn { service, .. } => {
                        next_pid += 1;
                        live.push(Pid(next_pid));
                        inputs.push(Event::Spawned {
                            service,
                            pid: Pid(next_pid),
                        });
                    }
                    Output::KillAll { signal } => {
                        seen.push("kill-all");
                        if die_on_term || signal == init_core::events::Signal::Kill {
                            for pid in live.drain(..) {
                                inputs.push(Event::Exited {
                                    pid,
                                    status: ExitStatus::Signaled(15),
                                    leftovers: false,
                                });
                            }
                        }
                    }
                    Output::Sync => seen.push("sync"),
                    Output::Power { .. } => seen.push("power"),
                    _ => {}
                }
            }
            if seen.last() == Some(&"power") {
                break;
            }
            if inputs.is_empty() {
                match core.poll_timeout() {
                    Some(at) => {
                        now = at;
                        core.handle_timeout(now);
                    }
                    None => break,
                }
            }
        }
        let tail: Vec<&str> = seen.iter().rev().take(2).rev().copied().collect();
        assert_eq!(
            tail,
            ["sync", "power"],
            "{ending:?}, dying on TERM: {die_on_term}: {seen:?}"
        );
        assert!(seen.contains(&"kill-all"), "{seen:?}");
    }
}

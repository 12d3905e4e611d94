//! The real `init` as a container's init: PID 1 of a fresh PID namespace,
//! detected as a container, ends by exiting with a status, the main
//! service's when that ended it.
//!
//! Needs root, like `init_pid1.rs`; see `pid1_support`.

mod pid1_support;

use init_core::events::ServiceState;
use nix::sys::signal::Signal;
use pid1_support::*;

/// A daemon, the main service after it, and a shutdown step: the log
/// shows the order of the way down. `app` makes the main service's command.
fn app_container(test: &str, app: impl FnOnce(&Config) -> String) -> Config {
    let cfg = Config::new(test);
    cfg.enable(
        "db",
        "type respawn\ntarget boot\n\
         exec sh -c \"trap 'echo db stopped >> LOG; exit 0' TERM; echo db up >> LOG; \
         while :; do sleep 0.05; done\"\n",
    );
    let exec = app(&cfg);
    cfg.enable(
        "app",
        &format!("type once\ntarget boot\nafter db\nmain-service\nexec {exec}\n"),
    );
    cfg.enable(
        "save",
        "type wait\ntarget shutdown\nexec sh -c \"echo save >> LOG\"\n",
    );
    cfg
}

#[test]
fn the_container_exits_with_the_main_services_status_after_an_ordered_shutdown() {
    let cfg = app_container("main-exit", |cfg| {
        cfg.script("app.sh", "sleep 0.3; echo app done >> LOG; exit 3")
    });
    let Some(mut ns) = cfg.boot() else { return };
    let ended = ns.wait_for_end();
    assert_eq!(ended.code(), Some(3), "console:\n{}", ns.console());
    assert_eq!(
        cfg.log_lines(),
        ["db up", "app done", "db stopped", "save"],
        "the daemon is stopped before the shutdown target runs"
    );
    let console = ns.console();
    assert!(
        console.ends_with("init: exit status 3\ninit: powering off\n"),
        "{console}"
    );
}

#[test]
fn a_main_service_killed_by_a_signal_gives_128_plus_the_signal() {
    let cfg = app_container("main-signal", |cfg| {
        cfg.script("app.sh", "sleep 0.2; kill -USR1 $$")
    });
    let Some(mut ns) = cfg.boot() else { return };
    let ended = ns.wait_for_end();
    assert_eq!(
        ended.code(),
        Some(128 + Signal::SIGUSR1 as i32),
        "console:\n{}",
        ns.console()
    );
}

#[test]
fn sigterm_from_the_runtime_shuts_down_in_order_and_exits_0() {
    let cfg = app_container("container-term", |_| "sleep 100".to_string());
    let Some(mut ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "app", ServiceState::Running);
    ns.wait_until("db to start", || cfg.log_lines() == ["db up"]);
    ns.signal_init(Signal::SIGTERM);
    let ended = ns.wait_for_end();
    assert_eq!(ended.code(), Some(0), "console:\n{}", ns.console());
    assert_eq!(cfg.log_lines(), ["db up", "db stopped", "save"]);
    // A container leaves no cgroup directories behind: the services' and
    // init's subtree are removed on the way out.
    if let Some(subtree) = &ns.cgroup_subtree {
        assert!(!subtree.exists(), "{} is left behind", subtree.display());
    }
}

#[test]
fn a_reboot_exits_129_and_no_container_keeps_reboot_2() {
    let cfg = Config::new("container-reboot");
    cfg.enable("idle", "type respawn\ntarget boot\nexec sleep 100\n");
    let Some(mut ns) = cfg.boot() else { return };
    ns.signal_init(Signal::SIGINT);
    assert_eq!(ns.wait_for_end().code(), Some(129), "{}", ns.console());

    // Told it is a machine's init, it calls reboot(2), which ends a PID
    // namespace by killing its init with SIGINT for a power-off.
    let Some(mut ns) = cfg.boot_with(&["--no-container"]) else {
        return;
    };
    ns.signal_init(Signal::SIGTERM);
    let ended = std::os::unix::process::ExitStatusExt::signal(&ns.wait_for_end());
    assert_eq!(ended, Some(Signal::SIGINT as i32), "{}", ns.console());
}

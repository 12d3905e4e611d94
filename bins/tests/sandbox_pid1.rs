//! The sandbox keywords against the real `init` as PID 1 of a PID
//! namespace: each setting shown to take effect next to a service without
//! it, and a setting that cannot be applied failing only its own service.
//!
//! Needs root, like `init_pid1.rs`; see `pid1_support`. Services print to
//! init's console (they have no `tty`), since a private `/tmp` would hide
//! the log in the test directory.

mod pid1_support;

use std::fs;
use std::net::TcpListener;

use init_core::events::{ExitStatus, ServiceState};
use init_core::protocol::Command as Request;
use pid1_support::*;

/// Boots `cfg` and waits until every one of `names` is done.
fn boot_and_finish(cfg: &Config, names: &[&str]) -> Option<Namespace> {
    let ns = cfg.boot()?;
    for name in names {
        ns.wait_for_state(&cfg.socket(), name, ServiceState::Done);
    }
    Some(ns)
}

fn console_lines(ns: &Namespace) -> Vec<String> {
    ns.console().lines().map(str::to_string).collect()
}

fn assert_console_has(ns: &Namespace, line: &str) {
    let lines = console_lines(ns);
    assert!(
        lines.iter().any(|l| l == line),
        "no line {line:?} on the console:\n{}",
        lines.join("\n")
    );
}

#[test]
fn a_private_tmp_hides_the_hosts_file() {
    let cfg = Config::new("sbx-tmp");
    let marker = std::env::temp_dir().join(format!("init-sandbox-marker-{}", std::process::id()));
    fs::write(&marker, "host").unwrap();
    let probe = format!(
        "exec sh -c \"if test -e {m}; then echo %0 sees it; else echo %0 does not; fi\"\n",
        m = marker.display()
    );
    cfg.enable("private@a", &format!("type once\nprivate-tmp\n{probe}"));
    cfg.enable("shared@b", &format!("type once\n{probe}"));
    let ns = boot_and_finish(&cfg, &["private@a", "shared@b"]);
    let _ = fs::remove_file(&marker);
    let Some(ns) = ns else { return };
    assert_console_has(&ns, "a does not");
    assert_console_has(&ns, "b sees it");
}

#[test]
fn network_none_cannot_reach_a_loopback_listener() {
    let cfg = Config::new("sbx-net");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let probe = format!(
        "exec bash -c \"if exec 3<>/dev/tcp/127.0.0.1/{port}; then echo %0 reached; \
         else echo %0 unreachable; fi\"\n"
    );
    cfg.enable("none@isolated", &format!("network none\n{probe}"));
    cfg.enable("loop@own-loopback", &format!("network loopback\n{probe}"));
    cfg.enable("host@shared", &probe);
    let Some(ns) = boot_and_finish(&cfg, &["none@isolated", "loop@own-loopback", "host@shared"])
    else {
        return;
    };
    assert_console_has(&ns, "isolated unreachable");
    assert_console_has(&ns, "own-loopback unreachable");
    assert_console_has(&ns, "shared reached");
    drop(listener);
}

#[test]
fn a_denied_syscall_fails_with_the_chosen_errno() {
    let cfg = Config::new("sbx-seccomp");
    cfg.enable(
        "denied",
        "syscalls deny mkdir mkdirat\nsyscall-action errno(EACCES)\n\
         exec sh -c \"mkdir DIR/made 2>/dev/null; echo mkdir status $?; \
         mkdir DIR/made || true\"\n",
    );
    cfg.enable(
        "killed",
        "syscalls deny mkdir mkdirat\nsyscall-action kill\nexec mkdir DIR/killed\n",
    );
    let Some(ns) = boot_and_finish(&cfg, &["denied", "killed"]) else {
        return;
    };
    assert_console_has(&ns, "mkdir status 1");
    assert!(
        ns.console().contains("Permission denied"),
        "EACCES, not EPERM:\n{}",
        ns.console()
    );
    assert!(!cfg.path("made").exists());
    let killed = ns.service(&cfg.socket(), "killed");
    assert_eq!(
        killed.exit_status,
        Some(ExitStatus::Signaled(libc_sigsys()))
    );
    assert!(!cfg.path("killed").exists());
}

fn libc_sigsys() -> i32 {
    libc_signal(nix::sys::signal::Signal::SIGSYS)
}

#[test]
fn a_dropped_capability_makes_a_privileged_operation_fail() {
    let cfg = Config::new("sbx-caps");
    fs::write(cfg.path("owned"), "").unwrap();
    let chown = "exec sh -c \"chown 65534 DIR/owned 2>/dev/null && echo %0 chowned \
                 || echo %0 refused\"\n";
    cfg.enable("nocaps@none", &format!("capabilities none\n{chown}"));
    cfg.enable("chowner@kept", &format!("capabilities CAP_CHOWN\n{chown}"));
    // A user keeps the listed capabilities as ambient ones across exec.
    cfg.enable(
        "binder",
        "user nobody\ncapabilities CAP_NET_BIND_SERVICE\n\
         exec sh -c \"grep -E '^Cap(Eff|Amb)' /proc/self/status\"\n",
    );
    let Some(ns) = boot_and_finish(&cfg, &["nocaps@none", "chowner@kept", "binder"]) else {
        return;
    };
    assert_console_has(&ns, "none refused");
    assert_console_has(&ns, "kept chowned");
    // CAP_NET_BIND_SERVICE is capability 10.
    assert_console_has(&ns, "CapEff:\t0000000000000400");
    assert_console_has(&ns, "CapAmb:\t0000000000000400");
}

#[test]
fn read_only_paths_refuse_writes() {
    let cfg = Config::new("sbx-ro");
    fs::create_dir_all(cfg.path("ro")).unwrap();
    fs::create_dir_all(cfg.path("rw")).unwrap();
    cfg.enable(
        "writer",
        "read-only DIR/ro\n\
         exec sh -c \"echo x > DIR/ro/file 2>/dev/null || echo ro refused; \
         echo x > DIR/rw/file && echo rw written\"\n",
    );
    let Some(ns) = boot_and_finish(&cfg, &["writer"]) else {
        return;
    };
    assert_console_has(&ns, "ro refused");
    assert_console_has(&ns, "rw written");
    assert!(!cfg.path("ro/file").exists());
}

#[test]
fn inaccessible_paths_hide_and_binds_show_elsewhere() {
    let cfg = Config::new("sbx-hide");
    for dir in ["secret", "source", "target"] {
        fs::create_dir_all(cfg.path(dir)).unwrap();
    }
    fs::write(cfg.path("secret/file"), "secret\n").unwrap();
    fs::write(cfg.path("key"), "key\n").unwrap();
    fs::write(cfg.path("source/file"), "bound\n").unwrap();
    cfg.enable(
        "hider",
        "inaccessible DIR/secret DIR/key DIR/missing\n\
         bind read-only DIR/source DIR/target\n\
         exec sh -c \"ls DIR/secret | wc -l; cat DIR/key 2>/dev/null || echo key hidden; \
         cat DIR/target/file; (echo x > DIR/target/new) 2>/dev/null || echo bind read-only\"\n",
    );
    let Some(ns) = boot_and_finish(&cfg, &["hider"]) else {
        return;
    };
    // The service's own lines, without init's reports around them.
    let said: Vec<String> = console_lines(&ns)
        .into_iter()
        .filter(|l| !l.starts_with("init:") && !l.starts_with('['))
        .collect();
    assert_eq!(said, ["0", "key hidden", "bound", "bind read-only"]);
    // Only the service's view changed.
    assert_eq!(fs::read_to_string(cfg.path("key")).unwrap(), "key\n");
    assert!(cfg.path("secret/file").exists());
}

#[test]
fn a_service_of_its_own_pid_namespace_is_pid_1_there_and_still_stops() {
    let cfg = Config::new("sbx-pid");
    cfg.enable(
        "contained",
        "type respawn\nprivate-pid\nhostname boxed\nprivate-ipc\n\
         exec sh -c \"echo pid $$ on $(hostname), /proc/1 is $(cat /proc/1/comm); \
         trap 'exit 0' TERM; while :; do sleep 0.05; done\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    let running = ns.wait_for_state(&socket, "contained", ServiceState::Running);
    ns.wait_until("the service to say where it runs", || {
        ns.console().contains(" on boxed,")
    });
    // /proc shows its own namespace, where init is not PID 1.
    assert_console_has(&ns, "pid 1 on boxed, /proc/1 is sh");
    assert_ne!(running.pid, Some(1), "init tracks the pid it sees");
    let reply = ns.request(
        &socket,
        Request::Stop {
            patterns: vec!["contained".to_string()],
        },
    );
    assert_eq!(affected(reply), vec!["contained".to_string()]);
    let stopped = ns.wait_for_state(&socket, "contained", ServiceState::Stopped);
    assert_eq!(stopped.exit_status, Some(ExitStatus::Exited(0)));
}

#[test]
fn a_setting_that_cannot_be_applied_fails_only_its_service() {
    let cfg = Config::new("sbx-fail");
    cfg.enable(
        "broken",
        "type once\nbind /nonexistent/init-sandbox-source /mnt\nexec sleep 100\n",
    );
    cfg.enable("healthy", "type respawn\nprivate-tmp\nexec sleep 100\n");
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    let failed = ns.wait_for_state(&socket, "broken", ServiceState::Failed);
    let message = "broken: sandbox: cannot bind /nonexistent/init-sandbox-source on /mnt: \
         No such file or directory";
    assert_eq!(failed.error.as_deref(), Some(message));
    ns.wait_until("the message on the console", || {
        ns.console().contains(message)
    });
    ns.wait_for_state(&socket, "healthy", ServiceState::Running);
}

#[test]
fn several_exec_lines_run_in_turn_under_a_runner_that_is_pid_1() {
    let cfg = Config::new("sbx-runner");
    cfg.enable(
        "steps",
        "type once\nprivate-pid\nexec sh -c \"echo first is pid $$\"\n\
         exec sh -c \"echo second is pid $$\"\n",
    );
    let Some(ns) = boot_and_finish(&cfg, &["steps"]) else {
        return;
    };
    // The runner is PID 1 of the namespace; each command is its child.
    assert_console_has(&ns, "first is pid 2");
    assert_console_has(&ns, "second is pid 3");
    let done = ns.service(&cfg.socket(), "steps");
    assert_eq!(done.exit_status, Some(ExitStatus::Exited(0)));
}

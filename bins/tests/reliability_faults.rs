//! Fault injection against the real init as PID 1 of a PID namespace: each
//! failing call must leave init running and every other service
//! supervised (a healthy `keeper` is killed from outside at the end of
//! each test and must come back).
//!
//! Needs root for the namespaces; see reliability_support.

mod pid1_support;
mod reliability_support;

use std::fs;
use std::process::Command;
use std::time::Duration;

use init_core::events::{ExitStatus, ServiceState};
use reliability_support::{check_still_supervised, eventually, Config, Ready};

const KEEPER: &str = "description keeper\ntype respawn\ntarget boot\nexec sleep 100\n";

#[test]
fn exec_of_a_missing_program_and_a_tty_that_cannot_open_fail_alone() {
    let cfg = Config::new("badcalls");
    cfg.enable("keeper", KEEPER);
    cfg.enable(
        "noexec",
        "description no such program\ntype wait\ntarget boot\nexec /nonexistent/prog\n",
    );
    cfg.enable(
        "notty",
        "description no such tty\ntype once\ntarget boot\n\
         tty /nonexistent/dir/tty9\nexec sleep 100\n",
    );
    cfg.enable(
        "respawner",
        "description missing, respawned\ntype respawn limit 3\ntarget boot\n\
         exec /nonexistent/daemon\n",
    );
    cfg.enable(
        "after",
        "type once\ntarget boot\nafter noexec notty\nexec sh -c \"echo after >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };

    let noexec = ns.wait_for_state("noexec", ServiceState::Done);
    assert_eq!(noexec.exit_status, Some(ExitStatus::Exited(127)));
    ns.wait_until("notty to exit", || {
        ns.service("notty").exit_status.is_some()
    });
    assert_eq!(
        ns.service("notty").exit_status,
        Some(ExitStatus::Exited(127))
    );
    let respawner = ns.wait_for_state("respawner", ServiceState::Failed);
    assert_eq!(respawner.runs, 3);
    ns.wait_until("the service after them to run", || {
        cfg.log_lines() == ["after"]
    });
    let console = ns.console();
    assert!(
        console.contains("init: noexec: cannot run /nonexistent/prog: No such file or directory"),
        "{console}"
    );
    assert!(console.contains("/nonexistent/dir/tty9"), "{console}");
    check_still_supervised(&ns, "keeper");
}

#[test]
fn a_missing_or_unreadable_env_file_still_boots_every_service() {
    for (case, prepare) in [
        (
            "missing",
            (|cfg: &Config| fs::remove_file(cfg.path("initd.env")).unwrap()) as fn(&Config),
        ),
        // A directory: not a regular file, refused before any read.
        ("unreadable", |cfg: &Config| {
            fs::remove_file(cfg.path("initd.env")).unwrap();
            fs::create_dir(cfg.path("initd.env")).unwrap();
        }),
        ("garbage", |cfg: &Config| {
            fs::write(cfg.path("initd.env"), b"\xff\xfe\0=\nPATH\n=x\nA=\0\n").unwrap()
        }),
    ] {
        let cfg = Config::new(&format!("env-{case}"));
        cfg.enable("keeper", KEEPER);
        // No PATH from the env file: `sh` is found on the default path.
        cfg.enable(
            "talker",
            "type wait\ntarget boot\nexec sh -c \"echo ran >> LOG\"\n",
        );
        prepare(&cfg);
        let Some(ns) = cfg.boot() else { return };
        ns.wait_for_state("talker", ServiceState::Done);
        assert_eq!(cfg.log_lines(), vec!["ran"], "{case}");
        check_still_supervised(&ns, "keeper");
        println!("{case}: console:\n{}", ns.console());
    }
}

#[test]
fn a_missing_config_dir_boots_nothing_answers_and_powers_off() {
    let cfg = Config::new("nodir");
    let mut command = Command::new("unshare");
    let mut argv = cfg.init_argv();
    argv[2] = cfg.path("no-such-dir").into();
    command
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .args(argv);
    let Some(mut ns) = cfg.boot_command(command, Ready::Socket) else {
        return;
    };
    assert!(ns.status().is_empty());
    ns.signal_init(nix::sys::signal::Signal::SIGTERM);
    ns.wait_for_end(Duration::from_secs(15));
    assert!(
        ns.console().ends_with("init: powering off\n"),
        "{}",
        ns.console()
    );
}

#[test]
fn init_starts_without_proc_and_a_boot_service_mounts_it() {
    let cfg = Config::new("noproc");
    cfg.enable(
        "procfs",
        "description mount /proc\ntype wait\ntarget boot\n\
         exec sh -c \"test -e /proc/self || echo no-proc-at-start >> LOG\"\n\
         exec mount -t proc proc /proc\n",
    );
    cfg.enable(
        "keeper",
        "description keeper\ntype respawn\ntarget boot\nafter procfs\nexec sleep 100\n",
    );
    // A fresh mount namespace whose /proc is unmounted (and so empty),
    // then init exec'd as PID 1 of the new PID namespace.
    let mut command = Command::new("unshare");
    command
        .args([
            "--pid",
            "--fork",
            "--kill-child",
            "--mount",
            "--propagation",
            "private",
        ])
        .args([
            "sh",
            "-c",
            "umount -l /proc && test ! -e /proc/self && exec \"$@\"",
            "sh",
        ])
        .args(cfg.init_argv());
    let Some(ns) = cfg.boot_command(command, Ready::Socket) else {
        return;
    };
    ns.wait_for_state("procfs", ServiceState::Done);
    assert_eq!(cfg.log_lines(), vec!["no-proc-at-start"]);
    check_still_supervised(&ns, "keeper");
}

/// A user that owns no process on this machine: the process limit below
/// counts this user's processes only.
const UNUSED_UID: &str = "54321";

#[test]
fn fork_failing_under_rlimit_nproc_leaves_the_rest_supervised() {
    // Root ignores RLIMIT_NPROC (CAP_SYS_RESOURCE in the initial user
    // namespace). So init runs as root of a user namespace whose owner is
    // an unprivileged uid: there the limit binds. The limit of 5 counts
    // unshare and init, so three of the four sleepers fit and the fourth
    // fork fails with EAGAIN.
    let cfg = Config::new("nproc");
    for name in ["a", "b", "c", "d"] {
        cfg.enable(
            name,
            &format!("description sleeper {name}\ntype respawn\ntarget boot\nexec sleep 100\n"),
        );
    }
    let mut command = Command::new("setpriv");
    command
        .args([
            &format!("--reuid={UNUSED_UID}"),
            &format!("--regid={UNUSED_UID}"),
            "--clear-groups",
            "--",
            "prlimit",
            "--nproc=5",
            "--",
            "unshare",
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
        ])
        .args(cfg.init_argv());
    let Some(ns) = cfg.boot_command(command, Ready::Socket) else {
        return;
    };
    ns.wait_until("a fork to fail", || ns.console().contains("fork failed"));
    let running = |ns: &reliability_support::Namespace| {
        ns.status()
            .iter()
            .filter(|s| s.state == ServiceState::Running)
            .count()
    };
    ns.wait_until("three sleepers to run", || running(&ns) == 3);
    let failed: Vec<String> = ns
        .status()
        .into_iter()
        .filter(|s| s.state != ServiceState::Running)
        .map(|s| format!("{} {}", s.name, s.state.as_str()))
        .collect();
    println!("not running while the limit holds: {failed:?}");
    println!("console:\n{}", ns.console());

    // Still supervised: kill a sleeper and the freed slot is taken again
    // (by it or by the one whose fork failed, whichever is due first).
    let pids = |ns: &reliability_support::Namespace| -> Vec<i32> {
        ns.status().iter().filter_map(|s| s.pid).collect()
    };
    let before = pids(&ns);
    let victim = reliability_support::host_pid(&ns, before[0]);
    nix::sys::signal::kill(victim, nix::sys::signal::Signal::SIGKILL).unwrap();
    ns.wait_until("a new sleeper in the freed slot", || {
        let now = pids(&ns);
        now.len() == 3 && now != before
    });
    assert!(eventually(Duration::from_secs(1), || running(&ns) == 3));
}

#[test]
fn a_panicking_handler_is_logged_and_init_keeps_supervising() {
    // The init built for tests carries the hook (feature test-panic-hook,
    // turned on by init-bins' dev-dependency): a status request for this
    // pattern panics inside the request handler.
    use init_core::protocol::{Command as Request, Outcome};
    let cfg = Config::new("panic");
    cfg.enable("keeper", KEEPER);
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    for round in 1..=3 {
        let reply = init_os_adapter::client::send(
            &cfg.socket(),
            Request::Status {
                patterns: vec![init_os_adapter::driver::TEST_PANIC_PATTERN.to_string()],
            },
            Duration::from_secs(5),
        );
        // The panic cut the exchange short: no reply, but no hang either.
        assert!(reply.is_err(), "{reply:?}");
        ns.wait_until("the panic on the console", || {
            ns.console()
                .matches("init: internal error, carrying on: ")
                .count()
                == round
        });
        assert!(matches!(
            ns.request(Request::Status { patterns: vec![] }).outcome,
            Outcome::Ok { .. }
        ));
        check_still_supervised(&ns, "keeper");
    }
    let console = ns.console();
    assert!(
        console.contains("test panic hook: a handler panics on purpose"),
        "{console}"
    );
    println!("console:\n{console}");
}

//! The real `init` as PID 1 of a fresh PID namespace, driven from outside
//! like an admin would: signals from the parent namespace, requests over
//! the control socket, and services that leave traces in a log file.
//!
//! Needs root (for the namespace). Without it the tests skip loudly, or
//! fail under `CI=true`. Every namespace is ended with SIGKILL to its
//! `unshare` process (which `--kill-child` passes on), never by name.

mod pid1_support;

use pid1_support::*;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome, Reply};
use init_os_adapter::client;
#[test]
fn boot_runs_wait_once_respawn_and_milestones_in_dependency_order() {
    let cfg = Config::new("order");
    cfg.enable(
        "mounts",
        "description mount everything\ntype wait\ntarget boot\n\
         exec sh -c \"sleep 0.2; echo mounts >> LOG\"\n",
    );
    cfg.enable(
        "vfs",
        "description file systems\ntype wait\ntarget boot\nafter mounts\n",
    );
    cfg.enable(
        "socketcheck",
        "type wait\ntarget boot\nafter vfs\n\
         exec sh -c \"test -S DIR/run/init.sock && echo socket-ready >> LOG\"\n",
    );
    cfg.enable(
        "syslog",
        "description system log\ntype wait\ntarget boot\nafter vfs\n\
         exec sh -c \"echo syslog >> LOG\"\n",
    );
    cfg.enable(
        "daemon",
        "description a daemon\ntype respawn\ntarget boot\nafter vfs\n\
         exec sh -c \"echo daemon >> LOG; exec sleep 100\"\n",
    );
    cfg.enable(
        "late",
        "description late\ntype once\ntarget boot\nafter syslog socketcheck\n\
         exec sh -c \"echo late >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();

    ns.wait_until("every service to log", || cfg.log_lines().len() >= 5);
    let lines = cfg.log_lines();
    let at = |word: &str| {
        lines
            .iter()
            .position(|l| l == word)
            .unwrap_or_else(|| panic!("{word} never ran: {lines:?}"))
    };
    assert_eq!(at("mounts"), 0, "{lines:?}");
    assert!(at("syslog") < at("late"), "{lines:?}");
    assert!(at("socket-ready") < at("late"), "{lines:?}");
    assert!(at("daemon") > at("mounts"), "{lines:?}");

    let daemon = ns.wait_for_state(&socket, "daemon", ServiceState::Running);
    assert!(daemon.pid.is_some() && daemon.runs == 1, "{daemon:?}");
    assert_eq!(ns.service(&socket, "mounts").state, ServiceState::Done);
    assert_eq!(ns.service(&socket, "vfs").state, ServiceState::Done);
    let console = ns.console();
    assert!(console.contains("[ OK ] mount everything"), "{console}");
    assert!(console.contains("[ UP ] a daemon"), "{console}");
}

#[test]
fn a_respawn_service_stops_at_its_limit_and_is_failed() {
    let cfg = Config::new("limit");
    cfg.enable(
        "flaky",
        "description flaky\ntype respawn limit 3\ntarget boot\n\
         exec sh -c \"echo run >> LOG; exit 1\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let flaky = ns.wait_for_state(&cfg.socket(), "flaky", ServiceState::Failed);
    assert_eq!(flaky.runs, 3);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(cfg.log_lines(), vec!["run", "run", "run"]);
    assert!(ns.console().contains("[FAIL] flaky"), "{}", ns.console());
}

#[test]
fn services_stop_and_start_over_the_socket() {
    let cfg = Config::new("admin");
    cfg.enable(
        "sleeper",
        "description sleeper\ntype respawn\ntarget boot\nexec sleep 100\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    let first = ns.wait_for_state(&socket, "sleeper", ServiceState::Running);

    let stopped = ns.request(
        &socket,
        Request::Stop {
            patterns: vec!["sleep*".to_string()],
        },
    );
    assert_eq!(affected(stopped), vec!["sleeper"]);
    let entry = ns.wait_for_state(&socket, "sleeper", ServiceState::Stopped);
    assert_eq!(entry.pid, None);
    // Stopped means stopped: no respawn behind the admin's back.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(ns.service(&socket, "sleeper").state, ServiceState::Stopped);

    let started = ns.request(
        &socket,
        Request::Start {
            patterns: vec!["sleeper".to_string()],
        },
    );
    assert_eq!(affected(started), vec!["sleeper"]);
    let second = ns.wait_for_state(&socket, "sleeper", ServiceState::Running);
    assert_ne!(second.pid, first.pid);

    let restarted = ns.request(
        &socket,
        Request::Restart {
            patterns: vec!["sleeper".to_string()],
        },
    );
    assert_eq!(affected(restarted), vec!["sleeper"]);
    ns.wait_until("a new process after the restart", || {
        let entry = ns.service(&socket, "sleeper");
        entry.state == ServiceState::Running && entry.pid != second.pid
    });

    let unknown = ns.request(
        &socket,
        Request::Stop {
            patterns: vec!["nothing*".to_string()],
        },
    );
    assert_eq!(
        unknown.outcome,
        Outcome::Error {
            message: "no service matches nothing*".to_string()
        }
    );
}

#[test]
fn sighup_reloads_the_configuration_directory() {
    let cfg = Config::new("reload");
    cfg.enable(
        "first",
        "type wait\ntarget boot\nexec sh -c \"echo first >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "first", ServiceState::Done);
    assert!(ns.status(&socket).iter().all(|s| s.name != "added"));

    cfg.enable(
        "added",
        "description added later\ntype once\ntarget boot\n\
         exec sh -c \"echo added >> LOG\"\n",
    );
    ns.signal_init(nix::sys::signal::Signal::SIGHUP);
    ns.wait_until("the reload to show the new service", || {
        ns.status(&socket).iter().any(|s| s.name == "added")
    });
    affected(ns.request(
        &socket,
        Request::Start {
            patterns: vec!["added".to_string()],
        },
    ));
    ns.wait_until("the new service to run", || {
        cfg.log_lines().contains(&"added".to_string())
    });

    // A directory that cannot be read is an I/O failure, not an empty
    // configuration: the reload is refused and every service stays.
    fs::rename(cfg.path("init.d"), cfg.path("init.d.away")).unwrap();
    let refused = ns.request(&socket, Request::Reload);
    assert!(
        matches!(&refused.outcome, Outcome::Error { message } if message.starts_with("reload skipped: cannot read")),
        "{refused:?}"
    );
    assert_eq!(ns.status(&socket).len(), 2);
}

#[test]
fn a_waiting_service_disabled_and_enabled_again_during_boot_still_starts() {
    let cfg = Config::new("reload-waiting");
    cfg.enable(
        "mounts",
        "type wait\ntarget boot\n\
         exec sh -c \"while [ ! -e DIR/go ]; do sleep 0.05; done\"\n",
    );
    let web = "type once\ntarget boot\nafter mounts\nexec sh -c \"echo web >> LOG\"\n";
    cfg.enable("web", web);
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "web", ServiceState::Waiting);

    fs::remove_file(cfg.path("init.d/web")).unwrap();
    ns.signal_init(nix::sys::signal::Signal::SIGHUP);
    ns.wait_until("the reload to forget web", || {
        ns.status(&socket).iter().all(|s| s.name != "web")
    });
    cfg.enable("web", web);
    ns.signal_init(nix::sys::signal::Signal::SIGHUP);
    // The boot run still goes on: web joins it and waits for mounts.
    ns.wait_until("the reload to add web, waiting", || {
        ns.status(&socket)
            .iter()
            .any(|s| s.name == "web" && s.state == ServiceState::Waiting)
    });
    fs::write(cfg.path("go"), "").unwrap();
    ns.wait_for_state(&socket, "web", ServiceState::Done);
    ns.wait_until("web to run", || cfg.log_lines() == ["web"]);
    assert_eq!(ns.service(&socket, "web").runs, 1);
}

/// The Pygos `sshd_keygen` pattern: a `wait` service whose last steps
/// disable it (`service disable`, which reloads init) and then finish its
/// work. It keeps its place in the boot until it exits: the service after
/// it finds the work done, and its exit is reported.
fn a_wait_service_that_disables_itself_still_orders_the_boot(test: &str, flags: &[&str]) {
    let cfg = Config::new(test);
    cfg.enable(
        "keygen",
        &format!(
            "description generate host keys\ntype wait\ntarget boot\nexec {{\n\
             {} --config-dir DIR/init.d --template-dir DIR/share --socket DIR/run/init.sock \
             disable keygen\n\
             sleep 1.5\n\
             touch DIR/keys\n}}\n",
            env!("CARGO_BIN_EXE_service")
        ),
    );
    cfg.enable(
        "sshd",
        "type once\ntarget boot\nafter keygen\n\
         exec sh -c \"if [ -e DIR/keys ]; then echo keys-found; else echo no-keys; fi >> LOG\"\n",
    );
    let Some(ns) = cfg.boot_with(flags) else {
        return;
    };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "sshd", ServiceState::Done);
    assert_eq!(cfg.log_lines(), ["keys-found"], "{}", ns.console());
    assert!(
        ns.console().contains("[ OK ] generate host keys\n"),
        "{}",
        ns.console()
    );
    assert!(!cfg.path("init.d/keygen").exists());
    assert!(ns.status(&socket).iter().all(|s| s.name != "keygen"));
}

#[test]
fn a_wait_service_that_disables_itself_keeps_its_place_until_it_exits() {
    a_wait_service_that_disables_itself_still_orders_the_boot("self-disable", &[]);
}

#[test]
fn a_wait_service_that_disables_itself_keeps_its_place_in_sequential_mode() {
    a_wait_service_that_disables_itself_still_orders_the_boot(
        "self-disable-seq",
        &["--sequential"],
    );
}

#[test]
fn sigterm_runs_the_shutdown_target_in_order_and_ends_the_namespace() {
    let cfg = Config::new("shutdown");
    cfg.enable(
        "daemon",
        "type respawn\ntarget boot\nexec sh -c \"echo daemon >> LOG; exec sleep 100\"\n",
    );
    cfg.enable(
        "sigterm@shutdown",
        "description stop everything\ntype wait\ntarget %0\nafter savestate\n\
         exec sh -c \"echo sigterm >> LOG\"\n",
    );
    cfg.enable(
        "savestate",
        "description save state\ntype wait\ntarget shutdown\n\
         exec sh -c \"sleep 0.2; echo savestate >> LOG\"\n",
    );
    // As a machine's init, so that the end is reboot(2) (a container's
    // init exits with a status instead: container_pid1.rs).
    let Some(mut ns) = cfg.boot_with(&["--no-container"]) else {
        return;
    };
    ns.wait_for_state(&cfg.socket(), "daemon", ServiceState::Running);
    // Shutdown stops the daemon first: let it log before it is asked to.
    ns.wait_until("the daemon to log", || cfg.log_lines() == ["daemon"]);

    ns.signal_init(nix::sys::signal::Signal::SIGTERM);
    let ended = ns.wait_for_end();
    assert_eq!(cfg.log_lines(), vec!["daemon", "savestate", "sigterm"]);
    let console = ns.console();
    assert!(console.contains("[ OK ] save state"), "{console}");
    assert!(console.contains("[ OK ] stop everything"), "{console}");
    assert!(console.ends_with("init: powering off\n"), "{console}");
    // reboot(2) in a PID namespace: power-off kills its init with SIGINT,
    // and unshare passes that on.
    assert_eq!(
        ended.signal(),
        Some(libc_signal(nix::sys::signal::Signal::SIGINT))
    );
}

#[test]
fn sigterm_during_a_long_wait_service_still_powers_off() {
    // The original often hung here (a SIGTERM while a `wait` service ran).
    let cfg = Config::new("termwait");
    cfg.enable(
        "slowmount",
        "type wait\ntarget boot\nexec sh -c \"echo started >> LOG; exec sleep 100\"\n",
    );
    cfg.enable(
        "after_slow",
        "type once\ntarget boot\nafter slowmount\nexec sh -c \"echo never >> LOG\"\n",
    );
    cfg.enable(
        "goodbye",
        "type wait\ntarget shutdown\nexec sh -c \"echo goodbye >> LOG\"\n",
    );
    let Some(mut ns) = cfg.boot() else { return };
    ns.wait_until("the wait service to start", || {
        cfg.log_lines() == ["started"]
    });
    let asked = Instant::now();
    ns.signal_init(nix::sys::signal::Signal::SIGTERM);
    ns.wait_for_end();
    assert_eq!(cfg.log_lines(), vec!["started", "goodbye"]);
    println!(
        "powered off {} ms after SIGTERM",
        asked.elapsed().as_millis()
    );
}

#[test]
fn sigint_runs_the_reboot_target_and_a_request_can_ask_for_it_too() {
    let cfg = Config::new("reboot");
    // One template, enabled for both targets, as Pygos does it.
    let template = "description stop everything\ntype wait\ntarget %0\n\
                    exec sh -c \"echo %0-target >> LOG\"\n";
    cfg.enable("sigterm@reboot", template);
    cfg.enable("sigterm@shutdown", template);
    let Some(mut ns) = cfg.boot_with(&["--no-container"]) else {
        return;
    };
    ns.signal_init(nix::sys::signal::Signal::SIGINT);
    // Restart kills a namespace's init with SIGHUP.
    let ended = ns.wait_for_end();
    assert_eq!(
        ended.signal(),
        Some(libc_signal(nix::sys::signal::Signal::SIGHUP))
    );
    assert_eq!(cfg.log_lines(), vec!["reboot-target"]);
    assert!(
        ns.console().ends_with("init: rebooting\n"),
        "{}",
        ns.console()
    );

    fs::remove_file(cfg.log()).unwrap();
    let Some(mut ns) = cfg.boot() else { return };
    assert_eq!(ns.request(&cfg.socket(), Request::Shutdown), Reply::ok());
    ns.wait_for_end();
    assert_eq!(cfg.log_lines(), vec!["shutdown-target"]);
}

#[test]
fn services_get_exactly_the_env_file_as_their_environment() {
    let cfg = Config::new("env");
    fs::write(
        cfg.path("initd.env"),
        "# the whole environment\nPATH=/usr/bin:/bin\nGREETING=hello  world\n\nEMPTY=\n",
    )
    .unwrap();
    cfg.enable(
        "printenv",
        "type wait\ntarget boot\ntty truncate DIR/env.out\nexec env\n",
    );
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "printenv", ServiceState::Done);
    assert_eq!(
        fs::read_to_string(cfg.path("env.out")).unwrap(),
        "PATH=/usr/bin:/bin\nGREETING=hello  world\nEMPTY=\n"
    );
}

#[test]
fn tty_truncate_empties_the_file_and_takes_stdout_and_stderr() {
    let cfg = Config::new("tty");
    fs::write(cfg.path("out.log"), "stale output from the last boot\n").unwrap();
    cfg.enable(
        "talker",
        "type wait\ntarget boot\ntty truncate DIR/out.log\n\
         exec sh -c \"echo to-stdout; echo to-stderr >&2\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "talker", ServiceState::Done);
    assert_eq!(
        fs::read_to_string(cfg.path("out.log")).unwrap(),
        "to-stdout\nto-stderr\n"
    );
}

#[test]
fn a_double_forked_orphan_is_reaped_and_leaves_no_zombie() {
    let cfg = Config::new("orphan");
    cfg.enable(
        "forker",
        "type wait\ntarget boot\nexec sh -c \"sleep 0.3 & exit 0\"\n",
    );
    let checker = cfg.script(
        "zombies.sh",
        "sleep 1\n\
         zombies=0\n\
         for stat in /proc/[0-9]*/stat; do\n\
           read -r line < \"$stat\" || continue\n\
           case \"${line##*) }\" in Z*) zombies=$((zombies + 1));; esac\n\
         done\n\
         echo \"zombies=$zombies\" >> LOG",
    );
    cfg.enable(
        "checker",
        &format!("type wait\ntarget boot\nafter forker\nexec {checker}\n"),
    );
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "checker", ServiceState::Done);
    assert_eq!(cfg.log_lines(), vec!["zombies=0"]);
}

#[test]
fn a_command_that_cannot_run_is_named_on_the_console_and_fails() {
    let cfg = Config::new("noexec");
    cfg.enable(
        "broken",
        "description broken service\ntype wait\ntarget boot\nexec /nonexistent/prog --flag\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let broken = ns.wait_for_state(&cfg.socket(), "broken", ServiceState::Done);
    assert_eq!(
        broken.exit_status,
        Some(init_core::events::ExitStatus::Exited(127))
    );
    ns.wait_until("the failure on the console", || {
        ns.console()
            .contains("init: broken: cannot run /nonexistent/prog: No such file or directory\n")
            && ns.console().contains("[FAIL] broken service")
    });
}

/// Not a test of its own: the client a non-root user runs, when the test
/// binary is started again under `setpriv` (pid1_support).
#[test]
fn client_helper_for_other_users() {
    pid1_support::run_client_helper();
}

/// Sends `request` as user nobody and returns init's reply.
fn request_as_nobody(cfg: &Config, request: &Request) -> Reply {
    cfg.request_as_nobody(&cfg.install_client_helper(), request)
}

#[test]
fn only_root_may_change_services_but_anyone_may_ask_for_status() {
    let cfg = Config::new("access");
    cfg.enable(
        "sleeper",
        "description sleeper\ntype respawn\ntarget boot\nexec sleep 100\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "sleeper", ServiceState::Running);

    let refused = request_as_nobody(
        &cfg,
        &Request::Stop {
            patterns: vec!["sleeper".to_string()],
        },
    );
    assert!(
        matches!(&refused.outcome, Outcome::Error { message } if message.starts_with("permission denied")),
        "{refused:?}"
    );
    let status = request_as_nobody(&cfg, &Request::Status { patterns: vec![] });
    assert!(
        matches!(&status.outcome, Outcome::Ok { services, .. } if services.len() == 1),
        "{status:?}"
    );
    // The refusal changed nothing.
    assert_eq!(ns.service(&socket, "sleeper").state, ServiceState::Running);
}

#[test]
fn the_socket_is_bound_again_after_a_boot_service_mounts_over_its_directory() {
    let cfg = Config::new("rebind");
    cfg.enable(
        "mountrun",
        "type wait\ntarget boot\nexec mount -t tmpfs run DIR/run\n",
    );
    cfg.enable(
        "asker",
        "type wait\ntarget boot\nafter mountrun\n\
         exec sh -c \"sleep 0.3; test -S DIR/run/init.sock && echo rebound >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    ns.wait_until("the service behind the mount to see the socket", || {
        cfg.log_lines() == ["rebound"]
    });
    assert!(ns.console().matches("init: listening on").count() >= 2);
}

/// `--supervise`: under another init, as a child subreaper. Needs no root.
#[test]
fn supervise_mode_exits_0_after_shutdown_and_leaves_no_descendant() {
    let cfg = Config::new("supervise");
    cfg.enable(
        "daemon",
        "type respawn\ntarget boot\nexec sh -c \"sleep 100 & echo $! > DIR/orphan.pid; exec sleep 100\"\n",
    );
    let console = fs::File::create(cfg.path("console")).unwrap();
    let mut init = Command::new(env!("CARGO_BIN_EXE_init"))
        .arg("--supervise")
        .arg("--config-dir")
        .arg(cfg.path("init.d"))
        .arg("--env-file")
        .arg(cfg.path("initd.env"))
        .arg("--socket")
        .arg(cfg.socket())
        .stdin(Stdio::null())
        .stdout(console.try_clone().unwrap())
        .stderr(console)
        .spawn()
        .unwrap();
    let ns = Namespace {
        unshare: Command::new("sleep").arg("100").spawn().unwrap(),
        console: cfg.path("console"),
        cgroup_subtree: None,
    };
    // The shell creates orphan.pid before it writes the pid into it.
    let written_pid = || -> Option<i32> {
        fs::read_to_string(cfg.path("orphan.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    ns.wait_until("the daemon and its background child", || {
        written_pid().is_some() && cfg.socket().exists()
    });
    let orphan = written_pid().unwrap();
    assert_eq!(
        client::send(&cfg.socket(), Request::Shutdown, Duration::from_secs(5)).unwrap(),
        Reply::ok()
    );
    let status = init.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", ns.console());
    // The background child was a descendant: kill-all reached it. It may
    // take a moment to die, and once init has exited whoever inherited it
    // reaps it, but it must not live on for its 100 s.
    ns.wait_until("the background child to be dead", || {
        match fs::read_to_string(format!("/proc/{orphan}/stat")) {
            // A zombie waiting for the host's init to reap it is dead.
            Ok(stat) => stat[stat.rfind(')').unwrap() + 1..]
                .trim_start()
                .starts_with('Z'),
            Err(_) => true,
        }
    });
}

#[test]
fn init_refuses_to_run_unless_pid_1_or_told_to_supervise() {
    let out = Command::new(env!("CARGO_BIN_EXE_init"))
        .args(["--config-dir", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "init: must run as PID 1 (or pass --supervise to run under another init)\n"
    );
}

#[test]
fn sigusr1_binds_the_socket_again_and_garbage_changes_nothing() {
    let cfg = Config::new("usr1");
    cfg.enable(
        "sleeper",
        "description sleeper\ntype respawn\ntarget boot\nexec sleep 100\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "sleeper", ServiceState::Running);

    for garbage in [
        &b"\xff\xfe\n"[..],
        b"{\"version\":1}\n",
        &[b'x'; 10_000][..],
    ] {
        let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        use std::io::{Read, Write};
        let _ = stream.write_all(garbage);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply);
        assert!(
            reply.starts_with("{\"version\":1,\"result\":\"error\""),
            "{reply}"
        );
    }
    assert_eq!(ns.service(&socket, "sleeper").state, ServiceState::Running);

    fs::remove_file(&socket).unwrap();
    ns.signal_init(nix::sys::signal::Signal::SIGUSR1);
    // Connectable, not only there: bind makes the file before listen.
    ns.wait_until("the socket to come back", || {
        std::os::unix::net::UnixStream::connect(&socket).is_ok()
    });
    assert_eq!(ns.status(&socket).len(), 1);
}

#[test]
fn a_boot_service_can_ask_init_for_status() {
    let cfg = Config::new("bootstatus");
    let helper = cfg.install_client_helper();
    // The service's environment is the env file: the helper's settings go
    // there.
    fs::write(
        cfg.path("initd.env"),
        format!(
            "PATH=/usr/bin:/bin\nINIT_TEST_CLIENT_SOCKET={}\n\
             INIT_TEST_CLIENT_REQUEST={{\"request\":\"status\",\"patterns\":[\"asker\"]}}\n",
            cfg.socket().display()
        ),
    )
    .unwrap();
    cfg.enable(
        "asker",
        &format!(
            "type wait\ntarget boot\ntty truncate DIR/asker.out\n\
             exec {} --exact client_helper_for_other_users --nocapture\n",
            helper.display()
        ),
    );
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state(&cfg.socket(), "asker", ServiceState::Done);
    let out = fs::read_to_string(cfg.path("asker.out")).unwrap();
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("REPLY:"))
        .unwrap_or_else(|| panic!("no reply in {out}"));
    let reply: Reply = serde_json::from_str(line).unwrap();
    let Outcome::Ok { services, .. } = reply.outcome else {
        panic!("{reply:?}")
    };
    // It saw itself, running.
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].state, ServiceState::Running);
}

#[test]
fn sequential_runs_one_service_at_a_time() {
    let cfg = Config::new("sequential");
    for name in ["one", "two", "three"] {
        cfg.enable(name, "type wait\ntarget boot\nexec sleep 0.1\n");
    }
    let Some(ns) = cfg.boot_with(&["--sequential"]) else {
        return;
    };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "two", ServiceState::Done);
    ns.wait_for_state(&socket, "three", ServiceState::Done);
    let mut runs: Vec<(u64, u64)> = ns
        .status(&socket)
        .iter()
        .map(|s| (s.spawned_at_ms.unwrap(), s.exited_at_ms.unwrap()))
        .collect();
    runs.sort();
    // Each starts once the one before it has exited: no overlap.
    assert!(runs.windows(2).all(|w| w[1].0 >= w[0].1), "{runs:?}");
}

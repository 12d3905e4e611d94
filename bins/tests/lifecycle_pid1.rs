//! The lifecycle settings against the real `init` as PID 1 of a PID
//! namespace: stop signals, stop timeouts, process groups and the ordered
//! way down.
//!
//! Needs root, like `init_pid1.rs`; see `pid1_support`.

mod pid1_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use init_core::events::{ExitStatus, ServiceState};
use init_core::protocol::Command as Request;
use pid1_support::*;

fn stop(ns: &Namespace, cfg: &Config, name: &str) {
    let reply = ns.request(
        &cfg.socket(),
        Request::Stop {
            patterns: vec![name.to_string()],
        },
    );
    assert_eq!(affected(reply), vec![name.to_string()]);
}

/// Processes of the machine whose command line is exactly `argv`.
fn processes_running(argv: &[&str]) -> usize {
    let wanted: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
                .filter(|e| fs::read(e.path().join("cmdline")).is_ok_and(|c| c == wanted))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_service_that_ignores_term_is_killed_at_its_stop_timeout() {
    let cfg = Config::new("stoptimeout");
    // An ignored signal stays ignored across fork and exec, so the sleeps
    // ignore TERM too: only KILL ends this service.
    cfg.enable(
        "stubborn",
        "type respawn\ntarget boot\nstop-timeout 1s\n\
         exec sh -c \"trap '' TERM; echo up >> LOG; while :; do sleep 0.05; done\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "stubborn", ServiceState::Running);
    ns.wait_until("the service to start its loop", || {
        cfg.log_lines() == ["up"]
    });

    let asked = Instant::now();
    stop(&ns, &cfg, "stubborn");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        ns.service(&socket, "stubborn").state,
        ServiceState::Stopping,
        "TERM is ignored, so it is still being stopped"
    );
    let stopped = ns.wait_for_state(&socket, "stubborn", ServiceState::Stopped);
    let took = asked.elapsed();
    assert_eq!(stopped.exit_status, Some(ExitStatus::Signaled(9)));
    // Init's clock counts whole milliseconds, so a stop asked for late
    // in one millisecond gets its KILL up to a millisecond short of the
    // timeout as measured from here.
    assert!(
        took >= Duration::from_millis(999) && took < Duration::from_millis(3000),
        "KILL came {} ms after the stop, not at the 1 s stop timeout",
        took.as_millis()
    );
}

#[test]
fn the_stop_signal_is_the_one_the_service_asks_for() {
    let cfg = Config::new("stopsignal");
    cfg.enable(
        "graceful",
        "type respawn\ntarget boot\nstop-signal USR1\n\
         exec sh -c \"trap 'echo usr1 >> LOG; exit 0' USR1; echo up >> LOG; \
         while :; do sleep 0.05; done\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_until("the service to start its loop", || {
        cfg.log_lines() == ["up"]
    });
    stop(&ns, &cfg, "graceful");
    let stopped = ns.wait_for_state(&socket, "graceful", ServiceState::Stopped);
    assert_eq!(cfg.log_lines(), ["up", "usr1"]);
    assert_eq!(stopped.exit_status, Some(ExitStatus::Exited(0)));
}

#[test]
fn a_stop_reaches_every_process_of_the_service_group() {
    let cfg = Config::new("stopgroup");
    // The shell waits on a background child; TERM to the shell alone
    // would leave the child behind. A sleep time no other test uses marks
    // it among the machine's processes.
    let marker = ["sleep", "4711.25"];
    cfg.enable(
        "parent",
        "type respawn\ntarget boot\n\
         exec sh -c \"sleep 4711.25 & echo up >> LOG; wait\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_until("the background child", || processes_running(&marker) == 1);
    stop(&ns, &cfg, "parent");
    ns.wait_for_state(&socket, "parent", ServiceState::Stopped);
    ns.wait_until("the background child to be gone", || {
        processes_running(&marker) == 0
    });
}

#[test]
fn shutdown_stops_running_services_in_reverse_order_before_its_target() {
    let cfg = Config::new("winddown");
    for (name, after) in [
        ("base", ""),
        ("middle", "after base\n"),
        ("top", "after middle\n"),
    ] {
        cfg.enable(
            name,
            &format!(
                "type respawn\ntarget boot\n{after}\
                 exec sh -c \"trap 'echo stop {name} >> LOG; exit 0' TERM; \
                 echo start {name} >> LOG; while :; do sleep 0.05; done\"\n"
            ),
        );
    }
    cfg.enable(
        "goodbye",
        "type wait\ntarget shutdown\nexec sh -c \"echo goodbye >> LOG\"\n",
    );
    let Some(mut ns) = cfg.boot() else { return };
    ns.wait_until("every service to start", || cfg.log_lines().len() == 3);
    ns.signal_init(nix::sys::signal::Signal::SIGTERM);
    ns.wait_for_end();
    // Respawn services count as started once spawned, so the shells may
    // log their starts in any order; the stops are strictly ordered.
    let lines = cfg.log_lines();
    assert_eq!(
        lines[3..],
        ["stop top", "stop middle", "stop base", "goodbye"],
        "{lines:?}"
    );
}

#[test]
fn a_crash_loop_backs_off_exponentially_to_the_cap() {
    let cfg = Config::new("backoff");
    // Each run logs its own start time as the kernel keeps it (field 22
    // of /proc/self/stat: when init forked it, in clock ticks), not the
    // time its shell got round to it, which a loaded machine delays by
    // any amount.
    cfg.enable(
        "flaky",
        "type respawn limit 5\ntarget boot\nrespawn-delay 200ms\nrespawn-delay-max 800ms\n\
         exec sh -c \"read -r stat < /proc/self/stat; set -- $stat; echo ${22} >> LOG; exit 1\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let flaky = ns.wait_for_state(&cfg.socket(), "flaky", ServiceState::Failed);
    assert_eq!(flaky.runs, 5);
    let ticks_per_s = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .unwrap()
        .unwrap() as u64;
    let starts_ms: Vec<u64> = cfg
        .log_lines()
        .iter()
        .map(|l| l.parse::<u64>().expect("clock ticks since boot") * 1000 / ticks_per_s)
        .collect();
    let gaps_ms: Vec<u64> = starts_ms.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps_ms.len(), 4, "{gaps_ms:?}");
    // The delay counts from the previous start as the core asked for it.
    // A fork follows the asking by a moment that a loaded machine
    // stretches (170 ms was seen at load 11), which shortens the next gap
    // by as much: so the lower bound is on the time since the first run,
    // where only the first fork's lag counts. The upper bound on each gap
    // still tells the cap (800) from a doubling (1600).
    let delays_ms = [200, 400, 800, 800];
    let mut since_first = 0;
    let mut delays_since_first = 0;
    for (gap, delay) in gaps_ms.iter().zip(delays_ms) {
        since_first += gap;
        delays_since_first += delay;
        assert!(
            since_first + 100 >= delays_since_first && *gap < delay + 550,
            "gaps {gaps_ms:?} ms, delays {delays_ms:?}"
        );
    }
}

/// With no backoff keywords, a service that fails at once is not
/// restarted ten times a second (the original's and the old default's
/// constant 100 ms) but backs off to the 5 s cap: 7 starts in 10 s
/// (0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3 s), where a constant delay made 100.
#[test]
fn a_crash_loop_backs_off_by_default() {
    const WATCHED: Duration = Duration::from_secs(10);
    let cfg = Config::new("defaultbackoff");
    cfg.enable(
        "flaky",
        "type respawn\ntarget boot\nexec sh -c \"echo start >> LOG; exit 1\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let started = Instant::now();
    ns.wait_until("the first start", || !cfg.log_lines().is_empty());
    std::thread::sleep(WATCHED.saturating_sub(started.elapsed()));
    let starts = cfg.log_lines().len();
    println!("a crash loop with the default backoff: {starts} starts in 10 s");
    // A loaded machine only delays starts; the margin allows for a clock
    // that was slow to begin with.
    assert!((5..=15).contains(&starts), "{starts} starts in 10 s");
}

#[test]
fn a_service_runs_as_nobody_with_the_limits_and_settings_it_was_given() {
    let cfg = Config::new("execsettings");
    // nobody must be able to append to the log.
    fs::write(cfg.log(), "").unwrap();
    fs::set_permissions(cfg.log(), fs::Permissions::from_mode(0o666)).unwrap();
    fs::write(
        cfg.path("extra.env"),
        "FROM_FILE=file\nGREETING=overridden\n",
    )
    .unwrap();
    cfg.enable(
        "unprivileged",
        "type once\ntarget boot\nuser nobody\nrlimit nofile 123 456\nworking-dir /tmp\n\
         umask 027\nnice 5\nenv-file DIR/extra.env\nenv GREETING=hello\n\
         exec sh -c \"echo $(id -un) $(ulimit -Sn) $(ulimit -Hn) $(pwd) $(umask) \
         $FROM_FILE $GREETING $(cut -d' ' -f19 /proc/self/stat) >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    ns.wait_until("the service to log", || !cfg.log_lines().is_empty());
    assert_eq!(
        cfg.log_lines(),
        ["nobody 123 456 /tmp 0027 file hello 5"],
        "user, soft and hard nofile, working dir, umask, env file, env, nice"
    );
}

#[test]
fn a_setting_the_system_cannot_apply_fails_the_service_and_says_why() {
    let cfg = Config::new("badsettings");
    cfg.enable(
        "ghost",
        "description runs as nobody known\ntype once\ntarget boot\nuser nosuchuser42\n\
         exec sh -c \"echo never >> LOG\"\n",
    );
    cfg.enable(
        "lost",
        "type respawn\ntarget boot\nworking-dir /nonexistent/dir\n\
         exec sh -c \"echo never >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    let ghost = ns.wait_for_state(&socket, "ghost", ServiceState::Failed);
    assert_eq!(
        ghost.error.as_deref(),
        Some("ghost: no user named nosuchuser42")
    );
    ns.wait_until("lost to be tried", || {
        ns.service(&socket, "lost").error.is_some()
    });
    assert_eq!(
        ns.service(&socket, "lost").error.as_deref(),
        Some("lost: cannot change to working-dir /nonexistent/dir: No such file or directory")
    );
    let console = ns.console();
    assert!(
        console.contains("ghost: no user named nosuchuser42"),
        "{console}"
    );
    assert!(console.contains("[FAIL] runs as nobody known"), "{console}");
    assert!(cfg.log_lines().is_empty(), "nothing ran");
    // init itself is fine: it still answers.
    assert_eq!(ns.service(&socket, "ghost").state, ServiceState::Failed);
}

#[test]
fn services_after_a_ready_fd_service_wait_for_its_word() {
    let cfg = Config::new("readyfd");
    cfg.enable(
        "db",
        "description database\ntype respawn\ntarget boot\nready-fd 3\n\
         exec sh -c \"sleep 0.5; echo db-ready >> LOG; echo >&3; exec sleep 100\"\n",
    );
    cfg.enable(
        "web",
        "type once\ntarget boot\nafter db\nexec sh -c \"echo web >> LOG\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    let db = ns.wait_for_state(&socket, "db", ServiceState::Running);
    if cfg.log_lines().is_empty() {
        assert_eq!(db.ready, Some(false), "running, not yet ready: {db:?}");
    }
    ns.wait_until("web to run", || cfg.log_lines().len() == 2);
    assert_eq!(cfg.log_lines(), ["db-ready", "web"]);
    assert_eq!(ns.service(&socket, "db").ready, Some(true));
    assert!(ns.console().contains("[ UP ] database"), "{}", ns.console());
}

#[test]
fn a_ready_file_counts_and_a_service_never_ready_fails_at_its_timeout() {
    let cfg = Config::new("readyfile");
    cfg.enable(
        "filer",
        "type respawn\ntarget boot\nready-file DIR/filer.ready\n\
         exec sh -c \"sleep 0.3; touch DIR/filer.ready; exec sleep 100\"\n",
    );
    cfg.enable(
        "after_filer",
        "type once\ntarget boot\nafter filer\nexec sh -c \"echo after-filer >> LOG\"\n",
    );
    cfg.enable(
        "mute",
        "description never says a word\ntype respawn\ntarget boot\nready-fd 3\n\
         ready-timeout 500ms\nexec sleep 100\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_until("after_filer to run", || cfg.log_lines() == ["after-filer"]);
    assert_eq!(ns.service(&socket, "filer").ready, Some(true));
    let mute = ns.wait_for_state(&socket, "mute", ServiceState::Failed);
    assert_eq!(mute.ready, Some(false));
    assert!(
        ns.console().contains("[FAIL] never says a word"),
        "{}",
        ns.console()
    );
}

/// Whether init will find a writable cgroup2 hierarchy here. CI's
/// machines have one (see MACHINE-FACTS): there a missing one is a
/// failure, elsewhere a note.
fn writable_cgroup2() -> bool {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let skip = |why: String| {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("SKIPPED (not under CI): {why}");
        false
    };
    let Some(mount) = init_os_adapter::cgroup::cgroup2_mount(&mountinfo) else {
        return skip(
            "no cgroup2 hierarchy is mounted here, so stop can only use process groups".to_string(),
        );
    };
    let probe = mount.join(format!("lifecycle-probe.{}", std::process::id()));
    if fs::create_dir(&probe).is_err() {
        return skip(format!(
            "the cgroup2 hierarchy at {} is not writable",
            mount.display()
        ));
    }
    let _ = fs::remove_dir(&probe);
    true
}

#[test]
fn a_waiting_services_cgroup_is_made_before_it_starts() {
    if !writable_cgroup2() {
        return;
    }
    let cfg = Config::new("cgroupahead");
    cfg.enable("first", "type wait\ntarget boot\nexec sleep 100\n");
    cfg.enable(
        "second",
        "type once\ntarget boot\nafter first\nexec sleep 100\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_for_state(&socket, "first", ServiceState::Running);
    let subtree = ns.cgroup_subtree.clone().expect("init's cgroup subtree");
    // Made while init had nothing else to do, not when `second` starts.
    ns.wait_until("second's cgroup", || {
        subtree.join("second/cgroup.procs").exists()
    });
    assert_eq!(ns.service(&socket, "second").state, ServiceState::Waiting);
}

#[test]
fn a_double_forking_daemon_is_fully_stopped_through_its_cgroup() {
    if !writable_cgroup2() {
        return;
    }

    let cfg = Config::new("cgroupkill");
    // The daemon leaves its process group and session (setsid) and its
    // parent exits at once: only the cgroup still knows it. A sleep time
    // no other test uses marks it among the machine's processes.
    let marker = ["sleep", "4712.75"];
    cfg.enable(
        "forker",
        "type respawn\ntarget boot\n\
         exec sh -c \"(setsid sleep 4712.75 &); echo up >> LOG; exec sleep 100\"\n",
    );
    let Some(ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    ns.wait_until("the daemon", || processes_running(&marker) == 1);
    let running = ns.service(&socket, "forker");
    assert_eq!(running.stop_scope.as_deref(), Some("cgroup"), "{running:?}");
    assert_eq!(
        running.processes,
        Some(2),
        "sh's sleep and the daemon: {running:?}"
    );
    stop(&ns, &cfg, "forker");
    ns.wait_for_state(&socket, "forker", ServiceState::Stopped);
    ns.wait_until("the double-forked daemon to be gone", || {
        processes_running(&marker) == 0
    });
}

/// A master that, like nginx's, starts a worker holding the port (a
/// directory here) and stays in front of it. A second master cannot
/// "bind" while a worker of the first still holds it. The master says it
/// is up only once its worker is ready for TERM: a test that kills the
/// master at its word must not find the port held by no one.
fn enable_master_and_worker(cfg: &Config, extra: &str) {
    let master = cfg.script(
        "web.sh",
        "mkdir DIR/port 2>/dev/null || { echo bind-failed >> LOG; exit 1; }\n\
         (trap 'rmdir DIR/port; echo worker-ended >> LOG; exit 0' TERM\n \
         touch DIR/worker-ready\n \
         while :; do sleep 0.05; done) &\n\
         while [ ! -e DIR/worker-ready ]; do sleep 0.01; done\n\
         rm DIR/worker-ready\n\
         echo master-up >> LOG\n\
         exec sleep 1000",
    );
    cfg.enable(
        "web",
        &format!("type respawn\ntarget boot\nexec {master}\n{extra}"),
    );
}

/// Waits for the first master and kills it with SIGKILL; its pid.
fn kill_the_master(ns: &Namespace, cfg: &Config) -> i32 {
    ns.wait_until("the master", || cfg.log_lines() == ["master-up"]);
    let master = ns
        .service(&cfg.socket(), "web")
        .pid
        .expect("the master's pid");
    nix::sys::signal::kill(ns.host_pid(master), nix::sys::signal::Signal::SIGKILL).unwrap();
    master
}

/// issue 26, defect 3: the nginx master is killed while its worker holds
/// port 80. What the master left is ended (TERM) before it is started
/// again, so the new master can bind.
#[test]
fn what_a_killed_daemon_left_is_ended_before_it_is_started_again() {
    let cfg = Config::new("leftovers");
    enable_master_and_worker(&cfg, "");
    let Some(ns) = cfg.boot() else { return };
    let master = kill_the_master(&ns, &cfg);
    let socket = cfg.socket();
    ns.wait_until("a second master, or its failure", || {
        cfg.log_lines().len() >= 3
    });
    assert_eq!(
        cfg.log_lines(),
        ["master-up", "worker-ended", "master-up"],
        "{}",
        ns.console()
    );
    let web = ns.wait_for_state(&socket, "web", ServiceState::Running);
    assert_ne!(web.pid, Some(master));
}

/// `leftovers keep`: the former behaviour, for a service whose children
/// are meant to outlive its main process.
#[test]
fn a_service_that_keeps_its_leftovers_is_started_again_beside_them() {
    let cfg = Config::new("leftovers-keep");
    enable_master_and_worker(&cfg, "leftovers keep\nrespawn-delay-max 100ms\n");
    let Some(ns) = cfg.boot() else { return };
    kill_the_master(&ns, &cfg);
    ns.wait_until("the second master to fail", || cfg.log_lines().len() >= 2);
    assert_eq!(cfg.log_lines()[..2], ["master-up", "bind-failed"]);
}

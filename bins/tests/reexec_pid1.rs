//! Re-exec (live upgrade) of the real `init` as PID 1 of a PID namespace:
//! the binary is replaced on disk, `reexec` runs the new one, and it goes
//! on supervising the same processes while `status` keeps answering.
//!
//! Needs root, like `init_pid1.rs`; see `pid1_support`.

mod pid1_support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome, Reply};
use init_os_adapter::client;
use nix::sys::signal::{kill, Signal};
use pid1_support::*;

/// Copies the built init to `to` through a temporary name and a rename,
/// as a package manager installs a new build: a new inode at the path.
fn install_init(to: &Path) {
    let temporary = to.with_extension("new");
    fs::copy(env!("CARGO_BIN_EXE_init"), &temporary).unwrap();
    fs::set_permissions(&temporary, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&temporary, to).unwrap();
}

/// What `/proc/PID/exe` of the namespace's init leads to, and whether it
/// is the file now at `binary` (same inode).
fn init_runs(ns: &Namespace, binary: &Path) -> (PathBuf, bool) {
    let exe = format!("/proc/{}/exe", ns.init_pid());
    let link = fs::read_link(&exe).unwrap();
    let same = fs::metadata(&exe).unwrap().ino() == fs::metadata(binary).unwrap().ino();
    (link, same)
}

/// How `status` fared while it was asked in a loop.
struct Polled {
    answered: u32,
    failed: u32,
    slowest: Duration,
}

/// Asks for `status` in a loop until told to stop.
fn poll_status(socket: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Polled> {
    std::thread::spawn(move || {
        let (mut answered, mut failed, mut slowest) = (0, 0, Duration::ZERO);
        while !stop.load(Ordering::Relaxed) {
            let asked = Instant::now();
            let reply = client::send(
                &socket,
                Request::Status { patterns: vec![] },
                Duration::from_secs(5),
            );
            slowest = slowest.max(asked.elapsed());
            match reply {
                Ok(Reply {
                    outcome: Outcome::Ok { .. },
                    ..
                }) => answered += 1,
                other => {
                    eprintln!("status failed during the re-exec: {other:?}");
                    failed += 1;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Polled {
            answered,
            failed,
            slowest,
        }
    })
}

fn enable_services(cfg: &Config) {
    cfg.enable("keeper", "type respawn\ntarget boot\nexec sleep 1000\n");
    cfg.enable(
        "flaky",
        "type respawn\ntarget boot\nexec sh -c \"echo flaky >> LOG; exec sleep 1000\"\n",
    );
    cfg.enable(
        "setup",
        "type once\ntarget boot\nexec sh -c \"echo setup >> LOG\"\n",
    );
}

/// The log in sorted order: services of one run start in parallel.
fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

fn reexec(ns: &Namespace, cfg: &Config) {
    assert_eq!(
        ns.request(&cfg.socket(), Request::Reexec { path: None }),
        Reply::ok()
    );
}

#[test]
fn a_new_binary_takes_over_the_same_processes_and_status_never_stops_answering() {
    let cfg = Config::new("reexec");
    enable_services(&cfg);
    let binary = cfg.path("init");
    install_init(&binary);
    let Some(mut ns) = cfg.boot_as(&binary, &[], &[]) else {
        return;
    };
    let socket = cfg.socket();
    let keeper = ns.wait_for_state(&socket, "keeper", ServiceState::Running);
    let flaky = ns.wait_for_state(&socket, "flaky", ServiceState::Running);
    ns.wait_for_state(&socket, "setup", ServiceState::Done);

    // A newer build lands on disk; init still runs the old one.
    install_init(&binary);
    let (link, same) = init_runs(&ns, &binary);
    assert!(
        !same && link.to_string_lossy().ends_with("(deleted)"),
        "{link:?}"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let poller = poll_status(socket.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(100));
    let flaky_host_pid = ns.host_pid(flaky.pid.unwrap());
    reexec(&ns, &cfg);
    // Answered: the old init is on its way to exec. This exit lands in
    // the gap or just after; either way the new init reaps it.
    kill(flaky_host_pid, Signal::SIGKILL).unwrap();

    ns.wait_until("the new binary to run", || init_runs(&ns, &binary).1);
    ns.wait_until("flaky to be respawned", || {
        let entry = ns.service(&socket, "flaky");
        entry.state == ServiceState::Running && entry.pid != flaky.pid
    });
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let polled = poller.join().unwrap();
    println!(
        "status during the re-exec: {} answered, {} failed, slowest {} ms",
        polled.answered,
        polled.failed,
        polled.slowest.as_millis()
    );
    assert_eq!(polled.failed, 0, "console:\n{}", ns.console());
    assert!(polled.answered > 20, "only {} answered", polled.answered);
    assert!(
        polled.slowest < Duration::from_secs(2),
        "a moment, not more"
    );

    let after = ns.service(&socket, "keeper");
    assert_eq!(after.pid, keeper.pid, "the same process, supervised on");
    assert_eq!(after.state, ServiceState::Running);
    assert_eq!(ns.service(&socket, "setup").state, ServiceState::Done);
    // Running once spawned; its shell logs a moment later.
    ns.wait_until("the respawned flaky to log", || cfg.log_lines().len() >= 3);
    assert_eq!(
        sorted(cfg.log_lines()),
        ["flaky", "flaky", "setup"],
        "flaky was started again, nothing of the boot ran again"
    );
    let console = ns.console();
    assert!(
        console.contains("init: took over from the previous init"),
        "{console}"
    );

    // Still the one that stops everything in order at the end.
    ns.signal_init(Signal::SIGTERM);
    assert_eq!(ns.wait_for_end().code(), Some(0), "{}", ns.console());
}

#[test]
fn a_binary_that_cannot_read_the_state_adopts_the_processes_by_pid() {
    let cfg = Config::new("reexec-fallback");
    enable_services(&cfg);
    cfg.enable("idle", "type respawn\ntarget boot\nexec sleep 1000\n");
    let binary = cfg.path("init");
    install_init(&binary);
    // The old init writes a version no binary reads.
    let Some(mut ns) = cfg.boot_as(&binary, &[], &[("INIT_TEST_HANDOVER_VERSION", "999")]) else {
        return;
    };
    let socket = cfg.socket();
    let keeper = ns.wait_for_state(&socket, "keeper", ServiceState::Running);
    ns.wait_for_state(&socket, "flaky", ServiceState::Running);
    ns.wait_for_state(&socket, "setup", ServiceState::Done);
    assert_eq!(
        ns.request(
            &socket,
            Request::Stop {
                patterns: vec!["idle".to_string()]
            }
        ),
        Reply::affected(vec!["idle".to_string()])
    );
    ns.wait_for_state(&socket, "idle", ServiceState::Stopped);

    reexec(&ns, &cfg);
    ns.wait_until("the fallback to take over", || {
        ns.console()
            .contains("this init reads version 2: adopting the running services by pid")
    });
    let adopted = ns.wait_for_state(&socket, "keeper", ServiceState::Running);
    assert_eq!(adopted.pid, keeper.pid);
    assert_eq!(ns.service(&socket, "setup").state, ServiceState::Done);
    assert_eq!(
        ns.service(&socket, "idle").state,
        ServiceState::Stopped,
        "an admin stop is kept"
    );
    assert_eq!(
        sorted(cfg.log_lines()),
        ["flaky", "setup"],
        "nothing ran again"
    );

    // An adopted process is still init's child: its exit is reaped and
    // the service respawned.
    kill(ns.host_pid(keeper.pid.unwrap()), Signal::SIGKILL).unwrap();
    ns.wait_until("keeper to be respawned", || {
        let entry = ns.service(&socket, "keeper");
        entry.state == ServiceState::Running && entry.pid != keeper.pid
    });
    ns.signal_init(Signal::SIGTERM);
    assert_eq!(ns.wait_for_end().code(), Some(0), "{}", ns.console());
}

#[test]
fn reexec_is_refused_during_shutdown_and_for_a_relative_path() {
    let cfg = Config::new("reexec-refused");
    cfg.enable("slow_goodbye", "type wait\ntarget shutdown\nexec sleep 1\n");
    let Some(mut ns) = cfg.boot() else { return };
    let socket = cfg.socket();
    let refused = ns.request(
        &socket,
        Request::Reexec {
            path: Some("init".to_string()),
        },
    );
    assert_eq!(refused, Reply::error("init is not an absolute path"));
    assert_eq!(ns.request(&socket, Request::Shutdown), Reply::ok());
    let refused = ns.request(&socket, Request::Reexec { path: None });
    assert_eq!(
        refused,
        Reply::error(
            "re-exec is possible only once boot has completed and before shutdown or reboot"
        )
    );
    assert_eq!(ns.wait_for_end().code(), Some(0));
}

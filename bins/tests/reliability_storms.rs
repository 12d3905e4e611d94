//! Storms and floods against the real init as PID 1 of a PID namespace:
//! 10,000 orphans exiting at once, 100,000 malformed connections on the
//! control socket, and clients that never read. init must reap every
//! orphan, keep answering status quickly, and keep supervising.
//!
//! Needs root for the namespaces; see reliability_support. The figures
//! printed here are the ones docs/reliability.md reports.

mod pid1_support;
mod reliability_support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome};
use init_os_adapter::client;
use reliability_support::{check_still_supervised, Config};

const KEEPER: &str = "description keeper\ntype respawn\ntarget boot\nexec sleep 100\n";

/// Intermediates, each leaving this many orphans behind: 100 × 100.
const INTERMEDIATES: usize = 100;
const ORPHANS_EACH: usize = 100;

/// Not a test of its own: the body of the storm service, run as a copy of
/// this test binary inside the namespace. Each intermediate forks its
/// orphans and exits at once; every orphan sleeps a moment and exits, so
/// init (their new parent) gets 10,000 SIGCHLDs in a burst.
#[test]
fn orphan_storm_helper() {
    if std::env::var("INIT_TEST_ORPHAN_STORM").is_err() {
        return;
    }
    for _ in 0..INTERMEDIATES {
        // SAFETY: the children only call async-signal-safe functions
        // (fork, nanosleep, _exit).
        unsafe {
            match nix::libc::fork() {
                0 => {
                    for i in 0..ORPHANS_EACH {
                        if nix::libc::fork() == 0 {
                            let nap = nix::libc::timespec {
                                tv_sec: 0,
                                tv_nsec: (1 + (i % 5) as i64) * 1_000_000,
                            };
                            nix::libc::nanosleep(&nap, std::ptr::null_mut());
                            nix::libc::_exit(0);
                        }
                    }
                    nix::libc::_exit(0);
                }
                pid if pid > 0 => {
                    nix::libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
                _ => panic!("fork failed"),
            }
        }
    }
}

fn install_helper(cfg: &Config) -> PathBuf {
    let helper = cfg.path("helper");
    fs::copy(std::env::current_exe().unwrap(), &helper).unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    helper
}

#[test]
fn a_storm_of_10000_orphans_is_reaped_and_leaves_no_zombie() {
    let cfg = Config::new("orphans");
    let helper = install_helper(&cfg);
    fs::write(
        cfg.path("initd.env"),
        "PATH=/usr/bin:/bin\nINIT_TEST_ORPHAN_STORM=1\n",
    )
    .unwrap();
    cfg.enable("keeper", KEEPER);
    cfg.enable(
        "storm",
        &format!(
            "type wait\ntarget boot\nexec {} --exact orphan_storm_helper --test-threads 1\n",
            helper.display()
        ),
    );
    let Some(ns) = cfg.boot() else { return };
    let started = Instant::now();
    ns.wait_for_state("storm", ServiceState::Done);
    let forked = started.elapsed();
    // Every orphan gone: only init and keeper's sleep are left, and no
    // zombie at all.
    ns.wait_until("every orphan to be reaped", || {
        let left = ns.processes();
        left.len() == 1 && left.iter().all(|p| p.state != 'Z')
    });
    println!(
        "10,000 orphans: forked in {} ms, all reaped {} ms after the start",
        forked.as_millis(),
        started.elapsed().as_millis()
    );
    assert_eq!(
        ns.service("storm").exit_status,
        Some(init_core::events::ExitStatus::Exited(0))
    );
    check_still_supervised(&ns, "keeper");
}

/// One malformed exchange of the flood, by number.
fn malformed(socket: &Path, n: usize) {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return;
    };
    let _ = match n % 6 {
        // Connect and hang up at once.
        0 => Ok(()),
        1 => stream.write_all(b"garbage\n"),
        2 => stream.write_all(b"\xff\xfe\x00\x01\n"),
        3 => stream.write_all(b"{\"version\":99,\"request\":\"stop\"}\n"),
        4 => stream.write_all(&[b'{'; 5000]),
        // Half a request, then hang up.
        _ => stream.write_all(b"{\"version\":1,\"request\":\"sta"),
    };
}

#[test]
fn status_answers_quickly_during_a_flood_of_100000_malformed_connections() {
    const FLOOD: usize = 100_000;
    const FLOODERS: usize = 4;
    let cfg = Config::new("flood");
    cfg.enable("keeper", KEEPER);
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    let socket = cfg.socket();

    let sent = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let (socket, sent) = (socket.clone(), sent.clone());
            std::thread::spawn(move || loop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if n >= FLOOD {
                    break;
                }
                malformed(&socket, n);
            })
        })
        .collect();
    let prober = {
        let (socket, done) = (socket.clone(), done.clone());
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut busy = 0;
            while !done.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let reply = client::send(
                    &socket,
                    Request::Status {
                        patterns: vec!["keeper".to_string()],
                    },
                    Duration::from_secs(5),
                );
                let took = asked.elapsed();
                match reply.map(|r| r.outcome) {
                    Ok(Outcome::Ok { services, .. }) if services.len() == 1 => latencies.push(took),
                    Ok(Outcome::Error { message }) if message.contains("busy") => busy += 1,
                    other => panic!("status during the flood: {other:?}"),
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            (latencies, busy)
        })
    };
    let started = Instant::now();
    for flooder in flooders {
        flooder.join().unwrap();
    }
    let flood_took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (mut latencies, busy) = prober.join().unwrap();
    latencies.sort();
    let worst = latencies.last().copied().unwrap_or_default();
    let median = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or_default();
    println!(
        "flood of {FLOOD} connections in {} ms; {} status answers during it, \
         median {} µs, p99 {} µs, worst {} µs; {busy} busy",
        flood_took.as_millis(),
        latencies.len(),
        median.as_micros(),
        latencies[latencies.len() * 99 / 100].as_micros(),
        worst.as_micros()
    );
    assert!(latencies.len() >= 10, "too few answers: {latencies:?}");
    // The bound of the issue is 100 ms. The test runs beside the rest of
    // the suite on two shared cores, where the scheduler alone can stall
    // any process that long once: the 99th percentile must keep the
    // bound, and no answer may wait anywhere near a connection deadline.
    let p99 = latencies[latencies.len() * 99 / 100];
    assert!(
        p99 < Duration::from_millis(100),
        "status p99 {p99:?} during the flood"
    );
    assert!(worst < Duration::from_secs(1), "status took {worst:?}");
    check_still_supervised(&ns, "keeper");
}

#[test]
fn clients_that_never_read_or_never_write_do_not_block_init() {
    let cfg = Config::new("silent");
    cfg.enable("keeper", KEEPER);
    // Milestones with long descriptions: a status reply much larger than
    // a socket buffer, so init's write to a client that never reads
    // would block if it were blocking.
    let description = "x".repeat(1000);
    for n in 0..400 {
        cfg.enable(
            &format!("milestone{n}"),
            &format!("description {description}\ntype wait\ntarget boot\n"),
        );
    }
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    let socket = cfg.socket();
    let mut silent = Vec::new();
    for _ in 0..4 {
        // Asks for everything and never reads the answer.
        let mut stream = UnixStream::connect(&socket).unwrap();
        stream
            .write_all(b"{\"version\":1,\"request\":\"status\",\"patterns\":[]}\n")
            .unwrap();
        silent.push(stream);
        // Connects and never says anything.
        silent.push(UnixStream::connect(&socket).unwrap());
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let asked = Instant::now();
        let reply = client::send(
            &socket,
            Request::Status {
                patterns: vec!["keeper".to_string()],
            },
            Duration::from_secs(5),
        )
        .unwrap();
        worst = worst.max(asked.elapsed());
        assert!(
            matches!(reply.outcome, Outcome::Ok { ref services, .. } if services.len() == 1),
            "{reply:?}"
        );
    }
    println!(
        "status beside 8 silent clients: worst {} µs",
        worst.as_micros()
    );
    // Blocked would mean waiting out the silent clients' 5 s deadline; a
    // second allows for a loaded machine.
    assert!(worst < Duration::from_secs(1), "{worst:?}");
    check_still_supervised(&ns, "keeper");
    drop(silent);
}

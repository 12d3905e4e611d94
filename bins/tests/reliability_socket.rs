//! The control socket against clients that push its limits, and the
//! `service` client against an init that cuts it off or says nothing: init
//! at its fd limit, requests too large, a flood of connections by another
//! user, a symlink swapped in as the socket is bound, and a client timeout
//! that must say what timed out.
//!
//! The tests with a running init need root for the namespaces (see
//! reliability_support); the client tests run a fake server and need
//! nothing. The figures printed here are the ones docs/reliability.md
//! reports.

mod pid1_support;
mod reliability_support;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{
    encode_request, Command as Request, Outcome, Request as RequestLine, MAX_REQUEST_BYTES,
};
use init_os_adapter::client;
use init_os_adapter::control::MAX_CONNECTIONS;
use reliability_support::{eventually, Config, Namespace, Ready};

const KEEPER: &str = "description keeper\ntype respawn\ntarget boot\nexec sleep 100\n";

/// `service --socket SOCKET ARGS...`, run to its end.
fn service(socket: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// init's CPU time (user and system) so far, from /proc/PID/stat.
fn cpu_time(ns: &Namespace) -> Duration {
    let stat = fs::read_to_string(format!("/proc/{}/stat", ns.init_pid())).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of stat(5); 12 and 13 after
    // the state.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// Whether init answers a status request now.
fn status_answers(socket: &Path) -> bool {
    matches!(
        client::send(
            socket,
            Request::Status { patterns: vec![] },
            Duration::from_secs(5)
        )
        .map(|r| r.outcome),
        Ok(Outcome::Ok { .. })
    )
}

#[test]
fn init_at_its_fd_limit_stays_idle_and_answers_once_fds_free() {
    // init holds 7 fds or so of its own (stdio, signalfd, listener,
    // spare): 9 left for connections, fewer than its 16 slots, so idle
    // clients take them all.
    const FD_LIMIT: u32 = 16;
    const HELD: usize = 30;
    let cfg = Config::new("emfile");
    cfg.enable("keeper", KEEPER);
    let _ = fs::remove_file(cfg.socket());
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={FD_LIMIT}:{FD_LIMIT}"))
        .args(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"])
        .args(cfg.init_argv());
    let Some(ns) = cfg.boot_command(command, Ready::Socket) else {
        return;
    };
    ns.wait_for_state("keeper", ServiceState::Running);

    // Idle connections: more than init has fds for, fewer than its listen
    // backlog (32), so that none of these connects waits.
    let mut held: Vec<UnixStream> = (0..HELD)
        .map(|_| UnixStream::connect(cfg.socket()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (cpu_before, started) = (cpu_time(&ns), Instant::now());
    std::thread::sleep(Duration::from_secs(3));
    let (cpu, took) = (cpu_time(&ns) - cpu_before, started.elapsed());
    let percent = cpu.as_secs_f64() * 100.0 / took.as_secs_f64();
    println!(
        "{HELD} idle connections at RLIMIT_NOFILE={FD_LIMIT}: init used {} ms of CPU in {} ms ({percent:.1}%)",
        cpu.as_millis(),
        took.as_millis()
    );
    // CPU time, not wall-clock: a loaded machine only lowers it.
    assert!(
        cpu < took / 10,
        "init spun at its fd limit: {} ms of CPU in {} ms",
        cpu.as_millis(),
        took.as_millis()
    );

    // The connections init had no fd for were told why, not left waiting.
    let mut refused = 0;
    for stream in &mut held {
        stream.set_nonblocking(true).unwrap();
        let mut reply = String::new();
        if stream.read_to_string(&mut reply).is_ok()
            && reply.contains("init is busy: out of file descriptors; try again")
        {
            refused += 1;
        }
    }
    println!("{refused} of them told init is out of file descriptors");
    assert!(refused > 0, "no connection was told why");

    drop(held);
    assert!(
        eventually(Duration::from_secs(10), || status_answers(&cfg.socket())),
        "status never answered once the fds were free; console:\n{}",
        ns.console()
    );
    reliability_support::check_still_supervised(&ns, "keeper");
}

/// The reply to a request of `size` bytes (a newline at its end, or none),
/// read as a client that writes all of it first, as `service` does.
fn oversize_exchange(socket: &Path, size: usize, newline: bool) -> std::io::Result<String> {
    let mut request = vec![b'x'; size];
    if newline {
        request.push(b'\n');
    }
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&request)?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

#[test]
fn a_request_too_large_is_answered_so_and_closed_without_a_reset() {
    let cfg = Config::new("oversize");
    cfg.enable("keeper", KEEPER);
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    let too_large = format!(
        "{{\"version\":1,\"result\":\"error\",\"message\":\"request too large: more than {MAX_REQUEST_BYTES} bytes\"}}\n"
    );
    // Just over the limit; larger than init reads at once; larger than a
    // socket's buffers, so that the client is still writing when init
    // answers.
    for (size, newline) in [(5_000, true), (100_000, false), (4_000_000, false)] {
        let reply = oversize_exchange(&cfg.socket(), size, newline);
        match reply {
            Ok(reply) => assert_eq!(reply, too_large, "{size} bytes"),
            Err(e) => panic!("a request of {size} bytes: {e}"),
        }
    }

    // `service` says so: 2,000 patterns are a request of about 12 KB.
    let patterns: Vec<String> = (0..2000).map(|n| format!("svc{n}")).collect();
    let mut args = vec!["status"];
    args.extend(patterns.iter().map(String::as_str));
    let run = service(&cfg.socket(), &args);
    assert_eq!(
        stderr(&run),
        format!("service: request too large: more than {MAX_REQUEST_BYTES} bytes\n")
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(status_answers(&cfg.socket()));
}

/// Flooders (threads), each holding at most this many connections.
const FLOOD_THREADS: usize = 4;
const FLOOD_HELD_EACH: usize = 64;

/// Not a test of its own: the flood, run as user nobody by
/// `root_commands_all_get_through_a_flood_of_connections_by_nobody`.
/// Its connections never send a thing. Each one init refuses (it reads
/// the refusal, or the end) is replaced at once; each one init gives a
/// slot is kept until its deadline: every slot init lets it have stays
/// taken.
#[test]
fn flood_helper_for_other_users() {
    let Ok(socket) = std::env::var("INIT_TEST_FLOOD_SOCKET") else {
        return;
    };
    let until = Instant::now() + Duration::from_secs(60);
    let flooders: Vec<_> = (0..FLOOD_THREADS)
        .map(|_| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let mut held: Vec<UnixStream> = Vec::new();
                while Instant::now() < until {
                    held.retain(|stream| {
                        use nix::sys::socket::{recv, MsgFlags};
                        let flags = MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT;
                        let mut byte = [0u8; 1];
                        recv(stream.as_raw_fd(), &mut byte, flags) == Err(nix::errno::Errno::EAGAIN)
                    });
                    if held.len() >= FLOOD_HELD_EACH {
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    }
                    match UnixStream::connect(&socket) {
                        Ok(stream) => held.push(stream),
                        Err(_) => std::thread::sleep(Duration::from_millis(1)),
                    }
                }
            })
        })
        .collect();
    for flooder in flooders {
        let _ = flooder.join();
    }
}

#[test]
fn root_commands_all_get_through_a_flood_of_connections_by_nobody() {
    // `service reload`, and reloads written late (one in three).
    const COMMANDS: usize = 200;
    const LATE_COMMANDS: usize = 100;
    let cfg = Config::new("rootslots");
    cfg.enable("keeper", KEEPER);
    let helper = cfg.install_client_helper();
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);

    // Killed by its pid when this test ends, however it ends.
    struct Flood(std::process::Child);
    impl Drop for Flood {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let flood = Flood(
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(&helper)
            .args(["--exact", "flood_helper_for_other_users", "--nocapture"])
            .env("INIT_TEST_FLOOD_SOCKET", cfg.socket())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The flood holds slots (all those it may, in fact) before root
    // begins.
    ns.wait_until("the flood to take slots", || {
        open_connections(&ns) >= MAX_CONNECTIONS / 2
    });

    let started = Instant::now();
    let mut failures = Vec::new();
    for n in 0..COMMANDS + LATE_COMMANDS {
        let done = match n % 3 {
            2 => reload_written_late(&cfg.socket()),
            _ => {
                let run = service(&cfg.socket(), &["reload"]);
                run.status
                    .success()
                    .then_some(())
                    .ok_or_else(|| stderr(&run))
            }
        };
        failures.extend(done.err());
    }
    let took = started.elapsed();
    drop(flood);
    println!(
        "{} of {} root commands done during the flood by nobody, in {} ms; failures: {failures:?}",
        COMMANDS + LATE_COMMANDS - failures.len(),
        COMMANDS + LATE_COMMANDS,
        took.as_millis()
    );
    assert!(
        failures.is_empty(),
        "{} of {} root commands failed, the first: {}",
        failures.len(),
        COMMANDS + LATE_COMMANDS,
        failures[0]
    );
    reliability_support::check_still_supervised(&ns, "keeper");
}

/// The connections init holds: its sockets but the listener.
fn open_connections(ns: &Namespace) -> usize {
    let fds = fs::read_dir(format!("/proc/{}/fd", ns.init_pid())).unwrap();
    let sockets = fds
        .flatten()
        .filter(|fd| {
            fs::read_link(fd.path()).is_ok_and(|to| to.to_string_lossy().starts_with("socket:"))
        })
        .count();
    sockets.saturating_sub(1)
}

/// A root `reload` from a client that writes its request a moment after
/// it connects, as any client may on a loaded machine: init has accepted
/// the connection by then, so it needs a slot. (`service` writes at once,
/// and init usually finds the request already there.)
fn reload_written_late(socket: &Path) -> Result<(), String> {
    let talk = || -> std::io::Result<String> {
        let mut stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        std::thread::sleep(Duration::from_millis(20));
        stream.write_all(&encode_request(&RequestLine::new(Request::Reload)))?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply)
    };
    match talk() {
        Ok(reply) if reply == "{\"version\":1,\"result\":\"ok\"}\n" => Ok(()),
        Ok(reply) => Err(format!("a reload written late: {reply}")),
        Err(e) => Err(format!("a reload written late: {e}")),
    }
}

/// A socket path in a fresh directory (removed on drop), for a server
/// that is not init.
struct FakeSocket {
    dir: PathBuf,
    path: PathBuf,
}

impl FakeSocket {
    fn new(name: &str) -> FakeSocket {
        let dir = std::env::temp_dir().join(format!("init-fake-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("init.sock");
        FakeSocket { dir, path }
    }
}

impl Drop for FakeSocket {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Listens at `socket` and hands each connection, by number, to `serve` on
/// a thread of its own (which ends with the test); how many it accepted.
fn fake_server(socket: &FakeSocket, serve: fn(usize, UnixStream)) -> Arc<AtomicUsize> {
    let listener = UnixListener::bind(&socket.path).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            serve(count.fetch_add(1, Ordering::SeqCst), stream);
        }
    });
    accepted
}

/// Reads one byte of the request and closes with the rest unread: Linux
/// resets the connection, as init did to a client it had no slot for.
fn reset(stream: UnixStream) {
    let mut byte = [0u8; 1];
    let _ = (&stream).read_exact(&mut byte);
}

#[test]
fn the_service_client_tries_once_more_after_a_reset_before_any_reply() {
    // The first connection is reset; the second answered.
    let socket = FakeSocket::new("retry");
    let accepted = fake_server(&socket, |n, stream| {
        if n == 0 {
            return reset(stream);
        }
        let mut request = Vec::new();
        let _ = BufReader::new(&stream).read_until(b'\n', &mut request);
        let _ = (&stream).write_all(b"{\"version\":1,\"result\":\"ok\"}\n");
    });
    let run = service(&socket.path, &["reload"]);
    assert_eq!(stderr(&run), "");
    assert!(run.status.success());
    assert_eq!(accepted.load(Ordering::SeqCst), 2);

    // Once only: a server that resets every connection is reported.
    let socket = FakeSocket::new("reset");
    let accepted = fake_server(&socket, |_, stream| reset(stream));
    let run = service(&socket.path, &["reload"]);
    assert_eq!(
        stderr(&run),
        format!(
            "service: talking to init at {}: Connection reset by peer (os error 104)\n",
            socket.path.display()
        )
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

/// Runs `service` and waits at most `patience` for it (a hung client is
/// killed by its pid, and the test fails).
fn service_within(socket: &Path, args: &[&str], patience: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > patience {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "service {args:?} still waiting after {patience:?}; stderr: {}",
                stderr(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_client_timeout_says_what_it_waited_for_and_how_long() {
    // Accepts, reads, never answers.
    let silent = FakeSocket::new("silent");
    fake_server(&silent, |_, mut stream| {
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    });
    // Never accepts, and its backlog (of one) is taken.
    let full = FakeSocket::new("full");
    let listener = {
        use nix::sys::socket::{bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType};
        let fd = socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .unwrap();
        bind(
            fd.as_raw_fd(),
            &nix::sys::socket::UnixAddr::new(&full.path).unwrap(),
        )
        .unwrap();
        listen(&fd, Backlog::new(0).unwrap()).unwrap();
        fd
    };
    let mut waiting = Vec::new();
    loop {
        use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
        let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
        let fd = socket(AddressFamily::Unix, SockType::Stream, flags, None).unwrap();
        if connect(fd.as_raw_fd(), &UnixAddr::new(&full.path).unwrap()).is_err() {
            break;
        }
        waiting.push(fd);
    }

    // Both at once: the test waits the timeout (5 s) once.
    let patience = Duration::from_secs(15);
    let [silent_run, full_run] = [&silent, &full].map(|socket| {
        let socket = socket.path.clone();
        std::thread::spawn(move || service_within(&socket, &["status"], patience))
    });
    let silent_run = silent_run.join().unwrap();
    assert_eq!(
        stderr(&silent_run),
        format!(
            "service: no reply from init at {} within 5s\n",
            silent.path.display()
        )
    );
    assert_eq!(silent_run.status.code(), Some(1));
    let full_run = full_run.join().unwrap();
    assert_eq!(
        stderr(&full_run),
        format!(
            "service: init at {} did not accept the connection within 5s\n",
            full.path.display()
        )
    );
    assert_eq!(full_run.status.code(), Some(1));
    drop((listener, waiting));
}

/// Stops `pid` (not our child) at each of its system calls until `at_stop`
/// says the moment has come, then lets it go. ptrace(2) through libc: nix
/// is built here without its ptrace feature.
fn trace_until(pid: nix::unistd::Pid, mut at_stop: impl FnMut() -> bool) {
    use nix::libc;
    let pid = pid.as_raw();
    let ptrace = |request, data: usize| {
        // SAFETY: requests on a tracee this thread seized; no pointers.
        let r = unsafe { libc::ptrace(request, pid, 0usize, data) };
        assert!(
            r != -1,
            "ptrace {request}: {}",
            std::io::Error::last_os_error()
        );
    };
    let wait = || {
        let mut status = 0;
        // SAFETY: a plain waitpid on the tracee into a local.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        assert_eq!(r, pid, "waitpid: {}", std::io::Error::last_os_error());
        assert!(libc::WIFSTOPPED(status), "the tracee ended: {status:#x}");
        status
    };
    ptrace(libc::PTRACE_SEIZE, libc::PTRACE_O_TRACESYSGOOD as usize);
    ptrace(libc::PTRACE_INTERRUPT, 0);
    wait();
    let syscall_stop = libc::SIGTRAP | 0x80;
    let started = Instant::now();
    loop {
        ptrace(libc::PTRACE_SYSCALL, 0);
        let status = wait();
        let signal = libc::WSTOPSIG(status);
        if signal == syscall_stop && at_stop() {
            ptrace(libc::PTRACE_DETACH, 0);
            return;
        }
        assert!(
            signal == syscall_stop || signal == libc::SIGTRAP,
            "the tracee stopped with signal {signal}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "never came");
    }
}

#[test]
fn the_socket_mode_never_goes_through_a_symlink_swapped_in_as_init_binds() {
    let cfg = Config::new("bindswap");
    cfg.enable("keeper", KEEPER);
    let secret = cfg.path("secret");
    fs::write(&secret, "root only\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    let socket = cfg.socket();
    let swapped_in = cfg.path("run/swapped-in");
    symlink(&secret, &swapped_in).unwrap();

    // SIGUSR1 makes init bind again: it removes its socket file, binds a
    // new one, and (before this was fixed) chmods the path. init is
    // stopped at each system call; as soon as the new socket is there, a
    // symlink to the secret takes its place, as an attacker who may
    // write to the directory could do in that instant.
    let mut gone = false;
    let mut sent = false;
    trace_until(ns.init_pid(), || {
        if !sent {
            ns.signal_init(nix::sys::signal::Signal::SIGUSR1);
            sent = true;
        }
        match fs::symlink_metadata(&socket) {
            Err(_) => gone = true,
            Ok(meta) if gone && meta.file_type().is_socket() => {
                fs::rename(&swapped_in, &socket).unwrap();
                return true;
            }
            Ok(_) => {}
        }
        false
    });
    ns.wait_until("init to be done with its bind", || {
        let console = ns.console();
        console.contains("was replaced as init bound it")
            || console.matches("init: listening on").count() >= 2
    });
    // Modes in octal, as ls shows them.
    let mode = |path: &Path| format!("{:o}", fs::metadata(path).unwrap().mode() & 0o7777);
    assert_eq!(
        mode(&secret),
        "600",
        "init set the mode through the symlink; console:\n{}",
        ns.console()
    );
    assert_eq!(fs::read_link(&socket).unwrap(), secret);

    // Once the path is clear, init binds again and answers.
    fs::remove_file(&socket).unwrap();
    ns.signal_init(nix::sys::signal::Signal::SIGUSR1);
    assert!(eventually(Duration::from_secs(10), || status_answers(
        &socket
    )));
    assert_eq!(mode(&socket), "666");
}

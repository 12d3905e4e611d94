//! Test support for the real `init` as PID 1 of a fresh PID namespace: a
//! configuration directory to write services into, a namespace to boot it
//! in, and the requests and waits a test needs.
//!
//! Needs root (for the namespace). Without it a test skips loudly, or fails
//! under `CI=true`. Every namespace is ended with SIGKILL to its `unshare`
//! process (which `--kill-child` passes on), never by name.

#![allow(dead_code)] // each test file uses its own part of this

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome, Reply, ServiceEntry};
use init_os_adapter::client;

/// How long a wait for something that must happen may take before the
/// test fails.
pub fn patience() -> Duration {
    Duration::from_secs(15) * slowdown()
}

/// How many times slower than a real machine this one runs the tests:
/// `INIT_TEST_SLOWDOWN`, which ci/aarch64-test sets in its emulated
/// guest, or 1. Only the waits for what must happen grow with it, never a
/// bound that a test asserts.
pub fn slowdown() -> u32 {
    std::env::var("INIT_TEST_SLOWDOWN")
        .ok()
        .and_then(|factor| factor.parse().ok())
        .unwrap_or(1)
}

/// A configuration being written: templates in `share/`, enabled as
/// symlinks in `init.d/`, a log that services append to, and the socket
/// in `run/`.
pub struct Config {
    pub dir: PathBuf,
}

impl Drop for Config {
    /// Keeps the directory of a failed test for a look at its console.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Config {
    pub fn new(test: &str) -> Config {
        let dir = std::env::temp_dir().join(format!("init-pid1-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["share", "init.d", "run"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // The non-root client must reach the socket.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(
            dir.join("initd.env"),
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n",
        )
        .unwrap();
        Config { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn log(&self) -> PathBuf {
        self.path("log")
    }

    /// Writes the template `base` (once) and enables it as `enabled`.
    /// `LOG` and `DIR` in the text stand for the log and the test dir.
    pub fn enable(&self, enabled: &str, text: &str) {
        let base = enabled.split('@').next().unwrap();
        let template = self.path("share").join(base);
        let text = text
            .replace("LOG", &self.log().display().to_string())
            .replace("DIR", &self.dir.display().to_string());
        fs::write(&template, text).unwrap();
        let link = self.path("init.d").join(enabled);
        let _ = fs::remove_file(&link);
        symlink(&template, link).unwrap();
    }

    /// A shell script in the test dir, for services whose commands would
    /// be awkward to quote.
    pub fn script(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        let body = body
            .replace("LOG", &self.log().display().to_string())
            .replace("DIR", &self.dir.display().to_string());
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    pub fn read_log(&self) -> String {
        fs::read_to_string(self.log()).unwrap_or_default()
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.read_log().lines().map(str::to_string).collect()
    }

    pub fn socket(&self) -> PathBuf {
        self.path("run/init.sock")
    }

    pub fn console(&self) -> String {
        fs::read_to_string(self.path("console")).unwrap_or_default()
    }

    /// Boots `init` on this configuration. `None` when namespaces are not
    /// available here (and not under CI).
    pub fn boot(&self) -> Option<Namespace> {
        self.boot_with(&[])
    }

    /// Boots with extra flags for `init`.
    pub fn boot_with(&self, flags: &[&str]) -> Option<Namespace> {
        self.boot_as(Path::new(env!("CARGO_BIN_EXE_init")), flags, &[])
    }

    /// Boots the init binary at `binary` (a copy a test may replace), with
    /// extra flags and environment variables for it.
    pub fn boot_as(
        &self,
        binary: &Path,
        flags: &[&str],
        env: &[(&str, &str)],
    ) -> Option<Namespace> {
        let console = fs::File::create(self.path("console")).unwrap();
        let stdout = console.try_clone().unwrap().into();
        self.boot_to(binary, flags, env, stdout, console.into())
    }

    /// Boots with init's stdout and stderr (its console) on a terminal.
    pub fn boot_on_terminal(&self, flags: &[&str], pty: &Pty) -> Option<Namespace> {
        let binary = Path::new(env!("CARGO_BIN_EXE_init"));
        self.boot_to(binary, flags, &[], pty.stdio(), pty.stdio())
    }

    fn boot_to(
        &self,
        binary: &Path,
        flags: &[&str],
        env: &[(&str, &str)],
        stdout: Stdio,
        stderr: Stdio,
    ) -> Option<Namespace> {
        if !nix::unistd::geteuid().is_root() {
            return unavailable("not root");
        }
        // A socket left by an earlier boot must not pass for this one's.
        let _ = fs::remove_file(self.socket());
        let unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
            .arg(binary)
            .arg("--config-dir")
            .arg(self.path("init.d"))
            .arg("--env-file")
            .arg(self.path("initd.env"))
            .arg("--socket")
            .arg(self.socket())
            .args(flags)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn();
        let unshare = match unshare {
            Ok(child) => child,
            Err(e) => return unavailable(&format!("cannot run unshare: {e}")),
        };
        let mut ns = Namespace {
            unshare,
            console: self.path("console"),
            cgroup_subtree: None,
        };
        let started = Instant::now();
        // Connectable, not merely there: bind(2) makes the file before
        // listen(2) makes it answer. Or init said it listens: a boot
        // service may already have mounted over the socket's directory in
        // init's mount namespace, where this process cannot follow.
        let listening = format!("init: listening on {}\n", self.socket().display());
        while std::os::unix::net::UnixStream::connect(self.socket()).is_err()
            && !self.console().contains(&listening)
        {
            if let Ok(Some(status)) = ns.unshare.try_wait() {
                return unavailable(&format!(
                    "init in a PID namespace ended at once ({status}): {}",
                    self.console()
                ));
            }
            if started.elapsed() > patience() {
                panic!("init never bound its socket; console:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        ns.cgroup_subtree = ns.find_cgroup_subtree();
        Some(ns)
    }
}

pub fn unavailable<T>(why: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("PID-namespace tests cannot run under CI: {why}");
    }
    eprintln!("SKIPPED (not under CI): PID-namespace tests need root and unshare: {why}");
    None
}

/// A running namespace. Dropping it kills it.
pub struct Namespace {
    pub unshare: Child,
    pub console: PathBuf,
    /// Init's cgroup subtree, found once init answers.
    pub cgroup_subtree: Option<PathBuf>,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Init's cgroup subtree outlives a SIGKILL; removed after it, so
        // that tests leave no directories behind.
        let subtree = self
            .cgroup_subtree
            .take()
            .or_else(|| self.find_cgroup_subtree());
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
        if let Some(subtree) = subtree {
            remove_cgroup_subtree(&subtree);
        }
    }
}

/// Where the init whose pid (as seen from here) is `init` keeps its
/// services' cgroups (see `init_os_adapter::cgroup`), if there is a cgroup2
/// hierarchy: named after its PID namespace, under this process's cgroup.
pub fn cgroup_subtree_of(init: i32) -> Option<PathBuf> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = init_os_adapter::cgroup::cgroup2_mount(&mountinfo)?;
    let own = fs::read_to_string("/proc/self/cgroup").ok()?;
    let own = own.lines().find_map(|l| l.strip_prefix("0::"))?.to_string();
    let link = fs::read_link(format!("/proc/{init}/ns/pid")).ok()?;
    let link = link.to_string_lossy();
    let inode = link.strip_prefix("pid:[")?.strip_suffix(']')?;
    Some(
        mount
            .join(own.trim_start_matches('/'))
            .join(format!("init-services.{inode}")),
    )
}

/// Removes a cgroup subtree whose processes are dying: the kernel empties
/// the cgroups a moment after the namespace ends. Init's subtree outlives a
/// SIGKILL of the namespace, so every harness calls this after one.
pub fn remove_cgroup_subtree(subtree: &Path) {
    for _ in 0..100 {
        if let Ok(entries) = fs::read_dir(subtree) {
            for entry in entries.flatten() {
                if entry.path().join("cgroup.procs").exists() {
                    let _ = fs::remove_dir(entry.path());
                }
            }
        }
        if fs::remove_dir(subtree).is_ok() || !subtree.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Namespace {
    fn find_cgroup_subtree(&self) -> Option<PathBuf> {
        cgroup_subtree_of(self.try_init_pid()?.as_raw())
    }

    pub fn console(&self) -> String {
        fs::read_to_string(&self.console).unwrap_or_default()
    }

    pub fn request(&self, socket: &Path, request: Request) -> Reply {
        client::send(socket, request, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}; console:\n{}", self.console()))
    }

    pub fn status(&self, socket: &Path) -> Vec<ServiceEntry> {
        match self
            .request(socket, Request::Status { patterns: vec![] })
            .outcome
        {
            Outcome::Ok { services, .. } => services,
            Outcome::Error { message } => panic!("status refused: {message}"),
        }
    }

    pub fn service(&self, socket: &Path, name: &str) -> ServiceEntry {
        self.status(socket)
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no service {name} in status"))
    }

    /// Waits until `done` holds, or fails the test saying `what`.
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let started = Instant::now();
        while !done() {
            if started.elapsed() > patience() {
                panic!("timed out waiting for {what}; console:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for_state(&self, socket: &Path, name: &str, state: ServiceState) -> ServiceEntry {
        let mut last = None;
        self.wait_until(&format!("{name} to be {}", state.as_str()), || {
            let entry = self.service(socket, name);
            let reached = entry.state == state;
            last = Some(entry);
            reached
        });
        last.unwrap()
    }

    /// The pid of init (the namespace's PID 1) as the parent namespace
    /// sees it: unshare's only child.
    pub fn init_pid(&self) -> nix::unistd::Pid {
        self.try_init_pid().expect("unshare has a child")
    }

    fn try_init_pid(&self) -> Option<nix::unistd::Pid> {
        let unshare = self.unshare.id() as i32;
        for entry in fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let after_name = &stat[stat.rfind(')').unwrap() + 1..];
            let ppid: i32 = after_name
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            if ppid == unshare {
                return Some(nix::unistd::Pid::from_raw(pid));
            }
        }
        None
    }

    /// The pid, as the parent namespace sees it, of the process the
    /// namespace calls `ns_pid`; see [`host_pid_in`].
    pub fn host_pid(&self, ns_pid: i32) -> nix::unistd::Pid {
        host_pid_in(self.init_pid(), ns_pid)
    }

    pub fn signal_init(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.init_pid(), signal).unwrap();
    }

    /// Waits for the namespace to end (init called reboot(2)) and returns
    /// how unshare ended.
    pub fn wait_for_end(&mut self) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.unshare.try_wait() {
                return status;
            }
            if started.elapsed() > patience() {
                panic!("the namespace never ended; console:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The body of the `client_helper_for_other_users` test that every test
/// file asking as another user has: when the test binary is started again
/// under `setpriv`, it sends the request in its environment and prints the
/// reply. Without those variables it does nothing.
pub fn run_client_helper() {
    let (Ok(socket), Ok(request)) = (
        std::env::var("INIT_TEST_CLIENT_SOCKET"),
        std::env::var("INIT_TEST_CLIENT_REQUEST"),
    ) else {
        return;
    };
    let request: Request = serde_json::from_str(&request).unwrap();
    let reply = client::send(Path::new(&socket), request, Duration::from_secs(5)).unwrap();
    // On a line of its own: with one test thread (the default on a
    // machine with one CPU) libtest has already written `test NAME ... `
    // on this one.
    println!("\nREPLY:{}", serde_json::to_string(&reply).unwrap());
}

impl Config {
    /// A copy of the running test binary that any user (and any service)
    /// may run as a client: see [`run_client_helper`].
    pub fn install_client_helper(&self) -> PathBuf {
        let helper = self.path("client-helper");
        fs::copy(std::env::current_exe().unwrap(), &helper).unwrap();
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
        helper
    }

    /// Sends `request` as user nobody through `helper` (from
    /// [`Config::install_client_helper`]) and returns init's reply.
    pub fn request_as_nobody(&self, helper: &Path, request: &Request) -> Reply {
        let out = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(helper)
            .args(["--exact", "client_helper_for_other_users", "--nocapture"])
            .env("INIT_TEST_CLIENT_SOCKET", self.socket())
            .env(
                "INIT_TEST_CLIENT_REQUEST",
                serde_json::to_string(request).unwrap(),
            )
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("REPLY:"))
            .unwrap_or_else(|| {
                panic!(
                    "the helper gave no reply: {stdout}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        serde_json::from_str(line).unwrap()
    }
}

/// The pid, as the parent namespace sees it, of the process that the PID
/// namespace of `init` (a pid as seen from here) calls `ns_pid`: the pids
/// in status are the namespace's own, and signalling them from here would
/// hit an unrelated host process.
pub fn host_pid_in(init: nix::unistd::Pid, ns_pid: i32) -> nix::unistd::Pid {
    let own_ns = fs::read_link(format!("/proc/{init}/ns/pid")).unwrap();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if fs::read_link(entry.path().join("ns/pid")).ok().as_ref() != Some(&own_ns) {
            continue;
        }
        let inner = fs::read_to_string(entry.path().join("status"))
            .ok()
            .and_then(|status| {
                let ids = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
                ids.split_whitespace().last()?.parse::<i32>().ok()
            });
        if inner == Some(ns_pid) {
            return nix::unistd::Pid::from_raw(pid);
        }
    }
    panic!("no process {ns_pid} in the namespace");
}

pub fn libc_signal(signal: nix::sys::signal::Signal) -> i32 {
    signal as i32
}

pub fn affected(reply: Reply) -> Vec<String> {
    match reply.outcome {
        Outcome::Ok { affected, .. } => affected,
        Outcome::Error { message } => panic!("refused: {message}"),
    }
}

/// A pseudo-terminal in raw mode (no `\n` to `\r\n`), for a process that
/// must see a terminal as its stdout. A thread collects all that is written
/// to it.
pub struct Pty {
    /// The terminal end; `None` once closed here (the process keeps its own).
    terminal: Option<std::os::fd::OwnedFd>,
    written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Pty {
    pub fn open() -> Pty {
        use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
        use std::io::Read;
        let pty = nix::pty::openpty(None, None).expect("openpty");
        let mut termios = tcgetattr(&pty.slave).expect("tcgetattr");
        cfmakeraw(&mut termios);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &termios).expect("tcsetattr");
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = written.clone();
        let mut master = fs::File::from(pty.master);
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            // EIO once every holder of the terminal end has closed it.
            while let Ok(n @ 1..) = master.read(&mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Pty {
            terminal: Some(pty.slave),
            written,
            reader: Some(reader),
        }
    }

    /// The terminal end's path (`/dev/pts/N`), for a service's `tty`.
    pub fn path(&self) -> PathBuf {
        let fd = self.terminal.as_ref().expect("terminal still open here");
        nix::unistd::ttyname(fd).expect("the terminal has a name")
    }

    /// The terminal end, for a child's stdout or stderr.
    pub fn stdio(&self) -> Stdio {
        let fd = self.terminal.as_ref().expect("terminal still open here");
        Stdio::from(fd.try_clone().expect("dup the terminal"))
    }

    /// Everything written to the terminal so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.written.lock().unwrap()).into_owned()
    }

    /// Closes the terminal end here and waits until the processes that
    /// hold it have closed theirs (exited) and all is read.
    pub fn finish(mut self) -> String {
        self.terminal = None;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.text()
    }
}

/// Runs `program` with its stdout on a fresh terminal (stderr piped) and
/// returns its exit code, what the terminal showed, and its stderr.
pub fn run_on_terminal(program: &mut Command) -> (i32, String, String) {
    let pty = Pty::open();
    let child = program
        .stdout(pty.stdio())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn on a terminal");
    // The Command keeps its copy of the terminal for another spawn: let go
    // of it, or the reader would never see the end.
    program.stdout(Stdio::null());
    let out = child.wait_with_output().expect("wait");
    let shown = pty.finish();
    (
        out.status.code().unwrap_or(-1),
        shown,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

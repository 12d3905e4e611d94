//! Starting a service's process: fork, set up the child, exec.
//!
//! Owns everything between "the core said Spawn" and a pid: the argv, the
//! environment, the tty, the closing of fds and the exec path search. It
//! decides nothing about when or whether to start; it never waits.
//!
//! The pid the core sees lives for the whole run of the service:
//! - one `exec` line: the child execs it directly, so the pid is the
//!   command's;
//! - several lines: the child stays a small runner that forks and execs
//!   each command in turn, waits for it, stops at the first failure and
//!   exits with that command's status (dying of the same signal if it was
//!   killed). A signal sent to the runner (TERM from a stop) is passed on to
//!   the running command, and no further command starts.
//!
//! Between fork and exec the child only makes async-signal-safe calls
//! (raw syscalls through libc, no allocation): every string and pointer
//! array is built before the fork.

use std::ffi::{CString, NulError};
use std::os::fd::RawFd;
use std::os::raw::c_char;

use init_core::commands::Commands;
use init_core::envfile::EnvFile;
use init_core::events::{Pid, SpawnError};
use init_core::rawbytes;
use init_core::service::{ExecSettings, Tty};
use nix::errno::Errno;
use nix::libc;

use crate::cgroup::ServiceCgroup;
use crate::clone::{self, Forked};
use crate::exec_settings::{self, PreparedSettings, SettingsStep};
use crate::sandbox;

/// Where a command without a `/` is looked for when the env file sets no
/// `PATH`. The service itself still gets only the env file's variables.
pub const DEFAULT_SEARCH_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Exit status of a child that could not run its command, as in the shell.
pub const EXIT_CANNOT_RUN: i32 = 127;

/// The environment every service gets: exactly the env file's variables,
/// prepared once per (re)load rather than once per spawn.
#[derive(Debug, Default)]
pub struct Environment {
    /// The variables, for services that add their own (`env`, `env-file`).
    vars: Vec<(String, String)>,
    envp: Vec<CString>,
    search_path: Vec<String>,
}

impl Environment {
    pub fn from_env_file(env: &EnvFile) -> Environment {
        Environment::from_vars(env.vars.clone())
    }

    /// The variables, in file order (what a re-exec hands over).
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    pub fn from_vars(vars: Vec<(String, String)>) -> Environment {
        let envp = vars
            .iter()
            // The parser refuses NULs, so this drops nothing in practice.
            .filter_map(|(k, v)| CString::new(format!("{k}={v}")).ok())
            .collect();
        let search_path = vars
            .iter()
            .find(|(k, _)| k == "PATH")
            .map_or(DEFAULT_SEARCH_PATH, |(_, v)| v.as_str())
            .split(':')
            .filter(|dir| !dir.is_empty())
            .map(str::to_string)
            .collect();
        Environment {
            vars,
            envp,
            search_path,
        }
    }
}

/// One command, ready for execve: argv, the paths to try, and the message
/// for when none of them runs.
struct PreparedCommand {
    argv: Vec<CString>,
    candidates: Vec<CString>,
    failure_prefix: Vec<u8>,
}

/// A tty or log file to take as stdin, stdout and stderr.
struct PreparedTty {
    path: CString,
    flags: libc::c_int,
    /// Whether opening it cannot wait: a log file, or nothing there yet.
    /// A device (a serial line may wait for carrier) or a FIFO (for a
    /// reader) can.
    opens_at_once: bool,
    failure_prefix: Vec<u8>,
}

/// Opening flags for `tty [truncate] PATH`.
///
/// A missing file is created (mode 0644) so that `tty` can name a log file,
/// except under `/dev/`: there a missing node means the device is not there
/// (or devtmpfs not mounted yet), and creating a plain file in its place
/// would hide that. Without `truncate` a plain file is appended to.
fn tty_open_flags(tty: &Tty) -> libc::c_int {
    let mut flags = libc::O_RDWR | libc::O_NOCTTY;
    if !tty.path.starts_with("/dev/") {
        flags |= libc::O_CREAT;
    }
    if tty.truncate {
        flags |= libc::O_TRUNC;
    } else {
        flags |= libc::O_APPEND;
    }
    flags
}

/// Whether opening `path` as a tty cannot wait: it is a regular file, or
/// nothing (then it is created, or under `/dev/` the open fails at once).
fn opens_at_once(path: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    match std::fs::metadata(std::ffi::OsStr::from_bytes(path)) {
        Ok(metadata) => metadata.is_file(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

fn invalid(service: &str, what: &str, e: NulError) -> SpawnError {
    SpawnError {
        errno: "EINVAL".to_string(),
        message: format!("{service}: {what} holds a NUL byte at {}", e.nul_position()),
    }
}

fn prepare_command(
    service: &str,
    argv: &[&str],
    env: &Environment,
) -> Result<PreparedCommand, SpawnError> {
    let Some(program) = argv.first() else {
        return Err(SpawnError {
            errno: "EINVAL".to_string(),
            message: format!("{service}: empty command"),
        });
    };
    // The bytes the service file gave: an argument may hold bytes that
    // are not UTF-8 (`rawbytes`), which execve takes as they are.
    let c_argv = argv
        .iter()
        .map(|a| CString::new(rawbytes::to_bytes(a).into_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(service, "an argument", e))?;
    let candidates = if program.is_empty() {
        // Nothing to look for: "no such file", as execvp says.
        Vec::new()
    } else if program.contains('/') {
        vec![c_argv[0].clone()]
    } else {
        let program = rawbytes::to_bytes(program);
        env.search_path
            .iter()
            .map(|dir| CString::new([dir.as_bytes(), b"/", &program].concat()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(service, "PATH", e))?
    };
    Ok(PreparedCommand {
        argv: c_argv,
        candidates,
        failure_prefix: format!("init: {service}: cannot run {}: ", rawbytes::lossy(program))
            .into_bytes(),
    })
}

/// The shell that runs an executable without a `#!` line, as execvp's.
const BIN_SH: &std::ffi::CStr = c"/bin/sh";

impl PreparedCommand {
    /// For each candidate path, `/bin/sh CANDIDATE ARGS...`: what runs the
    /// candidate if the kernel says it is no program it knows (ENOEXEC).
    /// Made here, in init: the child may not allocate.
    fn script_argvs(&self) -> Vec<Vec<*const c_char>> {
        self.candidates
            .iter()
            .map(|candidate| {
                [BIN_SH.as_ptr(), candidate.as_ptr()]
                    .into_iter()
                    .chain(self.argv.iter().skip(1).map(|a| a.as_ptr()))
                    .chain(std::iter::once(std::ptr::null()))
                    .collect()
            })
            .collect()
    }
}

fn pointer_array(strings: &[CString]) -> Vec<*const c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// Starts the process for `service` with no execution settings: as root,
/// in `/`, with init's limits.
pub fn spawn_service(
    service: &str,
    exec: &[Vec<String>],
    tty: Option<&Tty>,
    env: &Environment,
) -> Result<Pid, SpawnError> {
    SpawnRequest {
        service,
        exec: &Commands::from(exec.to_vec()),
        tty,
        env,
        settings: &ExecSettings::default(),
        ready_fd: None,
        cgroup: None,
    }
    .spawn()
    .map(|spawned| spawned.pid)
}

/// A started process, with the read end of its `ready-fd` pipe if it has
/// one.
#[derive(Debug)]
pub struct Spawned {
    pub pid: Pid,
    pub ready_pipe: Option<std::os::fd::OwnedFd>,
}

/// One service's process to start: what the driver hands over for the
/// core's `Spawn`.
#[derive(Clone, Copy)]
pub struct SpawnRequest<'a> {
    /// The service's name, for messages.
    pub service: &'a str,
    pub exec: &'a Commands,
    pub tty: Option<&'a Tty>,
    /// What every service gets (the env file's), before the service's own
    /// `env` and `env-file`.
    pub env: &'a Environment,
    pub settings: &'a ExecSettings,
    /// `ready-fd N`: the fd the child gets the ready pipe's write end as.
    pub ready_fd: Option<u32>,
    /// The service's cgroup, when init has cgroups.
    pub cgroup: Option<&'a ServiceCgroup>,
}

impl<'a> SpawnRequest<'a> {
    /// Starts the process. Returns once forked (and, with settings, once
    /// the child has applied them); the exit comes later through SIGCHLD
    /// like any other. A setting the system refuses is a `SpawnError`
    /// naming it.
    ///
    /// Everything the child touches is built first, here in init: between
    /// fork and exec the child may not allocate.
    pub fn spawn(&self) -> Result<Spawned, SpawnError> {
        let service = self.service;
        let prepared = match self.settings.is_empty() {
            true => None,
            false => Some(exec_settings::prepare(service, self.settings)?),
        };
        let own_env = self.own_environment(prepared.as_ref())?;
        let env = own_env.as_ref().unwrap_or(self.env);
        let sandbox = match self.settings.sandbox.is_empty() {
            true => None,
            false => Some(sandbox::prepare(
                service,
                &self.settings.sandbox,
                self.settings.user.is_some(),
            )?),
        };
        let commands = self.prepare_commands(env)?;
        let tty = self.tty.map(|t| prepare_tty(service, t)).transpose()?;
        let argvs: Vec<Vec<*const c_char>> =
            commands.iter().map(|c| pointer_array(&c.argv)).collect();
        let script_argvs: Vec<Vec<Vec<*const c_char>>> =
            commands.iter().map(PreparedCommand::script_argvs).collect();
        let envp = pointer_array(&env.envp);
        let fork_failure = format!("init: {service}: cannot fork: ").into_bytes();
        // The child reports a setting it could not apply through this pipe;
        // applying them all closes it. Only with settings: without, a spawn
        // stays one fork and no wait.
        let report = match &prepared {
            Some(_) => Some(ReportPipe::open(service)?),
            None => None,
        };
        // `ready-fd N`: the child gets the write end as fd N; init reads the
        // other end, non-blocking, in its loop.
        let ready = match self.ready_fd {
            Some(target) => Some(ReadyPipe::open(service, target)?),
            None => None,
        };

        let child = Child {
            commands: &commands,
            argvs: &argvs,
            script_argvs: &script_argvs,
            envp: &envp,
            tty: tty.as_ref(),
            fork_failure: &fork_failure,
            settings: prepared.as_ref(),
            sandbox: sandbox.as_ref(),
            report_fd: report.as_ref().map(|r| r.write_fd),
            ready: ready.as_ref().map(|r| (r.write_fd, r.target)),
            cgroup_procs: None,
            // Read (the first time) here, in init: the child may not
            // allocate.
            ignored: ignored_signals(),
        };
        let cgroup_dir = self.cgroup.and_then(ServiceCgroup::dir_fd);

        // The common case, one command and nothing to set up, in a child
        // that shares init's memory until it execs (see `clone`). Not for
        // a runner, which lives on; not with settings or a sandbox, whose
        // steps are more than a few system calls; not for a tty whose open
        // may wait (a serial line waiting for carrier), which would keep
        // init waiting too.
        let only_execs = commands.len() == 1
            && prepared.is_none()
            && sandbox.is_none()
            && self.cgroup.is_some() == cgroup_dir.is_some()
            && tty.as_ref().map_or(true, |t| t.opens_at_once);
        let shared = match only_execs {
            true => spawn_sharing_memory(&child, cgroup_dir),
            false => None,
        };
        let pid = match shared {
            Some(pid) => pid,
            None => {
                let new_pid_namespace = sandbox.as_ref().is_some_and(|s| s.new_pid_namespace());
                self.fork(child, new_pid_namespace, cgroup_dir, report)?
            }
        };
        Ok(Spawned {
            pid,
            ready_pipe: ready.map(ReadyPipe::into_read_end),
        })
    }

    /// The service's own environment, when its `env` or `env-file` add to
    /// what every service gets; `None` when it gets just that.
    fn own_environment(
        &self,
        prepared: Option<&PreparedSettings>,
    ) -> Result<Option<Environment>, SpawnError> {
        if self.settings.env.is_empty() && self.settings.env_file.is_none() {
            return Ok(None);
        }
        let vars =
            exec_settings::service_vars(self.service, self.settings, prepared, &self.env.vars)?;
        Ok(Some(Environment::from_vars(vars)))
    }

    /// Every `exec` line, ready for execve with `env`: at least one.
    fn prepare_commands(&self, env: &Environment) -> Result<Vec<PreparedCommand>, SpawnError> {
        let commands = self
            .exec
            .iter()
            .map(|argv| prepare_command(self.service, &argv.to_vec(), env))
            .collect::<Result<Vec<_>, _>>()?;
        if commands.is_empty() {
            return Err(SpawnError {
                errno: "EINVAL".to_string(),
                message: format!("{}: nothing to run", self.service),
            });
        }
        Ok(commands)
    }

    /// Forks the process that sets up and execs `child`; with settings
    /// (`report`), waits for the child's word on them.
    fn fork<'c>(
        &self,
        mut child: Child<'c>,
        new_pid_namespace: bool,
        cgroup_dir: Option<RawFd>,
        report: Option<ReportPipe>,
    ) -> Result<Pid, SpawnError>
    where
        'a: 'c,
    {
        // SAFETY: init is single-threaded, and the child below makes only
        // async-signal-safe calls on memory prepared before, then execs or
        // exits.
        match unsafe { clone::fork(new_pid_namespace, cgroup_dir) } {
            Err(errno) => Err(SpawnError {
                errno: format!("{errno:?}"),
                message: format!("{}: fork failed: {}", self.service, errno.desc()),
            }),
            Ok(Forked { pid: 0, in_cgroup }) => {
                if !in_cgroup {
                    child.cgroup_procs = self.cgroup.map(ServiceCgroup::procs_file);
                }
                // SAFETY: we are the freshly forked child. Nothing in `run`
                // should panic, but a panic unwinding out of here would
                // return into a second copy of init's loop: end the child
                // instead.
                let _ = std::panic::catch_unwind(|| unsafe { child.run() });
                unsafe { libc::_exit(EXIT_CANNOT_RUN) }
            }
            Ok(Forked { pid, .. }) => match report.and_then(ReportPipe::wait_for_child) {
                None => Ok(Pid(pid)),
                Some((code, errno)) => {
                    // The child has exited (or is about to): reap it here,
                    // since no service will ever own its pid.
                    // SAFETY: plain waitpid on our own child.
                    unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
                    Err(self.setup_failure(code, errno))
                }
            },
        }
    }

    /// What a child's report of the step `code` failing with `errno`
    /// means, in the words of the setting it could not apply.
    fn setup_failure(&self, code: u32, errno: Errno) -> SpawnError {
        let (service, settings) = (self.service, self.settings);
        let message = match (
            sandbox::SandboxStep::from_code(code),
            SettingsStep::from_code(code),
        ) {
            (Some(step), _) => sandbox::describe_failure(service, &settings.sandbox, step, errno),
            (None, Some(step)) => exec_settings::describe_failure(service, settings, step, errno),
            (None, None) => format!("{service}: cannot set up: {}", errno.desc()),
        };
        SpawnError {
            errno: format!("{errno:?}"),
            message,
        }
    }
}

/// `tty [truncate] PATH`, ready for the child to open.
fn prepare_tty(service: &str, tty: &Tty) -> Result<PreparedTty, SpawnError> {
    let path = tty.path_bytes();
    let opens_at_once = opens_at_once(&path);
    Ok(PreparedTty {
        path: CString::new(path.into_owned()).map_err(|e| invalid(service, "tty", e))?,
        // What was a log file a moment ago may be a serial line by the
        // child's open, while init waits for that child's exec (see
        // `SpawnRequest::spawn`): opened without waiting, whatever it is.
        // The child then makes the fd blocking again.
        flags: match opens_at_once {
            true => tty_open_flags(tty) | libc::O_NONBLOCK,
            false => tty_open_flags(tty),
        },
        opens_at_once,
        failure_prefix: format!(
            "init: {service}: cannot open {}: ",
            rawbytes::lossy(&tty.path)
        )
        .into_bytes(),
    })
}

/// Starts `child` in a process that shares init's memory until it execs
/// (see `clone`): `None` when the kernel will not, for a fork instead.
fn spawn_sharing_memory(child: &Child, cgroup_dir: Option<RawFd>) -> Option<Pid> {
    // SAFETY: `run_shared` makes only system calls on `child`, which
    // outlives it, and execs or exits.
    let shared = unsafe {
        clone::spawn_sharing_memory(cgroup_dir, run_shared, std::ptr::from_ref(child).cast())
    };
    shared.map(|Forked { pid, .. }| Pid(pid))
}

/// The pipe a `ready-fd` service writes its newline to.
struct ReadyPipe {
    read_fd: libc::c_int,
    write_fd: libc::c_int,
    target: libc::c_int,
}

impl ReadyPipe {
    fn open(service: &str, target: u32) -> Result<ReadyPipe, SpawnError> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 fills the array on success.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            let errno = Errno::last();
            return Err(SpawnError {
                errno: format!("{errno:?}"),
                message: format!("{service}: cannot make the ready pipe: {}", errno.desc()),
            });
        }
        Ok(ReadyPipe {
            read_fd: fds[0],
            write_fd: fds[1],
            target: libc::c_int::try_from(target).unwrap_or(3),
        })
    }

    /// In the parent after the fork: the write end is the child's.
    fn into_read_end(self) -> std::os::fd::OwnedFd {
        use std::os::fd::FromRawFd;
        // Not dropped: the read end lives on in the OwnedFd.
        let pipe = std::mem::ManuallyDrop::new(self);
        // SAFETY: our own fds, each closed or owned exactly once.
        unsafe {
            libc::close(pipe.write_fd);
            std::os::fd::OwnedFd::from_raw_fd(pipe.read_fd)
        }
    }
}

impl Drop for ReadyPipe {
    fn drop(&mut self) {
        // Only reached when the spawn failed: `into_read_end` forgets it.
        // SAFETY: our own fds.
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}

/// The pipe over which a child reports the setting it could not apply: a
/// step code and an errno, 8 bytes, or nothing once everything is applied.
struct ReportPipe {
    read_fd: libc::c_int,
    write_fd: libc::c_int,
}

/// How long init waits for a child to apply its settings. They are a few
/// quick syscalls; a `working-dir` on a hung network file system must not
/// hang init, so past this the spawn counts as made.
const SETTINGS_PATIENCE_MS: libc::c_int = 2000;

impl ReportPipe {
    fn open(service: &str) -> Result<ReportPipe, SpawnError> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe2 fills the array on success.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            let errno = Errno::last();
            return Err(SpawnError {
                errno: format!("{errno:?}"),
                message: format!("{service}: cannot make a pipe: {}", errno.desc()),
            });
        }
        Ok(ReportPipe {
            read_fd: fds[0],
            write_fd: fds[1],
        })
    }

    /// In the parent, after the fork: the step code and errno the child
    /// reported, if anything.
    fn wait_for_child(self) -> Option<(u32, Errno)> {
        // SAFETY: our own fds; the write end is the child's now.
        unsafe { libc::close(self.write_fd) };
        let mut buffer = [0u8; 8];
        let mut filled = 0;
        while filled < buffer.len() {
            let mut poll = libc::pollfd {
                fd: self.read_fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd, then a read into the rest of the buffer.
            let ready = unsafe { libc::poll(&mut poll, 1, SETTINGS_PATIENCE_MS) };
            if ready < 0 && Errno::last() == Errno::EINTR {
                continue;
            }
            if ready <= 0 {
                break;
            }
            let read = unsafe {
                libc::read(
                    self.read_fd,
                    buffer[filled..].as_mut_ptr().cast(),
                    buffer.len() - filled,
                )
            };
            if read < 0 && Errno::last() == Errno::EINTR {
                continue;
            }
            if read <= 0 {
                break;
            }
            filled += read as usize;
        }
        // SAFETY: our own fd.
        unsafe { libc::close(self.read_fd) };
        if filled < buffer.len() {
            return None;
        }
        let step = u32::from_ne_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]);
        let errno = i32::from_ne_bytes([buffer[4], buffer[5], buffer[6], buffer[7]]);
        Some((step, Errno::from_raw(errno)))
    }
}

/// The child's side, borrowed from memory prepared before the fork.
struct Child<'a> {
    commands: &'a [PreparedCommand],
    argvs: &'a [Vec<*const c_char>],
    /// For each command, for each candidate path: the argv that runs it
    /// as a shell script (see [`PreparedCommand::script_argvs`]).
    script_argvs: &'a [Vec<Vec<*const c_char>>],
    envp: &'a [*const c_char],
    tty: Option<&'a PreparedTty>,
    fork_failure: &'a [u8],
    settings: Option<&'a PreparedSettings>,
    sandbox: Option<&'a sandbox::Prepared>,
    /// The write end of the report pipe, when there are settings.
    report_fd: Option<libc::c_int>,
    /// The write end of the ready pipe and the fd it must become.
    ready: Option<(libc::c_int, libc::c_int)>,
    /// The `cgroup.procs` of the service's cgroup, to join first, when the
    /// child was not born in it.
    cgroup_procs: Option<&'a std::ffi::CStr>,
    /// The signals init ignores, for the child to set back to default.
    ignored: &'a [libc::c_int],
}

/// The signals a runner passes on to its command.
const FORWARDED: [libc::c_int; 6] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

impl Child<'_> {
    /// Never returns: execs or `_exit`s.
    unsafe fn run(&self) -> ! {
        reset_signal_dispositions(self.ignored);
        // A session of its own: a service's process group is not init's, so
        // a Ctrl-C on the console or a group signal never reaches the rest.
        libc::setsid();
        // Into the service's cgroup before anything else can fork. A
        // failure leaves it in init's cgroup: stop then reaches only its
        // process group, as without cgroups.
        if let Some(procs) = self.cgroup_procs {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd >= 0 {
                libc::write(fd, b"0".as_ptr().cast(), 1);
                libc::close(fd);
            }
        }
        // Before the tty: a tty that blocks on open (a serial line waiting
        // for carrier) must not keep init waiting for the report.
        if let (Some(settings), Some(fd)) = (self.settings, self.report_fd) {
            let sandbox = self.sandbox;
            let applied = sandbox
                .map_or(Ok(()), |s| s.apply_in_child())
                .map_err(|(step, errno)| (step.code(), errno))
                .and_then(|()| settings.apply().map_err(|(step, e)| (step as u32, e)))
                .and_then(|()| {
                    sandbox
                        .map_or(Ok(()), |s| s.restrict_in_child())
                        .map_err(|(step, errno)| (step.code(), errno))
                });
            if let Err((code, errno)) = applied {
                let mut message = [0u8; 8];
                message[..4].copy_from_slice(&code.to_ne_bytes());
                message[4..].copy_from_slice(&(errno as i32).to_ne_bytes());
                libc::write(fd, message.as_ptr().cast(), message.len());
                libc::_exit(EXIT_CANNOT_RUN);
            }
            libc::close(fd);
        }
        if let Some(tty) = self.tty {
            let fd = libc::open(tty.path.as_ptr(), tty.flags, 0o644 as libc::c_uint);
            if fd < 0 {
                fail(&tty.failure_prefix, Errno::last());
            }
            if tty.flags & libc::O_NONBLOCK != 0 {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
            // TIOCSCTTY only for a real terminal: a log file has no
            // controlling-terminal semantics and the ioctl would fail.
            if libc::isatty(fd) == 1 {
                libc::ioctl(fd, libc::TIOCSCTTY as _, 0);
            }
            for target in 0..3 {
                libc::dup2(fd, target);
            }
            if fd > 2 {
                libc::close(fd);
            }
        }
        let kept = self.ready.map(|(write_fd, target)| {
            if write_fd == target {
                // dup2 onto itself would keep close-on-exec.
                libc::fcntl(target, libc::F_SETFD, 0);
            } else {
                libc::dup2(write_fd, target);
            }
            target
        });
        close_fds_from_3(kept);
        if self.commands.len() == 1 {
            set_signal_mask(&[]);
            self.exec(0);
        }
        self.run_in_turn()
    }

    /// The runner: every command in order, each in its own child.
    unsafe fn run_in_turn(&self) -> ! {
        let mut waited: Vec<libc::c_int> = FORWARDED.to_vec();
        waited.push(libc::SIGCHLD);
        let set = set_signal_mask(&waited);
        let mut stop_after_current = false;
        for index in 0..self.commands.len() {
            let pid = libc::fork();
            if pid < 0 {
                fail(self.fork_failure, Errno::last());
            }
            if pid == 0 {
                set_signal_mask(&[]);
                self.exec(index);
            }
            let status = loop {
                let mut signal: libc::c_int = 0;
                if libc::sigwait(&set, &mut signal) != 0 {
                    continue;
                }
                if signal != libc::SIGCHLD {
                    libc::kill(pid, signal);
                    stop_after_current = true;
                    continue;
                }
                let mut status: libc::c_int = 0;
                if libc::waitpid(pid, &mut status, libc::WNOHANG) == pid {
                    break status;
                }
            };
            if libc::WIFSIGNALED(status) {
                // Die the same way, so init sees what killed the command.
                let signal = libc::WTERMSIG(status);
                libc::signal(signal, libc::SIG_DFL);
                set_signal_mask(&[]);
                // kill(getpid()), not raise: this process was made by a
                // raw clone (see `clone`), so a libc that caches the
                // thread id (musl's raise uses it) still holds init's,
                // and would signal init instead.
                libc::kill(libc::getpid(), signal);
                libc::_exit(128 + signal);
            }
            let code = libc::WEXITSTATUS(status);
            if code != 0 || stop_after_current {
                libc::_exit(code);
            }
        }
        libc::_exit(0)
    }

    /// Execs command `index`, trying each candidate path; on failure says
    /// why on stderr and exits 127.
    unsafe fn exec(&self, index: usize) -> ! {
        let command = &self.commands[index];
        let argv = &self.argvs[index];
        // ENOENT unless some candidate existed but could not run: that
        // error is the one worth reporting (as execvp does).
        let mut reported = Errno::ENOENT;
        let scripts = self.script_argvs.get(index);
        for (number, candidate) in command.candidates.iter().enumerate() {
            libc::execve(candidate.as_ptr(), argv.as_ptr(), self.envp.as_ptr());
            let errno = Errno::last();
            if errno == Errno::ENOEXEC {
                // An executable file the kernel cannot run: a script with
                // no `#!` line. execvp runs it with /bin/sh, and the
                // original (which used execvp) ran many Pygos scripts so.
                if let Some(script) = scripts.and_then(|s| s.get(number)) {
                    libc::execve(BIN_SH.as_ptr(), script.as_ptr(), self.envp.as_ptr());
                }
            }
            if errno != Errno::ENOENT && errno != Errno::ENOTDIR {
                reported = errno;
            }
        }
        fail(&command.failure_prefix, reported)
    }
}

/// Where a child that shares init's memory starts (`clone::
/// spawn_sharing_memory`): `argument` is the `Child`, on init's stack,
/// which waits until this execs or exits.
unsafe extern "C" fn run_shared(argument: *const libc::c_void) -> ! {
    // SAFETY: the pointer spawn_sharing_memory passed, to a live Child.
    let child = unsafe { &*argument.cast::<Child<'_>>() };
    unsafe { child.run() }
}

/// Writes `prefix`, the errno text and a newline to stderr, then exits 127.
/// One write, put together on the stack (the child may not allocate):
/// children failing at once share the console, and three writes each
/// would interleave into one garbled line.
unsafe fn fail(prefix: &[u8], errno: Errno) -> ! {
    let mut line = [0u8; 512];
    let mut length = 0;
    for part in [prefix, errno.desc().as_bytes()] {
        // Room is kept for the newline; a longer message is cut short.
        let taken = part.len().min(line.len() - 1 - length);
        line[length..length + taken].copy_from_slice(&part[..taken]);
        length += taken;
    }
    line[length] = b'\n';
    libc::write(2, line.as_ptr().cast(), length + 1);
    libc::_exit(EXIT_CANNOT_RUN)
}

/// Every disposition back to default: init's are inherited through fork,
/// and an ignored one (Rust ignores SIGPIPE) would survive exec. A caught
/// one goes back to default by itself at exec, so only the ignored ones
/// are reset: usually one system call in the child where there were 62.
unsafe fn reset_signal_dispositions(ignored: &[libc::c_int]) {
    for &signal in ignored {
        libc::signal(signal, libc::SIG_DFL);
    }
}

/// The signals init ignores, read once, in the parent, before the first
/// spawn: SIGPIPE (Rust's runtime ignores it) and any that init's own
/// parent left ignored. Init sets no disposition after it starts (it reads
/// its signals from a signalfd), so the list stays true.
fn ignored_signals() -> &'static [libc::c_int] {
    static IGNORED: std::sync::OnceLock<Vec<libc::c_int>> = std::sync::OnceLock::new();
    IGNORED.get_or_init(|| {
        (1..libc::SIGRTMAX())
            .filter(|&signal| signal != libc::SIGKILL && signal != libc::SIGSTOP)
            .filter(|&signal| {
                // SAFETY: with no new action, sigaction only reads the
                // current one into `old`.
                let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
                let read = unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) };
                read == 0 && old.sa_sigaction == libc::SIG_IGN
            })
            .collect()
    })
}

/// Blocks exactly `signals` (none: unblocks everything) and returns the set.
unsafe fn set_signal_mask(signals: &[libc::c_int]) -> libc::sigset_t {
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    for &signal in signals {
        libc::sigaddset(&mut set, signal);
    }
    libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    set
}

/// Closes every fd from 3 up. `close_range(2)` needs no /proc (the original
/// listed /proc/self/fd, which fails before /proc is mounted); kernels
/// older than 5.9 lack it, and then a plain loop up to the fd limit does.
unsafe fn close_fds_from_3(keep: Option<libc::c_int>) {
    if let Some(keep) = keep.filter(|&fd| fd >= 3) {
        // Around the one fd to keep (`ready-fd`).
        let below =
            keep > 3 && libc::syscall(libc::SYS_close_range, 3u32, (keep - 1) as u32, 0u32) == 0;
        let above = libc::syscall(libc::SYS_close_range, (keep + 1) as u32, u32::MAX, 0u32) == 0;
        if (below || keep == 3) && above {
            return;
        }
    } else if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) == 0 {
        return;
    }
    let mut limit: libc::rlimit = std::mem::zeroed();
    let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
        limit.rlim_cur.min(1 << 20) as libc::c_int
    } else {
        1024
    };
    for fd in (3..max).filter(|&fd| Some(fd) != keep) {
        libc::close(fd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::{ScratchCgroup, ScratchDir};
    use init_core::envfile::parse_env_file;
    use init_core::events::ExitStatus;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn sh(script: &str) -> Vec<String> {
        argv(&["/bin/sh", "-c", script])
    }

    fn log_tty(path: &std::path::Path) -> Tty {
        Tty {
            path: path.display().to_string(),
            truncate: true,
        }
    }

    fn wait(pid: Pid) -> ExitStatus {
        match nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid.0), None).unwrap() {
            nix::sys::wait::WaitStatus::Exited(_, code) => ExitStatus::Exited(code),
            nix::sys::wait::WaitStatus::Signaled(_, signal, _) => {
                ExitStatus::Signaled(signal as i32)
            }
            other => panic!("unexpected wait status {other:?}"),
        }
    }

    fn default_env() -> Environment {
        Environment::from_env_file(&parse_env_file("e", b"PATH=/usr/bin:/bin\n"))
    }

    /// Starts `sleep 5` for a service whose cgroup is `cgroup`, and says
    /// whether the process was in it.
    fn spawned_into(cgroup: &ScratchCgroup) -> bool {
        let place = ServiceCgroup::at(cgroup).expect("the scratch cgroup");
        let spawned = SpawnRequest {
            service: "joiner",
            exec: &Commands::from(vec![argv(&["sleep", "5"])]),
            tty: None,
            env: &default_env(),
            settings: &ExecSettings::default(),
            ready_fd: None,
            cgroup: Some(&place),
        }
        .spawn()
        .expect("spawn");
        let pid = spawned.pid.0;
        // The fallback child joins between fork and exec: by the time it
        // is `sleep`, it has joined or never will.
        let started = std::time::Instant::now();
        while std::fs::read_link(format!("/proc/{pid}/exe"))
            .is_ok_and(|exe| !exe.ends_with("sleep"))
            && started.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let inside = cgroup.holds(pid);
        unsafe { libc::kill(pid, libc::SIGKILL) };
        wait(spawned.pid);
        inside
    }

    #[test]
    fn a_service_process_is_born_in_its_cgroup() {
        let Some(cgroup) = ScratchCgroup::new("spawn-born") else {
            return;
        };
        assert!(spawned_into(&cgroup));
    }

    #[test]
    fn a_lone_command_is_started_sharing_memory_and_a_runner_or_a_device_is_forked() {
        use std::sync::atomic::Ordering;
        let shared = || crate::clone::SHARED_SPAWNS.load(Ordering::Relaxed);
        let env = default_env();
        let before = shared();
        let pid = spawn_service("lone", &[argv(&["true"])], None, &env).expect("spawn");
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        // The trampoline is written for x86_64 and aarch64: elsewhere
        // every spawn forks.
        let lone = usize::from(cfg!(any(target_arch = "x86_64", target_arch = "aarch64")));
        assert_eq!(shared(), before + lone);

        // A runner lives on after its first exec.
        let runner = [argv(&["true"]), argv(&["true"])];
        let pid = spawn_service("runner", &runner, None, &env).expect("spawn");
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        // Opening a device may wait (for carrier, on a serial line).
        let device = Tty {
            path: "/dev/null".to_string(),
            truncate: false,
        };
        let pid = spawn_service("device", &[argv(&["true"])], Some(&device), &env).expect("spawn");
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        // Settings are more than a few system calls.
        let settings = ExecSettings {
            umask: Some(0o077),
            ..ExecSettings::default()
        };
        let spawned = SpawnRequest {
            service: "set",
            exec: &Commands::from(vec![argv(&["true"])]),
            tty: None,
            env: &env,
            settings: &settings,
            ready_fd: None,
            cgroup: None,
        }
        .spawn()
        .expect("spawn");
        assert_eq!(wait(spawned.pid), ExitStatus::Exited(0));
        assert_eq!(shared(), before + lone);

        // A log file opens at once, whether it is there yet or not.
        let dir = ScratchDir::new("spawn-shared-log");
        for _ in 0..2 {
            let log = log_tty(&dir.join("log"));
            let pid = spawn_service("logged", &[argv(&["true"])], Some(&log), &env).expect("spawn");
            assert_eq!(wait(pid), ExitStatus::Exited(0));
        }
        assert_eq!(shared(), before + 3 * lone);
    }

    /// A measurement, not a test: what a lone command's spawn costs (the
    /// spawn, its exec of `true`, the exit and the reap; 200 of each),
    /// sharing init's memory and then forked, with init's heap as it is
    /// and with 16 MiB more of it in use. Under `qemu-system-* -icount
    /// shift=0` a nanosecond of the guest's clock is one instruction, the
    /// kernel's included: how docs/performance.md counts it on aarch64.
    #[test]
    #[ignore = "a measurement; see docs/performance.md"]
    fn measure_lone_command_spawns() {
        let env = default_env();
        let round = |label: &str| {
            let started = std::time::Instant::now();
            for _ in 0..200 {
                let pid = spawn_service("lone", &[argv(&["true"])], None, &env).expect("spawn");
                wait(pid);
            }
            println!("{label}: {} ns a spawn", started.elapsed().as_nanos() / 200);
        };
        round("sharing memory");
        let mut heap = vec![1u8; 16 << 20];
        round("sharing memory, 16 MiB more heap");
        crate::clone::refuse_shared_spawns();
        round("forked, 16 MiB more heap");
        heap.clear();
        heap.shrink_to_fit();
        round("forked");
    }

    #[test]
    fn where_clone3_is_refused_the_child_joins_its_cgroup_itself() {
        let Some(cgroup) = ScratchCgroup::new("spawn-join") else {
            return;
        };
        // Each test is a process of its own under nextest: the refusal
        // stays in this one.
        crate::clone::refuse_clone_into_cgroup();
        assert!(spawned_into(&cgroup));
    }

    #[test]
    fn commands_run_in_order_and_stop_at_the_first_failure() {
        let dir = ScratchDir::new("spawn-order");
        let log = dir.join("log");
        let exec = vec![
            sh("echo one >> \"$0\"")
                .into_iter()
                .chain([log.display().to_string()])
                .collect(),
            argv(&["false"]),
            sh("echo three >> \"$0\"")
                .into_iter()
                .chain([log.display().to_string()])
                .collect(),
        ];
        let pid = spawn_service("svc", &exec, None, &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(1));
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "one\n");
    }

    /// Init ignores SIGPIPE (Rust's runtime does); its services must not:
    /// exec keeps an ignored disposition, so the child sets it back.
    #[test]
    fn a_service_ignores_no_signal_init_ignores() {
        // SAFETY: sigaction only reads the current action into `old`.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) };
        assert_eq!(
            old.sa_sigaction,
            libc::SIG_IGN,
            "this test runs with SIGPIPE ignored"
        );
        let dir = ScratchDir::new("spawn-sigign");
        let out = dir.join("status");
        let exec = vec![argv(&[
            "sh",
            "-c",
            &format!("grep SigIgn: /proc/self/status > {}", out.display()),
        ])];
        let pid = spawn_service("svc", &exec, None, &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        let status = std::fs::read_to_string(&out).unwrap();
        let mask = status.trim().strip_prefix("SigIgn:\t").unwrap();
        let ignored = u64::from_str_radix(mask, 16).unwrap();
        assert_eq!(ignored & (1 << (libc::SIGPIPE - 1)), 0, "{status}");
    }

    #[test]
    fn a_stopped_runner_passes_term_on_and_starts_nothing_more() {
        let dir = ScratchDir::new("spawn-term");
        let marker = dir.join("marker");
        let exec = vec![
            argv(&["sleep", "10"]),
            argv(&["touch", &marker.display().to_string()]),
        ];
        let pid = spawn_service("svc", &exec, None, &default_env()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        power_signal(pid);
        assert_eq!(wait(pid), ExitStatus::Signaled(libc::SIGTERM));
        assert!(!marker.exists());
    }

    fn power_signal(pid: Pid) {
        crate::power::signal_process(pid, init_core::events::Signal::Term);
    }

    #[test]
    fn the_tty_file_is_truncated_and_takes_all_three_stdio_fds() {
        let dir = ScratchDir::new("spawn-tty");
        let log = dir.join("out.log");
        std::fs::write(&log, "old content that must go\n").unwrap();
        let exec = vec![sh("echo out; echo err >&2; read line; echo \"read:$line\"")];
        let pid = spawn_service("svc", &exec, Some(&log_tty(&log)), &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        // stdin is the same file: `read` hits its end and gets nothing.
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "out\nerr\nread:\n");
    }

    #[test]
    fn a_log_file_tty_is_opened_without_waiting_and_handed_over_blocking() {
        let dir = ScratchDir::new("spawn-tty-flags");
        let log = dir.join("out.log");
        let tty = log_tty(&log);
        // Opened in a child that init waits for: never a blocking open.
        assert_ne!(
            tty_open_flags(&tty) | libc::O_NONBLOCK,
            tty_open_flags(&tty),
            "the plain flags wait"
        );
        let exec = vec![argv(&["grep", "^flags:", "/proc/self/fdinfo/1"])];
        let pid = spawn_service("svc", &exec, Some(&tty), &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        let line = std::fs::read_to_string(&log).unwrap();
        let flags = line
            .trim()
            .strip_prefix("flags:")
            .and_then(|f| libc::c_int::from_str_radix(f.trim(), 8).ok())
            .unwrap_or_else(|| panic!("{line:?}"));
        assert_eq!(flags & libc::O_NONBLOCK, 0, "{line:?}");
        assert_eq!(flags & libc::O_ACCMODE, libc::O_RDWR, "{line:?}");
    }

    #[test]
    fn an_executable_without_a_shebang_runs_through_bin_sh_as_execvp_does() {
        let dir = ScratchDir::new("spawn-noshebang");
        let log = dir.join("out.log");
        let script = dir.join("plain-script");
        std::fs::write(&script, "echo \"ran as $0 with $1 $2\"\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let by_path = vec![argv(&[&script.display().to_string(), "a", "b c"])];
        let pid = spawn_service("svc", &by_path, Some(&log_tty(&log)), &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            format!("ran as {} with a b c\n", script.display())
        );
        // Found on PATH, in the second directory searched.
        let env = Environment::from_env_file(&parse_env_file(
            "e",
            format!("PATH=/nonexistent:{}\n", dir.display()).as_bytes(),
        ));
        let on_path = vec![argv(&["plain-script", "x", "y"])];
        let pid = spawn_service("svc", &on_path, Some(&log_tty(&log)), &env).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            format!("ran as {} with x y\n", script.display())
        );
    }

    #[test]
    fn the_environment_holds_exactly_the_env_file() {
        let dir = ScratchDir::new("spawn-env");
        let log = dir.join("env.log");
        let env = Environment::from_env_file(&parse_env_file(
            "initd.env",
            b"# comment\nGREETING=hello world\nPATH=/usr/bin:/bin\n",
        ));
        let pid = spawn_service("svc", &[argv(&["env"])], Some(&log_tty(&log)), &env).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "GREETING=hello world\nPATH=/usr/bin:/bin\n"
        );
    }

    #[test]
    fn a_missing_program_is_named_on_stderr_with_status_127() {
        let dir = ScratchDir::new("spawn-missing");
        let log = dir.join("err.log");
        let exec = vec![argv(&["/nonexistent/prog", "x"])];
        let pid = spawn_service("svc", &exec, Some(&log_tty(&log)), &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(EXIT_CANNOT_RUN));
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "init: svc: cannot run /nonexistent/prog: No such file or directory\n"
        );
        let pid = spawn_service(
            "svc",
            &[argv(&["no-such-program"])],
            Some(&log_tty(&log)),
            &default_env(),
        )
        .unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(EXIT_CANNOT_RUN));
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "init: svc: cannot run no-such-program: No such file or directory\n"
        );
    }

    #[test]
    fn no_fd_above_2_leaks_into_a_service() {
        let dir = ScratchDir::new("spawn-fds");
        let log = dir.join("fds.log");
        // Opened without O_CLOEXEC on purpose: only close_range stops it.
        let leaky = nix::fcntl::open(
            &dir.join("leak"),
            nix::fcntl::OFlag::O_CREAT | nix::fcntl::OFlag::O_WRONLY,
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let exec = vec![sh("for fd in /proc/self/fd/*; do echo ${fd##*/}; done")];
        let pid = spawn_service("svc", &exec, Some(&log_tty(&log)), &default_env()).unwrap();
        assert_eq!(wait(pid), ExitStatus::Exited(0));
        nix::unistd::close(leaky).unwrap();
        let fds = std::fs::read_to_string(&log).unwrap();
        let fds: Vec<&str> = fds.lines().collect();
        // 0-2, plus the one the shell's glob had open while listing.
        assert!(
            fds.len() <= 4 && fds[..3] == ["0", "1", "2"],
            "fds: {fds:?}"
        );
    }

    #[test]
    fn the_environment_is_the_env_file_and_nothing_else() {
        let env = Environment::from_env_file(&parse_env_file("e", b"A=1\nPATH=/x::/y\n"));
        assert_eq!(env.envp, vec![c"A=1".to_owned(), c"PATH=/x::/y".to_owned()]);
        assert_eq!(env.search_path, vec!["/x", "/y"]);
        let bare = Environment::from_env_file(&EnvFile::default());
        assert!(bare.envp.is_empty());
        assert_eq!(bare.search_path.len(), 6);
    }

    #[test]
    fn commands_are_looked_up_in_the_search_path_unless_they_hold_a_slash() {
        let env = Environment::from_env_file(&parse_env_file("e", b"PATH=/a:/b\n"));
        let cmd = prepare_command("svc", &["sleep", "1"], &env).unwrap();
        assert_eq!(
            cmd.candidates,
            vec![c"/a/sleep".to_owned(), c"/b/sleep".to_owned()]
        );
        assert_eq!(cmd.failure_prefix, b"init: svc: cannot run sleep: ");
        let abs = prepare_command("svc", &["/bin/sh"], &env).unwrap();
        assert_eq!(abs.candidates, vec![c"/bin/sh".to_owned()]);
        let bad = prepare_command("svc", &["a\0b"], &env);
        assert_eq!(bad.err().map(|e| e.errno), Some("EINVAL".to_string()));
    }

    #[test]
    fn log_files_are_created_but_device_nodes_never() {
        let log = Tty {
            path: "/var/log/x".to_string(),
            truncate: true,
        };
        assert_ne!(tty_open_flags(&log) & libc::O_CREAT, 0);
        assert_ne!(tty_open_flags(&log) & libc::O_TRUNC, 0);
        let console = Tty {
            path: "/dev/tty1".to_string(),
            truncate: false,
        };
        assert_eq!(tty_open_flags(&console) & libc::O_CREAT, 0);
        assert_ne!(tty_open_flags(&console) & libc::O_APPEND, 0);
    }
}

//! The event loop: feeds the core real events and carries out its outputs.
//!
//! Owns the single-threaded loop over the signalfd, the control socket, the
//! console and the core's next deadline. Every decision stays in the core:
//! this file only translates (signal → event, output → syscall) and keeps
//! going whatever happens.
//!
//! Never dying: PID 1's death is a kernel panic. Each turn of the loop runs
//! under `catch_unwind` (the build keeps `panic = "unwind"`); a panic is
//! logged on the console and the loop goes on with the next turn. If the
//! signalfd itself is gone, init falls back to reaping forever.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use init_core::commands::Commands;
use init_core::drive::{self, Body};
use init_core::events::{Event, Millis, Output, Pid, PowerAction, ServiceId, ServiceState, Signal};
use init_core::protocol::{self, Command, Reply, Request, ServiceEntry};
use init_core::service::{ExecSettings, ReadyNotice, ServiceType, Target, Tty};
use init_core::supervisor::{Options, Supervisor};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::cgroup::{self, Cgroups};
use crate::clock::Clock;
use crate::config::{load_config, LoadedConfig};
use crate::console::Console;
use crate::control::{Answer, BindOutcome, ControlSocket, Handler};
use crate::handover::{self, HandedOverListener, Received, SavedState};
use crate::power::{self, Mode};
use crate::progress::{progress_line, BootProgress, DEFAULT_WIDTH};
use crate::readiness::{HandedOverWatch, ReadinessWatch, FILE_CHECK_INTERVAL};
use crate::reap::reap_exited;
use crate::signals::{Caught, SignalReader};
use crate::spawn::{Environment, SpawnRequest};
use crate::switch_root::{self, SwitchPlan};
use crate::trace_file::TraceFile;

/// How long a re-exec waits for the clients already connected to send
/// their request and take their reply.
const HANDOVER_CONNECTION_GRACE: Duration = Duration::from_millis(200);

/// Test builds only (feature `test-panic-hook`): a status request naming
/// this pattern panics in the request handler.
#[cfg(feature = "test-panic-hook")]
pub const TEST_PANIC_PATTERN: &str = "!test-panic-hook";

/// What `init` was told on its command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_dir: PathBuf,
    pub env_file: PathBuf,
    pub socket: PathBuf,
    /// The core's policy: sequential start and the timeouts that bound a
    /// stop and the shutdown (docs/reliability.md).
    pub options: Options,
    pub mode: Mode,
    /// The binary a re-exec runs unless the request names another.
    pub binary: Option<PathBuf>,
    /// `--trace FILE`: where the core's inputs and outputs are written.
    pub trace: Option<PathBuf>,
    /// The arguments a re-exec passes the new init (after the binary) to
    /// go on with these settings from the hand-over at the fd: the
    /// program's command-line definition writes them (the bins'
    /// `cli::init::reexec_args`), so that this crate keeps no copy of it.
    pub reexec_args: fn(&Settings, RawFd) -> Vec<OsString>,
}

/// Everything but the control socket, so that the socket's request handler
/// can borrow it while the socket is being served.
struct World {
    settings: Settings,
    clock: Clock,
    console: Console,
    core: Supervisor,
    environment: Environment,
    /// The last bind failure reported, so that a retry after every exit
    /// does not repeat it.
    last_bind_failure: Option<String>,
    /// Set when the core asked to bind (boot done, a service exited).
    check_socket: bool,
    /// Services whose process has yet to say it is ready.
    readiness: ReadinessWatch,
    /// A cgroup per service, or why there are none (process groups then).
    cgroups: Result<Cgroups, String>,
    /// Which waiting services' cgroups are made already.
    ahead: CgroupsAhead,
    /// Which service each live pid belongs to, to tell the core whether
    /// it left anything behind when it ends.
    pid_services: BTreeMap<Pid, ServiceId>,
    /// Services whose leftovers were signalled and are not gone yet, with
    /// the ended main pid whose process group they are without a cgroup.
    ending_leftovers: BTreeMap<ServiceId, Pid>,
    /// A re-exec was asked for (with the binary the request named), to
    /// happen once the current turn's requests are answered.
    reexec: Option<Option<PathBuf>>,
    /// A switch-root passed its checks: where to go once the core has
    /// stopped everything.
    switch_plan: Option<SwitchPlan>,
    /// The boot progress line on a terminal console.
    progress: BootProgress,
    /// On a terminal console: the `wait` services that run, in the order
    /// they started, with their text, for the `[ .. ]` status line.
    running_waits: Vec<(ServiceId, String)>,
    /// The service whose `[ .. ]` line is the status line now.
    running_shown: Option<ServiceId>,
    /// The service whose main process the input being fed is the exit
    /// of, until its outputs are carried out.
    ended: Option<ServiceId>,
    /// `--trace FILE`.
    trace: Option<TraceFile>,
}

pub struct Driver {
    signals: SignalReader,
    control: ControlSocket,
    world: World,
    /// False when a previous init handed over: the boot already happened.
    boot_pending: bool,
}

thread_local! {
    /// The message of the last panic, taken by the loop to log it.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn report_diagnostics(console: &mut Console, config: &LoadedConfig) {
    for diagnostic in &config.diagnostics {
        console.message(&diagnostic.to_string());
    }
}

impl Driver {
    /// Loads the configuration and sets everything up; `signals` must have
    /// been opened right after blocking them, first thing in `main`.
    pub fn new(settings: Settings, signals: SignalReader, clock: Clock) -> Driver {
        let mut console = Console::open();
        let config = load_config(&settings.config_dir, &settings.env_file);
        report_diagnostics(&mut console, &config);
        let core = Supervisor::new(config.services, settings.options.clone());
        let environment = Environment::from_env_file(&config.env.unwrap_or_default());
        Driver::assemble(settings, signals, clock, console, core, environment)
    }

    /// A driver about to boot `core`, with nothing watched or tracked yet.
    fn assemble(
        settings: Settings,
        signals: SignalReader,
        clock: Clock,
        console: Console,
        core: Supervisor,
        environment: Environment,
    ) -> Driver {
        let control = ControlSocket::new(&settings.socket);
        let progress = BootProgress::new(console.is_terminal());
        let trace = settings
            .trace
            .as_deref()
            .map(|path| TraceFile::new(path, &core));
        Driver {
            signals,
            control,
            world: World {
                settings,
                clock,
                console,
                core,
                environment,
                last_bind_failure: None,
                check_socket: true,
                readiness: ReadinessWatch::default(),
                cgroups: Cgroups::open(),
                ahead: CgroupsAhead::default(),
                pid_services: BTreeMap::new(),
                ending_leftovers: BTreeMap::new(),
                reexec: None,
                switch_plan: None,
                progress,
                running_waits: Vec::new(),
                running_shown: None,
                ended: None,
                trace,
            },
            boot_pending: true,
        }
    }

    /// Goes on from what a previous init handed over through a re-exec:
    /// the same services and processes, the same socket, no boot.
    pub fn resume(settings: Settings, signals: SignalReader, received: Received) -> Driver {
        let mut console = Console::open();
        let (core, clock, environment, readiness, listener, fds) = match received {
            Received::Full {
                state,
                listener,
                fds,
            } => {
                let state = *state;
                let clock = Clock::resume(
                    Millis(state.clock_ms),
                    handover::since_monotonic(state.monotonic_ns),
                );
                let mut readiness = ReadinessWatch::default();
                readiness.restore(state.readiness, handover::take_fd);
                let environment = Environment::from_vars(state.env_vars);
                (
                    state.supervisor,
                    clock,
                    environment,
                    readiness,
                    listener,
                    fds,
                )
            }
            Received::Adopt {
                services,
                listener,
                fds,
                why,
            } => {
                console.message(&format!("{why}: adopting the running services by pid"));
                let config = load_config(&settings.config_dir, &settings.env_file);
                report_diagnostics(&mut console, &config);
                let clock = Clock::start();
                let core = Supervisor::adopting(
                    config.services,
                    settings.options.clone(),
                    clock.now(),
                    &services,
                );
                let environment = Environment::from_env_file(&config.env.unwrap_or_default());
                (
                    core,
                    clock,
                    environment,
                    ReadinessWatch::default(),
                    listener,
                    fds,
                )
            }
        };
        let mut driver = Driver::assemble(settings, signals, clock, console, core, environment);
        if let Some(kept) = listener {
            if let Some(fd) = handover::take_fd(kept.fd) {
                driver.control.adopt_listener(fd, kept.dev, kept.ino);
            }
        }
        // What the state does not use (a fallback's readiness pipes) is
        // closed, not leaked into init for good.
        let used: Vec<RawFd> = readiness
            .for_handover()
            .into_iter()
            .filter_map(|(_, watch)| match watch {
                HandedOverWatch::Fd(fd) => Some(fd),
                HandedOverWatch::File(_) => None,
            })
            .chain(listener.map(|l| l.fd))
            .collect();
        for fd in fds.into_iter().filter(|fd| !used.contains(fd)) {
            drop(handover::take_fd(fd));
        }
        let world = &mut driver.world;
        world.pid_services = world
            .core
            .services()
            .filter_map(|s| s.pid.map(|pid| (pid, s.id)))
            .collect();
        world.ending_leftovers = world.core.ending_leftovers().collect();
        world.readiness = readiness;
        world.console.message("took over from the previous init");
        driver.boot_pending = false;
        driver
    }

    /// Boots and runs until the core powers off. Never returns.
    pub fn run(mut self) -> ! {
        std::panic::set_hook(Box::new(|info| {
            LAST_PANIC.with(|last| *last.borrow_mut() = Some(info.to_string()));
        }));
        if self.world.settings.mode == Mode::Pid1 {
            match power::disable_ctrl_alt_del() {
                // EINVAL: PID 1 of a PID namespace, where Ctrl-Alt-Del
                // belongs to the machine's init, not to us.
                Ok(()) | Err(nix::errno::Errno::EINVAL) => {}
                Err(e) => self
                    .world
                    .console
                    .message(&format!("cannot route Ctrl-Alt-Del to init: {}", e.desc())),
            }
        }
        self.bind_control_socket();
        if std::mem::take(&mut self.boot_pending) {
            self.world.handle(Event::Boot);
        } else {
            // The processes that ended during the exec, and the spawns a
            // fallback asked for.
            drive::carry_out_pending(&mut self.world);
            self.reap();
        }
        loop {
            if catch_unwind(AssertUnwindSafe(|| self.turn())).is_err() {
                let what = LAST_PANIC
                    .with(|last| last.borrow_mut().take())
                    .unwrap_or_else(|| "unknown".to_string());
                self.world
                    .console
                    .message(&format!("internal error, carrying on: {what}"));
                // Whatever panicked may panic again at once: do not spin.
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// One turn: wait for something, then handle everything that is ready.
    fn turn(&mut self) {
        // With cgroups still to make ahead, only look for what is ready:
        // the next turn makes more.
        let timeout = match self.world.make_cgroups_ahead() {
            true => PollTimeout::ZERO,
            false => self.poll_timeout(),
        };
        {
            let mut fds = vec![PollFd::new(self.signals.as_fd(), PollFlags::POLLIN)];
            if self.world.console.has_pending() {
                fds.push(PollFd::new(self.world.console.as_fd(), PollFlags::POLLOUT));
            }
            for fd in self.world.readiness.poll_fds() {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            for (fd, wants_write) in self.control.poll_fds() {
                let flags = if wants_write {
                    PollFlags::POLLOUT
                } else {
                    PollFlags::POLLIN
                };
                fds.push(PollFd::new(fd, flags));
            }
            // EINTR and friends: just go round again.
            let _ = poll(&mut fds, timeout);
        }

        // Signals are read before reaping: a SIGCHLD that comes after the
        // read stays pending and wakes the next poll, so no exit waits.
        let caught = self.signals.drain();
        // Reaped every turn, not only on SIGCHLD: one WNOHANG syscall is
        // cheap, and no exit can then wait for a signal that merged away.
        self.reap();
        for caught in caught {
            match caught {
                // Reaped above; the signal only woke the poll.
                Caught::Child => {}
                Caught::Terminate => self.world.handle(Event::Shutdown),
                Caught::Interrupt => self.world.handle(Event::Reboot),
                Caught::Hangup => {
                    // Failure is on the console already; a signal has no one to answer.
                    let _ = self.world.reload();
                }
                Caught::User1 => {
                    let outcome = self.control.rebind();
                    self.world.report_bind(&self.control, outcome);
                }
            }
        }

        for service in self.world.readiness.take_ready() {
            self.world.handle(Event::Ready(service));
        }

        self.control.serve(Instant::now(), &mut self.world);
        if let Some(binary) = self.world.reexec.take() {
            self.reexec(binary);
        }

        let now = self.world.clock.now();
        if self.world.core.poll_timeout().is_some_and(|at| at <= now) {
            drive::fire_timers(&mut self.world);
        }
        if std::mem::take(&mut self.world.check_socket) {
            self.bind_control_socket();
        }
        self.world.refresh_status();
        self.world.flush_trace();
        self.world.console.flush();
    }

    fn reap(&mut self) {
        for (pid, status) in reap_exited() {
            let leftovers = self.world.leftovers_of(pid);
            self.world.handle(Event::Exited {
                pid,
                status,
                leftovers,
            });
            // A boot service may have mounted over the socket's directory:
            // check it still leads to us.
            self.world.check_socket = true;
        }
        self.world.notice_leftovers_gone();
    }

    /// Hands everything over to the init binary at `binary` (or the one
    /// init was started from). Returns only if that failed, with init
    /// still supervising as before.
    fn reexec(&mut self, binary: Option<PathBuf>) {
        let Some(binary) = binary.or_else(|| self.world.settings.binary.clone()) else {
            self.world
                .console
                .message("re-exec skipped: the init binary's path is unknown");
            return;
        };
        // Whoever is mid-request gets the answer; new clients wait in the
        // backlog, which the next init inherits.
        self.control
            .finish_connections(Instant::now() + HANDOVER_CONNECTION_GRACE, &mut self.world);
        let listener = self
            .control
            .listener_for_handover()
            .map(|(fd, dev, ino)| HandedOverListener { fd, dev, ino });
        let readiness = self.world.readiness.for_handover();
        let mut kept: Vec<RawFd> = readiness
            .iter()
            .filter_map(|(_, watch)| match watch {
                HandedOverWatch::Fd(fd) => Some(*fd),
                HandedOverWatch::File(_) => None,
            })
            .collect();
        kept.extend(listener.map(|l| l.fd));
        // A request answered just now may have left outputs: carried out
        // before the state is written, as the core expects.
        drive::carry_out_pending(&mut self.world);
        let state = SavedState {
            supervisor: self.world.core.clone(),
            clock_ms: self.world.clock.now().0,
            monotonic_ns: handover::monotonic_ns(),
            env_vars: self.world.environment.vars().to_vec(),
            readiness,
        };
        let memfd = handover::encode(&state, listener, kept.clone())
            .and_then(|bytes| handover::write_memfd(&bytes));
        let memfd = match memfd {
            Ok(memfd) => memfd,
            Err(why) => {
                self.world
                    .console
                    .message(&format!("re-exec failed, carrying on: {why}"));
                return;
            }
        };
        let kept_ok = kept
            .iter()
            .try_for_each(|&fd| handover::keep_across_exec(fd));
        let why = match kept_ok {
            Ok(()) => {
                self.world
                    .console
                    .message(&format!("re-exec of {}", binary.display()));
                self.world.flush_console_before_the_end();
                let args = handover::command_line(
                    &binary,
                    &self.world.settings,
                    std::os::fd::AsRawFd::as_raw_fd(&memfd),
                );
                handover::exec(&args)
            }
            Err(why) => why,
        };
        for fd in kept {
            handover::close_on_exec(fd);
        }
        self.world
            .console
            .message(&format!("re-exec failed, carrying on: {why}"));
    }

    fn bind_control_socket(&mut self) {
        let outcome = self.control.ensure_bound();
        self.world.report_bind(&self.control, outcome);
    }

    fn poll_timeout(&self) -> PollTimeout {
        let core = self
            .world
            .core
            .poll_timeout()
            .map(|at| self.world.clock.until(at));
        let control = self
            .control
            .next_deadline()
            .map(|at| at.saturating_duration_since(Instant::now()));
        let files = self
            .world
            .readiness
            .watches_files()
            .then_some(FILE_CHECK_INTERVAL);
        let progress = self
            .world
            .progress
            .deadline()
            .map(|at| self.world.clock.until(at));
        let soonest = [core, control, files, progress].into_iter().flatten().min();
        match soonest {
            None => PollTimeout::NONE,
            Some(left) => PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
        }
    }
}

impl World {
    /// Feeds one event at the current time and carries out what follows:
    /// its outputs in order, then the answers they call for
    /// (`init_core::drive`).
    fn handle(&mut self, event: Event) {
        drive::feed(self, event);
    }

    /// Writes the trace's pending lines; says on the console if it stopped.
    fn flush_trace(&mut self) {
        if let Some(why) = self.trace.as_mut().and_then(TraceFile::flush) {
            self.console.message(&why);
        }
    }

    /// Whether the service whose main process `pid` was just reaped left
    /// anything behind (false for a pid that is no service's).
    fn leftovers_of(&self, pid: Pid) -> bool {
        self.pid_services
            .get(&pid)
            .is_some_and(|&service| self.anything_left(service, pid))
    }

    /// Whether a process of `service`, whose main process `pid` has ended,
    /// is still there: in its cgroup, or without one in its process group.
    fn anything_left(&self, service: ServiceId, pid: Pid) -> bool {
        let in_cgroup = match (&self.cgroups, self.core.service(service)) {
            (Ok(cgroups), Some(status)) => cgroups.processes(&status.def.name),
            _ => None,
        };
        match in_cgroup {
            Some(pids) => !pids.is_empty(),
            None => power::group_exists(pid),
        }
    }

    /// Carries out `SignalLeftovers`: signals what is left, or, with
    /// nothing left, says so at once.
    fn signal_leftovers(&mut self, service: ServiceId, pid: Pid, signal: Signal) -> Option<Event> {
        if !self.anything_left(service, pid) {
            self.ending_leftovers.remove(&service);
            return Some(Event::LeftoversGone(service));
        }
        let by_cgroup = match (&self.cgroups, self.core.service(service)) {
            (Ok(cgroups), Some(status)) => cgroups.signal(&status.def.name, signal, None),
            _ => false,
        };
        if !by_cgroup {
            power::signal_group(pid, signal);
        }
        self.ending_leftovers.insert(service, pid);
        None
    }

    /// Tells the core about every service whose signalled leftovers are
    /// gone now. Called after each reap: the last of them is init's child
    /// once its parent, the main process, has died.
    fn notice_leftovers_gone(&mut self) {
        let gone: Vec<ServiceId> = self
            .ending_leftovers
            .iter()
            .filter(|&(&service, &pid)| !self.anything_left(service, pid))
            .map(|(&service, _)| service)
            .collect();
        for service in gone {
            self.ending_leftovers.remove(&service);
            self.handle(Event::LeftoversGone(service));
        }
    }

    /// Makes a few cgroups of services that wait for others (see
    /// `Cgroups::make_ahead`). True if there may be more to make.
    fn make_cgroups_ahead(&mut self) -> bool {
        let Ok(cgroups) = &self.cgroups else {
            return false;
        };
        self.ahead.make_some(&self.core, cgroups)
    }

    /// Carries out one output; returns the input it calls for.
    fn carry_out_output(&mut self, output: Output) -> Option<Event> {
        match output {
            Output::Spawn {
                service,
                exec,
                tty,
                settings,
            } => return Some(self.spawn(service, &exec, tty.as_ref(), &settings)),
            Output::Signal {
                service,
                pid,
                signal,
            } => self.signal(service, pid, signal),
            Output::SignalLeftovers {
                service,
                pid,
                signal,
            } => return self.signal_leftovers(service, pid, signal),
            Output::KillAll { signal } => {
                let known: Vec<Pid> = self.core.services().filter_map(|s| s.pid).collect();
                power::kill_all(self.settings.mode, signal, &known);
            }
            Output::Report {
                service,
                report,
                text,
            } => {
                self.running_waits.retain(|(id, _)| *id != service);
                self.console.report(&report, &text);
            }
            Output::TargetComplete { target } => self.target_complete(target),
            Output::Sync => nix::unistd::sync(),
            Output::Power {
                action: PowerAction::SwitchRoot,
            } => self.switch_root(),
            Output::Power { action } => self.power(action),
        }
        None
    }

    /// Starts a service's process: its readiness watch, its cgroup, the
    /// fork and exec. Returns the answer for the core: `Spawned`, or
    /// `SpawnFailed` (said on the console too).
    fn spawn(
        &mut self,
        service: ServiceId,
        exec: &Commands,
        tty: Option<&Tty>,
        settings: &ExecSettings,
    ) -> Event {
        let name = self
            .core
            .service(service)
            .map(|s| s.def.name.clone())
            .unwrap_or_else(|| format!("#{}", service.0));
        let ready = self
            .core
            .service(service)
            .and_then(|s| s.def.settings.ready.clone());
        self.readiness.forget(service);
        let ready_fd = match &ready {
            Some(ReadyNotice::Fd(fd)) => Some(*fd),
            Some(ReadyNotice::File(path)) => {
                // A file left by an earlier run must not pass for this
                // one's word.
                let _ = std::fs::remove_file(path);
                None
            }
            None => None,
        };
        let cgroup = match &self.cgroups {
            Ok(cgroups) => cgroups.place_for(&name),
            Err(_) => None,
        };
        if let Some(tty) = tty {
            // What it writes there lands on init's screen if the tty is
            // the console (a getty's `login: `).
            self.console
                .watch_if_console(std::path::Path::new(&tty.path));
        }
        let spawned = SpawnRequest {
            service: &name,
            exec,
            tty,
            env: &self.environment,
            settings,
            ready_fd,
            cgroup: cgroup.as_ref(),
        }
        .spawn();
        match spawned {
            Ok(spawned) => {
                if let Some(pipe) = spawned.ready_pipe {
                    self.readiness.watch_fd(service, pipe);
                } else if let Some(ReadyNotice::File(path)) = ready {
                    self.readiness.watch_file(service, path.into());
                }
                self.pid_services.insert(spawned.pid, service);
                self.note_running_wait(service);
                Event::Spawned {
                    service,
                    pid: spawned.pid,
                }
            }
            Err(error) => {
                self.console.message(&error.message);
                Event::SpawnFailed { service, error }
            }
        }
    }

    /// Signals a service's process group, and its cgroup for whatever
    /// left the group.
    fn signal(&mut self, service: ServiceId, pid: Pid, signal: Signal) {
        power::signal_service(pid, signal);
        // The cgroup reaches what left the process group too, and only
        // that: the group has had its signal.
        if let (Ok(cgroups), Some(status)) = (&self.cgroups, self.core.service(service)) {
            cgroups.signal(&status.def.name, signal, Some(pid.0));
        }
    }

    fn target_complete(&mut self, target: Target) {
        if target == Target::Boot {
            self.end_progress();
            self.check_socket = true;
            // A boot service may have mounted cgroup2 (a real machine
            // mounts it early in boot): the services started from now on
            // get cgroups.
            if self.cgroups.is_err() {
                self.cgroups = Cgroups::open();
            }
        }
    }

    /// The end: power off, reboot, or exit with the container's status.
    fn power(&mut self, action: PowerAction) -> ! {
        let exit_code = action.exit_code(self.core.main_service_exit());
        if self.settings.mode != Mode::Pid1 {
            self.console.message(&format!("exit status {exit_code}"));
        }
        self.console.message(match action {
            PowerAction::PowerOff => "powering off",
            PowerAction::Reboot | PowerAction::SwitchRoot => "rebooting",
        });
        if let Ok(cgroups) = &mut self.cgroups {
            cgroups.remove_empty();
        }
        self.flush_console_before_the_end();
        let why = power::power(self.settings.mode, action, exit_code);
        self.console.message(&why);
        halt_forever(&mut self.console);
    }

    /// Every service has stopped: move to the new root and exec its init.
    /// A failure leaves a rescue shell on the console, never a panic.
    fn switch_root(&mut self) -> ! {
        let why = match self.switch_plan.take() {
            Some(plan) => {
                self.console.message(&format!(
                    "switching to the root at {}, init {}",
                    plan.new_root.display(),
                    plan.init.display()
                ));
                if let Ok(cgroups) = &mut self.cgroups {
                    cgroups.remove_empty();
                }
                self.flush_console_before_the_end();
                switch_root::switch(&plan)
            }
            None => "no switch-root was planned".to_string(),
        };
        self.console.message(&format!("switch-root failed: {why}"));
        self.flush_console_before_the_end();
        switch_root::rescue_forever(|message| eprintln!("init: {message}"))
    }

    /// A `wait` service was spawned: on a terminal it gets a `[ .. ]`
    /// line until its report, as in the original.
    fn note_running_wait(&mut self, service: ServiceId) {
        if !self.console.is_terminal() {
            return;
        }
        if let Some(status) = self.core.service(service) {
            if status.def.kind == ServiceType::Wait {
                let text = status.def.console_text().to_string();
                self.running_waits.push((service, text));
            }
        }
    }

    /// Keeps the status line (terminals only) saying what is going on:
    /// the boot progress line once it is due, else `[ .. ]` for the
    /// earliest `wait` service still running, else nothing.
    fn refresh_status(&mut self) {
        if self.show_progress() {
            self.running_shown = None;
            return;
        }
        let want = self.running_waits.first().cloned();
        let shown = self.console.is_status_shown();
        match want {
            Some((id, _)) if shown && self.running_shown == Some(id) => {}
            Some((id, text)) if self.console.show_running(&text) => {
                self.running_shown = Some(id);
            }
            Some(_) => {}
            None if shown && self.running_shown.is_some() => {
                self.console.clear_status();
                self.running_shown = None;
            }
            None => {}
        }
    }

    /// Draws the boot progress line when it is due; true while it is the
    /// status line's business. Another target taking over (shutdown
    /// during boot) ends it as the boot completing does.
    fn show_progress(&mut self) -> bool {
        if self.progress.deadline().is_none() {
            return false;
        }
        if self.core.current_target() != Some(Target::Boot)
            || self.core.is_target_complete(Target::Boot)
        {
            self.end_progress();
            return false;
        }
        let now = self.clock.now();
        let taken_down = self.progress.is_showing() && !self.console.is_status_shown();
        let due = self.progress.take_due(now);
        if !self.progress.is_showing() {
            return false;
        }
        if !(due || taken_down) || !self.console.can_show_status() {
            return true;
        }
        let pending = self.core.pending_in_run();
        let names: Vec<&str> = pending
            .iter()
            .filter_map(|&id| self.core.service(id))
            .map(|s| s.def.name.as_str())
            .collect();
        let width = self.console.width().unwrap_or(DEFAULT_WIDTH);
        let line = progress_line(&names, now, width);
        self.console.show_status(&line);
        true
    }

    fn end_progress(&mut self) {
        self.progress.finish();
        self.console.clear_status();
    }

    /// Gives the console a last, bounded chance to show the final lines.
    fn flush_console_before_the_end(&mut self) {
        self.flush_trace();
        let until = Instant::now() + Duration::from_millis(500);
        while self.console.has_pending() && Instant::now() < until {
            self.console.flush();
            if self.console.has_pending() {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Loads the configuration again and hands it to the core; an error
    /// (said on the console too) when the directory cannot be read.
    fn reload(&mut self) -> Result<(), String> {
        let config = load_config(&self.settings.config_dir, &self.settings.env_file);
        report_diagnostics(&mut self.console, &config);
        if !config.dir_readable {
            let why = format!(
                "reload skipped: cannot read {}",
                self.settings.config_dir.display()
            );
            self.console.message(&why);
            return Err(why);
        }
        if let Some(env) = &config.env {
            self.environment = Environment::from_env_file(env);
        }
        self.handle(Event::Reload {
            services: config.services,
        });
        Ok(())
    }

    fn report_bind(&mut self, control: &ControlSocket, outcome: BindOutcome) {
        match outcome {
            BindOutcome::Unchanged | BindOutcome::NoDirectory => {}
            BindOutcome::Bound => {
                self.last_bind_failure = None;
                self.console
                    .message(&format!("listening on {}", control.path().display()));
            }
            BindOutcome::Failed(why) => {
                if self.last_bind_failure.as_ref() != Some(&why) {
                    self.console.message(&why);
                    self.last_bind_failure = Some(why);
                }
            }
        }
    }

    /// One permitted request (the control socket checked the peer).
    fn handle_request(&mut self, command: Command) -> Answer {
        #[cfg(feature = "test-panic-hook")]
        if matches!(&command, Command::Status { patterns } if patterns.iter().any(|p| p == TEST_PANIC_PATTERN))
        {
            panic!("test panic hook: a handler panics on purpose");
        }
        let (patterns, make_event): (Vec<String>, fn(ServiceId) -> Event) = match command {
            Command::Status { patterns } => {
                let ids = protocol::select(&patterns, self.core.services());
                if ids.is_empty() && !patterns.is_empty() {
                    return no_match(&patterns).into();
                }
                return Answer::Status(ids);
            }
            Command::Reload => {
                return match self.reload() {
                    Ok(()) => Reply::ok(),
                    Err(why) => Reply::error(why),
                }
                .into();
            }
            Command::Shutdown => {
                self.handle(Event::Shutdown);
                return Reply::ok().into();
            }
            Command::Reboot => {
                self.handle(Event::Reboot);
                return Reply::ok().into();
            }
            Command::SwitchRoot { new_root, init } => {
                if self.settings.mode != Mode::Pid1 {
                    return Reply::error("switch-root is only for the init of a machine").into();
                }
                let plan = switch_root::check(
                    std::path::Path::new("/"),
                    &new_root,
                    init.as_deref(),
                    self.settings.binary.as_deref(),
                );
                return match plan {
                    Ok(plan) => {
                        self.switch_plan = Some(plan);
                        self.handle(Event::SwitchRoot);
                        Reply::ok()
                    }
                    Err(why) => Reply::error(why),
                }
                .into();
            }
            Command::Reexec { path } => {
                if !self.core.can_hand_over() {
                    return Reply::error(
                        "re-exec is possible only once boot has completed and \
                         before shutdown or reboot",
                    )
                    .into();
                }
                if let Some(path) = &path {
                    if !path.starts_with('/') {
                        return Reply::error(format!("{path} is not an absolute path")).into();
                    }
                }
                self.reexec = Some(path.map(PathBuf::from));
                return Reply::ok().into();
            }
            Command::Start { patterns } => (patterns, Event::Start),
            Command::Stop { patterns } => (patterns, Event::Stop),
            Command::Restart { patterns } => (patterns, Event::Restart),
        };
        if patterns.is_empty() {
            return Reply::error("name at least one service (a glob pattern)").into();
        }
        let ids = protocol::select(&patterns, self.core.services());
        if ids.is_empty() {
            return no_match(&patterns).into();
        }
        let names = ids
            .iter()
            .filter_map(|&id| self.core.service(id))
            .map(|s| s.def.name.clone())
            .collect();
        for id in ids {
            self.handle(make_event(id));
        }
        Reply::affected(names).into()
    }

    /// One service as `status` shows it, with what its cgroup holds.
    fn status_entry(&self, id: ServiceId) -> Option<ServiceEntry> {
        let status = self.core.service(id)?;
        let mut entry = ServiceEntry::from_status(status);
        let processes = match &self.cgroups {
            Ok(cgroups) => cgroups.process_count(&status.def.name),
            Err(_) => None,
        };
        entry.stop_scope = Some(cgroup::scope_name(processes.is_some()).to_string());
        entry.processes = processes;
        Some(entry)
    }
}

/// The control socket's requests go to the world.
/// The real init's side of the loop every driver runs
/// (`init_core::drive`): outputs carried out against the kernel, the
/// trace and the `[ .. ]` line kept around each input.
impl Body for World {
    fn core(&mut self) -> &mut Supervisor {
        &mut self.core
    }

    fn now(&mut self) -> Millis {
        self.clock.now()
    }

    fn carry_out(&mut self, now: Millis, output: Output) -> Option<Event> {
        if let Some(trace) = &mut self.trace {
            trace.output(now, &output);
        }
        self.carry_out_output(output)
    }

    fn before_input(&mut self, now: Millis, event: &Event) {
        self.ended = match event {
            Event::Exited { pid, .. } => self.pid_services.remove(pid),
            _ => None,
        };
        self.ahead.look_again(matches!(event, Event::Reload { .. }));
        if let Some(trace) = &mut self.trace {
            trace.input(now, event);
        }
    }

    fn after_input(&mut self, _now: Millis) {
        if let Some(trace) = &mut self.trace {
            trace.after_input(&self.core, self.ended.is_some());
        }
    }

    fn after_outputs(&mut self, _now: Millis) {
        if let Some(service) = self.ended.take() {
            // Ended without a report (stopped, removed): no `[ .. ]` more.
            self.running_waits.retain(|(id, _)| *id != service);
        }
    }

    fn before_timers(&mut self, now: Millis) {
        if let Some(trace) = &mut self.trace {
            trace.timeouts(now, &self.core);
        }
    }
}

impl Handler for &mut World {
    fn handle(&mut self, request: Request) -> Answer {
        self.handle_request(request.command)
    }

    fn status_entry(&mut self, id: ServiceId) -> Option<ServiceEntry> {
        World::status_entry(self, id)
    }

    fn now_ms(&mut self) -> u64 {
        self.clock.now().0
    }
}

fn no_match(patterns: &[String]) -> Reply {
    Reply::error(format!("no service matches {}", patterns.join(" ")))
}

/// After a failed reboot(2): keep reaping forever, never exit.
fn halt_forever(console: &mut Console) -> ! {
    loop {
        console.flush();
        let _ = reap_exited();
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// When even the signalfd cannot be had: reap forever, never exit.
pub fn reap_forever() -> ! {
    loop {
        let _ = reap_exited();
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The cgroups init makes ahead of the starts that will need them: a pass
/// over the services after every event, making those of the services that
/// wait for others, a few each turn so that events go first.
#[derive(Default)]
struct CgroupsAhead {
    /// Where the pass is: the number of services looked at.
    next: Option<usize>,
    /// Bit N: service N's cgroup is made (or was tried). Only a hint: a
    /// cgroup it wrongly says is made is made at the start instead.
    made: Vec<u64>,
}

/// How many cgroups one turn makes ahead: about 0.2 ms of work.
const CGROUPS_AHEAD_PER_TURN: usize = 8;

impl CgroupsAhead {
    /// Something happened that may have made services wait: a new pass.
    /// A reload may give ids to other services: forget what was made.
    fn look_again(&mut self, reloaded: bool) {
        self.next = Some(0);
        if reloaded {
            self.made.clear();
        }
    }

    fn make_some(&mut self, core: &Supervisor, cgroups: &Cgroups) -> bool {
        let Some(start) = self.next else {
            return false;
        };
        let mut made = 0;
        for (looked, status) in core.services().enumerate().skip(start) {
            if made == CGROUPS_AHEAD_PER_TURN {
                self.next = Some(looked);
                return true;
            }
            let (word, bit) = (status.id.0 as usize / 64, status.id.0 % 64);
            if status.state != ServiceState::Waiting
                || self.made.get(word).is_some_and(|w| w & (1 << bit) != 0)
            {
                continue;
            }
            if self.made.len() <= word {
                self.made.resize(word + 1, 0);
            }
            self.made[word] |= 1 << bit;
            cgroups.make_ahead(&status.def.name);
            made += 1;
        }
        self.next = None;
        false
    }
}

//! The supervisor: the state machine that runs targets and keeps services
//! alive.
//!
//! Owns every policy decision: what starts when, what restarts, what stops,
//! and how the machine ends. It performs nothing itself; it queues
//! [`Output`]s for a driver. It never reads a clock and never panics,
//! whatever events arrive.
//!
//! # Methods
//!
//! Shaped like quinn-proto's `Connection`:
//! - getters: [`Supervisor::services`], [`Supervisor::service`],
//!   [`Supervisor::service_by_name`], [`Supervisor::current_target`],
//!   [`Supervisor::is_target_complete`], [`Supervisor::pending_in_run`],
//!   [`Supervisor::is_finished`], [`Supervisor::ending_leftovers`],
//!   [`Supervisor::timers`], [`Supervisor::due_timers`],
//!   [`Supervisor::options`], [`Supervisor::lifecycle_kind`],
//!   [`Supervisor::refused_transitions`];
//! - inputs: [`Supervisor::handle_event`] (boot, spawn answers, exits,
//!   targets, reload, admin requests) and [`Supervisor::handle_timeout`];
//! - commands: there are none beyond events; admin requests are events
//!   (`Start`, `Stop`, `Restart`) so that a trace holds every input;
//! - outputs: [`Supervisor::poll_output`], drained until `None` after every
//!   input, and [`Supervisor::poll_timeout`], the next deadline at which
//!   `handle_timeout` wants to be called.
//!
//! # State
//!
//! Each service is in one [`LifecycleKind`] at a time, held with its
//! sub-state (what a stop leads to, why a respawn waits, whether a
//! process has said it is ready) in `lifecycle.rs`. Every change goes
//! through one function, `Entry::set_state`, which checks it against the
//! table in [`LifecycleKind::may_become`] (the same as docs/services.md,
//! "How a service's state changes") and refuses, and counts
//! ([`Supervisor::refused_transitions`]), any change the table does not
//! allow. The [`ServiceState`] of a status is the flat view of it, so
//! that the protocol, traces and saved states never see the sub-states.
//!
//! # Words
//!
//! - *Ready*: only a service's own notice that it is ready (`ready-fd`,
//!   `ready-file`; `ready.rs`).
//! - *Satisfied*: no longer holds up the services after it in its
//!   target's run ([`ServiceStatus::satisfied_at`]).
//! - *Startable*: a slot of a run whose predecessors are all satisfied
//!   (`predecessors.rs`).
//!
//! # Policy
//!
//! Ordering. A target run queues its services (Waiting) and starts each as
//! soon as every predecessor the resolver gave it is satisfied; unrelated
//! services start in parallel. `wait` is satisfied when it exits (success or
//! not) or its spawn fails; `once` and `respawn` when `Spawned` (or the spawn
//! failed) or, with `ready-fd`/`ready-file`, when `Ready` comes (`ready.rs`:
//! no word within the ready timeout stops it, and it ends Failed); a service
//! that ends for good unsatisfied is satisfied then; a milestone (no `exec`) is Done as soon as its predecessors are.
//! An admin-stopped service counts as satisfied, so nothing blocks forever.
//! A service an admin started before its target ran counts as started, but
//! a `wait` one still has to exit.
//! With [`Options::sequential`], a service starts only once every service
//! before it in resolved order is satisfied: the original's one-at-a-time
//! behaviour, which a service satisfied out of turn (an admin stop or start,
//! a reload) cannot shortcut.
//! Only predecessors that come earlier in the resolved order are honoured,
//! so even a wrong order cannot deadlock a run.
//!
//! Respawn. A `respawn` service that exits is spawned again, never sooner
//! than its respawn delay after its last spawn (state Restarting
//! meanwhile). The delay (`backoff.rs`) starts at `respawn-delay` (default
//! [`Options::respawn_delay_ms`], 100 ms) and doubles after every short run
//! up to `respawn-delay-max` (default [`Options::respawn_delay_max_ms`],
//! 5 s; a cap at the delay keeps it constant), so a
//! crash loop settles at one start per cap. A run is short unless it
//! lasted `respawn-window` or, without one, the cap. With `limit N` it gives up
//! (Failed) after an exit or spawn failure once N runs in a row have been
//! made. An admin start, and its target's run queueing it, reset the count
//! and the delay; so does a run that lasted `respawn-window`, as the
//! first run of a new series.
//!
//! Leftovers (`leftovers.rs`). When the main process of a live service
//! ends and the driver says others of the service are still there
//! (`Exited::leftovers`): after a stop they get KILL at once (stopped
//! means nothing of it runs); before a respawn they get the stop signal,
//! and KILL after the stop timeout, unless the service says `leftovers
//! keep`; after a `wait` or `once` run they are left alone (a script's
//! daemon). Either way, while a `SignalLeftovers` is unanswered no spawn
//! of the service goes out (it shows Restarting); `LeftoversGone` lets it
//! go, and so does the kill grace after the KILL.
//!
//! Stopping a process (`stop.rs`): its stop signal (`stop-signal`, default
//! TERM) goes out, and KILL once its stop timeout (`stop-timeout`, default
//! [`Options::stop_timeout_ms`]) has passed without the exit. Once
//! shutdown, reboot or switch-root has begun, no stop waits longer than
//! [`Options::shutdown_stop_timeout_ms`], the shutdown ceiling: a stop
//! begun then is armed with at most that, and one under way at the switch
//! gets KILL by that much after it at the latest. The driver sends both
//! to the service's process group.
//!
//! Admin requests. Stop: the stop signal to a live process (Stopping, then
//! Stopped on exit, never restarted); a pending respawn, a Waiting or an Inactive
//! service becomes Stopped at once; one the core is already stopping (given
//! up on by a timeout) ends Stopped rather than Failed; Done and Failed are
//! left alone. Start:
//! from Inactive, Done, Failed, Stopped or Restarting, spawn at once with the
//! count reset, ignoring ordering; a Stopping service is started again once
//! it exits. Restart: a live process is stopped and is spawned again on exit;
//! otherwise like start. Once shutdown or reboot has begun, Start and
//! Restart are ignored (the machine is going down) but Stop still works.
//!
//! Shutdown and reboot. The first `Shutdown` or `Reboot` wins; later ones
//! are ignored, as in the original. The switch drops pending boot work
//! (Waiting boot services stay unstarted), stops respawning (pending
//! respawns become Stopped, exits no longer restart, pending admin restarts
//! are forgotten), then winds down (`wind_down.rs`): every live service
//! not of the final target is stopped, in reverse dependency order (a
//! service once every live service that starts after it, directly or
//! through services that are not alive, has ended), each bounded by its
//! stop timeout (at most the shutdown ceiling) and then
//! [`Options::kill_grace_ms`] for the KILL to work.
//! Nothing of the boot run starts any more. Then it runs the final target
//! by the same ordering rules.
//! Every service spawned for it is bounded by
//! [`Options::final_service_timeout_ms`]: an unanswered spawn, a `wait`
//! process that has not exited by then, or a process that has yet to say
//! it is ready (whatever its ready timeout) is given up on and treated as
//! satisfied (report Fail; a live process gets KILL and is Stopping until
//! it exits; an unanswered spawn is Failed, and a process that still
//! turns up gets TERM). When the target completes, the
//! safety net runs: `KillAll{TERM}`, wait until every tracked process has
//! exited or [`Options::kill_grace_ms`] passes, `KillAll{KILL}`, `Sync`, and
//! exactly one `Power`. After `Power` nothing is ever output again.
//! A process whose spawn is answered during the grace gets TERM at once.
//!
//! Main service. A service marked `main-service` that ends for good while
//! the machine is up (a `wait` or `once` process exits or fails to spawn,
//! a `respawn` one is given up on, any is admin-stopped; not an admin
//! restart) begins the shutdown as `Shutdown` would, and its status is
//! kept for [`Supervisor::main_service_exit`] (a failed spawn as
//! `Exited(127)`): a container's init exits with it. Once the machine is
//! going down its end changes nothing.
//!
//! Hand-over (re-exec). The whole supervisor is plain data (serde): a
//! driver saves it and a new binary goes on from it. It may only happen
//! once boot has completed and before the way down
//! ([`Supervisor::can_hand_over`]). A binary that cannot read the saved
//! state builds a supervisor with [`Supervisor::adopting`] from the
//! [`AdoptedService`] list every version writes: running processes are
//! adopted by pid, nothing that ran is run again (`adopt.rs` says what is
//! lost).
//!
//! Switch-root. `SwitchRoot` takes the way down of `Shutdown` (the first
//! of the three wins), with two differences: the wind-down stops every
//! live service, since no final target follows, and the safety net comes
//! right after it. `Power { SwitchRoot }` is the end of this supervisor;
//! the driver then starts the new root's init.
//!
//! Reload. Services are matched by enabled name; kept services keep their
//! id, new ones get fresh ids (never reused). A removed service that is not
//! alive is dropped; one that is alive stays (not restarted) until it exits
//! and is dropped then. Until then it keeps its place in the run of its
//! target, by the definition it runs: the services after it wait for it
//! as before (a `wait` one until it exits), and its end is reported as it
//! would have been (the Pygos `sshd_keygen` disables itself while it
//! runs). A new service of the target that runs now joins
//! that run (Waiting, started by the ordering rules), even one a reload
//! removed while it waited for its turn; one of a target whose run is over
//! is Done without being started, as in the original; one of a target yet
//! to run is Inactive. A live process keeps its old definition until it
//! ends; everything else takes the new one at once. A `respawn` process
//! whose service the new definition makes another type or moves to another
//! target is not respawned when it ends (Done, no report): the new
//! definition takes over as if the service had not been running. The current run is
//! re-resolved. Reload is ignored once shutdown or reboot has begun.
//!
//! Console reports. `Ok`: a `wait` or `once` process exited 0. `Fail`: a
//! `wait` or `once` process exited non-zero or by a signal; a spawn failed
//! (for a respawn service only the first one since it last started, so a
//! missing binary does not flood the console); a respawn service was given
//! up; a final-target service timed out. `Up`: a respawn service started
//! for the first time since its run count was reset. No report for milestones, for exits of
//! services being stopped, for respawn exits that restart or of removed
//! respawn services, or for anything once the final safety net has begun.
//! A report carries its text (description, or name), since a removed
//! service is gone by the time the driver prints it.
//!
//! Cost. Starting a run and a reload resolve the target once,
//! O((services + edges) log n); every other input costs O(log n) per
//! service it changes, plus its outputs. Nothing scans every service per
//! event: the services whose turn has come are found from counts of
//! unsatisfied predecessors (`predecessors.rs`), and services
//! are found through indexes by id, name and pid, so that ten thousand
//! services boot in well under a second.
//!
//! Unknown input. `Exited` for a pid no service owns (an orphan reaped by
//! PID 1) and repeated exits are ignored; so are `Spawned`/`SpawnFailed`
//! that answer no outstanding spawn, a `Spawned` whose pid another live
//! service holds, unknown service ids, and a second `Boot`.

mod admin;
mod adopt;
mod backoff;
mod entry;
mod leftovers;
mod lifecycle;
mod predecessors;
mod process;
mod ready;
mod reload;
mod run;
mod saved;
mod stop;
mod table;
mod timers;
mod wind_down;

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::events::{
    Event, ExitStatus, Millis, Output, Pid, PowerAction, ServiceId, ServiceState, ServiceStatus,
};
use crate::service::{ServiceDef, ServiceSettings, Target};

pub use adopt::AdoptedService;
use entry::Entry;
pub use lifecycle::LifecycleKind;
use run::TargetRun;
use table::Entries;
use timers::Timers;
pub use timers::{Timer, TimerKind};
use wind_down::WindDown;

/// How many definitions `Supervisor::new` takes from its list before it
/// gives their room back.
const LIST_ROOM_RETURNED: usize = 64;

/// The room the output queue keeps once drained.
const OUTPUTS_ROOM_KEPT: usize = 64;

/// Settings that shape policy. All times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Reproduce the original: one service at a time in resolved order,
    /// with `wait` blocking everything behind it. Default: false (parallel).
    pub sequential: bool,
    /// A respawn never happens sooner than this after the last start,
    /// for services without `respawn-delay`. Default: 100.
    pub respawn_delay_ms: u64,
    /// The cap the respawn delay doubles up to after every short run, for
    /// services without `respawn-delay-max`; a run that lasts this long
    /// (without `respawn-window`) puts the delay back to its base. Equal
    /// to `respawn_delay_ms`, the delay stays constant, the former
    /// default. Default: 5000, so that a service that crashes at once is
    /// started about every 5 s after its first few runs, not ten times a
    /// second.
    #[serde(default = "default_respawn_delay_max_ms")]
    pub respawn_delay_max_ms: u64,
    /// At the end of shutdown or reboot: time between TERM and KILL to
    /// every remaining process. Default: 5000.
    pub kill_grace_ms: u64,
    /// How long a service of the shutdown or reboot target may take to be
    /// satisfied (spawn answered, and for `wait` exited) before it is given
    /// up on. Default: 30000.
    pub final_service_timeout_ms: u64,
    /// How long a stop waits for the exit before KILL, for services
    /// without `stop-timeout`. Default: 5000.
    #[serde(default = "default_stop_timeout_ms")]
    pub stop_timeout_ms: u64,
    /// Once shutdown, reboot or switch-root has begun, the most any stop
    /// waits before KILL, whatever `stop-timeout` or `stop_timeout_ms`
    /// say; a stop under way then gets KILL by this much from the switch
    /// at the latest. Default: 5000, the default stop timeout: a
    /// configuration without `stop-timeout` lines goes down as before,
    /// and the way down keeps its bound (docs/reliability.md).
    #[serde(default = "default_stop_timeout_ms")]
    pub shutdown_stop_timeout_ms: u64,
    /// How long a service with `ready-fd` or `ready-file` may take to say
    /// it is ready, for services without `ready-timeout`. Default: 30000.
    #[serde(default = "default_ready_timeout_ms")]
    pub ready_timeout_ms: u64,
}

fn default_ready_timeout_ms() -> u64 {
    30_000
}

fn default_respawn_delay_max_ms() -> u64 {
    5000
}

fn default_stop_timeout_ms() -> u64 {
    5000
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sequential: false,
            respawn_delay_ms: 100,
            respawn_delay_max_ms: default_respawn_delay_max_ms(),
            kill_grace_ms: 5000,
            final_service_timeout_ms: 30_000,
            stop_timeout_ms: default_stop_timeout_ms(),
            shutdown_stop_timeout_ms: default_stop_timeout_ms(),
            ready_timeout_ms: default_ready_timeout_ms(),
        }
    }
}

/// Where the machine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    /// Before `Boot`.
    Idle,
    /// The boot target runs or has completed.
    Up,
    /// Shutdown or reboot was asked for: the live services are being
    /// stopped before the final target runs.
    WindDown(PowerAction),
    /// The shutdown or reboot target runs.
    FinalTarget(PowerAction),
    /// The final target completed; `KillAll{TERM}` was sent and the grace
    /// runs.
    KillGrace(PowerAction),
    /// `Power` was output. Nothing happens any more.
    Finished,
}

impl Phase {
    /// Shutdown or reboot has begun (or ended).
    fn is_going_down(self) -> bool {
        !matches!(self, Phase::Idle | Phase::Up)
    }
}

/// The supervisor. See the module documentation for its methods and policy.
/// Serialised as `saved.rs` says.
#[derive(Debug, Clone)]
pub struct Supervisor {
    options: Options,
    /// By id and by enabled name (names are unique). Kept by `add_entry`
    /// and `drop_entry`.
    entries: Entries,
    /// `(pid, id)` for every entry whose status holds a pid. Kept by
    /// `set_pid` and `drop_entry`; a set, not a map, so that it stays right
    /// even if two entries ever held one pid.
    pids: BTreeSet<(Pid, ServiceId)>,
    next_id: u32,
    phase: Phase,
    /// The run of the target that runs now (or ran last).
    run: Option<TargetRun>,
    /// Targets whose run has begun, for reload's "new services of targets
    /// that already ran are Done".
    targets_run: Vec<Target>,
    timers: Timers,
    /// The wind-down's plan while the phase is `WindDown`.
    wind_down: Option<WindDown>,
    /// How the main service (`main-service`) ended, once it has: the
    /// status a container's init exits with.
    main_service_exit: Option<ExitStatus>,
    /// Not part of the saved state: a driver drains it before saving.
    outputs: VecDeque<Output>,
    /// State changes refused (`Entry::set_state`) by entries since
    /// dropped; the others keep their own count. Not saved.
    refused_transitions_dropped: u32,
}

impl Supervisor {
    /// A supervisor for `services`, all Inactive, ids in the given order.
    /// A later service with a name already seen is ignored: names identify
    /// services across reloads, so they must be unique.
    pub fn new(services: Vec<ServiceDef>, options: Options) -> Supervisor {
        let mut supervisor = Supervisor {
            options,
            entries: Entries::default(),
            pids: BTreeSet::new(),
            next_id: 0,
            phase: Phase::Idle,
            run: None,
            targets_run: Vec::new(),
            timers: Timers::default(),
            wind_down: None,
            main_service_exit: None,
            outputs: VecDeque::new(),
            refused_transitions_dropped: 0,
        };
        // Each definition moves into an entry of its own, and the list
        // gives its room back as it empties: the list and the entries
        // (each some 700 bytes a service) are never both whole on the
        // heap, which was init's peak with a large configuration.
        let mut services = services;
        supervisor.entries.reserve(services.len());
        services.reverse();
        while let Some(def) = services.pop() {
            if services.capacity() - services.len() >= LIST_ROOM_RETURNED {
                services.shrink_to_fit();
            }
            if supervisor.entries.id_of(&def.name).is_none() {
                supervisor.add_entry(def);
            }
        }
        supervisor.entries.shrink_to_fit();
        supervisor
    }

    // ---- getters ----

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Every known service, in id order.
    pub fn services(&self) -> impl Iterator<Item = &ServiceStatus> {
        self.entries.values().map(|e| &e.status)
    }

    pub fn service(&self, id: ServiceId) -> Option<&ServiceStatus> {
        self.entry(id).map(|e| &e.status)
    }

    /// The service enabled under `name` (e.g. `agetty@tty1`).
    pub fn service_by_name(&self, name: &str) -> Option<&ServiceStatus> {
        self.entries
            .id_of(name)
            .and_then(|id| self.entry(id))
            .map(|e| &e.status)
    }

    /// The definition a reload gave `id` that waits for its process to end.
    pub fn pending_definition(&self, id: ServiceId) -> Option<&ServiceDef> {
        self.entry(id).and_then(|e| e.pending_def.as_deref())
    }

    /// The target that runs now or ran last; `None` before boot.
    pub fn current_target(&self) -> Option<Target> {
        self.run.as_ref().map(|r| r.target)
    }

    /// Whether the current run of `target` has completed.
    pub fn is_target_complete(&self, target: Target) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.target == target && r.complete)
    }

    /// The services the current target run still waits for (not yet
    /// satisfied), in start order; empty before boot and once the run has
    /// completed. What a boot progress line names. O(services of the run).
    pub fn pending_in_run(&self) -> Vec<ServiceId> {
        match &self.run {
            Some(run) if !run.complete => run
                .slots
                .iter()
                .filter(|slot| self.entry(slot.id).is_some_and(|e| !e.is_satisfied()))
                .map(|slot| slot.id)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `Power` was output; the supervisor will output nothing more.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// How the main service ended, if one is marked `main-service` and it
    /// ended for good while the machine was up (which began the shutdown).
    pub fn main_service_exit(&self) -> Option<ExitStatus> {
        self.main_service_exit
    }

    /// The services whose leftovers are being ended (`SignalLeftovers`
    /// unanswered), with the ended main pid each output named: what a
    /// driver that took over must watch.
    pub fn ending_leftovers(&self) -> impl Iterator<Item = (ServiceId, Pid)> + '_ {
        self.entries
            .values()
            .filter_map(|e| e.leftovers.map(|ending| (e.status.id, ending.pid)))
    }

    /// The armed timers, sorted by kind.
    pub fn timers(&self) -> impl Iterator<Item = &Timer> {
        self.timers.iter()
    }

    /// The timers a call to `handle_timeout(now)` fires, in the order it
    /// fires them: what a trace says fired.
    pub fn due_timers(&self, now: Millis) -> Vec<TimerKind> {
        if self.phase == Phase::Finished {
            return Vec::new();
        }
        self.timers.due(now).collect()
    }

    /// Where `id` is in its life, finer than its status's state (which
    /// is derived from it): docs/services.md has the kinds and the table
    /// of changes between them.
    pub fn lifecycle_kind(&self, id: ServiceId) -> Option<LifecycleKind> {
        self.entry(id).map(|e| e.lifecycle().kind())
    }

    /// How many state changes the table refused since this supervisor was
    /// made or read: each one is a bug in the supervisor (it went on in
    /// the state it had). Tests and the simulator's checker require zero.
    /// O(services).
    pub fn refused_transitions(&self) -> u64 {
        self.entries
            .values()
            .map(|e| u64::from(e.refused_transitions()))
            .fold(
                u64::from(self.refused_transitions_dropped),
                u64::saturating_add,
            )
    }

    // ---- inputs ----

    /// Takes one input that happened at `now`.
    pub fn handle_event(&mut self, now: Millis, event: Event) {
        if self.phase == Phase::Finished {
            return;
        }
        match event {
            Event::Boot => self.handle_boot(now),
            Event::Spawned { service, pid } => self.handle_spawned(now, service, pid),
            Event::SpawnFailed { service, error } => {
                self.handle_spawn_failed(now, service, error.message)
            }
            Event::Exited {
                pid,
                status,
                leftovers,
            } => self.handle_exited(now, pid, status, leftovers),
            Event::Shutdown => self.handle_final_target(now, PowerAction::PowerOff),
            Event::Reboot => self.handle_final_target(now, PowerAction::Reboot),
            Event::SwitchRoot => self.handle_final_target(now, PowerAction::SwitchRoot),
            Event::Reload { services } => self.handle_reload(now, services),
            Event::Start(id) => self.handle_start(now, id),
            Event::Stop(id) => self.handle_stop(now, id),
            Event::Restart(id) => self.handle_restart(now, id),
            Event::Ready(id) => self.handle_ready(now, id),
            Event::LeftoversGone(id) => self.handle_leftovers_gone(now, id),
        }
    }

    /// Fires every timer due at `now`. Calling it early does nothing;
    /// calling it late fires everything overdue, earliest first.
    pub fn handle_timeout(&mut self, now: Millis) {
        for kind in self.timers.take_due(now) {
            if self.phase == Phase::Finished {
                return;
            }
            match kind {
                TimerKind::Respawn(id) => self.fire_respawn(now, id),
                TimerKind::FinalService(id) => self.fire_final_service_timeout(now, id),
                TimerKind::KillGrace => self.finish(),
                TimerKind::StopTimeout(id) => self.fire_stop_timeout(now, id),
                TimerKind::Ready(id) => self.fire_ready_timeout(now, id),
                TimerKind::Leftovers(id) => self.fire_leftovers_timeout(now, id),
            }
        }
    }

    // ---- outputs ----

    /// The next command for the driver, in order; drain until `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        let output = self.outputs.pop_front();
        if output.is_none() && self.outputs.capacity() > OUTPUTS_ROOM_KEPT {
            // A boot of a thousand services queues a thousand spawns at
            // once; the queue need not keep that room for good.
            self.outputs.shrink_to(OUTPUTS_ROOM_KEPT);
        }
        output
    }

    /// When `handle_timeout` wants to be called next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        if self.phase == Phase::Finished {
            return None;
        }
        self.timers.next_deadline()
    }

    // ---- internals shared by the submodules ----

    /// Queues an output, unless `Power` was already queued: after it,
    /// nothing is ever output.
    fn emit(&mut self, output: Output) {
        if self.phase == Phase::Finished {
            return;
        }
        if matches!(output, Output::Power { .. }) {
            self.phase = Phase::Finished;
            self.timers.clear();
        }
        self.outputs.push_back(output);
    }

    /// The first service (by id) with a live process or spawn under `pid`.
    fn live_holder_of(&self, pid: Pid) -> Option<ServiceId> {
        self.pids
            .range((pid, ServiceId(0))..=(pid, ServiceId(u32::MAX)))
            .map(|&(_, id)| id)
            .find(|&id| self.entry(id).is_some_and(|e| e.is_live()))
    }

    fn entry_mut(&mut self, id: ServiceId) -> Option<&mut Entry> {
        self.entries.get_mut(id)
    }

    fn entry(&self, id: ServiceId) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// Arms `kind` for `now` plus the service's own timeout (`own` picks
    /// it from its settings) or, without one, `default_ms`.
    fn arm_service_timeout(
        &mut self,
        now: Millis,
        id: ServiceId,
        kind: TimerKind,
        default_ms: u64,
        own: impl Fn(&ServiceSettings) -> Option<u64>,
    ) {
        let Some(entry) = self.entry(id) else {
            return;
        };
        let timeout_ms = own(&entry.status.def.settings).unwrap_or(default_ms);
        self.timers.set(kind, now.saturating_add(timeout_ms));
    }

    /// The service an admin start or restart may act on: none once the
    /// machine is going down, or when a reload removed it.
    fn startable_entry(&mut self, id: ServiceId) -> Option<&mut Entry> {
        if self.phase.is_going_down() {
            return None;
        }
        self.entry_mut(id).filter(|entry| !entry.removed)
    }

    /// A new service, Inactive.
    fn add_entry(&mut self, def: ServiceDef) -> ServiceId {
        let id = ServiceId(self.next_id);
        // Four billion services is not a configuration; saturating keeps the
        // core panic-free rather than meaningful there.
        self.next_id = self.next_id.saturating_add(1);
        let entry = Entry::new(ServiceStatus::new(id, def, ServiceState::Inactive));
        self.entries.insert(entry);
        id
    }

    /// The only way a service's `satisfied` flag changes: the current
    /// run's counts follow it, and so does `satisfied_at`, the time the boot
    /// analysis reads.
    fn set_satisfied(&mut self, now: Millis, id: ServiceId, satisfied: bool) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.is_satisfied() == satisfied {
            return;
        }
        entry.set_satisfied_flag(satisfied);
        entry.status.satisfied_at = satisfied.then_some(now);
        if let Some(run) = &mut self.run {
            run.predecessors.satisfied_changed(id, satisfied);
        }
    }

    /// The only way a service's pid changes: the pid index follows it.
    fn set_pid(&mut self, id: ServiceId, pid: Option<Pid>) {
        let Some(entry) = self.entries.get_mut(id) else {
            return;
        };
        if let Some(old) = entry.status.pid {
            self.pids.remove(&(old, id));
        }
        entry.status.pid = pid;
        if let Some(new) = pid {
            self.pids.insert((new, id));
        }
    }

    /// Forgets a service (removed by a reload) with its timers.
    fn drop_entry(&mut self, id: ServiceId) {
        self.drop_entries(&[id]);
    }

    /// Forgets services (removed by a reload) with their timers, taking
    /// them out of the entries in one pass. A service that is gone blocks
    /// nothing, as if satisfied.
    fn drop_entries(&mut self, ids: &[ServiceId]) {
        // Each once: a second time would count it satisfied twice.
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for &id in &ids {
            self.timers.cancel_service(id);
            self.set_pid(id, None);
            let Some(entry) = self.entries.get(id) else {
                continue;
            };
            self.refused_transitions_dropped = self
                .refused_transitions_dropped
                .saturating_add(entry.refused_transitions());
            if !entry.is_satisfied() {
                if let Some(run) = &mut self.run {
                    run.predecessors.satisfied_changed(id, true);
                }
            }
        }
        self.entries.remove_all(&ids);
    }
}

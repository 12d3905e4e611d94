//! The invariants every run must keep, checked after every step.
//!
//! Owns watching the stream of inputs and outputs (and the core's status
//! getters) and naming what went wrong. It decides nothing for the core and
//! changes nothing in the run; the driver stops at the first violation.
//!
//! The checker is an oracle of its own: it reads the configuration from
//! the inputs, the dependency edges straight from the files (`graph.rs`,
//! not the core's resolver), and what happened from the events, and holds
//! the core to docs/simulation.md. It reads the core's getters only where
//! the core's belief is what is checked (invariants 14 and 15), for the
//! ids the core hands out, and for the state an admin request left.
//!
//! A driver calls, for every input, [`Checker::on_input`], then the core,
//! then [`Checker::after_input`], then [`Checker::on_output`] for each
//! output drained, then [`Checker::end_of_step`]; for a timer, the core,
//! the outputs and [`Checker::end_of_step`]; at the end [`Checker::finish`].
//!
//! - `graph.rs`: the dependency oracle;
//! - `admin.rs`: admin requests (3);
//! - `reports.rs`: console reports (17);
//! - `runs.rs`: target runs (1 start order, 9 progress, 10 readiness);
//! - `series.rs`: respawns (2 the limit, 11 the backoff);
//! - `stops.rs`: stops (12 the stop timeout, 13 the wind-down);
//! - `identity.rs`: what the core holds (14 pids, exits and the rest of
//!   what it reports, 15 reloads);
//! - `resolver.rs`: the resolver held to the oracle (16).

mod admin;
mod graph;
mod identity;
mod reports;
mod resolver;
mod runs;
mod series;
mod stops;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use init_core::events::{Event, ExitStatus, Millis, Output, Pid, PowerAction, ServiceId, Signal};
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};

use admin::Admin;
use identity::Identity;
use reports::Reports;
use runs::Runs;
use series::Respawns;
use stops::Stops;

/// The numbered invariants of docs/simulation.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// 1. No service is spawned before its predecessors are satisfied
    ///    (except by an admin action), nor outside its target's run; no
    ///    target completes before its services are satisfied.
    Order = 1,
    /// 2. The respawn limit holds, and nothing is spawned again that was
    ///    not owed a respawn.
    Respawn = 2,
    /// 3. An admin start spawns a service that is neither alive nor
    ///    waiting for its turn, a stop sends the stop signal, a restart
    ///    does both, and an admin-stopped service is not spawned again
    ///    until an admin start.
    AdminStop = 3,
    /// 4. At most one live process per service, and no spawn while what
    ///    its last run left behind is being ended.
    OneProcess = 4,
    /// 5. No signal goes to a pid after it was reaped (or to a pid that is
    ///    not the service's).
    SignalAfterReap = 5,
    /// 6. Every spawned process is reaped: at power-off nothing runs but
    ///    what the final kill ended.
    Reaped = 6,
    /// 7. Shutdown and reboot end in exactly one power command, within
    ///    bounded virtual time, and nothing follows it.
    Power = 7,
    /// 8. The core never panics (and never livelocks the driver).
    NoPanic = 8,
    /// 9. A service whose predecessors are all satisfied is started at
    ///    once, and a run whose services are all satisfied completes.
    Progress = 9,
    /// 10. A service with readiness is satisfied when it says it is ready
    ///     and not before, and is given up at its ready timeout.
    Readiness = 10,
    /// 11. A respawn comes exactly when the documented backoff says.
    Backoff = 11,
    /// 12. A stop sends the service's stop signal, and KILL exactly at its
    ///     stop timeout (capped by the shutdown ceiling).
    StopTimeout = 12,
    /// 13. The way down stops services in reverse dependency order, each
    ///     as soon as what starts after it has ended, and the final target
    ///     starts only after that.
    WindDown = 13,
    /// 14. What the core reports agrees with what happened: every pid it
    ///     holds is a live process of that service, every exit is recorded
    ///     for the run it ended, and its run, timers and options are the
    ///     ones the checker saw.
    Pids = 14,
    /// 15. A reload keeps the identity (id, pid, run count, state) of the
    ///     services it keeps, and stops or restarts none of them.
    Reload = 15,
    /// 16. The resolver's order honours every edge on no cycle, and the
    ///     cycles, broken edges and missing names it reports are real.
    Resolver = 16,
    /// 17. The console reports what the policy says: OK or FAIL for a
    ///     `wait` or `once` service that ends by itself, UP once a series
    ///     of runs, FAIL for a service given up at its limit.
    Reports = 17,
}

impl Invariant {
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn title(self) -> &'static str {
        match self {
            Invariant::Order => "start order",
            Invariant::Respawn => "respawn limit",
            Invariant::AdminStop => "admin requests",
            Invariant::OneProcess => "one process per service",
            Invariant::SignalAfterReap => "no signal after reaping",
            Invariant::Reaped => "every process reaped",
            Invariant::Power => "one bounded power command",
            Invariant::NoPanic => "no panic",
            Invariant::Progress => "progress",
            Invariant::Readiness => "readiness",
            Invariant::Backoff => "respawn backoff",
            Invariant::StopTimeout => "stop timeout",
            Invariant::WindDown => "wind-down order",
            Invariant::Pids => "what the core reports",
            Invariant::Reload => "reload keeps identity",
            Invariant::Resolver => "resolver's order",
            Invariant::Reports => "console reports",
        }
    }
}

/// What went wrong, when, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: Millis,
    pub invariant: Invariant,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} invariant {} ({}) violated: {}",
            self.at,
            self.invariant.number(),
            self.invariant.title(),
            self.message
        )
    }
}

/// Above this many services the checks that look at every service each
/// step (the pids the core holds, the services its run waits for) look
/// only at the services of the step, so that a what-if boot of ten
/// thousand stays linear.
const FULL_CHECK_SERVICES: usize = 1000;

/// The first accepted shutdown or reboot.
#[derive(Debug, Clone, Copy)]
struct Down {
    at: Millis,
    action: PowerAction,
    /// The time by which Power must have come.
    deadline: Millis,
}

impl Down {
    fn final_target(self) -> Target {
        match self.action {
            PowerAction::Reboot => Target::Reboot,
            _ => Target::Shutdown,
        }
    }
}

/// What every check reads: the configuration, the processes and the phase
/// of the machine, all as the inputs and outputs told it.
#[derive(Debug, Clone)]
struct World {
    /// The policy numbers the core was given: the checker reads them to
    /// know bounds and exact times (it never applies them; the core does).
    options: Options,
    now: Millis,
    /// The configuration last loaded, by enabled name.
    config: BTreeMap<String, ServiceDef>,
    /// The id of each configured name.
    id_of: BTreeMap<String, ServiceId>,
    /// The name of every id ever seen.
    names: BTreeMap<ServiceId, String>,
    /// The definition each service's latest spawn ran with: a live process
    /// keeps its definition until it ends.
    spawn_def: BTreeMap<ServiceId, ServiceDef>,
    live: BTreeMap<ServiceId, Pid>,
    /// Services whose spawn is asked for and not yet answered.
    spawning: BTreeSet<ServiceId>,
    /// Services whose last run's leftovers were signalled and are not yet
    /// gone, with when the core gives up waiting for them (the kill grace
    /// after their KILL): a spawn of the service is held back meanwhile.
    ending_leftovers: BTreeMap<ServiceId, Option<Millis>>,
    /// When each service's leftovers were last gone (or given up on).
    leftovers_gone_at: BTreeMap<ServiceId, Millis>,
    owner: BTreeMap<Pid, ServiceId>,
    reaped: BTreeSet<Pid>,
    /// When the live process was reported spawned.
    spawned_at: BTreeMap<ServiceId, Millis>,
    /// When the latest spawn was asked for.
    last_spawn_at: BTreeMap<ServiceId, Millis>,
    ever_spawned: BTreeSet<ServiceId>,
    /// Services whose live process got its stop signal.
    stopping: BTreeSet<ServiceId>,
    /// Services whose live process said it is ready.
    ready_said: BTreeSet<ServiceId>,
    /// Services an admin has started, stopped or restarted.
    touched: BTreeSet<ServiceId>,
    /// The input being handled; `None` during a timer's step.
    input: Option<Event>,
    booted: bool,
    /// The boot target's run completed.
    boot_complete: bool,
    down: Option<Down>,
    /// `KillAll{TERM}` went out: the safety net has begun.
    kill_all: bool,
    /// How the main service ended, once it began the way down.
    main_exit: Option<ExitStatus>,
    power: Option<(Millis, PowerAction)>,
}

impl World {
    fn name(&self, id: ServiceId) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{}", id.0))
    }

    /// The configured definition of `id`, if it is configured.
    fn def(&self, id: ServiceId) -> Option<&ServiceDef> {
        let name = self.names.get(&id)?;
        (self.id_of.get(name) == Some(&id))
            .then(|| self.config.get(name))
            .flatten()
    }

    fn is_configured(&self, id: ServiceId) -> bool {
        self.def(id).is_some()
    }

    /// The configured services with their ids.
    fn configured(&self) -> impl Iterator<Item = (ServiceId, &ServiceDef)> {
        self.config
            .iter()
            .filter_map(|(name, def)| self.id_of.get(name).map(|&id| (id, def)))
    }

    /// The services that hold a place in the order: the configured ones,
    /// and those a reload removed whose process still runs (with the
    /// definition it runs), until it ends.
    fn ordered(&self) -> impl Iterator<Item = (ServiceId, &ServiceDef)> {
        let removed_live = self
            .live
            .keys()
            .chain(self.spawning.iter())
            .filter(|id| {
                !self.is_configured(**id)
                    && self
                        .names
                        .get(id)
                        .map_or(true, |name| !self.id_of.contains_key(name))
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|id| self.spawn_def.get(id).map(|def| (*id, def)));
        self.configured().chain(removed_live)
    }

    /// Whether the live process of `id` runs a definition that says when
    /// it is ready (readiness means nothing for `wait`).
    fn declares_ready(&self, id: ServiceId) -> bool {
        self.spawn_def
            .get(&id)
            .is_some_and(|d| d.kind != ServiceType::Wait && d.settings.ready.is_some())
    }

    /// Whether what the last run of `id` left is being ended now: a spawn
    /// of it waits for that.
    fn leftovers_ending(&self, id: ServiceId) -> bool {
        self.ending_leftovers
            .get(&id)
            .is_some_and(|deadline| deadline.map_or(true, |d| self.now < d))
    }

    /// Whether what the last run of `id` left was gone (or given up on)
    /// at this very instant: a spawn held back for it goes out now.
    fn leftovers_gone_now(&self, id: ServiceId) -> bool {
        self.leftovers_gone_at.get(&id) == Some(&self.now)
            || self.ending_leftovers.get(&id) == Some(&Some(self.now))
    }

    fn is_handling(&self, want: impl Fn(&Event) -> bool) -> bool {
        self.input.as_ref().is_some_and(want)
    }
}

/// Where the sub-checks put what they find.
#[derive(Debug, Clone, Default)]
struct Found(Vec<Violation>);

impl Found {
    fn add(&mut self, at: Millis, invariant: Invariant, message: String) {
        self.0.push(Violation {
            at,
            invariant,
            message,
        });
    }
}

/// The checker. Feed it every input before the core sees it and every
/// output as it is drained.
#[derive(Debug, Clone)]
pub struct Checker {
    world: World,
    runs: Runs,
    respawns: Respawns,
    stops: Stops,
    identity: Identity,
    admin: Admin,
    reports: Reports,
    found: Found,
}

impl Checker {
    /// A checker of a core made with `options`.
    pub fn new(options: Options, supervisor: &Supervisor) -> Checker {
        let mut world = World {
            options,
            now: Millis::ZERO,
            config: BTreeMap::new(),
            id_of: BTreeMap::new(),
            names: BTreeMap::new(),
            spawn_def: BTreeMap::new(),
            live: BTreeMap::new(),
            spawning: BTreeSet::new(),
            ending_leftovers: BTreeMap::new(),
            leftovers_gone_at: BTreeMap::new(),
            owner: BTreeMap::new(),
            reaped: BTreeSet::new(),
            spawned_at: BTreeMap::new(),
            last_spawn_at: BTreeMap::new(),
            ever_spawned: BTreeSet::new(),
            stopping: BTreeSet::new(),
            ready_said: BTreeSet::new(),
            touched: BTreeSet::new(),
            input: None,
            booted: false,
            boot_complete: false,
            down: None,
            kill_all: false,
            main_exit: None,
            power: None,
        };
        // The configuration the core was built with (the first of a
        // repeated name wins, as in the core).
        for status in supervisor.services() {
            world
                .config
                .entry(status.def.name.clone())
                .or_insert_with(|| status.def.clone());
        }
        learn_ids(&mut world, supervisor);
        let mut found = Found::default();
        resolver::check(&world, &mut found);
        Checker {
            world,
            runs: Runs::default(),
            respawns: Respawns::default(),
            stops: Stops::default(),
            identity: Identity::default(),
            admin: Admin::default(),
            reports: Reports::default(),
            found,
        }
    }

    pub fn violations(&self) -> &[Violation] {
        &self.found.0
    }

    /// The time by which Power must have come, once it is owed.
    pub fn power_deadline(&self) -> Option<Millis> {
        self.world.down.map(|down| down.deadline)
    }

    pub fn report(&mut self, at: Millis, invariant: Invariant, message: String) {
        self.found.add(at, invariant, message);
    }

    /// Called with every input, before the core handles it.
    pub fn on_input(&mut self, now: Millis, event: &Event, supervisor: &Supervisor) {
        self.world.now = now;
        self.world.input = Some(event.clone());
        self.identity.on_input(&self.world, event, supervisor);
        let w = &self.world;
        let accepted_down = matches!(event, Event::Shutdown | Event::Reboot)
            && w.down.is_none()
            && w.power.is_none();
        if accepted_down {
            let down = self.begin_down(now, event);
            self.stops.on_down(&self.world, down);
            self.runs.on_down(&self.world, down);
            self.respawns.on_down();
        }
        let w = &self.world;
        let found = &mut self.found;
        let waiting = match event {
            Event::Start(id) | Event::Restart(id) => self.runs.waits_in_run(w, *id),
            _ => None,
        };
        self.admin.on_input(w, event, waiting);
        self.reports.on_input(w, event);
        self.respawns.on_input(w, event, found);
        for &id in &self.respawns.gave_up_now {
            self.reports.given_up(w, id);
        }
        let respawns = match event {
            Event::Exited { pid, .. } => w
                .owner
                .get(pid)
                .is_some_and(|id| self.respawns.surely_respawns(*id)),
            _ => false,
        };
        self.runs.on_input(w, event, respawns);
        let main_ends = self.main_service_ends(event);
        self.respawns.gave_up_now.clear();
        self.stops.on_input(&self.world, event);
        let removed_ends = match event {
            Event::Exited { pid, .. } => self
                .world
                .owner
                .get(pid)
                .is_some_and(|id| !self.world.is_configured(*id)),
            Event::SpawnFailed { service, .. } => !self.world.is_configured(*service),
            _ => false,
        };
        self.update_world(now, event);
        if removed_ends {
            // A service a reload removed orders nothing once it has ended.
            self.runs.on_reload(&self.world);
        }
        if let Some(status) = main_ends {
            // The core begins the way down itself, as `Shutdown` would.
            self.world.main_exit = Some(status);
            let down = self.begin_down(now, &Event::Shutdown);
            self.stops.on_down(&self.world, down);
            self.runs.on_down(&self.world, down);
            self.respawns.on_down();
            self.admin.on_down();
        }
    }

    /// The status a main service (`main-service`) ends for good with at
    /// this input, while the machine is up: a `wait` or `once` process
    /// that exits or fails to spawn (not to be restarted by an admin), a
    /// `respawn` one given up at its limit or ending while being stopped.
    fn main_service_ends(&self, event: &Event) -> Option<ExitStatus> {
        let w = &self.world;
        if w.down.is_some() || w.power.is_some() {
            return None;
        }
        let (id, status) = match event {
            Event::Exited { pid, status, .. } => {
                let id = *w.owner.get(pid).filter(|id| w.live.get(id) == Some(pid))?;
                (id, *status)
            }
            Event::SpawnFailed { service, .. } => (*service, ExitStatus::Exited(127)),
            _ => return None,
        };
        // The definition the core applies when the service ends for good.
        if !w.def(id).is_some_and(|d| d.settings.main_service) {
            return None;
        }
        let kind = w.spawn_def.get(&id).map(|d| d.kind)?;
        let restarts = self.admin.restarts(id);
        let given_up = self.respawns.gave_up_now.contains(&id);
        let stopped = w.stopping.contains(&id) && matches!(event, Event::Exited { .. });
        let ends = !restarts && (kind != ServiceType::Respawn || given_up || stopped);
        ends.then_some(status)
    }

    /// The switch to the way down: the bound on it, and the world's phase.
    fn begin_down(&mut self, now: Millis, event: &Event) -> Down {
        let action = match event {
            Event::Reboot => PowerAction::Reboot,
            _ => PowerAction::PowerOff,
        };
        let mut down = Down {
            at: now,
            action,
            deadline: now,
        };
        let target = down.final_target();
        let members = self
            .world
            .configured()
            .filter(|(_, d)| d.target == target)
            .count() as u64;
        down.deadline = now
            .saturating_add(self.power_bound_ms(members))
            .saturating_add(self.wind_down_bound_ms(target));
        self.world.down = Some(down);
        down
    }

    fn update_world(&mut self, now: Millis, event: &Event) {
        let w = &mut self.world;
        match event {
            Event::Spawned { service, pid } => {
                w.spawning.remove(service);
                w.spawned_at.insert(*service, now);
                w.live.insert(*service, *pid);
                w.owner.insert(*pid, *service);
            }
            Event::LeftoversGone(service) => {
                if w.ending_leftovers.remove(service).is_some() {
                    w.leftovers_gone_at.insert(*service, now);
                }
            }
            Event::Exited { pid, .. } => {
                if let Some(service) = w.owner.remove(pid) {
                    if w.live.get(&service) == Some(pid) {
                        w.live.remove(&service);
                        w.spawned_at.remove(&service);
                        w.stopping.remove(&service);
                        w.ready_said.remove(&service);
                    }
                }
                w.reaped.insert(*pid);
            }
            Event::Ready(id) => {
                if w.live.contains_key(id) && w.declares_ready(*id) {
                    w.ready_said.insert(*id);
                }
            }
            Event::Start(id) | Event::Restart(id) => {
                w.touched.insert(*id);
            }
            Event::Stop(id) => {
                w.touched.insert(*id);
            }
            Event::Boot => {
                if w.down.is_none() {
                    w.booted = true;
                }
            }
            Event::Reload { services } => {
                if w.down.is_none() && w.power.is_none() {
                    w.config.clear();
                    for def in services {
                        w.config
                            .entry(def.name.clone())
                            .or_insert_with(|| def.clone());
                    }
                }
            }
            Event::SpawnFailed { service, .. } => {
                w.spawning.remove(service);
            }
            Event::Shutdown | Event::Reboot | Event::SwitchRoot => {}
        }
    }

    /// Called with every input, after the core handled it (before its
    /// outputs are drained).
    pub fn after_input(&mut self, now: Millis, event: &Event, supervisor: &Supervisor) {
        self.world.now = now;
        if let Event::Reload { .. } = event {
            if self.world.down.is_none() && self.world.power.is_none() {
                learn_ids(&mut self.world, supervisor);
                resolver::check(&self.world, &mut self.found);
                self.runs.on_reload(&self.world);
                self.respawns.on_reload(&self.world);
            }
        }
        self.admin.after_input(&self.world, event, supervisor);
        if self.world.power.is_none() {
            self.identity
                .after_input(&self.world, event, supervisor, &mut self.found);
        }
    }

    /// A re-exec was asked for and the core said whether it may hand
    /// over (`allowed`): only once boot is complete and before the way
    /// down (docs/booting.md), when no target run is half done.
    pub fn on_reexec(&mut self, now: Millis, allowed: bool) {
        let w = &self.world;
        let expected = w.booted && w.boot_complete && w.down.is_none() && w.power.is_none();
        if allowed != expected {
            let (said, should) = if allowed {
                (
                    "allows",
                    "boot is not complete or the machine is going down",
                )
            } else {
                ("refuses", "boot is complete and the machine is up")
            };
            self.found.add(
                now,
                Invariant::Pids,
                format!("the core {said} a re-exec, though {should}"),
            );
        }
    }

    /// How long a shutdown or reboot with `members` services may take: each
    /// service bounded by the final-service timeout (one after the other in
    /// the worst case), then the grace before the final KILL, with slack.
    fn power_bound_ms(&self, members: u64) -> u64 {
        let b = &self.world.options;
        let per_service = b.final_service_timeout_ms + b.respawn_delay_ms + 1000;
        (members + 2) * per_service + 2 * b.kill_grace_ms + 1000
    }

    /// How long the wind-down before the final target may take: in the
    /// worst case the live services form one chain, and each takes its
    /// stop timeout, capped by the shutdown ceiling however long the
    /// service's own (a stop already under way too), and then the kill
    /// grace.
    fn wind_down_bound_ms(&self, target: Target) -> u64 {
        let w = &self.world;
        w.live
            .keys()
            .filter_map(|id| w.spawn_def.get(id))
            .filter(|d| d.target != target)
            .map(|d| {
                d.settings
                    .stop_timeout_ms
                    .unwrap_or(w.options.stop_timeout_ms)
                    .min(w.options.shutdown_stop_timeout_ms)
                    .saturating_add(w.options.kill_grace_ms)
            })
            .sum()
    }

    /// Called with every output, as it is drained.
    pub fn on_output(&mut self, now: Millis, output: &Output) {
        self.world.now = now;
        if let Some((at, action)) = self.world.power {
            self.found.add(
                now,
                Invariant::Power,
                format!("output {output:?} after power {action:?} at {at}"),
            );
            return;
        }
        let w = &self.world;
        let found = &mut self.found;
        self.identity.on_output(w, output, found);
        match output {
            Output::Spawn { service, .. } => {
                let id = *service;
                // A restart's spawn at the exit is an admin start too.
                let by_admin = self.admin.restarts(id);
                self.admin.on_spawn(w, id, found);
                check_one_process(w, id, found);
                let first_in_run = self.runs.on_spawn(w, id, found);
                self.respawns.on_spawn(w, id, first_in_run, by_admin, found);
                self.reports.on_spawn(id, self.respawns.runs(id));
                self.stops.on_spawn(w, id, found);
                let def = self.world.def(id).cloned();
                let w = &mut self.world;
                if let Some(def) = def {
                    w.spawn_def.insert(id, def);
                }
                w.last_spawn_at.insert(id, now);
                w.ever_spawned.insert(id);
                w.spawning.insert(id);
                w.ready_said.remove(&id);
            }
            Output::Signal {
                service,
                pid,
                signal,
            } => {
                check_signal(w, *service, *pid, *signal, found);
                self.stops.on_signal(w, *service, *pid, *signal, found);
                self.runs.on_signal(w, *service, *signal, found);
                if w.live.get(service) == Some(pid) {
                    self.admin.on_signal(w, *service, *signal);
                    self.reports.on_signal(*service, *signal);
                }
                if *signal != Signal::Kill && w.live.get(service) == Some(pid) {
                    self.world.stopping.insert(*service);
                }
            }
            Output::SignalLeftovers {
                service, signal, ..
            } => {
                let w = &mut self.world;
                let deadline =
                    (*signal == Signal::Kill).then(|| now.saturating_add(w.options.kill_grace_ms));
                w.ending_leftovers.insert(*service, deadline);
                w.leftovers_gone_at.remove(service);
            }
            Output::KillAll { signal } => {
                if *signal == Signal::Term {
                    self.world.kill_all = true;
                }
            }
            Output::Power { action } => {
                match w.down {
                    None => found.add(
                        now,
                        Invariant::Power,
                        format!("power {action:?} with no shutdown or reboot asked for"),
                    ),
                    Some(down) if down.action != *action => found.add(
                        now,
                        Invariant::Power,
                        format!("power {action:?}, but {:?} was asked for", down.action),
                    ),
                    Some(_) => {}
                }
                self.world.power = Some((now, *action));
            }
            Output::Report {
                service, report, ..
            } => {
                self.runs.on_report(w, *service, report, found);
                self.stops.on_report(*service, report);
                self.reports.on_report(w, *service, report, found);
            }
            Output::TargetComplete { target } => {
                self.runs.on_complete(w, *target, found);
                if *target == Target::Boot {
                    self.world.boot_complete = true;
                }
            }
            Output::Sync => {}
        }
    }

    /// Called once an input's or a timer's outputs are all drained: the
    /// checks of what must have happened by now.
    pub fn end_of_step(&mut self, now: Millis, supervisor: &Supervisor) {
        self.world.now = now;
        if self.world.power.is_none() {
            let w = &self.world;
            let found = &mut self.found;
            let wind_down_over = self.stops.end_of_step(w, found);
            self.runs.end_of_step(w, wind_down_over, found);
            self.respawns.end_of_step(w, found);
            self.identity.end_of_step(w, supervisor, found);
            self.runs.check_reported(w, supervisor, found);
            self.admin.end_of_step(w, found);
            self.reports.end_of_step(w, found);
        }
        self.world.input = None;
    }

    /// At the end of a run: a power command that was owed must have come,
    /// and what was due by `now` must have happened. `quiescent`: nothing
    /// more would ever happen, so whatever is still owed never will.
    pub fn finish(&mut self, now: Millis, quiescent: bool) {
        if self.world.power.is_some() {
            return;
        }
        // What was due by now must have happened; once nothing more will
        // happen, whatever is still owed never will.
        self.world.now = if quiescent { Millis(u64::MAX) } else { now };
        let w = &self.world;
        let found = &mut self.found;
        let wind_down_over = self.stops.end_of_step(w, found);
        self.runs.end_of_step(w, wind_down_over, found);
        self.respawns.end_of_step(w, found);
        for violation in &mut self.found.0 {
            violation.at = violation.at.min(now);
        }
        self.world.now = now;
        if let Some(down) = self.world.down {
            if quiescent || now >= down.deadline {
                let why = if quiescent {
                    "the run went quiet"
                } else {
                    "the deadline passed"
                };
                self.found.add(
                    now,
                    Invariant::Power,
                    format!(
                        "{:?} asked for at {} but no power command by {} ({why})",
                        down.action,
                        down.at,
                        if quiescent { now } else { down.deadline }
                    ),
                );
            }
        }
    }
}

/// Learns the ids the core gave the configured names (at the start and
/// after a reload, which hands out fresh ids to new services).
fn learn_ids(world: &mut World, supervisor: &Supervisor) {
    world.id_of.clear();
    for status in supervisor.services() {
        world.names.insert(status.id, status.def.name.clone());
    }
    let names: Vec<String> = world.config.keys().cloned().collect();
    for name in names {
        if let Some(status) = supervisor.service_by_name(&name) {
            world.id_of.insert(name, status.id);
        }
    }
}

fn check_one_process(w: &World, service: ServiceId, found: &mut Found) {
    if let Some(pid) = w.live.get(&service) {
        found.add(
            w.now,
            Invariant::OneProcess,
            format!("{} is spawned while its pid {pid} is live", w.name(service)),
        );
    }
    if w.leftovers_ending(service) {
        found.add(
            w.now,
            Invariant::OneProcess,
            format!(
                "{} is spawned while what its last run left is being ended",
                w.name(service)
            ),
        );
    }
}

fn check_signal(w: &World, service: ServiceId, pid: Pid, signal: Signal, found: &mut Found) {
    let now = w.now;
    let name = w.name(service);
    if w.reaped.contains(&pid) {
        found.add(
            now,
            Invariant::SignalAfterReap,
            format!(
                "{} to {name}'s pid {pid} after it was reaped",
                signal.name()
            ),
        );
    } else if w.owner.get(&pid) != Some(&service) {
        found.add(
            now,
            Invariant::SignalAfterReap,
            format!(
                "{} to pid {pid}, which is not {name}'s process",
                signal.name()
            ),
        );
    }
}

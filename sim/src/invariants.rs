//! The invariants every run must keep, checked after every step.
//!
//! Owns watching the stream of inputs and outputs (and the core's status
//! getters) and naming what went wrong. It decides nothing for the core and
//! changes nothing in the run; the driver stops at the first violation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use init_core::events::{
    Event, Millis, Output, Pid, PowerAction, Report, ServiceId, ServiceState, Signal,
};
use init_core::resolve::resolve;
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::{Options, Supervisor};

/// The numbered invariants of docs/simulation.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// 1. No service is spawned before its predecessors are satisfied
    ///    (except by an admin action).
    Order = 1,
    /// 2. The respawn limit and the respawn delay hold.
    Respawn = 2,
    /// 3. An admin-stopped service is not spawned until an admin start.
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
}

impl Invariant {
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn title(self) -> &'static str {
        match self {
            Invariant::Order => "start order",
            Invariant::Respawn => "respawn limit and delay",
            Invariant::AdminStop => "admin stop sticks",
            Invariant::OneProcess => "one process per service",
            Invariant::SignalAfterReap => "no signal after reaping",
            Invariant::Reaped => "every process reaped",
            Invariant::Power => "one bounded power command",
            Invariant::NoPanic => "no panic",
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

/// The policy numbers the checker needs to know bounds (it never applies
/// them; the core does).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub respawn_delay_ms: u64,
    pub kill_grace_ms: u64,
    pub final_service_timeout_ms: u64,
    /// The default stop timeout (a service may set its own).
    pub stop_timeout_ms: u64,
    /// The most any stop waits once the machine is going down.
    pub shutdown_stop_timeout_ms: u64,
}

impl Bounds {
    /// The bounds the core's `options` set.
    pub fn from_options(options: &Options) -> Bounds {
        Bounds {
            respawn_delay_ms: options.respawn_delay_ms,
            kill_grace_ms: options.kill_grace_ms,
            final_service_timeout_ms: options.final_service_timeout_ms,
            stop_timeout_ms: options.stop_timeout_ms,
            shutdown_stop_timeout_ms: options.shutdown_stop_timeout_ms,
        }
    }
}

/// What one service looks like to the checker.
#[derive(Debug, Clone)]
struct Known {
    name: String,
}

/// The checker. Feed it every input before the core sees it and every
/// output as it is drained.
#[derive(Debug, Clone)]
pub struct Checker {
    bounds: Bounds,
    known: BTreeMap<ServiceId, Known>,
    predecessors: BTreeMap<ServiceId, Vec<ServiceId>>,
    /// Spawns since the start of the run or the last admin start.
    spawns_in_a_row: BTreeMap<ServiceId, u32>,
    last_spawn_at: BTreeMap<ServiceId, Millis>,
    /// The base respawn delay each service had at its last spawn: a reload
    /// that changes it while a respawn waits may leave the wait as it was.
    delay_seen: BTreeMap<ServiceId, u64>,
    /// When each live process was reported spawned.
    spawned_at: BTreeMap<ServiceId, Millis>,
    /// Services whose last run lasted their `respawn-window`: the count of
    /// runs in a row starts afresh with their next spawn.
    outlasted_window: BTreeSet<ServiceId>,
    /// The respawn limit each service had at its last spawn.
    limits_seen: BTreeMap<ServiceId, Option<u32>>,
    /// Services an admin has started, stopped or restarted: their spawns
    /// follow the admin, not the order.
    admin_touched: BTreeSet<ServiceId>,
    admin_stopped: BTreeSet<ServiceId>,
    /// The enabled names of the configuration last loaded. A service a
    /// reload removed keeps its place in the order while its process
    /// runs, and orders nothing once it has ended.
    configured: BTreeSet<String>,
    live: BTreeMap<ServiceId, Pid>,
    /// Services whose leftovers were signalled and are not yet gone.
    ending_leftovers: BTreeSet<ServiceId>,
    /// Services that were satisfied once (started, for once and respawn;
    /// exited or failed to spawn, for any): satisfaction is not taken back
    /// when a reload later turns one into a `wait` service.
    satisfied_once: BTreeSet<ServiceId>,
    owner: BTreeMap<Pid, ServiceId>,
    reaped: BTreeSet<Pid>,
    /// The first accepted shutdown or reboot: when, which, and the time by
    /// which Power must have come.
    end_request: Option<(Millis, PowerAction, Millis)>,
    power: Option<(Millis, PowerAction)>,
    booted: bool,
    violations: Vec<Violation>,
}

impl Checker {
    pub fn new(bounds: Bounds, supervisor: &Supervisor) -> Checker {
        let mut checker = Checker {
            bounds,
            known: BTreeMap::new(),
            predecessors: BTreeMap::new(),
            spawns_in_a_row: BTreeMap::new(),
            last_spawn_at: BTreeMap::new(),
            spawned_at: BTreeMap::new(),
            delay_seen: BTreeMap::new(),
            outlasted_window: BTreeSet::new(),
            limits_seen: BTreeMap::new(),
            admin_touched: BTreeSet::new(),
            admin_stopped: BTreeSet::new(),
            configured: supervisor.services().map(|s| s.def.name.clone()).collect(),
            live: BTreeMap::new(),
            ending_leftovers: BTreeSet::new(),
            satisfied_once: BTreeSet::new(),
            owner: BTreeMap::new(),
            reaped: BTreeSet::new(),
            end_request: None,
            power: None,
            booted: false,
            violations: Vec::new(),
        };
        checker.refresh(supervisor);
        checker
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The time by which Power must have come, once it is owed.
    pub fn power_deadline(&self) -> Option<Millis> {
        self.end_request.map(|(_, _, deadline)| deadline)
    }

    pub fn report(&mut self, at: Millis, invariant: Invariant, message: String) {
        self.violations.push(Violation {
            at,
            invariant,
            message,
        });
    }

    fn name(&self, id: ServiceId) -> String {
        self.known
            .get(&id)
            .map_or_else(|| format!("#{}", id.0), |k| k.name.clone())
    }

    /// Re-reads the services and their orders: at the start and after a
    /// reload. Returns the resolver's findings as notes for the trace.
    pub fn refresh(&mut self, supervisor: &Supervisor) -> Vec<String> {
        let mut members: Vec<(&ServiceDef, ServiceId)> = Vec::new();
        for status in supervisor.services() {
            let alive = matches!(
                status.state,
                ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
            );
            if !self.configured.contains(&status.def.name) && !alive {
                continue;
            }
            // A live process keeps its old definition, but the order is
            // the new configuration's.
            let def = supervisor
                .pending_definition(status.id)
                .unwrap_or(&status.def);
            members.push((def, status.id));
            self.known.insert(
                status.id,
                Known {
                    name: status.def.name.clone(),
                },
            );
        }
        // In loader order (sorted by name), as a directory is read: with a
        // cycle, which edge breaks depends on the order.
        members.sort_by(|a, b| a.0.name.cmp(&b.0.name).then(a.1.cmp(&b.1)));
        let ids: Vec<ServiceId> = members.iter().map(|(_, id)| *id).collect();
        let defs: Vec<ServiceDef> = members.iter().map(|(d, _)| (*d).clone()).collect();
        self.predecessors.clear();
        let mut notes = Vec::new();
        for target in Target::ALL {
            let order = resolve(&defs, target);
            for &i in &order.order {
                let preds: Vec<ServiceId> = order
                    .predecessors
                    .get(i)
                    .map(|p| p.iter().filter_map(|&j| ids.get(j).copied()).collect())
                    .unwrap_or_default();
                if let Some(&id) = ids.get(i) {
                    self.predecessors.insert(id, preds);
                }
            }
            let name_of = |i: usize| defs.get(i).map_or("?", |d| d.name.as_str());
            for cycle in &order.cycles {
                let mut members: Vec<&str> = cycle.iter().map(|&i| name_of(i)).collect();
                if let Some(first) = members.first().copied() {
                    members.push(first);
                }
                notes.push(format!("cycle in {target}: {}", members.join(" -> ")));
            }
            for &(before, after) in &order.broken_edges {
                notes.push(format!(
                    "  broken by starting {} without waiting for {}",
                    name_of(after),
                    name_of(before)
                ));
            }
            for (i, missing) in &order.missing {
                notes.push(format!(
                    "{}: '{missing}' is not enabled in target {target}",
                    name_of(*i)
                ));
            }
        }
        notes
    }

    /// Called with every input, before the core handles it.
    pub fn on_input(&mut self, now: Millis, event: &Event, supervisor: &Supervisor) {
        match event {
            Event::Spawned { service, pid } => {
                self.spawned_at.insert(*service, now);
                self.live.insert(*service, *pid);
                self.owner.insert(*pid, *service);
                // A `wait` service is satisfied by its exit, one that
                // declares readiness by its ready event.
                let satisfied_later = supervisor.service(*service).is_some_and(|s| {
                    s.def.kind == ServiceType::Wait || s.def.settings.ready.is_some()
                });
                if !satisfied_later {
                    self.satisfied_once.insert(*service);
                }
            }
            Event::LeftoversGone(service) => {
                self.ending_leftovers.remove(service);
            }
            Event::Exited { pid, .. } => {
                if let Some(service) = self.owner.remove(pid) {
                    if self.live.get(&service) == Some(pid) {
                        self.live.remove(&service);
                        let window_ms = supervisor
                            .service(service)
                            .and_then(|s| s.def.settings.respawn_window_ms);
                        let ran_ms = self
                            .spawned_at
                            .get(&service)
                            .map(|&at| now.saturating_sub(at));
                        if let (Some(window_ms), Some(ran_ms)) = (window_ms, ran_ms) {
                            if ran_ms >= window_ms {
                                self.outlasted_window.insert(service);
                            }
                        }
                    }
                    self.satisfied_once.insert(service);
                }
                self.reaped.insert(*pid);
            }
            Event::Shutdown | Event::Reboot => {
                if self.end_request.is_none() && self.power.is_none() {
                    let (action, target) = match event {
                        Event::Reboot => (PowerAction::Reboot, Target::Reboot),
                        _ => (PowerAction::PowerOff, Target::Shutdown),
                    };
                    let members = supervisor
                        .services()
                        .filter(|s| s.def.target == target)
                        .count() as u64;
                    let deadline = now
                        .saturating_add(self.power_bound_ms(members))
                        .saturating_add(self.wind_down_bound_ms(supervisor, target));
                    self.end_request = Some((now, action, deadline));
                    // The final target starts its services afresh too.
                    for status in supervisor.services().filter(|s| s.def.target == target) {
                        self.spawns_in_a_row.insert(status.id, 0);
                    }
                }
            }
            Event::Start(id) | Event::Restart(id) => {
                self.admin_touched.insert(*id);
                self.admin_stopped.remove(id);
                self.spawns_in_a_row.insert(*id, 0);
            }
            Event::Stop(id) => {
                self.admin_touched.insert(*id);
            }
            Event::Ready(id) => {
                self.satisfied_once.insert(*id);
            }
            Event::Reload { services } => {
                if self.power.is_none() && self.end_request.is_none() {
                    self.configured = services.iter().map(|s| s.name.clone()).collect();
                }
            }
            Event::Boot => {
                // A target run starts its services afresh: runs an admin
                // made before it do not count.
                if !self.booted {
                    self.booted = true;
                    for status in supervisor
                        .services()
                        .filter(|s| s.def.target == Target::Boot)
                    {
                        self.spawns_in_a_row.insert(status.id, 0);
                    }
                }
            }
            Event::SpawnFailed { service, .. } => {
                self.satisfied_once.insert(*service);
            }
            // Scenarios never switch roots (the initramfs is a real-kernel
            // matter); the checker has no rules for it.
            Event::SwitchRoot => {}
        }
    }

    /// Called with every input, after the core handled it (before its
    /// outputs are drained).
    pub fn after_input(&mut self, event: &Event, supervisor: &Supervisor) {
        if let Event::Stop(id) = event {
            // A stop sticks only where the core took it: it leaves Done
            // and Failed services alone.
            let taken = supervisor
                .service(*id)
                .is_some_and(|s| matches!(s.state, ServiceState::Stopped | ServiceState::Stopping));
            if taken {
                self.admin_stopped.insert(*id);
            }
        }
    }

    /// How long a shutdown or reboot with `members` services may take: each
    /// service bounded by the final-service timeout (one after the other in
    /// the worst case), then the grace before the final KILL, with slack.
    fn power_bound_ms(&self, members: u64) -> u64 {
        let per_service =
            self.bounds.final_service_timeout_ms + self.bounds.respawn_delay_ms + 1000;
        (members + 2) * per_service + 2 * self.bounds.kill_grace_ms + 1000
    }

    /// How long the wind-down before the final target may take: in the
    /// worst case the live services form one chain, and each takes its
    /// stop timeout, capped by the shutdown ceiling however long the
    /// service's own (a stop already under way too), and then the kill
    /// grace.
    fn wind_down_bound_ms(&self, supervisor: &Supervisor, target: Target) -> u64 {
        supervisor
            .services()
            .filter(|s| s.def.target != target)
            .filter(|s| {
                matches!(
                    s.state,
                    ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
                )
            })
            .map(|s| {
                s.def
                    .settings
                    .stop_timeout_ms
                    .unwrap_or(self.bounds.stop_timeout_ms)
                    .min(self.bounds.shutdown_stop_timeout_ms)
                    .saturating_add(self.bounds.kill_grace_ms)
            })
            .sum()
    }

    /// Called with every output, as it is drained.
    pub fn on_output(&mut self, now: Millis, output: &Output, supervisor: &Supervisor) {
        if let Some((at, action)) = self.power {
            self.report(
                now,
                Invariant::Power,
                format!("output {output:?} after power {action:?} at {at}"),
            );
            return;
        }
        match output {
            Output::Spawn { service, .. } => self.check_spawn(now, *service, supervisor),
            Output::Signal {
                service,
                pid,
                signal,
            } => self.check_signal(now, *service, *pid, *signal),
            Output::SignalLeftovers { service, .. } => {
                self.ending_leftovers.insert(*service);
            }
            Output::Power { action } => {
                match self.end_request {
                    None => self.report(
                        now,
                        Invariant::Power,
                        format!("power {action:?} with no shutdown or reboot asked for"),
                    ),
                    Some((_, asked, _)) if asked != *action => self.report(
                        now,
                        Invariant::Power,
                        format!("power {action:?}, but {asked:?} was asked for"),
                    ),
                    Some(_) => {}
                }
                self.power = Some((now, *action));
            }
            // A service given up on (one that never said it was ready)
            // holds nothing up any more.
            Output::Report {
                service,
                report: Report::Fail,
                ..
            } => {
                self.satisfied_once.insert(*service);
            }
            Output::KillAll { .. }
            | Output::Report { .. }
            | Output::TargetComplete { .. }
            | Output::Sync => {}
        }
    }

    fn check_spawn(&mut self, now: Millis, service: ServiceId, supervisor: &Supervisor) {
        let name = self.name(service);
        if self.admin_stopped.contains(&service) {
            self.report(
                now,
                Invariant::AdminStop,
                format!("{name} is spawned after an admin stop"),
            );
        }
        if let Some(pid) = self.live.get(&service) {
            self.report(
                now,
                Invariant::OneProcess,
                format!("{name} is spawned while its pid {pid} is live"),
            );
        }
        if self.ending_leftovers.contains(&service) {
            self.report(
                now,
                Invariant::OneProcess,
                format!("{name} is spawned while what its last run left is being ended"),
            );
        }
        let first_spawn = !self.last_spawn_at.contains_key(&service);
        if first_spawn && !self.admin_touched.contains(&service) {
            self.check_order(now, service, &name, supervisor);
        }
        let def = supervisor.service(service).map(|s| &s.def);
        // A reload that changes the limit starts the count afresh: which
        // runs the new limit covers is the core's choice.
        let limit = def.and_then(|d| d.respawn_limit);
        if self
            .limits_seen
            .insert(service, limit)
            .is_some_and(|old| old != limit)
        {
            self.spawns_in_a_row.insert(service, 0);
        }
        if self.outlasted_window.remove(&service) {
            self.spawns_in_a_row.insert(service, 0);
        }
        let runs = self.spawns_in_a_row.get(&service).copied().unwrap_or(0) + 1;
        if let Some(def) = def.filter(|d| d.kind == ServiceType::Respawn) {
            if let Some(limit) = def.respawn_limit {
                if runs > limit {
                    self.report(
                        now,
                        Invariant::Respawn,
                        format!("{name} is spawned for run {runs} with limit {limit}"),
                    );
                }
            }
            if let Some(&last) = self.last_spawn_at.get(&service) {
                let since_ms = now.saturating_sub(last);
                let now_delay_ms = def
                    .settings
                    .respawn_delay_ms
                    .unwrap_or(self.bounds.respawn_delay_ms);
                let delay_ms = self
                    .delay_seen
                    .get(&service)
                    .map_or(now_delay_ms, |&seen| seen.min(now_delay_ms));
                if runs > 1 && since_ms < delay_ms {
                    self.report(
                        now,
                        Invariant::Respawn,
                        format!(
                            "{name} is respawned {since_ms} ms after its last start (delay {delay_ms} ms)"
                        ),
                    );
                }
            }
        }
        self.spawns_in_a_row.insert(service, runs);
        self.last_spawn_at.insert(service, now);
        if let Some(def) = def {
            let delay_ms = def
                .settings
                .respawn_delay_ms
                .unwrap_or(self.bounds.respawn_delay_ms);
            self.delay_seen.insert(service, delay_ms);
        }
    }

    /// A predecessor is surely unsatisfied while it has not started, or
    /// while it is a `wait` service that is still running. One an admin
    /// has acted on is left out: its state follows the admin, not the order.
    fn check_order(
        &mut self,
        now: Millis,
        service: ServiceId,
        name: &str,
        supervisor: &Supervisor,
    ) {
        let Some(preds) = self.predecessors.get(&service) else {
            return;
        };
        let mut late = Vec::new();
        for &pred in preds {
            if self.admin_touched.contains(&pred) || self.satisfied_once.contains(&pred) {
                continue;
            }
            let Some(status) = supervisor.service(pred) else {
                continue;
            };
            let waits_for_exit = status.def.kind == ServiceType::Wait && !status.def.is_milestone();
            let unsatisfied = match status.state {
                ServiceState::Inactive | ServiceState::Waiting | ServiceState::Starting => true,
                ServiceState::Running => waits_for_exit,
                _ => false,
            };
            if unsatisfied {
                late.push(format!("{} ({})", status.def.name, status.state.as_str()));
            }
        }
        if !late.is_empty() {
            self.report(
                now,
                Invariant::Order,
                format!("{name} is spawned before {}", late.join(", ")),
            );
        }
    }

    fn check_signal(&mut self, now: Millis, service: ServiceId, pid: Pid, signal: Signal) {
        let name = self.name(service);
        if self.reaped.contains(&pid) {
            self.report(
                now,
                Invariant::SignalAfterReap,
                format!(
                    "{} to {name}'s pid {pid} after it was reaped",
                    signal.name()
                ),
            );
        } else if self.owner.get(&pid) != Some(&service) {
            self.report(
                now,
                Invariant::SignalAfterReap,
                format!(
                    "{} to pid {pid}, which is not {name}'s process",
                    signal.name()
                ),
            );
        }
    }

    /// At the end of a run: a power command that was owed must have come.
    /// `quiescent`: nothing more would ever happen.
    pub fn finish(&mut self, now: Millis, quiescent: bool) {
        if self.power.is_some() {
            return;
        }
        if let Some((asked_at, action, deadline)) = self.end_request {
            if quiescent || now >= deadline {
                let why = if quiescent {
                    "the run went quiet"
                } else {
                    "the deadline passed"
                };
                self.report(
                    now,
                    Invariant::Power,
                    format!(
                        "{action:?} asked for at {asked_at} but no power command by {} ({why})",
                        if quiescent { now } else { deadline }
                    ),
                );
            }
        }
    }
}

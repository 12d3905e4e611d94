//! What-if: the predicted boot of a real configuration, and the critical
//! chain that decided when it completed.
//!
//! Owns running a configuration's boot in the simulator under the
//! assumptions given, and the prediction's text. Reading the boot (who was
//! ready when, which predecessor held each service back) is the core's
//! boot analysis (`init_core::analyze`), the same that reads a real boot.
//! The services are given; reading a directory is the loader's job.
//!
//! The model is deliberately simple: every command takes no time except
//! `sleep X` and the programs the caller gives a duration, and
//! `once`/`respawn` services are daemons that keep running once their
//! commands are done. With a boot profile ([`crate::profile`]) the
//! services it measured take the times they took, and every spawn init's
//! own time.

use std::collections::BTreeMap;

use init_core::analyze::{critical_chains, DependencyGraph, ServiceTimeline, Timeline};
use init_core::events::{ExitStatus, Millis, ServiceState, ServiceStatus};
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::Options;
use serde::Serialize;

use crate::driver::{RunLimits, Sim};
use crate::invariants::Violation;
use crate::model::{is_known_errno, CommandSettings, ProcessModel, ProcessSettings, SpawnFailure};
use crate::profile::{Measure, Profile};

/// How long a what-if boot may run in virtual time before it is called
/// stuck: a day.
const WHATIF_UNTIL_MS: u64 = 86_400_000;

/// The prediction.
#[derive(Debug, Clone, Serialize)]
pub struct BootPrediction {
    /// When the boot target completed; None if it never did.
    pub boot_ms: Option<u64>,
    pub services: usize,
    pub sequential: bool,
    /// Last first: the service that completed the boot, then the one that
    /// held it back, and so on to a service that waited for nothing.
    pub chain: Vec<ChainLink>,
    /// Boot services that never became ready (when the boot is stuck).
    pub stuck: Vec<String>,
    /// Every service spawned during the boot, in the order the core asked
    /// for them (its first spawn only), with the virtual time.
    pub spawns: Vec<SpawnAt>,
    /// What the profile given (if one was) measured and what it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileUse>,
    #[serde(skip)]
    pub violations: Vec<Violation>,
    /// Every service as the boot left it, for the boot analysis views
    /// (`init_core::analyze`).
    #[serde(skip)]
    pub statuses: Vec<ServiceStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainLink {
    pub service: String,
    /// `wait`, `once`, `respawn` or `milestone`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When it was spawned (None for a milestone).
    pub started_ms: Option<u64>,
    /// When it was satisfied: exited (wait), started (once, respawn),
    /// spawn failed, or its predecessors were (milestone).
    pub ready_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpawnAt {
    pub service: String,
    pub at_ms: u64,
}

/// What to assume about the machine.
#[derive(Debug, Clone, Default)]
pub struct Assumptions {
    /// One service at a time, as the original.
    pub sequential: bool,
    /// How long a program takes (by `argv[0]` or its last component),
    /// beyond the default of no time at all.
    pub command_ms: BTreeMap<String, u64>,
    /// How each run of a service goes, by enabled name, whatever its
    /// commands say (from a profile).
    pub service_runs: BTreeMap<String, ProcessSettings>,
    /// Init's own time per spawn (from a profile).
    pub spawn_overhead_ms: u64,
    /// The profile these came from, to compare with.
    pub profile: Option<ProfileUse>,
}

/// How a prediction used a boot profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProfileUse {
    /// The boot time the profile measured (None: that boot never
    /// completed).
    pub profiled_boot_ms: Option<u64>,
    pub spawn_overhead_ms: u64,
    /// Boot services whose runs take the times the profile measured.
    pub measured: Vec<String>,
    /// Boot services of the configuration the profile has no time for:
    /// they take what their commands do (`sleep`, `--takes`), else no
    /// time.
    pub unprofiled: Vec<String>,
    /// Services the profile measured that are not in the configuration.
    pub removed: Vec<String>,
}

impl Assumptions {
    /// These assumptions, with the times `profile` measured for `services`
    /// (the configuration to predict, which may differ from the profiled
    /// one). A service takes its measured time when the measure fits its
    /// type: a `wait` service needs the time to its exit.
    pub fn with_profile(mut self, profile: &Profile, services: &[ServiceDef]) -> Assumptions {
        let mut using = ProfileUse {
            profiled_boot_ms: profile.boot_ms,
            spawn_overhead_ms: profile.spawn_overhead_ms,
            ..ProfileUse::default()
        };
        let boot_processes = services
            .iter()
            .filter(|d| d.target == Target::Boot && !d.is_milestone());
        for def in boot_processes {
            let settings = profile
                .service(&def.name)
                .and_then(|measured| run_settings(def, &measured.measure, measured.failed));
            match settings {
                Some(settings) => {
                    self.service_runs.insert(def.name.clone(), settings);
                    using.measured.push(def.name.clone());
                }
                None => using.unprofiled.push(def.name.clone()),
            }
        }
        using.removed = profile
            .services
            .iter()
            .filter(|m| !services.iter().any(|d| d.name == m.name))
            .map(|m| m.name.clone())
            .collect();
        self.spawn_overhead_ms = profile.spawn_overhead_ms;
        self.profile = Some(using);
        self
    }
}

/// How each run of `def` goes, given what its profiled run measured; None
/// when the measure does not fit (a `wait` service measured as a daemon).
fn run_settings(def: &ServiceDef, measure: &Measure, failed: bool) -> Option<ProcessSettings> {
    let declares_ready = def.kind != ServiceType::Wait && def.settings.ready.is_some();
    let mut settings = ProcessSettings::default();
    match measure {
        Measure::SpawnToExit(ms) => {
            settings.takes_ms = Some(*ms);
            settings.exit_code = failed.then_some(1);
        }
        Measure::SpawnToReady(_) if def.kind == ServiceType::Wait => return None,
        Measure::SpawnToReady(ms) => {
            if declares_ready {
                settings.ready_after_ms = Some(*ms);
                settings.hangs = true;
            }
        }
        Measure::SpawnFailed(errno) => {
            let errno = if is_known_errno(errno) {
                errno.clone()
            } else {
                "ENOENT".to_string()
            };
            settings.spawn_fails = Some(SpawnFailure { errno, first: None });
        }
        Measure::Running => {
            settings.hangs = true;
            settings.never_ready = true;
        }
    }
    Some(settings)
}

/// Simulates the boot of `services` and reads the critical chain.
pub fn predict_boot(services: Vec<ServiceDef>, assumptions: &Assumptions) -> BootPrediction {
    let sequential = assumptions.sequential;
    let count = services.len();
    let options = Options {
        sequential,
        ..Options::default()
    };
    let commands = assumptions
        .command_ms
        .iter()
        .map(|(program, &ms)| {
            let settings = CommandSettings {
                takes_ms: Some(ms),
                ..CommandSettings::default()
            };
            (program.clone(), settings)
        })
        .collect();
    let model = ProcessModel {
        services: assumptions.service_runs.clone(),
        commands,
        daemons_run_forever: true,
        spawn_overhead_ms: assumptions.spawn_overhead_ms,
    };
    // A boot that never completes while something respawns in a loop
    // must still end: a generous cap on steps.
    let limits = RunLimits {
        until: Millis(WHATIF_UNTIL_MS),
        max_steps: 1_000_000 + 100 * count as u64,
    };
    let mut sim = Sim::new(services, options, model, limits)
        .without_trace()
        .stop_when_complete(Target::Boot);
    sim.boot_at_start();
    let outcome = sim.run();

    // The boot read by the core's own analysis, as `service analyze`
    // reads a real one: the times the supervisor kept, the order it
    // resolved.
    let statuses: Vec<ServiceStatus> = sim.supervisor().services().cloned().collect();
    let timeline = Timeline::from_statuses(&statuses).sequential(sequential);
    let chain = critical_chains(&timeline)
        .into_iter()
        .find(|c| c.target == Target::Boot)
        .map(|c| c.chain)
        .unwrap_or_default()
        .into_iter()
        .map(|link| ChainLink {
            started_ms: link
                .took_ms
                .map(|took| link.ready_at_ms.saturating_sub(took)),
            ready_ms: link.ready_at_ms,
            service: link.service,
            kind: link.kind,
        })
        .collect();
    let stuck = timeline
        .services
        .iter()
        .filter(|s| s.target == Target::Boot && s.satisfied_or_done().is_none())
        .map(|s| s.name.clone())
        .collect();
    let spawns = sim
        .first_spawns()
        .into_iter()
        .filter_map(|id| {
            let service = sim.supervisor().service(id)?.def.name.clone();
            let at = sim.times().get(&id)?.spawned?;
            Some(SpawnAt {
                service,
                at_ms: at.0,
            })
        })
        .collect();
    BootPrediction {
        boot_ms: sim.target_complete().get(&Target::Boot).map(|t| t.0),
        services: count,
        sequential,
        chain,
        stuck,
        spawns,
        profile: assumptions.profile.clone(),
        violations: outcome.violations,
        statuses,
    }
}

/// What the prediction took from the profile, and how it compares.
fn render_profile_use(profile: &ProfileUse, boot_ms: Option<u64>) -> String {
    let mut text = match (profile.profiled_boot_ms, boot_ms) {
        (Some(then), Some(now)) => {
            let difference = now as i64 - then as i64;
            let sign = if difference < 0 { '-' } else { '+' };
            let mut line = format!(
                "profiled boot {}: {sign}{}",
                Millis(then),
                Millis(difference.unsigned_abs())
            );
            if then > 0 {
                line.push_str(&format!(
                    " ({sign}{:.1}%)",
                    difference.unsigned_abs() as f64 * 100.0 / then as f64
                ));
            }
            line + "\n"
        }
        (Some(then), None) => format!("profiled boot {}\n", Millis(then)),
        (None, _) => "profiled boot: never completed\n".to_string(),
    };
    text.push_str(&format!(
        "measured times for {} services, {}ms of init per spawn\n",
        profile.measured.len(),
        profile.spawn_overhead_ms
    ));
    if !profile.unprofiled.is_empty() {
        text.push_str(&format!(
            "not in the profile (sleep and --takes, else no time): {}\n",
            profile.unprofiled.join(", ")
        ));
    }
    if !profile.removed.is_empty() {
        text.push_str(&format!(
            "in the profile, not in this configuration: {}\n",
            profile.removed.join(", ")
        ));
    }
    text
}

/// The boot a profile measured, as the boot analysis reads one: each
/// service's type from `services` (the predicted configuration) when it is
/// there, else from what it did (a run that ended is drawn as `wait`, one
/// that became ready as `respawn`).
pub fn measured_timeline(profile: &Profile, services: &[ServiceDef]) -> Timeline {
    let mut defs = Vec::new();
    let mut rows = Vec::new();
    for measured in &profile.services {
        let def = services
            .iter()
            .find(|d| d.name == measured.name)
            .cloned()
            .unwrap_or_else(|| {
                let kind = match measured.measure {
                    Measure::SpawnToExit(_) => ServiceType::Wait,
                    _ => ServiceType::Respawn,
                };
                stand_in_def(&measured.name, kind)
            });
        let exit_status = measured
            .exited_ms
            .map(|_| ExitStatus::Exited(i32::from(measured.failed)));
        let spawn_failed = matches!(measured.measure, Measure::SpawnFailed(_));
        // As the core counts it: a `wait` run at its exit, one that says
        // it is ready at its word, any other at its spawn.
        let ready_at = if spawn_failed {
            Some(measured.spawned_ms)
        } else if def.kind == ServiceType::Wait {
            measured.exited_ms
        } else if def.settings.ready.is_some() {
            measured.ready_ms
        } else {
            Some(measured.spawned_ms)
        };
        let state = match (exit_status, spawn_failed) {
            (_, true) => ServiceState::Failed,
            (Some(_), _) => ServiceState::Done,
            (None, _) => ServiceState::Running,
        };
        rows.push(ServiceTimeline {
            name: def.name.clone(),
            kind: def.kind,
            target: def.target,
            milestone: false,
            state,
            queued_at: Some(Millis::ZERO),
            spawned_at: (!spawn_failed).then_some(Millis(measured.spawned_ms)),
            satisfied_at: ready_at.map(Millis),
            exited_at: measured.exited_ms.map(Millis),
            exit_status,
            failed: measured.failed || spawn_failed,
        });
        defs.push(def);
    }
    Timeline {
        services: rows,
        graph: DependencyGraph::from_defs(&defs),
        now: profile.boot_ms.map(Millis),
        // A trace does not say; the chart does not ask.
        sequential: false,
    }
}

/// A service the configuration does not have, for the chart: only its
/// name and type are real.
fn stand_in_def(name: &str, kind: ServiceType) -> ServiceDef {
    ServiceDef {
        name: name.to_string(),
        description: String::new(),
        kind,
        respawn_limit: None,
        target: Target::Boot,
        tty: None,
        after: Box::new([]),
        before: Box::new([]),
        exec: [[name]].into_iter().collect(),
        settings: Default::default(),
    }
}

/// The prediction as text: the boot time, then the chain, last first.
pub fn render_text(prediction: &BootPrediction) -> String {
    let mode = if prediction.sequential {
        "sequential"
    } else {
        "parallel"
    };
    let mut text = match prediction.boot_ms {
        Some(ms) => format!(
            "boot complete at {} ({} services, {mode})\n",
            Millis(ms),
            prediction.services
        ),
        None => format!(
            "boot does not complete ({} services, {mode})\n",
            prediction.services
        ),
    };
    if let Some(profile) = &prediction.profile {
        text.push_str(&render_profile_use(profile, prediction.boot_ms));
    }
    if !prediction.stuck.is_empty() {
        text.push_str(&format!("never ready: {}\n", prediction.stuck.join(", ")));
    }
    if prediction.chain.is_empty() {
        return text;
    }
    let width = prediction
        .chain
        .iter()
        .map(|l| l.service.chars().count())
        .max()
        .unwrap_or(0);
    text.push_str("critical chain (each line waited for the one below it):\n");
    for link in &prediction.chain {
        let mut line = format!(
            "{:>10}  {:<width$}  {:<9}",
            Millis(link.ready_ms).to_string(),
            link.service,
            link.kind
        );
        if let Some(started) = link.started_ms {
            let took = link.ready_ms.saturating_sub(started);
            line.push_str(&format!("  started {}", Millis(started)));
            if took > 0 {
                line.push_str(&format!(", took {}", Millis(took)));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

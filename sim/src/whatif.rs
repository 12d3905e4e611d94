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
//! commands are done.

use std::collections::BTreeMap;

use init_core::analyze::{critical_chains, Timeline};
use init_core::events::{Millis, ServiceStatus};
use init_core::service::{ServiceDef, Target};
use init_core::supervisor::Options;
use serde::Serialize;

use crate::driver::{RunLimits, Sim};
use crate::invariants::Violation;
use crate::model::{CommandSettings, ProcessModel};

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
        commands,
        daemons_run_forever: true,
        ..ProcessModel::default()
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
        violations: outcome.violations,
        statuses,
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

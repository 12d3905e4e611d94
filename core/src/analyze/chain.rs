//! The critical chain: for each target that completed, the services whose
//! readiness decided when it did, each one held back by the next.
//!
//! Owns walking predecessors back from the service that completed the
//! target, always to the one ready last, and the text of that chain (in
//! the manner of `systemd-analyze critical-chain`).

use serde::Serialize;

use super::timeline::Timeline;
use crate::events::Millis;
use crate::service::Target;

/// One service on the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    pub service: String,
    /// `wait`, `once`, `respawn` or `milestone`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When it was ready, after its target began (the `@` of the text).
    pub ready_after_ms: u64,
    /// Spawned until ready, for a service that was spawned (the `+`).
    pub took_ms: Option<u64>,
    pub ready_at_ms: u64,
    pub failed: bool,
}

/// The chain of one completed target, the service that completed it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetChain {
    pub target: Target,
    /// When its services were queued.
    pub began_at_ms: u64,
    /// When its last service was ready.
    pub completed_at_ms: u64,
    pub chain: Vec<ChainLink>,
}

/// The chain of every target whose queued services are all ready, in the
/// order boot, reboot, shutdown. A target still running has no chain yet.
pub fn critical_chains(timeline: &Timeline) -> Vec<TargetChain> {
    Target::ALL
        .into_iter()
        .filter_map(|target| chain_of(timeline, target))
        .collect()
}

fn chain_of(timeline: &Timeline, target: Target) -> Option<TargetChain> {
    let services = &timeline.services;
    let members: Vec<usize> = (0..services.len())
        .filter(|&i| services[i].target == target && services[i].queued_at.is_some())
        .collect();
    // Between services ready at one instant, the one later in the start
    // order is the one that waited (for the other, maybe).
    let position = |i: usize| timeline.graph.start_position.get(i).copied();
    let mut ready = Vec::with_capacity(members.len());
    for &i in &members {
        ready.push((services[i].satisfied_or_done()?, position(i), i));
    }
    let began = members
        .iter()
        .filter_map(|&i| services[i].queued_at)
        .min()?;
    let &(completed, _, last) = ready.iter().max()?;
    let ready_at = |i: usize| {
        services[i]
            .queued_at
            .and_then(|_| services[i].satisfied_or_done())
    };

    let mut chain = Vec::new();
    let mut current = Some(last);
    while let Some(i) = current {
        // Predecessors form no cycle once the resolver broke them; the
        // bound only keeps a malformed graph from looping.
        if chain.len() > services.len() {
            break;
        }
        let s = &services[i];
        let Some(at) = ready_at(i) else { break };
        chain.push(ChainLink {
            service: s.name.clone(),
            kind: s.kind_label(),
            ready_after_ms: at.ms_since(began),
            took_ms: s.starting_spawn().map(|t| at.ms_since(t)),
            ready_at_ms: at.0,
            failed: s.failed,
        });
        current = timeline
            .held_back_by(i)
            .into_iter()
            .filter_map(|p| ready_at(p).map(|t| (t, position(p), p)))
            .max()
            .map(|(_, _, p)| p);
    }
    Some(TargetChain {
        target,
        began_at_ms: began.0,
        completed_at_ms: completed.0,
        chain,
    })
}

/// Every chain as text: the target, then each service indented under the
/// one it held back.
pub fn render_chains_text(chains: &[TargetChain]) -> String {
    let mut text = String::from(
        "The time a service was ready, after its target began, follows \"@\";\n\
         the time it took from spawn to ready follows \"+\".\n",
    );
    for chain in chains {
        text.push_str(&format!(
            "\n{} complete @{} (began at {})\n",
            chain.target,
            Millis(chain.completed_at_ms.saturating_sub(chain.began_at_ms)),
            Millis(chain.began_at_ms),
        ));
        for (depth, link) in chain.chain.iter().enumerate() {
            let mut line = format!(
                "{:indent$}└─{} @{}",
                "",
                link.service,
                Millis(link.ready_after_ms),
                indent = depth * 2
            );
            if let Some(took_ms) = link.took_ms.filter(|&t| t > 0) {
                line.push_str(&format!(" +{}", Millis(took_ms)));
            }
            if link.kind == "milestone" {
                line.push_str(" (milestone)");
            }
            if link.failed {
                line.push_str(" (failed)");
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

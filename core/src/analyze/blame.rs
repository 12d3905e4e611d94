//! Blame: the services that took longest from queued to ready (or done),
//! longest first.
//!
//! Owns that ranking and its text table. It says nothing about why a
//! service waited; the critical chain does.

use serde::Serialize;

use super::timeline::Timeline;
use crate::events::Millis;
use crate::service::Target;

/// One service's time, split into waiting for its predecessors and
/// starting (spawned until ready).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlameLine {
    pub service: String,
    /// `wait`, `once`, `respawn` or `milestone`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub target: Target,
    /// Queued until ready or done.
    pub total_ms: u64,
    /// Queued until spawned (the whole time for a milestone).
    pub waiting_ms: u64,
    /// Spawned until ready or done.
    pub starting_ms: u64,
    pub queued_at_ms: u64,
    pub spawned_at_ms: Option<u64>,
    pub ready_at_ms: u64,
    pub failed: bool,
}

/// The ranking and the services it could not rank yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blame {
    /// Longest first; ties by name.
    pub services: Vec<BlameLine>,
    /// Queued but neither ready nor done: still holding their target up.
    pub not_ready: Vec<String>,
}

/// Ranks every service its target queued. Services that never were (an
/// admin start, a target yet to run) are left out.
pub fn blame(timeline: &Timeline) -> Blame {
    let mut services = Vec::new();
    let mut not_ready = Vec::new();
    for s in &timeline.services {
        let Some(queued) = s.queued_at else { continue };
        let Some(ready) = s.satisfied_or_done() else {
            not_ready.push(s.name.clone());
            continue;
        };
        let spawned = s.starting_spawn();
        let waiting_until = spawned.unwrap_or(ready);
        services.push(BlameLine {
            service: s.name.clone(),
            kind: s.kind_label(),
            target: s.target,
            total_ms: ready.ms_since(queued),
            waiting_ms: waiting_until.ms_since(queued),
            starting_ms: spawned.map_or(0, |t| ready.ms_since(t)),
            queued_at_ms: queued.0,
            spawned_at_ms: spawned.map(|t| t.0),
            ready_at_ms: ready.0,
            failed: s.failed,
        });
    }
    services.sort_by(|a, b| {
        b.total_ms
            .cmp(&a.total_ms)
            .then_with(|| a.service.cmp(&b.service))
    });
    Blame {
        services,
        not_ready,
    }
}

/// The ranking as a table, one service a line.
pub fn render_blame_text(blame: &Blame) -> String {
    let width = blame
        .services
        .iter()
        .map(|l| l.service.chars().count())
        .max()
        .unwrap_or(0)
        .max("SERVICE".len());
    let mut text = format!(
        "{:>9}  {:>9}  {:>9}  {:<width$}  {:<9}  TARGET\n",
        "TOTAL", "WAITING", "STARTING", "SERVICE", "TYPE"
    );
    for line in &blame.services {
        let failed = if line.failed { "  failed" } else { "" };
        text.push_str(&format!(
            "{:>9}  {:>9}  {:>9}  {:<width$}  {:<9}  {}{failed}\n",
            Millis(line.total_ms).to_string(),
            Millis(line.waiting_ms).to_string(),
            Millis(line.starting_ms).to_string(),
            line.service,
            line.kind,
            line.target,
        ));
    }
    if !blame.not_ready.is_empty() {
        text.push_str(&format!("not ready yet: {}\n", blame.not_ready.join(", ")));
    }
    text
}

//! A boot read out of service statuses: per service, when it was queued,
//! spawned, ready and exited, and whether it failed.
//!
//! Owns the one place where statuses (from the supervisor, or from a live
//! init's `status` reply) become the input of every view. It keeps only
//! the latest run of each service: a respawned service shows its last
//! spawn.

use serde::Serialize;

use super::graph::DependencyGraph;
use crate::commands::Commands;
use crate::events::{ExitStatus, Millis, ServiceState, ServiceStatus};
use crate::protocol::ServiceEntry;
use crate::service::{ServiceDef, ServiceType, Target};

/// One service's part in the boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceTimeline {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ServiceType,
    pub target: Target,
    pub milestone: bool,
    pub state: ServiceState,
    #[serde(rename = "queued_at_ms")]
    pub queued_at: Option<Millis>,
    #[serde(rename = "spawned_at_ms")]
    pub spawned_at: Option<Millis>,
    /// When it stopped holding up the services after it.
    #[serde(rename = "ready_at_ms")]
    pub satisfied_at: Option<Millis>,
    #[serde(rename = "exited_at_ms")]
    pub exited_at: Option<Millis>,
    pub exit_status: Option<ExitStatus>,
    /// Given up on, a failed spawn, or a `wait`/`once` run that did not
    /// exit 0.
    pub failed: bool,
}

impl ServiceTimeline {
    /// The first time anything happened to it.
    pub fn first_seen(&self) -> Option<Millis> {
        self.queued_at.or(self.spawned_at).or(self.satisfied_at)
    }

    /// When it stopped holding anything up: satisfied, or else done.
    pub fn satisfied_or_done(&self) -> Option<Millis> {
        self.satisfied_at.or(self.exited_at)
    }

    /// The spawn that began the run its target waited for: one between
    /// queued (if it was) and ready (if it is). A later spawn (a respawn, a
    /// restart) is of a later run whose start status does not keep.
    pub fn starting_spawn(&self) -> Option<Millis> {
        let spawned = self.spawned_at?;
        let after_queued = self.queued_at.map_or(true, |q| q <= spawned);
        let before_ready = self.satisfied_or_done().map_or(true, |r| spawned <= r);
        (after_queued && before_ready).then_some(spawned)
    }

    /// `wait`, `once`, `respawn` or `milestone`.
    pub fn kind_label(&self) -> &'static str {
        kind_label(self.kind, self.milestone)
    }
}

/// How the views name a service's type: a milestone is its own kind.
pub fn kind_label(kind: ServiceType, milestone: bool) -> &'static str {
    if milestone {
        "milestone"
    } else {
        kind.as_str()
    }
}

/// Every service with its times and the graph that ordered them. The
/// index of a service is the same in `services` and `graph.nodes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    pub services: Vec<ServiceTimeline>,
    pub graph: DependencyGraph,
    /// When the statuses were taken, if known (a live init's reply says):
    /// how far a target still running has got.
    #[serde(rename = "now_ms")]
    pub now: Option<Millis>,
    /// The boot ran one service at a time (`--sequential`): each service
    /// also waited for the one before it in its target's start order.
    #[serde(skip)]
    pub sequential: bool,
}

impl Timeline {
    /// From the supervisor's statuses (the simulator, tests): through
    /// their wire form, so that a simulated boot and a live one are read
    /// by the same lines.
    pub fn from_statuses<'a>(statuses: impl IntoIterator<Item = &'a ServiceStatus>) -> Timeline {
        let entries: Vec<ServiceEntry> = statuses
            .into_iter()
            .map(ServiceEntry::from_status)
            .collect();
        Timeline::from_entries(&entries)
    }

    /// From a live init's `status` reply.
    pub fn from_entries(entries: &[ServiceEntry]) -> Timeline {
        let defs: Vec<ServiceDef> = entries.iter().map(def_of_entry).collect();
        let services = entries
            .iter()
            .map(|e| ServiceTimeline {
                name: e.name.clone(),
                kind: e.kind,
                target: e.target,
                milestone: e.milestone,
                state: e.state,
                queued_at: e.queued_at_ms.map(Millis),
                spawned_at: e.spawned_at_ms.map(Millis),
                satisfied_at: e.ready_at_ms.map(Millis),
                exited_at: e.exited_at_ms.map(Millis),
                exit_status: e.exit_status,
                failed: is_failed(e.state, e.exit_status, e.error.is_some()),
            })
            .collect();
        Timeline {
            services,
            graph: DependencyGraph::from_defs(&defs),
            now: None,
            sequential: false,
        }
    }

    /// The same, taken at `now`.
    pub fn at(self, now: Option<Millis>) -> Timeline {
        Timeline { now, ..self }
    }

    /// The same, of a boot that ran one service at a time.
    pub fn sequential(self, sequential: bool) -> Timeline {
        Timeline { sequential, ..self }
    }

    /// The services `i` waited for: its predecessors and, in a sequential
    /// boot, the service before it in its target's start order.
    pub fn held_back_by(&self, i: usize) -> Vec<usize> {
        let mut holders = self.graph.predecessors.get(i).cloned().unwrap_or_default();
        if self.sequential {
            let (Some(service), Some(&position)) =
                (self.services.get(i), self.graph.start_position.get(i))
            else {
                return holders;
            };
            let previous = (0..self.services.len()).find(|&j| {
                self.services[j].target == service.target
                    && self.graph.start_position.get(j) == position.checked_sub(1).as_ref()
            });
            holders.extend(previous);
        }
        holders
    }

    /// The latest time known: when the statuses were taken, or else the
    /// latest time any service mentions.
    pub fn end(&self) -> Millis {
        self.services
            .iter()
            .flat_map(|s| [s.queued_at, s.spawned_at, s.satisfied_at, s.exited_at])
            .chain([self.now])
            .flatten()
            .max()
            .unwrap_or(Millis::ZERO)
    }
}

fn is_failed(state: ServiceState, exit_status: Option<ExitStatus>, spawn_error: bool) -> bool {
    match state {
        ServiceState::Failed => true,
        ServiceState::Done => exit_status.is_some_and(|s| !s.success()),
        _ => spawn_error,
    }
}

/// Only what the resolver reads is real; the rest is a stand-in (a
/// milestone has no commands, a service has one) so that the graph of a
/// live init comes out of the same resolver as the simulator's.
fn def_of_entry(entry: &ServiceEntry) -> ServiceDef {
    ServiceDef {
        name: entry.name.clone(),
        description: entry.description.clone(),
        kind: entry.kind,
        respawn_limit: None,
        target: entry.target,
        tty: None,
        after: entry.after.clone().into(),
        before: entry.before.clone().into(),
        exec: if entry.milestone {
            Commands::new()
        } else {
            [[&entry.name]].into_iter().collect()
        },
        settings: Default::default(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::events::{Pid, ServiceId};

    /// A boot service of `kind` that starts after `after`.
    pub(crate) fn def(name: &str, kind: ServiceType, after: &[&str]) -> ServiceDef {
        ServiceDef {
            kind,
            ..crate::resolve::tests::svc(name, Target::Boot, after, &[])
        }
    }

    /// A status with times in milliseconds: queued, spawned, ready, exited.
    pub(crate) fn status(
        id: u32,
        def: ServiceDef,
        state: ServiceState,
        times: [Option<u64>; 4],
        exit_status: Option<ExitStatus>,
    ) -> ServiceStatus {
        ServiceStatus {
            id: ServiceId(id),
            def,
            state,
            pid: (state == ServiceState::Running).then_some(Pid(100 + id as i32)),
            exit_status,
            runs: u32::from(times[1].is_some()),
            queued_at: times[0].map(Millis),
            spawned_at: times[1].map(Millis),
            exited_at: times[3].map(Millis),
            error: None,
            ready: None,
            satisfied_at: times[2].map(Millis),
        }
    }

    #[test]
    fn a_timeline_reads_times_failures_and_the_graph() {
        let mut milestone = def("network", ServiceType::Wait, &["mount"]);
        milestone.exec.clear();
        let statuses = [
            status(
                0,
                def("mount", ServiceType::Wait, &[]),
                ServiceState::Done,
                [Some(0), Some(1), Some(50), Some(50)],
                Some(ExitStatus::Exited(0)),
            ),
            status(
                1,
                milestone,
                ServiceState::Done,
                [Some(0), None, Some(50), None],
                None,
            ),
            status(
                2,
                def("sshd", ServiceType::Respawn, &["network"]),
                ServiceState::Failed,
                [Some(0), Some(50), Some(60), Some(60)],
                Some(ExitStatus::Exited(1)),
            ),
        ];
        let timeline = Timeline::from_statuses(&statuses);
        assert_eq!(timeline.end(), Millis(60));
        assert_eq!(timeline.graph.predecessors[2], vec![1]);
        assert!(timeline.graph.nodes[1].milestone);
        assert_eq!(timeline.services[0].satisfied_at, Some(Millis(50)));
        let failed: Vec<bool> = timeline.services.iter().map(|s| s.failed).collect();
        assert_eq!(failed, [false, false, true]);
    }
}

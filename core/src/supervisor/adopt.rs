//! Handing the supervisor over to a new init binary (re-exec): when it may
//! happen, and the fallback for a binary that cannot read the saved state,
//! which adopts the running processes by pid.
//!
//! Owns what the fallback keeps and what it loses. It reads no state
//! format (the driver does) and never spawns anything it could adopt.

use serde::{Deserialize, Serialize};

use super::lifecycle::Lifecycle;
use super::run::TargetRun;
use super::{Options, Phase, Supervisor};
use crate::events::{Millis, Pid, ServiceState};
use crate::service::{ServiceDef, ServiceType, Target};

/// One service as the old init last saw it: the part of the saved state
/// every version writes the same way, so that any later binary can adopt
/// what runs even when it cannot read the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptedService {
    /// The enabled name, e.g. `agetty@tty1`.
    pub name: String,
    /// Its live process, if it had one.
    pub pid: Option<Pid>,
    pub state: ServiceState,
}

impl Supervisor {
    /// The hand-over may happen only between the end of boot and the start
    /// of the way down: then no target run is half done, which is what
    /// lets the fallback treat the boot target as complete.
    pub fn can_hand_over(&self) -> bool {
        self.phase == Phase::Up && self.is_target_complete(Target::Boot)
    }

    /// What the fallback needs from this supervisor, in id order.
    pub fn adoption_list(&self) -> Vec<AdoptedService> {
        self.services()
            .map(|s| AdoptedService {
                name: s.def.name.clone(),
                pid: s.pid,
                state: s.state,
            })
            .collect()
    }

    /// A supervisor for `services` that goes on from a hand-over it could
    /// not read in full: the boot target counts as run and complete (no
    /// `TargetComplete` is output again), and
    /// - a service listed with a pid is Running with that pid (its run
    ///   count starts at 1, its spawn time is `now`);
    /// - a service listed as Stopped or Failed stays so;
    /// - a respawn service of the boot target that is neither is started;
    /// - everything else is Done if of the boot target, else Inactive.
    ///
    /// Lost: run counts, exit statuses, backoff, pending admin restarts,
    /// readiness (an adopted process counts as ready) and every timer (a
    /// stop under way is not finished with KILL).
    pub fn adopting(
        services: Vec<ServiceDef>,
        options: Options,
        now: Millis,
        adopted: &[AdoptedService],
    ) -> Supervisor {
        let mut supervisor = Supervisor::new(services, options);
        supervisor.phase = Phase::Up;
        supervisor.targets_run.push(Target::Boot);
        let ids: Vec<_> = supervisor.entries.ids().collect();
        let mut to_start = Vec::new();
        for id in ids {
            let Some(entry) = supervisor.entry_mut(id) else {
                continue;
            };
            let listed = adopted.iter().find(|a| a.name == entry.status.def.name);
            let of_boot = entry.status.def.target == Target::Boot;
            let pid = listed.and_then(|a| a.pid);
            let adopted_as = match (listed.map(|a| a.state), pid) {
                (_, Some(_)) => {
                    entry.status.runs = 1;
                    entry.status.spawned_at = Some(now);
                    entry.last_spawn_at = Some(now);
                    // Its [ UP ] was said by the old init.
                    entry.up_reported = true;
                    Lifecycle::Up
                }
                (Some(ServiceState::Stopped), None) => Lifecycle::Stopped,
                (Some(ServiceState::Failed), None) => Lifecycle::FAILED,
                _ if of_boot && entry.kind() == ServiceType::Respawn => {
                    to_start.push(id);
                    Lifecycle::Done
                }
                _ if of_boot => Lifecycle::Done,
                _ => Lifecycle::Inactive,
            };
            entry.set_state(adopted_as);
            supervisor.set_pid(id, pid);
        }
        let slots = supervisor.resolve_slots(Target::Boot);
        for slot in &slots {
            supervisor.set_satisfied(now, slot.id, true);
        }
        let predecessors = supervisor.predecessor_counts(&slots);
        supervisor.run = Some(TargetRun {
            target: Target::Boot,
            slots,
            complete: true,
            predecessors,
        });
        for id in to_start {
            supervisor.spawn(now, id);
        }
        supervisor
    }
}

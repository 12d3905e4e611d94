//! What the core holds, held against what happened: its pids, its record
//! of exits, and what a reload leaves of each service.
//!
//! Owns invariants 14 (every pid the core holds is a live process of that
//! service and every live process is held; an exit is recorded for the
//! service whose process it was) and 15 (a reload keeps the id, pid, run
//! count and state of what it keeps, and stops or starts nothing that
//! runs). Here the core's getters are what is checked.

use std::collections::{BTreeMap, BTreeSet};

use init_core::events::{Event, Output, Pid, ServiceId, ServiceState, ServiceStatus};
use init_core::supervisor::Supervisor;

use super::{Found, Invariant, World, FULL_CHECK_SERVICES};

#[derive(Debug, Clone, Default)]
pub(super) struct Identity {
    /// The services as they were before a reload, by name.
    before_reload: Option<BTreeMap<String, Kept>>,
    /// Services alive before the reload of this step: nothing may stop or
    /// start them on its account.
    quiet: BTreeSet<ServiceId>,
    /// Services an input or output of this step named.
    named: BTreeSet<ServiceId>,
    /// The state changes the core had refused by the last check.
    refused_transitions: u64,
    /// The service whose process the input of this step says exited.
    exited: Option<(ServiceId, Pid)>,
}

#[derive(Debug, Clone)]
struct Kept {
    id: ServiceId,
    pid: Option<Pid>,
    runs: u32,
    state: ServiceState,
    /// The configuration did not change it.
    unchanged_def: bool,
}

fn is_live(state: ServiceState) -> bool {
    matches!(
        state,
        ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
    )
}

impl Identity {
    pub fn on_input(&mut self, w: &World, event: &Event, supervisor: &Supervisor) {
        match event {
            Event::Reload { services } if w.down.is_none() && w.power.is_none() => {
                let kept = supervisor
                    .services()
                    .map(|s: &ServiceStatus| {
                        let new = services.iter().find(|d| d.name == s.def.name);
                        let unchanged_def = new.is_some() && new == w.config.get(&s.def.name);
                        (
                            s.def.name.clone(),
                            Kept {
                                id: s.id,
                                pid: s.pid,
                                runs: s.runs,
                                state: s.state,
                                unchanged_def,
                            },
                        )
                    })
                    .collect();
                self.before_reload = Some(kept);
            }
            Event::Spawned { service, .. }
            | Event::SpawnFailed { service, .. }
            | Event::Start(service)
            | Event::Stop(service)
            | Event::Restart(service)
            | Event::Ready(service) => {
                self.named.insert(*service);
            }
            Event::Exited { pid, .. } => {
                self.exited = w
                    .owner
                    .get(pid)
                    .filter(|&id| w.live.get(id) == Some(pid))
                    .map(|&id| (id, *pid));
                self.named.extend(self.exited.map(|(id, _)| id));
            }
            _ => {}
        }
    }

    pub fn after_input(
        &mut self,
        w: &World,
        event: &Event,
        supervisor: &Supervisor,
        found: &mut Found,
    ) {
        match event {
            Event::Exited { status, .. } => {
                let Some((id, _)) = self.exited.take() else {
                    return;
                };
                let Some(now) = supervisor.service(id) else {
                    // A service a reload removed is dropped at its exit.
                    return;
                };
                if now.exit_status != Some(*status) || now.exited_at != Some(w.now) {
                    found.add(
                        w.now,
                        Invariant::Pids,
                        format!(
                            "{}'s process ended {status:?} at {}, but the core records {:?} at {:?}",
                            now.def.name, w.now, now.exit_status, now.exited_at
                        ),
                    );
                }
            }
            Event::Reload { .. } => {
                if let Some(before) = self.before_reload.take() {
                    self.check_reload(w, &before, supervisor, found);
                }
            }
            _ => {}
        }
    }

    fn check_reload(
        &mut self,
        w: &World,
        before: &BTreeMap<String, Kept>,
        supervisor: &Supervisor,
        found: &mut Found,
    ) {
        for (name, kept) in before {
            let was_live = is_live(kept.state);
            if was_live {
                self.quiet.insert(kept.id);
            }
            let configured = w.config.contains_key(name);
            if !configured && !was_live {
                continue;
            }
            let Some(now) = supervisor.service_by_name(name) else {
                found.add(
                    w.now,
                    Invariant::Reload,
                    format!("{name} is gone after a reload that keeps it (or it still runs)"),
                );
                continue;
            };
            let mut lost = Vec::new();
            if now.id != kept.id {
                lost.push(format!("id {} -> {}", kept.id.0, now.id.0));
            }
            if was_live && now.pid != kept.pid {
                lost.push(format!("pid {:?} -> {:?}", kept.pid, now.pid));
            }
            // A reload leaves a finished or respawning service as it was
            // when its definition does not change.
            let settled = kept.unchanged_def
                && matches!(
                    kept.state,
                    ServiceState::Done
                        | ServiceState::Failed
                        | ServiceState::Stopped
                        | ServiceState::Restarting
                );
            if was_live || settled {
                if now.runs != kept.runs {
                    lost.push(format!("runs {} -> {}", kept.runs, now.runs));
                }
                if now.state != kept.state {
                    lost.push(format!(
                        "state {} -> {}",
                        kept.state.as_str(),
                        now.state.as_str()
                    ));
                }
            }
            if !lost.is_empty() {
                found.add(
                    w.now,
                    Invariant::Reload,
                    format!("a reload changes {name}: {}", lost.join(", ")),
                );
            }
        }
    }

    pub fn on_output(&mut self, w: &World, output: &Output, found: &mut Found) {
        let service = match output {
            Output::Spawn { service, .. }
            | Output::Signal { service, .. }
            | Output::Report { service, .. } => *service,
            _ => return,
        };
        self.named.insert(service);
        let acts = matches!(output, Output::Spawn { .. } | Output::Signal { .. });
        if acts && self.quiet.contains(&service) {
            found.add(
                w.now,
                Invariant::Reload,
                format!(
                    "a reload stops or starts {}, which was running",
                    w.name(service)
                ),
            );
        }
    }

    /// Every pid the core holds is the live process of that service, and
    /// every live process is held by its service; the rest of what the
    /// core reports agrees with what happened.
    pub fn end_of_step(&mut self, w: &World, supervisor: &Supervisor, found: &mut Found) {
        self.quiet.clear();
        check_reported(w, supervisor, found);
        let named = std::mem::take(&mut self.named);
        let everyone = w.names.len() <= FULL_CHECK_SERVICES;
        // Counting costs a pass over the services, as do the checks of
        // every status below.
        if everyone {
            let refused = supervisor.refused_transitions();
            if refused > self.refused_transitions {
                found.add(
                    w.now,
                    Invariant::Pids,
                    format!(
                        "the core made {} state change(s) its table does not allow",
                        refused - self.refused_transitions
                    ),
                );
                self.refused_transitions = refused;
            }
        }
        let statuses: Vec<&ServiceStatus> = if everyone {
            supervisor.services().collect()
        } else {
            named
                .iter()
                .filter_map(|&id| supervisor.service(id))
                .collect()
        };
        for status in statuses {
            if let Some(pid) = status.pid {
                if w.live.get(&status.id) != Some(&pid) {
                    let whose = match w.owner.get(&pid) {
                        Some(&other) => format!("the process of {}", w.name(other)),
                        None if w.reaped.contains(&pid) => "reaped".to_string(),
                        None => "no process of this run".to_string(),
                    };
                    found.add(
                        w.now,
                        Invariant::Pids,
                        format!(
                            "the core holds pid {pid} for {}, which is {whose}",
                            status.def.name
                        ),
                    );
                }
            }
        }
        let live: Vec<(ServiceId, Pid)> = if everyone {
            w.live.iter().map(|(&id, &pid)| (id, pid)).collect()
        } else {
            named
                .iter()
                .filter_map(|id| w.live.get(id).map(|&pid| (*id, pid)))
                .collect()
        };
        for (id, pid) in live {
            let held = supervisor.service(id).and_then(|s| s.pid);
            if held != Some(pid) {
                found.add(
                    w.now,
                    Invariant::Pids,
                    format!(
                        "{}'s process {pid} runs, but the core holds {held:?}",
                        w.name(id)
                    ),
                );
            }
        }
    }
}

/// What the core reports besides its pids: the options it was given, that
/// it has not finished before its power command, the main service's exit
/// once it ended, and a next timeout that is its earliest timer.
fn check_reported(w: &World, supervisor: &Supervisor, found: &mut Found) {
    let mut wrong = Vec::new();
    if *supervisor.options() != w.options {
        wrong.push("its options are not the ones it was given".to_string());
    }
    if supervisor.is_finished() {
        wrong.push("it has finished with no power command".to_string());
    }
    if supervisor.main_service_exit() != w.main_exit {
        wrong.push(format!(
            "the main service's exit as {:?}, not {:?}",
            supervisor.main_service_exit(),
            w.main_exit
        ));
    }
    let earliest = supervisor.timers().map(|t| t.deadline).min();
    if supervisor.poll_timeout() != earliest {
        wrong.push(format!(
            "its next timeout is {:?}, its earliest timer {earliest:?}",
            supervisor.poll_timeout()
        ));
    }
    if let Some(first) = wrong.first() {
        found.add(w.now, Invariant::Pids, format!("the core reports {first}"));
    }
}

//! Processes: asking for a spawn, taking the driver's answer, handling an
//! exit, and respawning.
//!
//! Owns the lifecycle of one service's process. It never decides when a
//! service's turn comes (`run.rs` does) and never makes up a pid.

use super::lifecycle::{AfterStop, Backoff, Lifecycle, Stop};
use super::{backoff, Phase, Supervisor, TimerKind};
use crate::events::{ExitStatus, Millis, Output, Pid, Report, ServiceId, ServiceState, Signal};
use crate::service::{Leftovers, ServiceType};

impl Supervisor {
    /// Asks the driver to start `id`, or marks a milestone Done. Nothing
    /// happens for a service that is alive already or once the safety net
    /// has begun.
    pub(super) fn spawn(&mut self, now: Millis, id: ServiceId) {
        if matches!(self.phase, Phase::KillGrace(_) | Phase::Finished) {
            return;
        }
        let in_final_target = matches!(self.phase, Phase::FinalTarget(_));
        let final_deadline = now.saturating_add(self.options.final_service_timeout_ms);
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.is_live() {
            return;
        }
        if self.hold_back_for_leftovers(id) {
            return;
        }
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        entry.apply_pending_def();
        if entry.status.def.is_milestone() {
            entry.set_state(Lifecycle::Done);
            self.set_satisfied(now, id, true);
            return;
        }
        entry.set_state(Lifecycle::Starting);
        entry.status.runs = entry.status.runs.saturating_add(1);
        if entry.status.runs == 1 {
            entry.up_reported = false;
        }
        entry.last_spawn_at = Some(now);
        let exec = entry.status.def.exec.clone();
        let tty = entry.status.def.tty.as_deref().cloned();
        let settings = entry.status.def.settings.exec.clone();
        self.set_pid(id, None);
        self.timers.cancel(TimerKind::Respawn(id));
        if in_final_target {
            self.timers.set(TimerKind::FinalService(id), final_deadline);
        }
        self.emit(Output::Spawn {
            service: id,
            exec,
            tty,
            settings,
        });
    }

    pub(super) fn handle_spawned(&mut self, now: Millis, id: ServiceId, pid: Pid) {
        // A pid another live service holds cannot be a new process; taking
        // it would make one exit end two services.
        if self.live_holder_of(pid).is_some() {
            return;
        }
        let in_kill_grace = matches!(self.phase, Phase::KillGrace(_));
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        let abandoned = Lifecycle::Failed {
            spawn_abandoned: true,
        };
        if entry.lifecycle() == abandoned {
            // Given up on, but a process exists now: track it until it is
            // gone, so that the kill grace waits for it.
            entry.status.spawned_at = Some(now);
            entry.set_state(Lifecycle::stopping(AfterStop::Failed));
            self.set_pid(id, Some(pid));
            self.emit(Output::Signal {
                service: id,
                pid,
                signal: Signal::Term,
            });
            return;
        }
        if !entry.awaits_spawn_answer() {
            return;
        }
        entry.status.spawned_at = Some(now);
        entry.status.error = None;
        let mut report = None;
        let mut term = false;
        let mut satisfied = false;
        let mut arm_ready = false;
        match entry.lifecycle() {
            Lifecycle::Starting => {
                entry.spawn_failure_reported = false;
                let declares_ready =
                    entry.kind() != ServiceType::Wait && entry.status.def.settings.ready.is_some();
                let running = if declares_ready {
                    // Satisfied, and UP, only once it says it is ready.
                    entry.status.ready = Some(false);
                    arm_ready = true;
                    Lifecycle::AwaitingReady
                } else {
                    entry.status.ready = None;
                    satisfied = entry.kind() != ServiceType::Wait;
                    if entry.kind() == ServiceType::Respawn && !entry.up_reported {
                        entry.up_reported = true;
                        report = Some(Report::Up);
                    }
                    Lifecycle::Up
                };
                if in_kill_grace {
                    // The KillAll{TERM} went out before this process
                    // existed; it gets its own.
                    entry.set_state(Lifecycle::stopping(AfterStop::Stopped));
                    term = true;
                } else {
                    entry.set_state(running);
                }
            }
            // Stopped (or restarted) before the answer came.
            _ => term = true,
        }
        self.set_pid(id, Some(pid));
        if satisfied {
            self.set_satisfied(now, id, true);
        }
        if arm_ready && !term {
            self.arm_ready_timeout(now, id);
        }
        if self.entry(id).is_some_and(|e| e.is_satisfied()) {
            self.timers.cancel(TimerKind::FinalService(id));
        }
        if term && in_kill_grace {
            self.emit(Output::Signal {
                service: id,
                pid,
                signal: Signal::Term,
            });
        } else if term {
            self.send_stop(now, id);
        }
        if let Some(report) = report {
            self.report(id, report);
        }
        self.advance(now);
    }

    pub(super) fn handle_spawn_failed(&mut self, now: Millis, id: ServiceId, message: String) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        entry.status.error = Some(message);
        if let Lifecycle::Failed {
            spawn_abandoned: true,
        } = entry.lifecycle()
        {
            entry.set_state(Lifecycle::FAILED);
            return;
        }
        if !entry.awaits_spawn_answer() {
            return;
        }
        self.set_satisfied(now, id, true);
        self.timers.cancel(TimerKind::FinalService(id));
        self.after_process_end(now, id, None, None);
    }

    /// `leftovers`: other processes of the service were still there.
    pub(super) fn handle_exited(
        &mut self,
        now: Millis,
        pid: Pid,
        status: ExitStatus,
        leftovers: bool,
    ) {
        let Some(id) = self.live_holder_of(pid) else {
            return;
        };
        self.set_pid(id, None);
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        entry.status.exit_status = Some(status);
        entry.status.exited_at = Some(now);
        if entry.kind() == ServiceType::Wait {
            self.set_satisfied(now, id, true);
        }
        self.timers.cancel(TimerKind::FinalService(id));
        self.timers.cancel(TimerKind::StopTimeout(id));
        self.timers.cancel(TimerKind::Ready(id));
        self.after_process_end(now, id, Some(status), leftovers.then_some(pid));
    }

    /// What follows the end of a process (`status` is `None` when the spawn
    /// failed): Done, Failed, Stopped, a respawn or an admin restart.
    /// `left_behind` is the ended process when others of the service were
    /// still there: after a stop they get KILL (stopped means nothing of
    /// it runs), and before a respawn the stop signal unless the service
    /// keeps them (`leftovers keep`); a start waits for them to go. After
    /// a `wait` or `once` run they are left alone, as a script's daemon.
    fn after_process_end(
        &mut self,
        now: Millis,
        id: ServiceId,
        status: Option<ExitStatus>,
        left_behind: Option<Pid>,
    ) {
        let going_down = self.phase.is_going_down();
        let backoff_defaults = self.backoff_defaults();
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.removed {
            // Gone from the configuration: never started again, but a
            // process that ends by itself is reported as it would have
            // been, before the service is forgotten.
            let report = match (entry.state(), entry.kind(), status) {
                (ServiceState::Stopping, _, _) | (_, ServiceType::Respawn, _) => None,
                (_, _, Some(status)) if status.success() => Some(Report::Ok),
                _ => Some(Report::Fail),
            };
            if let Some(report) = report {
                self.report(id, report);
            }
            self.drop_entry(id);
            self.advance(now);
            self.wind_down_process_ended(now, id);
            self.finish_if_all_exited();
            return;
        }
        let kind = entry.kind();
        let stop = match entry.lifecycle() {
            Lifecycle::Stopping(stop) => Some(stop),
            _ => None,
        };
        let was_stopped = stop.is_some();
        if status.is_some() {
            backoff::note_run_length(entry, now, backoff_defaults);
        }
        let limit_reached = entry
            .status
            .def
            .respawn_limit
            .is_some_and(|limit| entry.status.runs >= limit);
        // A reload made it something else while the process ran (another
        // type, another target): its end is the end of the old definition,
        // and the new one is not respawned into a run it is no part of.
        let moved_away = entry.pending_def.as_deref().is_some_and(|new| {
            new.kind != ServiceType::Respawn || new.target != entry.status.def.target
        });
        let mut report = None;
        // When the respawn is due, if one is owed.
        let mut respawn = None;
        let mut restart = false;
        let ended = match stop {
            Some(Stop {
                then: AfterStop::Failed,
                ..
            }) => Lifecycle::FAILED,
            Some(Stop {
                then: AfterStop::Restart,
                ..
            }) if !going_down => {
                // Not alive any more, so that the spawn below may go out.
                restart = true;
                Lifecycle::Stopped
            }
            Some(_) => Lifecycle::Stopped,
            None => match (kind, status) {
                // The switch to shutdown or reboot stops respawning.
                (ServiceType::Respawn, Some(_)) if going_down => Lifecycle::Stopped,
                (ServiceType::Respawn, None) if going_down => {
                    report = Some(Report::Fail);
                    Lifecycle::FAILED
                }
                // Not respawned: Done once its process ran, quietly as a
                // removed respawn service; a failed spawn is said once,
                // as any respawn service's.
                (ServiceType::Respawn, Some(_)) if moved_away => Lifecycle::Done,
                (ServiceType::Respawn, None) if moved_away => {
                    if !entry.spawn_failure_reported {
                        entry.spawn_failure_reported = true;
                        report = Some(Report::Fail);
                    }
                    Lifecycle::FAILED
                }
                (ServiceType::Respawn, _) if limit_reached => {
                    report = Some(Report::Fail);
                    Lifecycle::FAILED
                }
                (ServiceType::Respawn, _) => {
                    if status.is_none() && !entry.spawn_failure_reported {
                        entry.spawn_failure_reported = true;
                        report = Some(Report::Fail);
                    }
                    // Never sooner than the respawn delay after the last
                    // spawn; `schedule_respawn` spawns at once if that
                    // has passed.
                    let delay_ms = backoff::next_respawn_delay_ms(entry, backoff_defaults);
                    let due = entry.last_spawn_at.unwrap_or(now).saturating_add(delay_ms);
                    respawn = Some(due);
                    Lifecycle::BackingOff(Backoff::Delay { until: due })
                }
                (_, Some(status)) => {
                    report = Some(if status.success() {
                        Report::Ok
                    } else {
                        Report::Fail
                    });
                    Lifecycle::Done
                }
                (_, None) => {
                    report = Some(Report::Fail);
                    Lifecycle::FAILED
                }
            },
        };
        entry.set_state(ended);
        if respawn.is_none() && !restart {
            entry.apply_pending_def();
        }
        let settings = &entry.status.def.settings;
        let leftover_signal = if was_stopped {
            Some(Signal::Kill)
        } else if respawn.is_some() && settings.leftovers == Leftovers::End {
            Some(settings.stop_signal.unwrap_or(Signal::Term))
        } else {
            None
        };
        if let (Some(pid), Some(signal)) = (left_behind, leftover_signal) {
            self.end_leftovers(now, id, pid, signal);
        }
        // Ended for good without having been satisfied (a service that
        // never said it was ready): it must not hold up the rest.
        let ended_for_good = respawn.is_none() && !restart;
        if let Some(report) = report {
            self.report(id, report);
        }
        if ended_for_good {
            self.set_satisfied(now, id, true);
            if !going_down {
                self.main_service_ended(now, id, status);
            }
        }
        if restart {
            if let Some(entry) = self.entry_mut(id) {
                entry.status.runs = 0;
                entry.backoff_step = 0;
            }
            self.spawn(now, id);
        } else if let Some(due) = respawn {
            self.schedule_respawn(now, id, due);
        }
        self.advance(now);
        self.wind_down_process_ended(now, id);
        self.finish_if_all_exited();
    }

    /// Spawns a service backing off at `due` again: at once if that has
    /// passed, else when the `Respawn` timer fires.
    fn schedule_respawn(&mut self, now: Millis, id: ServiceId, due: Millis) {
        if due <= now {
            self.spawn(now, id);
            return;
        }
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        entry.apply_pending_def();
        self.timers.set(TimerKind::Respawn(id), due);
    }

    fn backoff_defaults(&self) -> backoff::Defaults {
        backoff::Defaults {
            delay_ms: self.options.respawn_delay_ms,
            delay_max_ms: self.options.respawn_delay_max_ms,
        }
    }

    pub(super) fn fire_respawn(&mut self, now: Millis, id: ServiceId) {
        if self.phase.is_going_down() {
            return;
        }
        if self
            .entry(id)
            .is_some_and(|e| matches!(e.lifecycle(), Lifecycle::BackingOff(_)))
        {
            self.spawn(now, id);
            self.advance(now);
        }
    }

    /// A console line, unless the safety net has begun: by then every
    /// process dies by design and the console should not say FAIL for each.
    pub(super) fn report(&mut self, id: ServiceId, report: Report) {
        if matches!(self.phase, Phase::KillGrace(_) | Phase::Finished) {
            return;
        }
        let Some(entry) = self.entry(id) else {
            return;
        };
        let text = entry.status.def.console_text().to_string();
        self.emit(Output::Report {
            service: id,
            report,
            text,
        });
    }
}

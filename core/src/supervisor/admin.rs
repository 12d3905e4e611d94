//! Admin requests: start, stop and restart of one service.
//!
//! Owns what an explicit request does in each state. An admin start ignores
//! ordering; it never starts anything once the machine is going down.

use super::lifecycle::{AfterStop, Lifecycle, Stop};
use super::{Supervisor, TimerKind};
use crate::events::{Millis, ServiceId, ServiceState};

impl Supervisor {
    pub(super) fn handle_start(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.startable_entry(id) else {
            return;
        };
        match entry.state() {
            ServiceState::Inactive
            | ServiceState::Done
            | ServiceState::Failed
            | ServiceState::Stopped
            | ServiceState::Restarting => {
                entry.status.runs = 0;
                entry.backoff_step = 0;
                self.timers.cancel(TimerKind::Respawn(id));
                self.spawn(now, id);
            }
            // Being stopped: it comes back as soon as it is gone.
            ServiceState::Stopping => entry.restart_after_stop(),
            // Its turn comes in order, or it is alive already.
            ServiceState::Waiting | ServiceState::Starting | ServiceState::Running => {}
        }
        self.advance(now);
    }

    pub(super) fn handle_stop(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        let mut term = None;
        match entry.lifecycle() {
            Lifecycle::Up | Lifecycle::AwaitingReady | Lifecycle::Starting => {
                entry.set_state(Lifecycle::stopping(AfterStop::Stopped));
                // Without a pid yet, the TERM goes out with the Spawned.
                term = entry.status.pid;
            }
            Lifecycle::BackingOff(_) | Lifecycle::Waiting | Lifecycle::Inactive => {
                entry.set_state(Lifecycle::Stopped);
            }
            // Already being stopped, for a restart or by the core (a ready
            // or final-service timeout gave up on it): the admin's stop
            // still sticks, so the exit ends Stopped, not Failed, and no
            // later target run of a reloaded definition starts it again.
            Lifecycle::Stopping(stop) => {
                entry.set_state(Lifecycle::Stopping(Stop {
                    then: AfterStop::Stopped,
                    ..stop
                }));
            }
            Lifecycle::Done | Lifecycle::Failed { .. } | Lifecycle::Stopped => {}
        }
        // A stopped service must not hold up the services after it.
        if matches!(
            entry.state(),
            ServiceState::Stopping | ServiceState::Stopped
        ) {
            self.set_satisfied(now, id, true);
        }
        self.timers.cancel(TimerKind::Respawn(id));
        if term.is_some() {
            self.send_stop(now, id);
        }
        self.advance(now);
    }

    pub(super) fn handle_restart(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.startable_entry(id) else {
            return;
        };
        let mut term = None;
        match entry.state() {
            ServiceState::Running | ServiceState::Starting => {
                entry.set_state(Lifecycle::stopping(AfterStop::Restart));
                term = entry.status.pid;
            }
            ServiceState::Stopping => entry.restart_after_stop(),
            _ => return self.handle_start(now, id),
        }
        if term.is_some() {
            self.send_stop(now, id);
        }
        self.advance(now);
    }
}

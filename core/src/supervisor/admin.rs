//! Admin requests: start, stop and restart of one service.
//!
//! Owns what an explicit request does in each state. An admin start ignores
//! ordering; it never starts anything once the machine is going down.

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
            ServiceState::Stopping => entry.restart_after_exit = !entry.given_up,
            // Its turn comes in order, or it is alive already.
            ServiceState::Waiting | ServiceState::Starting | ServiceState::Running => {}
        }
        self.advance(now);
    }

    pub(super) fn handle_stop(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        entry.restart_after_exit = false;
        let mut term = None;
        match entry.state() {
            ServiceState::Running | ServiceState::Starting => {
                entry.status.state = ServiceState::Stopping;
                // Without a pid yet, the TERM goes out with the Spawned.
                term = entry.status.pid;
            }
            ServiceState::Restarting | ServiceState::Waiting | ServiceState::Inactive => {
                entry.status.state = ServiceState::Stopped;
            }
            // Already being stopped by the core (a ready or final-service
            // timeout gave up on it): the admin's stop still sticks, so the
            // exit ends Stopped, not Failed, and no later target run of a
            // reloaded definition starts it again.
            ServiceState::Stopping => entry.given_up = false,
            ServiceState::Done | ServiceState::Failed | ServiceState::Stopped => {}
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
                entry.status.state = ServiceState::Stopping;
                entry.restart_after_exit = true;
                term = entry.status.pid;
            }
            ServiceState::Stopping => entry.restart_after_exit = !entry.given_up,
            _ => return self.handle_start(now, id),
        }
        if term.is_some() {
            self.send_stop(now, id);
        }
        self.advance(now);
    }
}

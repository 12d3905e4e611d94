//! Ready notices: a service with `ready-fd` or `ready-file` is satisfied
//! when its process says it is ready, not when it is spawned.
//!
//! Owns the ready event and the ready timeout. It does not watch fds or
//! files (the driver does, and sends `Event::Ready`).

use super::lifecycle::{AfterStop, Lifecycle};
use super::{Supervisor, TimerKind};
use crate::events::{Millis, Report, ServiceId};
use crate::service::ServiceType;

impl Supervisor {
    /// Arms the ready timeout of a process that was just spawned.
    pub(super) fn arm_ready_timeout(&mut self, now: Millis, id: ServiceId) {
        let default_ms = self.options.ready_timeout_ms;
        self.arm_service_timeout(now, id, TimerKind::Ready(id), default_ms, |s| {
            s.ready_timeout_ms
        });
    }

    pub(super) fn handle_ready(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        // Only the live process that has yet to say so; a late word from a
        // process being stopped changes nothing.
        if entry.lifecycle() != Lifecycle::AwaitingReady {
            return;
        }
        entry.set_state(Lifecycle::Up);
        entry.status.ready = Some(true);
        let report_up = entry.kind() == ServiceType::Respawn && !entry.up_reported;
        if report_up {
            entry.up_reported = true;
        }
        self.timers.cancel(TimerKind::Ready(id));
        self.set_satisfied(now, id, true);
        if self.entry(id).is_some_and(|e| e.is_satisfied()) {
            self.timers.cancel(TimerKind::FinalService(id));
        }
        if report_up {
            self.report(id, Report::Up);
        }
        self.advance(now);
    }

    /// Not ready in time: the start failed. The process is stopped (its
    /// stop signal, then KILL), it ends Failed, and it no longer holds up
    /// the services after it.
    pub(super) fn fire_ready_timeout(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.lifecycle() != Lifecycle::AwaitingReady {
            return;
        }
        entry.set_state(Lifecycle::stopping(AfterStop::Failed));
        self.send_stop(now, id);
        self.set_satisfied(now, id, true);
        self.report(id, Report::Fail);
        self.advance(now);
    }
}

//! Stopping one live process: its stop signal to the process group, then
//! KILL once its stop timeout has passed.
//!
//! Owns the stop sequence and its timer. It does not decide when a service
//! is stopped (admin requests and shutdown do) nor what follows the exit.

use super::lifecycle::{Lifecycle, Stop};
use super::{Supervisor, TimerKind};
use crate::events::{Millis, Output, ServiceId, Signal};

impl Supervisor {
    /// Sends the service's stop signal (default TERM) to its live process
    /// and arms the stop timeout, after which KILL follows. The caller has
    /// set the state to Stopping.
    pub(super) fn send_stop(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        let Some(pid) = entry.status.pid else {
            return;
        };
        if let Lifecycle::Stopping(stop) = entry.lifecycle() {
            entry.set_state(Lifecycle::Stopping(Stop {
                killed: false,
                ..stop
            }));
        }
        let signal = entry
            .status
            .def
            .settings
            .stop_signal
            .unwrap_or(Signal::Term);
        self.arm_stop_timeout(now, id);
        self.emit(Output::Signal {
            service: id,
            pid,
            signal,
        });
    }

    /// Arms the service's stop timeout from `now`: its `stop-timeout` or
    /// the default, and once the machine is going down never more than
    /// the shutdown ceiling, which bounds the way down whatever a service
    /// file says.
    pub(super) fn arm_stop_timeout(&mut self, now: Millis, id: ServiceId) {
        if self.entry(id).is_none() {
            return;
        }
        let timeout_ms = self.stop_timeout_ms(id);
        self.timers
            .set(TimerKind::StopTimeout(id), now.saturating_add(timeout_ms));
    }

    /// How long a stop of `id` waits before KILL: its `stop-timeout` or
    /// the default, and once the machine is going down never more than
    /// the shutdown ceiling.
    pub(super) fn stop_timeout_ms(&self, id: ServiceId) -> u64 {
        let own_ms = self
            .entry(id)
            .and_then(|entry| entry.status.def.settings.stop_timeout_ms)
            .unwrap_or(self.options.stop_timeout_ms);
        if self.phase.is_going_down() {
            own_ms.min(self.options.shutdown_stop_timeout_ms)
        } else {
            own_ms
        }
    }

    /// The machine begins going down at `now`: a stop already under way
    /// (an admin's, with its own long timeout) gets KILL by the shutdown
    /// ceiling from now at the latest. A KILL that went out already has
    /// only the kill grace left, which is shorter.
    pub(super) fn pull_in_stop_timeouts(&mut self, now: Millis) {
        let latest = now.saturating_add(self.options.shutdown_stop_timeout_ms);
        let stopping: Vec<ServiceId> = self
            .entries
            .values()
            .filter(|e| {
                matches!(
                    e.lifecycle(),
                    Lifecycle::Stopping(Stop { killed: false, .. })
                )
            })
            .map(|e| e.status.id)
            .collect();
        for id in stopping {
            let kind = TimerKind::StopTimeout(id);
            if self.timers.deadline(kind).is_some_and(|at| at > latest) {
                self.timers.set(kind, latest);
            }
        }
    }

    /// The stop timeout passed and the process is still there: KILL, and
    /// `kill_grace_ms` more for it to go. Past that, the wind-down stops
    /// waiting for it (an admin stop simply stays Stopping until the exit).
    pub(super) fn fire_stop_timeout(&mut self, now: Millis, id: ServiceId) {
        let kill_grace_ms = self.options.kill_grace_ms;
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        let Lifecycle::Stopping(stop) = entry.lifecycle() else {
            return;
        };
        let Some(pid) = entry.status.pid else {
            // The spawn was never answered: nothing to signal, and the
            // wind-down must not wait for an answer that may never come.
            self.wind_down_release(now, id);
            return;
        };
        if stop.killed {
            self.wind_down_release(now, id);
            return;
        }
        entry.set_state(Lifecycle::Stopping(Stop {
            killed: true,
            ..stop
        }));
        self.timers.set(
            TimerKind::StopTimeout(id),
            now.saturating_add(kill_grace_ms),
        );
        self.emit(Output::Signal {
            service: id,
            pid,
            signal: Signal::Kill,
        });
    }
}

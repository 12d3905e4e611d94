//! Leftovers: what a service's main process leaves behind when it ends,
//! ended before the service starts again.
//!
//! Owns the signal sequence for them (the stop signal, KILL after the stop
//! timeout, then at most the kill grace) and the rule that no spawn of the
//! service goes out meanwhile. It never sees a process: the driver says
//! whether anything was left (`Exited::leftovers`) and when it is gone
//! (`LeftoversGone`).

use super::entry::LeftoversEnding;
use super::lifecycle::{Backoff, Lifecycle};
use super::{Supervisor, TimerKind};
use crate::events::{Millis, Output, Pid, ServiceId, ServiceState, Signal};

impl Supervisor {
    /// Sends `signal` to what the ended process `pid` of `id` left, and
    /// holds back every spawn of `id` until it is gone: KILL and the kill
    /// grace after the stop timeout at the latest.
    pub(super) fn end_leftovers(&mut self, now: Millis, id: ServiceId, pid: Pid, signal: Signal) {
        let killed = signal == Signal::Kill;
        let wait_ms = if killed {
            self.options.kill_grace_ms
        } else {
            self.stop_timeout_ms(id)
        };
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        entry.leftovers = Some(LeftoversEnding { pid, killed });
        self.timers
            .set(TimerKind::Leftovers(id), now.saturating_add(wait_ms));
        self.emit(Output::SignalLeftovers {
            service: id,
            pid,
            signal,
        });
    }

    /// Nothing is left of `id`'s last run: a start held back goes out.
    pub(super) fn handle_leftovers_gone(&mut self, now: Millis, id: ServiceId) {
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        if entry.leftovers.take().is_none() {
            return;
        }
        self.timers.cancel(TimerKind::Leftovers(id));
        self.start_held_back(now, id);
    }

    /// The leftovers' time is up: KILL after the stop signal; after KILL,
    /// the wait ends whatever is left (a process stuck in the kernel must
    /// not keep the service down for good).
    pub(super) fn fire_leftovers_timeout(&mut self, now: Millis, id: ServiceId) {
        let kill_grace_ms = self.options.kill_grace_ms;
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        let Some(ending) = entry.leftovers.as_mut() else {
            return;
        };
        if ending.killed {
            entry.leftovers = None;
            self.start_held_back(now, id);
            return;
        }
        ending.killed = true;
        let pid = ending.pid;
        self.timers
            .set(TimerKind::Leftovers(id), now.saturating_add(kill_grace_ms));
        self.emit(Output::SignalLeftovers {
            service: id,
            pid,
            signal: Signal::Kill,
        });
    }

    /// Whether a spawn of `id` must wait for its leftovers. Such a spawn
    /// is owed: the service shows Restarting (a Waiting one stays in its
    /// run's queue) until the leftovers are gone.
    pub(super) fn hold_back_for_leftovers(&mut self, id: ServiceId) -> bool {
        let Some(entry) = self.entry_mut(id) else {
            return false;
        };
        if entry.leftovers.is_none() {
            return false;
        }
        if entry.state() != ServiceState::Waiting {
            entry.set_state(Lifecycle::BackingOff(Backoff::Leftovers));
        }
        self.timers.cancel(TimerKind::Respawn(id));
        true
    }

    /// Starts what waited for the leftovers: a respawn whose delay has
    /// passed, a restart, an admin start; a Waiting service by its turn.
    fn start_held_back(&mut self, now: Millis, id: ServiceId) {
        let owed = !self.phase.is_going_down()
            && self
                .entry(id)
                .is_some_and(|e| e.lifecycle() == Lifecycle::BackingOff(Backoff::Leftovers));
        if owed {
            self.spawn(now, id);
        }
        self.advance(now);
    }
}

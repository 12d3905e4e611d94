//! The supervisor's timer table: one deadline per timer kind.
//!
//! Owns which timers exist and which is due next. It does not decide what a
//! timer means when it fires; the supervisor does.

use serde::{Deserialize, Serialize};

use crate::events::{Millis, ServiceId};

/// Every reason the supervisor wants to be woken up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// A respawn service waits out `respawn_delay_ms` before its next start.
    Respawn(ServiceId),
    /// A service of the shutdown or reboot target has had
    /// `final_service_timeout_ms` to be satisfied.
    FinalService(ServiceId),
    /// The grace between `KillAll{TERM}` and `KillAll{KILL}`.
    KillGrace,
}

impl TimerKind {
    pub fn service(self) -> Option<ServiceId> {
        match self {
            TimerKind::Respawn(id) | TimerKind::FinalService(id) => Some(id),
            TimerKind::KillGrace => None,
        }
    }
}

/// One armed timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub kind: TimerKind,
    pub deadline: Millis,
}

/// The armed timers, at most one per kind, kept sorted by kind so that the
/// table (and its serialised form) does not depend on arming order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers {
    armed: Vec<Timer>,
}

impl Timers {
    /// Arms `kind` at `deadline`, replacing any earlier deadline of that kind.
    pub fn set(&mut self, kind: TimerKind, deadline: Millis) {
        match self.armed.binary_search_by(|t| t.kind.cmp(&kind)) {
            Ok(at) => {
                if let Some(timer) = self.armed.get_mut(at) {
                    timer.deadline = deadline;
                }
            }
            Err(at) => self.armed.insert(at, Timer { kind, deadline }),
        }
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        self.armed.retain(|t| t.kind != kind);
    }

    /// Cancels every timer that belongs to `service`.
    pub fn cancel_service(&mut self, service: ServiceId) {
        self.armed.retain(|t| t.kind.service() != Some(service));
    }

    /// Keeps only the timers whose kind `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(TimerKind) -> bool) {
        self.armed.retain(|t| keep(t.kind));
    }

    pub fn clear(&mut self) {
        self.armed.clear();
    }

    /// The earliest deadline, if any timer is armed.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.armed.iter().map(|t| t.deadline).min()
    }

    /// Every armed timer, sorted by kind.
    pub fn iter(&self) -> impl Iterator<Item = &Timer> {
        self.armed.iter()
    }

    /// Disarms and returns every timer due at `now`, earliest first (ties in
    /// kind order), so that firing them is deterministic.
    pub fn take_due(&mut self, now: Millis) -> Vec<TimerKind> {
        let mut due: Vec<Timer> = self
            .armed
            .iter()
            .filter(|t| t.deadline <= now)
            .copied()
            .collect();
        self.armed.retain(|t| t.deadline > now);
        due.sort_by_key(|t| (t.deadline, t.kind));
        due.into_iter().map(|t| t.kind).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_deadline_is_the_minimum_and_due_timers_fire_in_time_order() {
        let mut timers = Timers::default();
        timers.set(TimerKind::KillGrace, Millis(500));
        timers.set(TimerKind::Respawn(ServiceId(2)), Millis(300));
        timers.set(TimerKind::FinalService(ServiceId(1)), Millis(300));
        assert_eq!(timers.next_deadline(), Some(Millis(300)));
        assert_eq!(timers.take_due(Millis(299)), vec![]);
        assert_eq!(
            timers.take_due(Millis(400)),
            vec![
                TimerKind::Respawn(ServiceId(2)),
                TimerKind::FinalService(ServiceId(1))
            ]
        );
        assert_eq!(timers.next_deadline(), Some(Millis(500)));
    }

    #[test]
    fn setting_a_kind_again_moves_its_deadline() {
        let mut timers = Timers::default();
        timers.set(TimerKind::KillGrace, Millis(500));
        timers.set(TimerKind::KillGrace, Millis(100));
        assert_eq!(timers.iter().count(), 1);
        assert_eq!(timers.next_deadline(), Some(Millis(100)));
        timers.cancel_service(ServiceId(0));
        assert_eq!(timers.iter().count(), 1);
        timers.cancel(TimerKind::KillGrace);
        assert_eq!(timers.next_deadline(), None);
    }
}

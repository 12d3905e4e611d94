//! The supervisor's timer table: one deadline per timer kind.
//!
//! Owns which timers exist and which is due next. It does not decide what a
//! timer means when it fires; the supervisor does.

use std::collections::BTreeSet;

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
    /// A stopping service has had its stop timeout to exit; KILL follows.
    StopTimeout(ServiceId),
    /// A service that declares readiness has had its ready timeout.
    Ready(ServiceId),
    /// What a service's main process left behind has had its time to go
    /// after a signal (`leftovers.rs`).
    Leftovers(ServiceId),
}

impl TimerKind {
    pub fn service(self) -> Option<ServiceId> {
        match self {
            TimerKind::Respawn(id)
            | TimerKind::FinalService(id)
            | TimerKind::StopTimeout(id)
            | TimerKind::Ready(id)
            | TimerKind::Leftovers(id) => Some(id),
            TimerKind::KillGrace => None,
        }
    }
}

/// One armed timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timer {
    pub kind: TimerKind,
    pub deadline: Millis,
}

/// The armed timers, at most one per kind, kept sorted by kind so that the
/// table (and its serialised form) does not depend on arming order. A
/// second index by deadline makes every operation O(log n), so that
/// thousands of services with a timer each cost no scans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers {
    /// Ordered by kind first, and there is one timer per kind.
    armed: BTreeSet<Timer>,
    /// The same timers ordered by deadline, ties in kind order.
    by_deadline: BTreeSet<(Millis, TimerKind)>,
}

impl Timers {
    /// Arms `kind` at `deadline`, replacing any earlier deadline of that kind.
    pub fn set(&mut self, kind: TimerKind, deadline: Millis) {
        self.cancel(kind);
        self.armed.insert(Timer { kind, deadline });
        self.by_deadline.insert((deadline, kind));
    }

    pub fn cancel(&mut self, kind: TimerKind) {
        if let Some(timer) = self.get(kind) {
            self.armed.remove(&timer);
            self.by_deadline.remove(&(timer.deadline, kind));
        }
    }

    pub fn is_armed(&self, kind: TimerKind) -> bool {
        self.get(kind).is_some()
    }

    /// When `kind` is due, if it is armed.
    pub fn deadline(&self, kind: TimerKind) -> Option<Millis> {
        self.get(kind).map(|t| t.deadline)
    }

    /// Cancels every timer that belongs to `service`.
    pub fn cancel_service(&mut self, service: ServiceId) {
        self.cancel(TimerKind::Respawn(service));
        self.cancel(TimerKind::FinalService(service));
        self.cancel(TimerKind::StopTimeout(service));
        self.cancel(TimerKind::Ready(service));
    }

    /// Keeps only the timers whose kind `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(TimerKind) -> bool) {
        self.armed.retain(|t| keep(t.kind));
        self.by_deadline.retain(|&(_, kind)| keep(kind));
    }

    pub fn clear(&mut self) {
        self.armed.clear();
        self.by_deadline.clear();
    }

    /// The earliest deadline, if any timer is armed.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.by_deadline.first().map(|&(deadline, _)| deadline)
    }

    /// Every armed timer, sorted by kind.
    pub fn iter(&self) -> impl Iterator<Item = &Timer> {
        self.armed.iter()
    }

    /// Disarms and returns every timer due at `now`, earliest first (ties in
    /// kind order), so that firing them is deterministic.
    /// The timers due at `now`, in the order `take_due` takes them.
    pub fn due(&self, now: Millis) -> impl Iterator<Item = TimerKind> + '_ {
        self.by_deadline
            .iter()
            .take_while(move |&&(deadline, _)| deadline <= now)
            .map(|&(_, kind)| kind)
    }

    pub fn take_due(&mut self, now: Millis) -> Vec<TimerKind> {
        let mut due = Vec::new();
        while let Some(&(deadline, kind)) = self.by_deadline.first() {
            if deadline > now {
                break;
            }
            self.by_deadline.pop_first();
            self.armed.remove(&Timer { kind, deadline });
            due.push(kind);
        }
        due
    }

    /// The armed timer of `kind`, if any.
    fn get(&self, kind: TimerKind) -> Option<Timer> {
        let lowest = Timer {
            kind,
            deadline: Millis(0),
        };
        self.armed
            .range(lowest..)
            .next()
            .filter(|t| t.kind == kind)
            .copied()
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

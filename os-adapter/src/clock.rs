//! Real time for the core: a monotonic clock read as milliseconds since
//! init started.
//!
//! Owns the one place the adapter reads a clock. Monotonic, so setting the
//! wall clock (hwclock, ntp) at boot never moves a timeout.

use std::time::{Duration, Instant};

use init_core::events::Millis;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: Instant,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            started: Instant::now(),
        }
    }

    /// Goes on from a clock that read `at` a moment `since` ago (across a
    /// re-exec), so that the core's deadlines keep their meaning.
    pub fn resume(at: Millis, since: Duration) -> Clock {
        let behind = Duration::from_millis(at.0).saturating_add(since);
        let now = Instant::now();
        Clock {
            started: now.checked_sub(behind).unwrap_or(now),
        }
    }

    pub fn now(&self) -> Millis {
        Millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// How long from now until `deadline`, rounded up to whole milliseconds
    /// so that a timer never fires early; zero if it has passed.
    pub fn until(&self, deadline: Millis) -> Duration {
        let elapsed = self.started.elapsed();
        let deadline = Duration::from_millis(deadline.0);
        let left = deadline.saturating_sub(elapsed);
        let whole_ms = left.as_micros().div_ceil(1000);
        Duration::from_millis(u64::try_from(whole_ms).unwrap_or(u64::MAX))
    }
}

//! Restart backoff: how long a respawn waits, and when a crash-looping
//! service counts as healthy again.
//!
//! Owns the delay and the respawn window's reset of the run count. It
//! does not decide whether a service respawns (`process.rs` does).

use super::entry::Entry;
use crate::events::Millis;

/// Init's defaults for the delay: `respawn-delay` and `respawn-delay-max`
/// of a service that does not set its own.
#[derive(Debug, Clone, Copy)]
pub(super) struct Defaults {
    pub delay_ms: u64,
    pub delay_max_ms: u64,
}

/// The delay before the next respawn, counted from the last spawn:
/// `respawn-delay` doubled for every short run in a row, up to
/// `respawn-delay-max` (a cap below the delay is the delay, so a cap equal
/// to it keeps the delay constant, as in the original). Advances the step
/// for the respawn after this one.
pub(super) fn next_respawn_delay_ms(entry: &mut Entry, defaults: Defaults) -> u64 {
    let (base_ms, cap_ms) = base_and_cap_ms(entry, defaults);
    let factor = 1u64.checked_shl(entry.backoff_step).unwrap_or(u64::MAX);
    let delay_ms = base_ms.saturating_mul(factor).min(cap_ms);
    if delay_ms < cap_ms {
        entry.backoff_step = entry.backoff_step.saturating_add(1);
    }
    delay_ms
}

/// A process of this service exited `now`. A run that lasted the
/// respawn window starts a new series: its run counts as the first
/// toward the limit, and the delay drops to the base. Without a window
/// only the delay drops, once a run outlasted the cap.
pub(super) fn note_run_length(entry: &mut Entry, now: Millis, defaults: Defaults) {
    let Some(spawned_at) = entry.status.spawned_at else {
        return;
    };
    let ran_ms = now.ms_since(spawned_at);
    if let Some(window_ms) = entry.status.def.settings.respawn_window_ms {
        if ran_ms >= window_ms {
            entry.status.runs = entry.status.runs.min(1);
            entry.backoff_step = 0;
        }
        return;
    }
    let (_, cap_ms) = base_and_cap_ms(entry, defaults);
    if ran_ms >= cap_ms {
        entry.backoff_step = 0;
    }
}

/// The service's base delay and cap, its own or init's.
fn base_and_cap_ms(entry: &Entry, defaults: Defaults) -> (u64, u64) {
    let settings = &entry.status.def.settings;
    let base_ms = settings.respawn_delay_ms.unwrap_or(defaults.delay_ms);
    let cap_ms = settings
        .respawn_delay_max_ms
        .unwrap_or(defaults.delay_max_ms)
        .max(base_ms);
    (base_ms, cap_ms)
}

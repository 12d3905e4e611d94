//! Restart backoff: how long a respawn waits, and when a crash-looping
//! service counts as healthy again.
//!
//! Owns the delay and the respawn window's reset of the run count. It
//! does not decide whether a service respawns (`process.rs` does).

use super::entry::Entry;
use crate::events::Millis;

/// The delay before the next respawn, counted from the last spawn:
/// `respawn-delay` doubled for every short run in a row, up to
/// `respawn-delay-max`. Without a cap the delay stays constant, as in
/// the original. Advances the step for the respawn after this one.
pub(super) fn next_respawn_delay_ms(entry: &mut Entry, default_delay_ms: u64) -> u64 {
    let settings = &entry.status.def.settings;
    let base_ms = settings.respawn_delay_ms.unwrap_or(default_delay_ms);
    let cap_ms = settings
        .respawn_delay_max_ms
        .unwrap_or(base_ms)
        .max(base_ms);
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
pub(super) fn note_run_length(entry: &mut Entry, now: Millis) {
    let Some(spawned_at) = entry.status.spawned_at else {
        return;
    };
    let ran_ms = now.saturating_sub(spawned_at);
    let settings = &entry.status.def.settings;
    if let Some(window_ms) = settings.respawn_window_ms {
        if ran_ms >= window_ms {
            entry.status.runs = entry.status.runs.min(1);
            entry.backoff_step = 0;
        }
        return;
    }
    let cap_ms = settings.respawn_delay_max_ms.unwrap_or(0);
    if cap_ms > 0 && ran_ms >= cap_ms {
        entry.backoff_step = 0;
    }
}

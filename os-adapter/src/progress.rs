//! The boot progress line: on a terminal console, once the boot has taken
//! [`SHOW_AFTER_MS`], one line naming the services the boot still waits
//! for, `boot: 3 pending (a, b, c) 4.2s`, redrawn every [`REDRAW_EVERY_MS`]
//! and cleared when the boot target completes.
//!
//! Owns when the line is due and what it says. Which services are pending
//! is the core's answer (`Supervisor::pending_in_run`); drawing it is the
//! console's job. These intervals are presentation, not policy: nothing
//! the supervisor decides depends on them.

use init_core::events::Millis;

/// A boot shorter than this shows no line at all.
pub const SHOW_AFTER_MS: u64 = 2000;

/// How often the line is redrawn (its time ticks on).
pub const REDRAW_EVERY_MS: u64 = 1000;

/// Used when the terminal does not say its width (a serial console says 0).
pub const DEFAULT_WIDTH: usize = 80;

/// Whether the line is still to come, shown, or over for this boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootProgress {
    /// The console is no terminal: never a line (rewriting in place makes
    /// no sense in a log file or on a pipe).
    Off,
    /// The first line is due at this time.
    Before(Millis),
    /// Shown; redrawn at this time.
    Showing(Millis),
    /// The boot target completed, or another target took over.
    Done,
}

impl BootProgress {
    pub fn new(console_is_terminal: bool) -> BootProgress {
        if console_is_terminal {
            BootProgress::Before(Millis(SHOW_AFTER_MS))
        } else {
            BootProgress::Off
        }
    }

    /// When the driver should wake up for the next line.
    pub fn deadline(self) -> Option<Millis> {
        match self {
            BootProgress::Before(at) | BootProgress::Showing(at) => Some(at),
            BootProgress::Off | BootProgress::Done => None,
        }
    }

    /// Whether a line is due at `now`; if so, the next one is scheduled.
    pub fn take_due(&mut self, now: Millis) -> bool {
        match *self {
            BootProgress::Before(at) | BootProgress::Showing(at) if at <= now => {
                *self = BootProgress::Showing(Millis(now.0 + REDRAW_EVERY_MS));
                true
            }
            _ => false,
        }
    }

    /// Past its first line and not over: a line taken down by another
    /// console line is to be drawn again at once, with fresh names.
    pub fn is_showing(self) -> bool {
        matches!(self, BootProgress::Showing(_))
    }

    /// No more lines for this boot.
    pub fn finish(&mut self) {
        if *self != BootProgress::Off {
            *self = BootProgress::Done;
        }
    }
}

/// `boot: 3 pending (a, b, c) 4.2s`, at most `width - 1` characters (the
/// last column is left free, so the terminal never wraps). Names that do
/// not fit give way to `+N more`.
pub fn progress_line(pending: &[&str], elapsed: Millis, width: usize) -> String {
    let limit = width.saturating_sub(1).max(20);
    let time = format!("{}.{}s", elapsed.0 / 1000, elapsed.0 % 1000 / 100);
    let head = format!("boot: {} pending", pending.len());
    for shown in (0..=pending.len()).rev() {
        let mut names = pending[..shown].join(", ");
        let hidden = pending.len() - shown;
        if hidden > 0 {
            if !names.is_empty() {
                names.push_str(", ");
            }
            names.push_str(&format!("+{hidden} more"));
        }
        let line = format!("{head} ({names}) {time}");
        if line.chars().count() <= limit {
            return line;
        }
    }
    // Even `+N more` does not fit: the count and the time must.
    let line = format!("{head} {time}");
    line.chars().take(limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_what_is_pending_with_the_time() {
        assert_eq!(
            progress_line(&["a", "b", "c"], Millis(4234), 80),
            "boot: 3 pending (a, b, c) 4.2s"
        );
    }

    #[test]
    fn names_that_do_not_fit_are_counted() {
        let names = ["network_manager", "sshd_keygen", "dhcpcd@eth0", "ntpd"];
        let line = progress_line(&names, Millis(12_000), 50);
        assert_eq!(line, "boot: 4 pending (network_manager, +3 more) 12.0s");
        assert!(line.chars().count() < 50);
        assert_eq!(
            progress_line(&names, Millis(12_000), 30),
            "boot: 4 pending 12.0s"
        );
    }

    #[test]
    fn the_line_comes_after_two_seconds_then_every_second_until_finished() {
        let mut progress = BootProgress::new(true);
        assert!(!progress.take_due(Millis(1999)));
        assert!(!progress.is_showing());
        assert!(progress.take_due(Millis(2000)));
        assert!(progress.is_showing());
        assert_eq!(progress.deadline(), Some(Millis(3000)));
        assert!(!progress.take_due(Millis(2500)));
        assert!(progress.take_due(Millis(3100)));
        progress.finish();
        assert_eq!(progress.deadline(), None);
        assert!(!progress.take_due(Millis(10_000)));
    }

    #[test]
    fn no_terminal_no_line() {
        let mut progress = BootProgress::new(false);
        assert_eq!(progress.deadline(), None);
        assert!(!progress.take_due(Millis(60_000)));
    }
}

//! How `service` dresses its text for people: colour for states, only when
//! stdout is a terminal and `NO_COLOR` is not set, and short uptimes.
//!
//! Owns no content: with colour off the text is byte for byte what it would
//! be anyway, and JSON never passes through here.

use std::io::IsTerminal;

use init_core::events::ServiceState;
use init_core::protocol::ServiceEntry;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Whether to colour, decided once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    On,
    Off,
}

impl Colour {
    /// On only when stdout is a terminal and `NO_COLOR` is unset or empty
    /// (<https://no-color.org>).
    pub fn for_stdout() -> Colour {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Colour::decide(std::io::stdout().is_terminal(), no_color)
    }

    fn decide(stdout_is_terminal: bool, no_color: bool) -> Colour {
        if stdout_is_terminal && !no_color {
            Colour::On
        } else {
            Colour::Off
        }
    }

    /// `text` (already padded, so colour codes do not upset the columns)
    /// in the colour of the service's state.
    pub fn state(self, service: &ServiceEntry, text: &str) -> String {
        let code = match (self, state_colour(service)) {
            (Colour::On, Some(code)) => code,
            _ => return text.to_string(),
        };
        // The padding stays outside the colour, so underlined or inverted
        // themes do not paint the gap.
        let trimmed = text.trim_end();
        let padding = &text[trimmed.len()..];
        format!("{code}{trimmed}{RESET}{padding}")
    }
}

/// Red for a failure, green for what runs or ran fine, yellow for what is
/// on its way; nothing for inactive and stopped.
fn state_colour(service: &ServiceEntry) -> Option<&'static str> {
    let exited_badly = service.exit_status.is_some_and(|exit| !exit.success());
    match service.state {
        ServiceState::Failed => Some(RED),
        ServiceState::Done if exited_badly => Some(RED),
        ServiceState::Running if service.ready == Some(false) => Some(YELLOW),
        ServiceState::Running | ServiceState::Done => Some(GREEN),
        ServiceState::Waiting
        | ServiceState::Starting
        | ServiceState::Restarting
        | ServiceState::Stopping => Some(YELLOW),
        ServiceState::Inactive | ServiceState::Stopped => None,
    }
}

/// How long a live process has run, for a table: the two largest units,
/// `45s`, `3m12s`, `2h05m`, `3d04h`.
pub fn format_uptime(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{:02}s", s % 60)
    } else {
        format!("{s}s")
    }
}

/// The uptime of a live process, if init said what time it is.
pub fn uptime_ms(service: &ServiceEntry, now_ms: Option<u64>) -> Option<u64> {
    service.pid?;
    Some(now_ms?.saturating_sub(service.spawned_at_ms?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert_eq!(Colour::decide(true, false), Colour::On);
        assert_eq!(Colour::decide(true, true), Colour::Off);
        assert_eq!(Colour::decide(false, false), Colour::Off);
    }

    #[test]
    fn uptimes_show_two_units() {
        assert_eq!(format_uptime(999), "0s");
        assert_eq!(format_uptime(45_000), "45s");
        assert_eq!(format_uptime(192_000), "3m12s");
        assert_eq!(format_uptime(7_500_000), "2h05m");
        assert_eq!(format_uptime(273_600_000), "3d04h");
    }
}

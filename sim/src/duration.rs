//! Durations in scenarios: the same text form service files use, so that a
//! scenario and a service file never disagree about what `2s` means.

pub use init_core::duration::{format_duration_ms, parse_duration_ms};

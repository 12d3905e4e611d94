//! cargo-fuzz target: see `src/events.rs` for the property checked.
#![no_main]

#[path = "../src/events.rs"]
mod events;

libfuzzer_sys::fuzz_target!(|data: &[u8]| events::core_events(data));

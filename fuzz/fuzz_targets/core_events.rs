//! cargo-fuzz target: see `init_sim::fuzz::targets::core_events`
//! (sim/src/fuzz/targets.rs) for the property checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| init_sim::fuzz::targets::core_events(data));

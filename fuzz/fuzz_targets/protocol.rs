//! cargo-fuzz target: see `src/parsers.rs` for the property checked.
#![no_main]

#[path = "../src/parsers.rs"]
#[allow(dead_code)] // each target uses one entry point
mod parsers;

libfuzzer_sys::fuzz_target!(|data: &[u8]| parsers::protocol(data));

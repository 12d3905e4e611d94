//! cargo-fuzz target: the supervisor driven by events the input bytes
//! choose, checked against init-sim's invariants (sim/src/bytes.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = init_sim::bytes::run_bytes(data) {
        panic!("an invariant broke:\n{broken}");
    }
});

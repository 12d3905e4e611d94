//! The core driven by raw bytes (sim/src/bytes.rs, the libFuzzer
//! `core_bytes` target's body) keeps every invariant: on random inputs, on
//! the committed fuzz corpus, and on the inputs the long runs found.

use std::fs;
use std::path::PathBuf;

use init_sim::bytes::run_bytes;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_event_sequences_keep_every_invariant(
        data in proptest::collection::vec(any::<u8>(), 0..400)
    ) {
        if let Err(broken) = run_bytes(&data) {
            panic!("input {data:?}\n{broken}");
        }
    }
}

#[test]
fn the_core_bytes_corpus_keeps_every_invariant() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/core_bytes");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let data = fs::read(entry.path()).unwrap();
        if let Err(broken) = run_bytes(&data) {
            panic!("{}\n{broken}", entry.path().display());
        }
        seen += 1;
    }
    assert!(seen > 0, "no seed corpus in {}", dir.display());
}

/// Found by the proptest above: a reload moved a live respawn service
/// (never ready) to the shutdown target as a milestone; its process
/// ended, the core respawned it by its old type into the new definition
/// (a shutdown milestone reached during boot), and a second reload moving
/// it back found it satisfied while the checker still waited for it. The
/// end of a process whose service a reload made something else is now
/// the end of the old definition: no respawn.
#[test]
fn a_respawn_service_a_reload_moved_away_is_not_respawned_into_it() {
    let data = [
        6u8, 208, 92, 0, 200, 0, 0, 0, 0, 0, 0, 8, 2, 64, 8, 128, 136, 0, 128, 24, 50, 82, 90, 255,
        96, 0, 32, 96, 0, 0, 42, 0, 192, 0, 0, 0, 24, 174, 20, 242, 71, 50, 1, 32, 10, 0, 64, 15,
        0, 110, 0, 122, 0, 8, 0, 128,
    ];
    if let Err(broken) = run_bytes(&data) {
        panic!("{broken}");
    }
}

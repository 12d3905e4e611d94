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
/// the end of the old definition: no respawn, and the new definition
/// takes over as a service that was not running.
///
/// The others came while the rule was made: a respawn owed when the
/// reload came (taken over at once), one held back for leftovers after an
/// admin start, a respawn service made a `wait` one of the boot that runs
/// again as one, and a failed spawn under a reload.
#[rstest::rstest]
#[case(&[
    6, 208, 92, 0, 200, 0, 0, 0, 0, 0, 0, 8, 2, 64, 8, 128, 136, 0, 128, 24, 50, 82, 90, 255, 96,
    0, 32, 96, 0, 0, 42, 0, 192, 0, 0, 0, 24, 174, 20, 242, 71, 50, 1, 32, 10, 0, 64, 15, 0, 110,
    0, 122, 0, 8, 0, 128,
])]
#[case(&[
    2, 47, 0, 0, 0, 77, 0, 136, 20, 134, 88, 11, 2, 74, 0, 0, 0, 162, 0, 64, 8, 32, 0, 0, 116, 37,
    183, 0, 0, 142, 20, 0, 246, 4, 96, 9, 0, 0, 158, 0, 24, 157, 20, 0, 64, 1, 0, 30, 0, 32, 8, 0,
    0, 192, 7, 0, 218, 39, 0, 0, 0, 0, 0, 0, 8, 0, 0, 32, 0, 160, 224, 0, 52, 0, 30, 0, 170, 186,
    93, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 128,
])]
#[case(&[
    0, 5, 8, 0, 8, 0, 0, 160, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 0, 148, 6, 126, 0, 32, 0, 0, 122,
    126, 114, 0, 0, 0, 0, 0, 30, 0, 32, 150, 0,
])]
#[case(&[0, 19, 17, 0, 8, 0, 0, 0, 24, 30, 0, 64, 0, 16, 182, 137, 218, 0, 114])]
#[case(&[
    152, 38, 96, 0, 0, 201, 0, 64, 8, 0, 216, 0, 0, 32, 36, 0, 222, 0, 186, 4, 92, 0, 0, 0, 0, 0,
    17, 0, 0, 159, 64, 64, 0, 0, 0, 8, 0, 0, 24, 0, 142, 0, 42, 39, 86, 51, 42, 0, 186, 7, 15, 0,
    64, 0, 0, 0, 10, 0, 108, 0, 0, 10, 202, 54, 51,
])]
fn a_respawn_service_a_reload_made_something_else_is_taken_over(#[case] data: &[u8]) {
    if let Err(broken) = run_bytes(data) {
        panic!("{broken}");
    }
}

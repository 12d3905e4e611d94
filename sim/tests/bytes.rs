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

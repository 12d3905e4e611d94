//! The supervisor fuzz entry point (`init_sim::fuzz::targets::core_events`,
//! the body of the core_events cargo-fuzz target) as a fast, deterministic
//! CI check: the committed seed corpus and a fixed range of seeds through
//! init-sim's invariant checker, plus what the long libFuzzer runs found,
//! kept as regressions.

use std::fs;
use std::path::PathBuf;

use init_sim::fuzz::targets::core_events;

#[test]
fn the_core_events_corpus_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/core_events");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let bytes = fs::read(entry.path()).unwrap();
        core_events(&bytes);
        seen += 1;
    }
    assert!(seen > 0, "no seed corpus in {}", dir.display());
}

/// A fixed range, so that CI never turns red by chance: the random search
/// is the long run's job.
#[test]
fn a_fixed_range_of_generated_timelines_keeps_every_invariant() {
    for seed in 0u64..150 {
        let mut bytes = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .to_le_bytes()
            .to_vec();
        bytes.push(seed as u8);
        core_events(&bytes);
    }
}

/// Found by the libFuzzer run of core_events within a thousand
/// executions (its input is kept in the corpus as
/// `regression-sequential-stop`), shrunk by `init-sim fuzz`: in sequential
/// mode, an admin stop of a service that waits for a running `wait`
/// service let the next service in the order start before its own
/// predecessor was done. Fixed in the supervisor by b84305a.
#[test]
fn sequential_stop_of_a_waiting_service_keeps_the_order() {
    let scenario = "\
option sequential
template s1
  type wait
  target boot
  exec sleep 2.448s
  exec prog1 --flag
end
enable s1
template p2
  description instance %0 of p2
  type wait
  target boot
  after s0 s1
  exec prog2 --flag
end
enable p2@a
enable p2@b
at 0.921s control stop p2@a
";
    let violation = init_sim::fuzz::first_violation(scenario, Some(126_444_105_641_513));
    assert_eq!(violation, None);
}

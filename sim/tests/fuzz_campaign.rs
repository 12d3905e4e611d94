//! A fixed campaign of the fuzzer: seeds `0..N` at the default size, every
//! one of which must parse, run and keep every invariant. This is what
//! `bench/mutants` runs as "the fuzzer alone" against mutated cores; N is
//! `INIT_SIM_FUZZ_SEEDS` (default 300, a few seconds in a debug build).

use std::ops::ControlFlow;

use init_sim::fuzz;

#[test]
fn a_fixed_campaign_of_seeds_runs_and_keeps_every_invariant() {
    let seeds = std::env::var("INIT_SIM_FUZZ_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    // The first failure ends the campaign: under a broken core every seed
    // may fail, and shrinking each would take minutes.
    let mut failure = None;
    let summary = fuzz::campaign(0, seeds, fuzz::DEFAULT_SERVICES, |f| {
        failure = Some(format!("seed {}: {}\n{}", f.seed, f.problem, f.reproducer));
        ControlFlow::Break(())
    });
    if let Some(failure) = failure {
        panic!("{failure}");
    }
    assert_eq!(summary.ran, seeds, "{summary:?}");
}

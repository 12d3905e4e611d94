//! Fuzz entry point for the supervisor: the input bytes choose a generated
//! scenario (service graph, fault probabilities, a timeline of exits,
//! crashes, admin requests, reloads and power requests) that init-sim runs
//! against its invariant checker. Any violation panics with the seed.
//!
//! Shared as source: the cargo-fuzz target calls this, and
//! bins/tests/reliability_fuzz_core.rs includes it to run the same check
//! under proptest in CI.

use init_sim::fuzz::{check, generate};

/// At most this many services per scenario: small graphs keep each
/// execution fast (millions of runs), and the swarm knobs still reach
/// every feature.
pub const MAX_SERVICES: usize = 12;

/// Bytes 0..8 are the seed (little-endian, zero-padded), byte 8 the number
/// of services.
pub fn seed_and_services(data: &[u8]) -> (u64, usize) {
    let mut seed = [0u8; 8];
    let n = data.len().min(8);
    seed[..n].copy_from_slice(&data[..n]);
    let services = data
        .get(8)
        .map_or(4, |b| usize::from(*b) % MAX_SERVICES + 1);
    (u64::from_le_bytes(seed), services)
}

/// Runs the scenario the bytes choose; panics on any invariant violation,
/// and on a generated scenario that does not parse (a seed that never
/// ran must not pass).
pub fn core_events(data: &[u8]) {
    let (seed, services) = seed_and_services(data);
    let text = generate(seed, services);
    let problem = match check(&text, Some(seed)) {
        Ok(None) => return,
        Ok(Some(violation)) => format!("breaks an invariant: {violation}"),
        Err(error) => format!("gives a scenario that does not parse: {error}"),
    };
    panic!(
        "seed {seed} with {services} services {problem}\n\
         reproduce: init-sim fuzz --start {seed} --seeds 1 --services {services}\n{text}"
    );
}

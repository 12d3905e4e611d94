//! The bodies of the cargo-fuzz (libFuzzer) targets in `fuzz/`: each
//! takes any bytes, checks a property, and panics when it breaks. The
//! byte-level inputs of the core (service files, env files, control
//! requests) and the supervisor under a generated scenario the bytes
//! choose; `crate::bytes` is the body of `core_bytes`.
//!
//! Owns the properties and nothing else: no I/O. The CI tests
//! (sim/tests/fuzz_regressions.rs, bins/tests/reliability_fuzz_core.rs)
//! run the same functions on the committed corpus and under proptest.

use init_core::envfile::parse_env_file;
use init_core::name::EnabledName;
use init_core::parse::parse_service;
use init_core::protocol::{decode_request, encode_request, DecodeError, MAX_REQUEST_BYTES};

use super::{check, generate};

/// The service-file parser: total, and a file it accepts has a name and
/// no error among its diagnostics.
pub fn service_file(data: &[u8]) {
    // Plain and parameterised: `%0` substitution takes a different path.
    for enabled in ["fuzzed", "fuzzed@tty1"] {
        let name = EnabledName::parse(enabled).expect("a valid enabled name");
        let parsed = parse_service("fuzzed", data, &name);
        if let Some(service) = &parsed.service {
            assert_eq!(service.name, enabled, "the service keeps its enabled name");
        }
        for diagnostic in &parsed.diagnostics {
            // Every diagnostic renders (FILE:LINE: message) without panicking.
            let _ = diagnostic.to_string();
        }
    }
}

/// The env-file parser: total, and every value it keeps is one a service
/// can be given (no NUL, no newline, a non-empty key without `=`), each
/// key once.
pub fn env_file(data: &[u8]) {
    let env = parse_env_file("fuzzed.env", data);
    let mut keys: Vec<&str> = env.vars.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), env.vars.len(), "a key twice");
    for (key, value) in &env.vars {
        assert!(!key.is_empty(), "empty key from {data:?}");
        assert!(!key.contains(['=', '\0', '\n']), "bad key {key:?}");
        assert!(!value.contains(['\0', '\n']), "bad value {value:?}");
    }
    for diagnostic in &env.diagnostics {
        let _ = diagnostic.to_string();
    }
}

/// The control protocol decoder: total and bounded, and whatever it
/// accepts survives an encode/decode round trip unchanged.
pub fn protocol(data: &[u8]) {
    match decode_request(data) {
        Ok(request) => {
            assert!(data.len() <= MAX_REQUEST_BYTES);
            let line = encode_request(&request);
            let again = decode_request(line.strip_suffix(b"\n").unwrap_or(&line))
                .expect("an encoded request decodes");
            assert_eq!(again, request);
        }
        Err(DecodeError::TooLarge) => assert!(data.len() > MAX_REQUEST_BYTES),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

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

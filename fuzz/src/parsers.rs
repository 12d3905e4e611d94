//! Fuzz entry points for the byte-level inputs of the core: service files,
//! env files and control requests. Each checks a property on any bytes and
//! panics when it breaks; it must never do I/O.
//!
//! Shared as source: the cargo-fuzz targets call these, and
//! core/tests/fuzz_regressions.rs includes this file so that the same
//! checks run under proptest and on the committed corpus in CI.

use init_core::envfile::parse_env_file;
use init_core::name::EnabledName;
use init_core::parse::parse_service;
use init_core::protocol::{decode_request, encode_request, DecodeError, MAX_REQUEST_BYTES};

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

//! The fuzz entry points of the byte-level inputs (service files, env
//! files, control requests) as fast CI checks: the committed seed corpus,
//! every crash input kept under fuzz/regressions/, and proptest-generated
//! bytes, each through the very function the cargo-fuzz target calls
//! (`init_sim::fuzz::targets`).

use std::fs;
use std::path::PathBuf;

use init_sim::fuzz::targets as parsers;
use proptest::prelude::*;

/// Every file of fuzz/corpus/TARGET and fuzz/regressions/TARGET.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let bytes = fs::read(entry.path()).unwrap();
            found.push((entry.path(), bytes));
        }
    }
    found.sort();
    found
}

fn replay(target: &str, entry: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no seed corpus for {target}");
    for (path, bytes) in inputs {
        if std::panic::catch_unwind(|| entry(&bytes)).is_err() {
            panic!("{} fails", path.display());
        }
    }
}

#[test]
fn the_service_file_corpus_passes() {
    replay("service_file", parsers::service_file);
}

#[test]
fn the_env_file_corpus_passes() {
    replay("env_file", parsers::env_file);
}

#[test]
fn the_protocol_corpus_passes() {
    replay("protocol", parsers::protocol);
}

/// Lines built from the words the parsers care about, so that generated
/// inputs get past the first byte more often than random bytes do.
fn line_soup() -> impl Strategy<Value = Vec<u8>> {
    let word = prop_oneof![
        Just("description".to_string()),
        Just("type".to_string()),
        Just("wait".to_string()),
        Just("respawn".to_string()),
        Just("limit".to_string()),
        Just("target".to_string()),
        Just("boot".to_string()),
        Just("%0".to_string()),
        Just("after".to_string()),
        Just("before".to_string()),
        Just("exec".to_string()),
        Just("tty".to_string()),
        Just("truncate".to_string()),
        Just("=".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        "[A-Za-z0-9_@/.%-]{0,8}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(
        prop::collection::vec(word, 0..6).prop_map(|words| words.join(" ")),
        0..12,
    )
    .prop_map(|lines| lines.join("\n").into_bytes())
}

fn request_soup() -> impl Strategy<Value = Vec<u8>> {
    let request = prop_oneof![
        Just("status"),
        Just("start"),
        Just("stop"),
        Just("restart"),
        Just("reload"),
        Just("shutdown"),
        Just("reboot"),
        Just("bogus"),
    ];
    (
        0u32..3,
        request,
        prop::collection::vec("\\PC{0,6}", 0..4),
        any::<bool>(),
    )
        .prop_map(|(version, request, patterns, extra)| {
            let patterns: Vec<String> = patterns.iter().map(|p| format!("{p:?}")).collect();
            let extra = if extra { ",\"extra\":[1,{}]" } else { "" };
            format!(
                "{{\"version\":{version},\"request\":\"{request}\",\"patterns\":[{}]{extra}}}",
                patterns.join(",")
            )
            .into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_are_a_service_file_or_a_diagnostic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parsers::service_file(&bytes);
    }

    #[test]
    fn keyword_soup_is_a_service_file_or_a_diagnostic(bytes in line_soup()) {
        parsers::service_file(&bytes);
    }

    #[test]
    fn any_bytes_are_an_env_file_or_a_diagnostic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parsers::env_file(&bytes);
    }

    #[test]
    fn keyword_soup_is_an_env_file_or_a_diagnostic(bytes in line_soup()) {
        parsers::env_file(&bytes);
    }

    #[test]
    fn any_bytes_are_a_request_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parsers::protocol(&bytes);
    }

    #[test]
    fn near_requests_decode_or_fail_cleanly(bytes in request_soup()) {
        parsers::protocol(&bytes);
    }
}

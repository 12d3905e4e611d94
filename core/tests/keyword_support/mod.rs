//! Parsing one keyword line in a minimal valid service, for the keyword
//! tests (`parse_lifecycle`, `parse_sandbox`).

#![allow(dead_code)] // each test file uses its own part of this

use init_core::parse::parse_service;
use init_core::{EnabledName, ServiceDef};

/// `text` after a `type`, `target` and `exec` line (so its first line is
/// line 4), parsed as `svc`: the service, if no error, and every
/// diagnostic as the user sees it.
pub fn parse(text: &str) -> (Option<ServiceDef>, Vec<String>) {
    let full = format!("type respawn\ntarget boot\nexec d\n{text}\n");
    let enabled = EnabledName::parse("svc").expect("a valid enabled name");
    let parsed = parse_service("svc", full.as_bytes(), &enabled);
    let rendered = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    (parsed.service, rendered)
}

/// The service `text` makes, insisting that it has no diagnostic.
pub fn service(text: &str) -> ServiceDef {
    let (service, diagnostics) = parse(text);
    assert_eq!(diagnostics, Vec::<String>::new(), "for {text:?}");
    service.expect("no errors, so a service")
}

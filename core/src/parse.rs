//! The service-file language of the original Pygos init.
//!
//! Owns turning the text of one file (plus its enabled name, for `%N`) into
//! a [`ServiceDef`] or `FILE:LINE: message` diagnostics. It reads no files:
//! the caller hands it bytes.
//!
//! STUB: the real parser is being written; this only keeps the API stable.

use crate::diag::Diagnostic;
use crate::name::EnabledName;
use crate::service::ServiceDef;

/// The result of parsing one file: the service if there was no error, and
/// every diagnostic (errors and warnings) in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub service: Option<ServiceDef>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one service file. `file` is the name used in diagnostics (usually
/// the path as the user gave it); `name` supplies the canonical name and the
/// argument that `%0` stands for. Never panics, whatever the bytes.
pub fn parse_service(file: &str, text: &[u8], name: &EnabledName) -> Parsed {
    let _ = (text, name);
    Parsed {
        service: None,
        diagnostics: vec![Diagnostic::error(file, 0, "parser not written yet")],
    }
}

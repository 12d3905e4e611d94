//! Writing results: stdout that survives a closed pipe, diagnostics and
//! errors on stderr.
//!
//! Owns the output conventions of `service`: the product on stdout,
//! `FILE:LINE: message` diagnostics as they are, other errors prefixed
//! `service: `.

use std::io::{self, Write};

use init_core::Diagnostic;

/// Writes the whole output at once. A closed pipe (`service list | head`)
/// is not an error worth a message.
pub fn print_stdout(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut text = String::new();
    for diagnostic in diagnostics {
        text.push_str(&diagnostic.to_string());
        text.push('\n');
    }
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

pub fn print_error(message: &str) {
    let _ = writeln!(io::stderr().lock(), "service: {message}");
}

/// A line of information on stderr, such as the summary of `verify`.
pub fn print_note(message: &str) {
    let _ = writeln!(io::stderr().lock(), "{message}");
}

/// Text that must stay on one line (a table cell, a script comment), with
/// each control character a description may hold through escapes turned
/// into a space.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

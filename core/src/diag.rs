//! Diagnostics that carry their place: `FILE:LINE[:COLUMN]: message`.
//!
//! Owns the shape and the rendering of configuration errors and warnings.
//! It does not decide what is an error; the parser and resolver do.

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is. Errors make a file (or `verify`) fail; warnings
/// are reported and the configuration is still used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One message about one place in one file.
///
/// `line` is 1-based; 0 means "the file as a whole" (for example a cycle, or
/// a bad file name), and is then left out of the rendering.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    /// 1-based column, where the parser knows it.
    pub column: Option<u32>,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &str, line: u32, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            column: None,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(file: &str, line: u32, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, line, message)
        }
    }

    pub fn with_column(mut self, column: u32) -> Self {
        self.column = Some(column);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        match self.severity {
            Severity::Error => write!(f, ": {}", self.message),
            Severity::Warning => write!(f, ": warning: {}", self.message),
        }
    }
}

/// The most diagnostics kept for one file. A file of garbage has one per
/// line: a megabyte of them would be a hundred thousand messages in PID 1's
/// memory and on its console, where the first few say all there is to
/// say. The rest are counted and named in one closing diagnostic.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 50;

/// The diagnostics of one file as a parser finds them, keeping the first
/// [`MAX_DIAGNOSTICS_PER_FILE`] and counting the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDiagnostics {
    kept: Vec<Diagnostic>,
    dropped: usize,
    dropped_an_error: bool,
}

impl FileDiagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if self.kept.len() < MAX_DIAGNOSTICS_PER_FILE {
            self.kept.push(diagnostic);
        } else {
            self.dropped += 1;
            self.dropped_an_error |= diagnostic.is_error();
        }
    }

    /// Whether any error was found, kept or not.
    pub fn has_errors(&self) -> bool {
        self.dropped_an_error || self.kept.iter().any(Diagnostic::is_error)
    }

    /// The diagnostics kept so far, to reorder them.
    pub fn kept_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.kept
    }

    /// The kept diagnostics, and one more for `file` that says how many
    /// were left out, if any: an error if one of them was.
    pub fn finish(self, file: &str) -> Vec<Diagnostic> {
        let mut all = self.kept;
        if self.dropped > 0 {
            let message = format!(
                "{} more problems not shown (at most {} are kept)",
                self.dropped, MAX_DIAGNOSTICS_PER_FILE
            );
            all.push(match self.dropped_an_error {
                true => Diagnostic::error(file, 0, message),
                false => Diagnostic::warning(file, 0, message),
            });
        }
        all
    }
}

/// One line for a file's diagnostics, for a console that must not scroll
/// a hundred lines past for one broken file: its first error (or, with
/// none, its first warning), and how many more there are.
pub fn summary_of(diagnostics: &[Diagnostic]) -> Option<Diagnostic> {
    let first = diagnostics
        .iter()
        .find(|d| d.is_error())
        .or(diagnostics.first())?;
    let mut summary = first.clone();
    let more = diagnostics.len() - 1;
    if more > 0 {
        summary.message.push_str(&format!(
            " (and {more} more; `service verify` shows them all)"
        ));
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column() {
        let d = Diagnostic::error("agetty", 3, "unknown keyword 'foo'").with_column(1);
        assert_eq!(d.to_string(), "agetty:3:1: unknown keyword 'foo'");
        let w = Diagnostic::warning("sshd", 0, "dependency 'x' is not enabled");
        assert_eq!(
            w.to_string(),
            "sshd: warning: dependency 'x' is not enabled"
        );
    }

    #[test]
    fn a_file_keeps_its_first_diagnostics_and_counts_the_rest() {
        let mut found = FileDiagnostics::default();
        for line in 1..=MAX_DIAGNOSTICS_PER_FILE as u32 {
            found.push(Diagnostic::warning("f", line, "w"));
        }
        assert!(!found.has_errors());
        assert_eq!(found.clone().finish("f").len(), MAX_DIAGNOSTICS_PER_FILE);
        found.push(Diagnostic::warning("f", 99, "w"));
        found.push(Diagnostic::error("f", 100, "e"));
        assert!(found.has_errors());
        let all = found.finish("f");
        assert_eq!(all.len(), MAX_DIAGNOSTICS_PER_FILE + 1);
        assert_eq!(
            all.last().map(ToString::to_string).as_deref(),
            Some("f: 2 more problems not shown (at most 50 are kept)")
        );
    }

    #[test]
    fn a_summary_is_the_first_error_and_a_count() {
        assert_eq!(summary_of(&[]), None);
        let one = [Diagnostic::warning("f", 2, "w")];
        assert_eq!(summary_of(&one).unwrap().to_string(), "f:2: warning: w");
        let many = [
            Diagnostic::warning("f", 1, "w"),
            Diagnostic::error("f", 3, "e").with_column(4),
            Diagnostic::error("f", 5, "e2"),
        ];
        assert_eq!(
            summary_of(&many).unwrap().to_string(),
            "f:3:4: e (and 2 more; `service verify` shows them all)"
        );
    }
}

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
}

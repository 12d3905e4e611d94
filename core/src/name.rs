//! Enabled service names: `BASE` or `BASE@ARG`.
//!
//! Owns the rule for which names are valid and how the argument is split
//! off: the one rule init's loader, `service enable` and the other tools
//! apply. It knows nothing of files or directories; the loader asks it
//! whether a directory entry is a service at all.

use std::fmt;

use serde::Serialize;

/// A service name as enabled, e.g. `agetty@tty1`.
///
/// `base` is the canonical name (`agetty`): the template it was made from and
/// the name that `after`/`before` refer to. `arg` is everything after the
/// first `@` and becomes `%0` in the file, as in the original, which passes
/// exactly one argument.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EnabledName {
    pub base: String,
    pub arg: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    BadBaseChar(char),
    EmptyBase,
    EmptyArg,
    BadArgChar(char),
    DotDotInArg,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "empty service name"),
            NameError::EmptyBase => write!(f, "nothing before '@' in the service name"),
            NameError::EmptyArg => write!(f, "nothing after '@' in the service name"),
            NameError::BadBaseChar(c) => write!(
                f,
                "{c:?} is not allowed in a service name (only A-Z, a-z, 0-9 and _)"
            ),
            NameError::BadArgChar(c) => {
                write!(f, "{c:?} is not allowed in a service argument")
            }
            NameError::DotDotInArg => write!(f, "'..' is not allowed in a service argument"),
        }
    }
}

impl std::error::Error for NameError {}

/// True for the characters a canonical name may hold: `[A-Za-z0-9_]`.
pub fn is_base_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl EnabledName {
    /// Parses `BASE` or `BASE@ARG`.
    ///
    /// The argument may hold any characters except `/`, `..` and control
    /// characters: the whole name is one file name, and since the base can
    /// never be empty or hold a `.`, a valid name never leaves its directory;
    /// nor does the argument where `%0` puts it into a path (`tty /dev/%0`),
    /// and no name can move a terminal that shows it.
    pub fn parse(s: &str) -> Result<EnabledName, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let (base, arg) = match s.split_once('@') {
            Some((base, arg)) => (base, Some(arg)),
            None => (s, None),
        };
        if base.is_empty() {
            return Err(NameError::EmptyBase);
        }
        if let Some(c) = base.chars().find(|c| !is_base_char(*c)) {
            return Err(NameError::BadBaseChar(c));
        }
        if let Some(arg) = arg {
            if arg.is_empty() {
                return Err(NameError::EmptyArg);
            }
            if let Some(c) = arg.chars().find(|c| *c == '/' || c.is_control()) {
                return Err(NameError::BadArgChar(c));
            }
            if arg.contains("..") {
                return Err(NameError::DotDotInArg);
            }
        }
        Ok(EnabledName {
            base: base.to_string(),
            arg: arg.map(str::to_string),
        })
    }

    /// The arguments `%0`, `%1`, ... stand for: the one argument, or none.
    pub fn args(&self) -> Vec<String> {
        self.arg.iter().cloned().collect()
    }
}

/// `text` (a name read from a directory, say) with each control character
/// escaped as Rust writes it (`\t`, `\u{1b}`), fit to be shown on a
/// terminal it must not drive.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for EnabledName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arg {
            Some(arg) => write!(f, "{}@{}", self.base, arg),
            None => write!(f, "{}", self.base),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_parameterised_names() {
        let n = EnabledName::parse("agetty@tty1").unwrap();
        assert_eq!(n.base, "agetty");
        assert_eq!(n.arg.as_deref(), Some("tty1"));
        assert_eq!(n.to_string(), "agetty@tty1");
        assert_eq!(EnabledName::parse("sshd_keygen").unwrap().arg, None);
        // Only the first '@' splits: the rest belongs to the argument.
        assert_eq!(
            EnabledName::parse("a@b@c").unwrap().arg.as_deref(),
            Some("b@c")
        );
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(EnabledName::parse(""), Err(NameError::Empty));
        assert_eq!(EnabledName::parse("@x"), Err(NameError::EmptyBase));
        assert_eq!(EnabledName::parse("x@"), Err(NameError::EmptyArg));
        assert_eq!(EnabledName::parse("a.b"), Err(NameError::BadBaseChar('.')));
        assert_eq!(EnabledName::parse("a-b"), Err(NameError::BadBaseChar('-')));
        assert_eq!(EnabledName::parse("a@b/c"), Err(NameError::BadArgChar('/')));
        assert_eq!(EnabledName::parse("x@.."), Err(NameError::DotDotInArg));
        assert_eq!(EnabledName::parse("x@a..b"), Err(NameError::DotDotInArg));
        assert_eq!(
            EnabledName::parse("x@tty\x1b[2J"),
            Err(NameError::BadArgChar('\x1b'))
        );
        // One dot is a name like any other.
        assert_eq!(
            EnabledName::parse("x@eth0.1").map(|n| n.arg),
            Ok(Some("eth0.1".to_string()))
        );
        assert_eq!(
            EnabledName::parse("..").unwrap_err(),
            NameError::BadBaseChar('.')
        );
    }

    #[test]
    fn printable_escapes_control_characters_only() {
        assert_eq!(printable("x@tty\x1b[2J\t1"), "x@tty\\u{1b}[2J\\t1");
        assert_eq!(printable("agetty@tty1"), "agetty@tty1");
    }
}

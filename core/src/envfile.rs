//! The environment file (`/etc/initd.env`): the whole environment services
//! get.
//!
//! Owns the `KEY=VALUE` language and nothing else: the adapter reads the
//! file (once per load, not per spawn) and hands the bytes over.
//!
//! Rules, one per line:
//! - blank lines and lines whose first non-blank character is `#` are
//!   ignored;
//! - otherwise the line is `KEY=VALUE`: KEY is `[A-Za-z_][A-Za-z0-9_]*`,
//!   VALUE is every byte after the first `=`, exactly, without the line's
//!   newline (the original kept it) and without a `\r` before it;
//! - a key given twice keeps its last value (with a warning), in the place
//!   it first had.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, FileDiagnostics};

/// The parsed file: the variables in file order, and what was wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFile {
    pub vars: Vec<(String, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl EnvFile {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a key the env file and `env` lines accept.
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses the file. `file` names it in diagnostics. Bad lines are reported
/// as errors and skipped; the rest is still used.
pub fn parse_env_file(file: &str, text: &[u8]) -> EnvFile {
    let mut env = EnvFile::default();
    let mut diagnostics = FileDiagnostics::default();
    // Where each key sits in `vars`, so that a file of many lines stays
    // linear (a scan per line made it quadratic).
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            diagnostics.push(Diagnostic::error(file, line_no, "line is not UTF-8"));
            continue;
        };
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            diagnostics.push(Diagnostic::error(
                file,
                line_no,
                "expected KEY=VALUE (no '=' on the line)",
            ));
            continue;
        };
        if !is_valid_key(key) {
            diagnostics.push(Diagnostic::error(
                file,
                line_no,
                format!("{key:?} is not a valid variable name"),
            ));
            continue;
        }
        // A NUL cannot travel through execve: the value would be cut there.
        if value.contains('\0') {
            diagnostics.push(Diagnostic::error(
                file,
                line_no,
                format!("the value of {key} holds a NUL byte"),
            ));
            continue;
        }
        match index_of.get(key).and_then(|&i| env.vars.get_mut(i)) {
            Some(existing) => {
                diagnostics.push(Diagnostic::warning(
                    file,
                    line_no,
                    format!("{key} is set again; the last value wins"),
                ));
                existing.1 = value.to_string();
            }
            None => {
                index_of.insert(key.to_string(), env.vars.len());
                env.vars.push((key.to_string(), value.to_string()));
            }
        }
    }
    env.diagnostics = diagnostics.finish(file);
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_exact_and_never_keep_the_newline() {
        let env = parse_env_file(
            "initd.env",
            b"# the environment\n\nPATH=/bin:/sbin\nGREETING= hello  world \nEMPTY=\nEQ=a=b\r\nLAST=x",
        );
        assert_eq!(
            env.vars,
            vec![
                ("PATH".to_string(), "/bin:/sbin".to_string()),
                ("GREETING".to_string(), " hello  world ".to_string()),
                ("EMPTY".to_string(), String::new()),
                ("EQ".to_string(), "a=b".to_string()),
                ("LAST".to_string(), "x".to_string()),
            ]
        );
        assert!(env.diagnostics.is_empty());
        assert_eq!(env.get("EQ"), Some("a=b"));
    }

    #[test]
    fn bad_lines_are_reported_with_their_place_and_skipped() {
        let env = parse_env_file(
            "initd.env",
            b"GOOD=1\nno equals sign\n1BAD=x\nGOOD=2\n  # indented comment\n\xff=1\n",
        );
        assert_eq!(env.vars, vec![("GOOD".to_string(), "2".to_string())]);
        let rendered: Vec<String> = env.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            rendered,
            vec![
                "initd.env:2: expected KEY=VALUE (no '=' on the line)",
                "initd.env:3: \"1BAD\" is not a valid variable name",
                "initd.env:4: warning: GOOD is set again; the last value wins",
                "initd.env:6: line is not UTF-8",
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn no_value_ever_holds_a_newline(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let env = parse_env_file("f", &bytes);
            for (key, value) in &env.vars {
                proptest::prop_assert!(!value.contains('\n') && !value.contains('\0'));
                proptest::prop_assert!(is_valid_key(key));
            }
        }
    }
}

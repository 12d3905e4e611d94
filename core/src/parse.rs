//! The service-file language of the original Pygos init (`docs/services.md`).
//!
//! Owns walking the lines of one file, tracking `exec { ... }` blocks and
//! filling in the defaults; `lex` splits a line and `keywords` gives each
//! keyword its meaning. Reads no files: the caller hands it bytes.

mod keywords;
mod lex;
mod sandbox_keywords;
mod suggest;

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, FileDiagnostics};
use crate::name::EnabledName;
use crate::service::{ServiceDef, ServiceType, Target};

use keywords::{command, find_keyword, opens_block, Draft, Line, Repeat, KEYWORDS};
use lex::{lex_line, LexedLine, LineError};
use suggest::did_you_mean;

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
///
/// Every line is read even after an error, so that one run reports every
/// mistake in the file.
pub fn parse_service(file: &str, text: &[u8], name: &EnabledName) -> Parsed {
    let mut parser = FileParser {
        file,
        name,
        draft: Draft::default(),
        first_lines: BTreeMap::new(),
        diagnostics: FileDiagnostics::default(),
    };
    for (index, raw) in text.split(|byte| *byte == b'\n').enumerate() {
        parser.line(saturating_u32(index + 1), raw);
    }
    parser.finish()
}

struct FileParser<'a> {
    file: &'a str,
    name: &'a EnabledName,
    draft: Draft,
    /// The line each once-only keyword was first given on, for "given twice".
    first_lines: BTreeMap<&'static str, u32>,
    /// At most [`crate::diag::MAX_DIAGNOSTICS_PER_FILE`], the rest counted.
    diagnostics: FileDiagnostics,
}

impl FileParser<'_> {
    fn line(&mut self, number: u32, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = match decode_line(raw) {
            Ok(text) => text,
            Err(error) => {
                self.error(number, error);
                return;
            }
        };
        let lexed = lex_line(text, self.name);
        for error in &lexed.errors {
            self.error(number, error.clone());
        }
        if self.draft.open_block.is_some() {
            self.block_line(number, &lexed);
        } else {
            self.keyword_line(number, &lexed);
        }
    }

    fn keyword_line(&mut self, number: u32, lexed: &LexedLine) {
        let Some((keyword_token, args)) = lexed.tokens.split_first() else {
            return;
        };
        let Some(keyword) = find_keyword(&keyword_token.text) else {
            let message = if keyword_token.is_bare("}") {
                "stray `}`: no `exec {` block is open".to_string()
            } else {
                let names = KEYWORDS.iter().map(|keyword| keyword.name);
                let hint = did_you_mean(&keyword_token.text, names).unwrap_or_default();
                format!("unknown keyword `{}`{hint}", keyword_token.text)
            };
            self.error(number, LineError::new(keyword_token.column, message));
            return;
        };
        if keyword.repeat == Repeat::Once {
            if let Some(first) = self.first_lines.get(keyword.name) {
                let message = format!("`{}` given twice (first on line {first})", keyword.name);
                self.error(number, LineError::new(keyword_token.column, message));
                return;
            }
            self.first_lines.insert(keyword.name, number);
        }
        if !lexed.errors.is_empty() {
            // The values of a broken line cannot be trusted, and checking
            // them would only repeat the error in other words. Its shape
            // still counts: an `exec {` opens a block even when broken, or
            // every command after it would be an "unknown keyword".
            if keyword.name == "exec" {
                if let Some(open) = opens_block(args) {
                    self.draft.open_block = Some((number, open.column));
                }
            }
            return;
        }
        let line = Line {
            number,
            keyword: keyword_token,
            args,
        };
        let mut errors = Vec::new();
        (keyword.handle)(&mut self.draft, &line, &mut errors);
        for error in errors {
            self.error(number, error);
        }
    }

    /// A line inside `exec { ... }`: one command, or the closing `}`.
    fn block_line(&mut self, number: u32, lexed: &LexedLine) {
        let Some(first) = lexed.tokens.first() else {
            return;
        };
        if first.is_bare("}") {
            self.draft.open_block = None;
            if let Some(extra) = lexed.tokens.get(1) {
                let message = format!(
                    "unexpected `{}`: the `}}` that closes an exec block must stand alone",
                    extra.text
                );
                self.error(number, LineError::new(extra.column, message));
            }
            return;
        }
        if !lexed.errors.is_empty() {
            return;
        }
        match command(&lexed.tokens) {
            Ok(argv) => self.draft.add_command(argv),
            Err(error) => self.error(number, error),
        }
    }

    fn finish(mut self) -> Parsed {
        if let Some((line, column)) = self.draft.open_block {
            self.error(
                line,
                LineError::new(column, "`exec {` block is never closed: end it with `}`"),
            );
        }
        // The original zero-initialises these, which means `once` and
        // `boot`; we keep that, but say so, since a forgotten `type wait`
        // silently changes the boot order. A line that was there but wrong
        // has its own error; "not given" would mislead.
        if !self.first_lines.contains_key("type") {
            self.diagnostics.push(Diagnostic::warning(
                self.file,
                0,
                "no `type` given; using `once`",
            ));
        }
        if !self.first_lines.contains_key("target") {
            self.diagnostics.push(Diagnostic::warning(
                self.file,
                0,
                "no `target` given; using `boot`",
            ));
        }
        if let Some(&line) = self.first_lines.get("syscall-action") {
            // Unless a broken `syscalls` line is why there is no filter.
            let broken = self.diagnostics.has_errors();
            if self.draft.settings.exec.sandbox.syscalls.is_none() && !broken {
                self.diagnostics.push(Diagnostic::warning(
                    self.file,
                    line,
                    "`syscall-action` without a `syscalls` line filters nothing",
                ));
            }
        }
        // Stable: errors found on one line keep their order. Only the
        // unterminated block and the file-wide warnings arrive late.
        self.diagnostics
            .kept_mut()
            .sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
        let service = if self.diagnostics.has_errors() {
            None
        } else {
            Some(build_service(self.draft, self.name))
        };
        Parsed {
            service,
            diagnostics: self.diagnostics.finish(self.file),
        }
    }
}

/// The finished service: the draft with the original's defaults filled in.
fn build_service(draft: Draft, name: &EnabledName) -> ServiceDef {
    let (kind, respawn_limit) = draft.kind.unwrap_or((ServiceType::Once, None));
    ServiceDef {
        name: name.to_string(),
        description: draft.description.unwrap_or_default(),
        kind,
        respawn_limit,
        target: draft.target.unwrap_or(Target::Boot),
        tty: draft.tty,
        after: draft.after,
        before: draft.before,
        exec: draft.exec,
        settings: draft.settings.into(),
    }
}

impl FileParser<'_> {
    fn error(&mut self, line: u32, error: LineError) {
        self.diagnostics
            .push(Diagnostic::error(self.file, line, error.message).with_column(error.column));
    }
}

/// The line as text, or where it stops being text. Arguments end up in argv
/// and in a `ServiceDef` of Strings, so a line must be UTF-8 without NUL.
fn decode_line(raw: &[u8]) -> Result<&str, LineError> {
    let (text, problem) = match std::str::from_utf8(raw) {
        Ok(text) => (text, None),
        Err(error) => {
            let valid = raw.get(..error.valid_up_to()).unwrap_or_default();
            (std::str::from_utf8(valid).unwrap_or_default(), Some(()))
        }
    };
    if let Some(nul) = text.find('\0') {
        let column = column_after(text.get(..nul).unwrap_or_default());
        return Err(LineError::new(column, "NUL byte in the line"));
    }
    match problem {
        Some(()) => Err(LineError::new(
            column_after(text),
            "the line is not valid UTF-8",
        )),
        None => Ok(text),
    }
}

/// The 1-based column just after `prefix`.
fn column_after(prefix: &str) -> u32 {
    saturating_u32(prefix.chars().count() + 1)
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        let name = EnabledName::parse("agetty@tty1").expect("valid name");
        parse_service("agetty", text.as_bytes(), &name)
    }

    #[test]
    fn reads_a_template() {
        let parsed = parse(
            "description agetty on %0\nexec agetty %0 linux\ntype respawn\n\
             target boot\nafter network\ntty \"/dev/%0\"\n",
        );
        assert_eq!(parsed.diagnostics, vec![]);
        let service = parsed.service.expect("no errors");
        assert_eq!(service.name, "agetty@tty1");
        assert_eq!(service.exec, [["agetty", "tty1", "linux"]]);
        assert_eq!(service.tty.map(|t| t.path), Some("/dev/tty1".to_string()));
    }

    #[test]
    fn reports_nul_and_bad_utf8_at_their_column() {
        let parsed = parse("type wait\ntarget boot\nexec é\0\nexec a\u{e9}\n");
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(
            parsed.diagnostics[0].to_string(),
            "agetty:3:7: NUL byte in the line"
        );
        let name = EnabledName::parse("x").expect("valid name");
        let parsed = parse_service("x", b"type wait\ntarget boot\nexec \xff\n", &name);
        assert_eq!(
            parsed.diagnostics[0].to_string(),
            "x:3:6: the line is not valid UTF-8"
        );
    }
}

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
use crate::rawbytes;
use crate::service::{ServiceDef, ServiceType, Target};

use keywords::{add_command_leniently, find_keyword, opens_block, Draft, Line, Repeat, KEYWORDS};
use lex::{lex_line, lex_line_as, LexedLine, LineError, Substitution, Token};
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
        // The original read lines as C strings: a NUL byte ended the line
        // there, whatever followed.
        let raw = match raw.iter().position(|&byte| byte == 0) {
            Some(nul) => {
                let before = rawbytes::from_bytes(raw.get(..nul).unwrap_or_default());
                self.warning(
                    number,
                    LineError::new(
                        column_after(&before),
                        "a NUL byte ends the line here; the rest of it is ignored \
                         (as the original read it)",
                    ),
                );
                raw.get(..nul).unwrap_or_default()
            }
            None => raw,
        };
        // Bytes that are not UTF-8 are kept as they are (`rawbytes`): in a
        // comment they are ignored, in an argument they are passed on.
        let text = rawbytes::from_bytes(raw);
        let lexed = lex_line(&text, self.name);
        for error in &lexed.errors {
            self.error(number, error.clone());
        }
        if let Some(token) = lexed
            .tokens
            .iter()
            .find(|token| rawbytes::has_raw_bytes(&token.text))
        {
            self.warning(
                number,
                LineError::new(
                    token.column,
                    "this argument holds bytes that are not UTF-8; they are passed on as \
                     they are",
                ),
            );
        }
        if let Some(token) = lexed.tokens.iter().find(|token| token.mixed_quotes) {
            self.warning(
                number,
                LineError::new(
                    token.column,
                    format!(
                        "quotes inside an argument: read here as one argument, `{}`; \
                         the original kept the quote characters and split it at spaces \
                         (quote the whole argument)",
                        rawbytes::lossy(&token.text)
                    ),
                ),
            );
        }
        if self.draft.open_block.is_some() {
            self.block_line(number, &lexed);
        } else {
            self.keyword_line(number, &text, &lexed);
        }
    }

    fn keyword_line(&mut self, number: u32, text: &str, lexed: &LexedLine) {
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
        match (keyword.repeat, self.first_lines.get(keyword.name)) {
            (Repeat::Once, Some(first)) => {
                let message = format!("`{}` given twice (first on line {first})", keyword.name);
                self.error(number, LineError::new(keyword_token.column, message));
                return;
            }
            (Repeat::LastWins, Some(first)) => {
                let message = format!(
                    "`{}` given again (first on line {first}); this one counts, \
                     as the last one did in the original",
                    keyword.name
                );
                self.warning(number, LineError::new(keyword_token.column, message));
            }
            (Repeat::Once | Repeat::LastWins, None) => {
                self.first_lines.insert(keyword.name, number);
            }
            (Repeat::Accumulates, _) => {}
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
        // The original took the rest of these lines as one text, so a `%0`
        // with white space in it stays whole there.
        let whole;
        let args = match keyword.name {
            "description" | "tty" | "target" if text.contains('%') => {
                whole = lex_line_as(text, self.name, Substitution::Whole);
                whole.tokens.get(1..).unwrap_or_default()
            }
            _ => args,
        };
        if keyword.name == "exec" {
            if let Some((column, first)) = brace_with_command(text, args, self.name) {
                self.open_block_with(number, column, &first);
                return;
            }
        }
        let line = Line {
            number,
            keyword: keyword_token,
            args,
        };
        let mut errors = Vec::new();
        (keyword.handle)(&mut self.draft, &line, &mut errors);
        self.report(number, errors);
    }

    /// `exec {echo first` or `exec { echo first`: the original opened the
    /// block on the `{` and took the rest of its line as the block's first
    /// command.
    fn open_block_with(&mut self, number: u32, column: u32, first: &LexedLine) {
        self.draft.open_block = Some((number, column));
        for error in &first.errors {
            self.error(number, error.clone());
        }
        if !first.errors.is_empty() {
            return;
        }
        self.warning(
            number,
            LineError::new(
                column,
                "a command on the line of `exec {` runs first in the block, as in the \
                 original; it reads more clearly on a line of its own",
            ),
        );
        let mut errors = Vec::new();
        add_command_leniently(&mut self.draft, &first.tokens, &mut errors);
        self.report(number, errors);
    }

    /// The errors of a line, and the warnings its handler left in the
    /// draft.
    fn report(&mut self, number: u32, errors: Vec<LineError>) {
        for error in errors {
            self.error(number, error);
        }
        for warning in std::mem::take(&mut self.draft.warnings) {
            self.warning(number, warning);
        }
    }

    /// A line inside `exec { ... }`: one command, or the closing `}`.
    fn block_line(&mut self, number: u32, lexed: &LexedLine) {
        let Some(first) = lexed.tokens.first() else {
            return;
        };
        if first.is_bare("}") {
            match lexed.tokens.get(1) {
                None => {
                    self.draft.open_block = None;
                    return;
                }
                // Only a `}` alone closed a block in the original: this
                // line is a command there, and so it is here.
                Some(extra) => {
                    let message = format!(
                        "`}} {}` is a command, not the end of the block (a `}}` that \
                         closes must stand alone), as in the original",
                        extra.text
                    );
                    self.warning(number, LineError::new(first.column, message));
                }
            }
        }
        if !lexed.errors.is_empty() {
            return;
        }
        let mut errors = Vec::new();
        add_command_leniently(&mut self.draft, &lexed.tokens, &mut errors);
        self.report(number, errors);
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
        tty: draft.tty.map(Box::new),
        after: draft.after.into(),
        before: draft.before.into(),
        exec: draft.exec,
        settings: draft.settings.into(),
    }
}

impl FileParser<'_> {
    fn error(&mut self, line: u32, error: LineError) {
        self.diagnostics
            .push(Diagnostic::error(self.file, line, error.message).with_column(error.column));
    }

    fn warning(&mut self, line: u32, warning: LineError) {
        self.diagnostics.push(
            Diagnostic::warning(self.file, line, warning.message).with_column(warning.column),
        );
    }
}

/// Where the `{` of `exec {...` stands, and the command written after it
/// on the same line, when the first argument begins with a plain `{` and
/// more follows on the line (a lone `{` is the usual block, see
/// `opens_block`). The rest of the line after the brace is read again as a
/// line of its own, with its columns where they are in this one.
fn brace_with_command<'t>(
    text: &'t str,
    args: &[Token<'_>],
    name: &EnabledName,
) -> Option<(u32, LexedLine<'t>)> {
    let first = args.first()?;
    if first.is_bare("{") && args.len() == 1 {
        return None;
    }
    let (offset, brace) = text
        .char_indices()
        .nth(first.column.checked_sub(1)? as usize)?;
    if brace != '{' {
        return None;
    }
    let mut rest = lex_line(text.get(offset + 1..)?, name);
    for token in &mut rest.tokens {
        token.column = token.column.saturating_add(first.column);
    }
    for error in &mut rest.errors {
        error.column = error.column.saturating_add(first.column);
    }
    Some((first.column, rest))
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
    fn a_nul_ends_the_line_and_bytes_that_are_not_utf8_pass_on() {
        // The original read lines as C strings: the NUL ends the line.
        let parsed = parse("type wait\ntarget boot\nexec é\0 ignored\n");
        let service = parsed.service.expect("loads, as it did in the original");
        assert_eq!(service.exec, [["é"]]);
        assert_eq!(
            parsed.diagnostics[0].to_string(),
            "agetty:3:7: warning: a NUL byte ends the line here; the rest of it is \
             ignored (as the original read it)"
        );
        // Latin-1 in a comment is ignored; in an argument it is passed on.
        let name = EnabledName::parse("x").expect("valid name");
        let parsed = parse_service(
            "x",
            b"type wait # caf\xe9\ntarget boot\nexec caf\xe9 \"\\xff\"\n",
            &name,
        );
        let service = parsed.service.expect("loads");
        assert_eq!(&*service.exec_bytes()[0][0], b"caf\xe9");
        assert_eq!(&*service.exec_bytes()[0][1], b"\xff");
        assert_eq!(
            parsed
                .diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "x:3:6: warning: this argument holds bytes that are not UTF-8; they are \
              passed on as they are"
            ]
        );
    }
}

//! Splitting one line of a service file into arguments.
//!
//! Owns comments, white space, quotes, escapes and `%N` substitution. It
//! knows no keywords and no line structure: the caller hands it one line
//! (already checked to be UTF-8 without NUL bytes) and gets tokens back.

use std::borrow::Cow;

use crate::name::EnabledName;
use crate::rawbytes;

/// One argument of a line, after quotes, escapes and `%N` are resolved.
///
/// The text borrows from the line when it stands there as it is (most
/// arguments), and is built only when an escape, a `%N` or a quote split
/// it: a string allocated for every argument of every file was a large
/// part of loading 100,000 services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub text: Cow<'a, str>,
    /// 1-based column, in characters, where the token starts.
    pub column: u32,
    /// Written as plain characters: no quote and no `%`. Only a bare `{` or
    /// `}` opens or closes an `exec` block, so `"}"` stays an argument.
    pub bare: bool,
    /// Quotes that do not wrap the whole argument (`--opt="a b"`,
    /// `"a"b`): read here as one argument without the quotes, where the
    /// original kept the quote characters and split at spaces, or refused
    /// the line.
    pub mixed_quotes: bool,
}

impl Token<'_> {
    pub fn is_bare(&self, text: &str) -> bool {
        self.bare && self.text == text
    }
}

/// A problem inside one line, at a column. The lexer and the keyword
/// handlers both report these; the caller adds the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineError {
    pub column: u32,
    pub message: String,
}

/// The tokens of one line and every problem found in it. The tokens are a
/// best effort even when there are errors, so that the caller can still see
/// the shape of the line (is it a `}`?).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LexedLine<'a> {
    pub tokens: Vec<Token<'a>>,
    pub errors: Vec<LineError>,
}

const ESCAPES_KNOWN: &str = r#"\a \b \f \n \t \\ \" \% \xHH \0ooo"#;

/// Splits one line into tokens. `name` supplies what `%0`, `%1`, ... stand
/// for and names the service in the out-of-range message.
pub(crate) fn lex_line<'a>(line: &'a str, name: &EnabledName) -> LexedLine<'a> {
    lex_line_as(line, name, Substitution::Splits)
}

/// How the text of an unquoted `%N` joins the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Substitution {
    /// It splits at white space, as words: the original packed the line
    /// into arguments after substituting (`exec`, `type`, `after`,
    /// `before`).
    Splits,
    /// It stays whole, white space and all: the original took the rest of
    /// the line as one text for `description`, `tty` and `target`.
    Whole,
}

/// As [`lex_line`], with `%N` joining the line as `substitution` says.
pub(crate) fn lex_line_as<'a>(
    line: &'a str,
    name: &EnabledName,
    substitution: Substitution,
) -> LexedLine<'a> {
    let mut lexer = Lexer {
        line,
        position: 0,
        column: 1,
        args: name.arg.as_slice(),
        name,
        substitution,
        current: None,
        out: LexedLine::default(),
    };
    lexer.run();
    lexer.out
}

/// Whether a `%N` stands inside quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoted {
    Yes,
    No,
}

/// A token being built: a stretch of the line while it is one, bytes of
/// its own once it is not. Bytes, not a String: `\xHH` escapes may build a
/// multi-byte character one byte at a time, and only the whole token has to
/// be UTF-8.
struct Partial {
    /// The byte range of the line the token is so far, while it has no
    /// bytes of its own; `None` while it is empty.
    borrowed: Option<(usize, usize)>,
    owned: Option<Vec<u8>>,
    column: u32,
    bare: bool,
    /// How many `"..."` groups the token holds, whether it began with one,
    /// and whether anything outside quotes came after one: what makes
    /// [`Token::mixed_quotes`].
    quoted_groups: u32,
    starts_quoted: bool,
    after_quote: bool,
}

/// Walks the line by byte position and counts columns in characters as it
/// goes: every service file of every boot passes through here, and a
/// vector of the line's characters per line was a tenth of loading them.
struct Lexer<'a, 'n> {
    line: &'a str,
    /// Byte offset of the next character.
    position: usize,
    /// 1-based column, in characters, of the character at `position`.
    column: u32,
    /// What `%0`, `%1`, ... stand for: the one argument, or none.
    args: &'n [String],
    name: &'n EnabledName,
    substitution: Substitution,
    current: Option<Partial>,
    out: LexedLine<'a>,
}

/// White space between arguments: C's `isspace` in the C locale, which is
/// what the original split lines on (a form feed or a carriage return
/// separates as a space does).
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

impl<'a> Lexer<'a, '_> {
    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                c if is_space(c) => {
                    self.finish_token();
                    self.advance(1);
                }
                // A comment runs to the end of the line, even mid-token.
                '#' => break,
                '"' => {
                    let fresh = self.current.is_none();
                    let partial = self.partial();
                    partial.bare = false;
                    partial.starts_quoted |= fresh;
                    partial.quoted_groups += 1;
                    self.quoted();
                }
                '%' => {
                    let partial = self.partial();
                    partial.bare = false;
                    partial.after_quote |= partial.quoted_groups > 0;
                    self.percent(Quoted::No);
                }
                // Outside quotes every other character is itself, backslash
                // included: the original has no escapes there, and paths
                // and regular expressions keep their backslashes.
                _ => {
                    if let Some(partial) = &mut self.current {
                        partial.after_quote |= partial.quoted_groups > 0;
                    }
                    self.push_run(|c| !is_space(c) && !matches!(c, '#' | '"' | '%'));
                }
            }
        }
        self.finish_token();
    }

    /// Reads a `"..."` group starting at the opening quote.
    fn quoted(&mut self) {
        let open_column = self.column();
        self.advance(1);
        loop {
            match self.peek(0) {
                None => {
                    self.error(open_column, "unterminated quote: no closing `\"`");
                    return;
                }
                Some('"') => {
                    self.advance(1);
                    return;
                }
                Some('\\') => self.escape(),
                Some('%') => self.percent(Quoted::Yes),
                Some(_) => self.push_run(|c| !matches!(c, '"' | '\\' | '%')),
            }
        }
    }

    /// Reads one escape inside quotes, starting at the backslash.
    fn escape(&mut self) {
        let column = self.column();
        let Some(kind) = self.peek(1) else {
            // A backslash ending the line: the quote is unterminated, and
            // that is the error worth reporting.
            self.advance(1);
            return;
        };
        self.advance(2);
        let simple = match kind {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            't' => Some(b'\t'),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            '%' => Some(b'%'),
            _ => None,
        };
        if let Some(byte) = simple {
            self.push_bytes(&[byte]);
            return;
        }
        match kind {
            'x' => self.hex_escape(column),
            '0' => self.octal_escape(column),
            other => self.error(
                column,
                format!("unknown escape `\\{other}` (known: {ESCAPES_KNOWN})"),
            ),
        }
    }

    /// `\xH` or `\xHH`: up to two hex digits, as the original read them
    /// (`\x4z` is byte 4, then `z`). No digit at all gives 0, which no
    /// argument can hold.
    fn hex_escape(&mut self, column: u32) {
        let mut value = 0u8;
        for _ in 0..2 {
            match self.peek(0).and_then(|c| c.to_digit(16)) {
                // A hex digit is below 16: the two always fit one byte.
                Some(digit) => {
                    value = value.wrapping_mul(16).wrapping_add(digit as u8);
                    self.advance(1);
                }
                None => break,
            }
        }
        self.push_escaped_byte(column, value);
    }

    /// `\0ooo`: the `0` and up to three more octal digits.
    fn octal_escape(&mut self, column: u32) {
        let mut value = 0u32;
        for _ in 0..3 {
            match self.peek(0).and_then(|c| c.to_digit(8)) {
                Some(digit) => {
                    value = value * 8 + digit;
                    self.advance(1);
                }
                None => break,
            }
        }
        match u8::try_from(value) {
            Ok(byte) => self.push_escaped_byte(column, byte),
            Err(_) => self.error(
                column,
                format!("octal escape `\\0{value:o}` is larger than one byte (at most `\\0377`)"),
            ),
        }
    }

    fn push_escaped_byte(&mut self, column: u32, byte: u8) {
        if byte == 0 {
            self.error(
                column,
                "this escape gives a NUL byte, which no argument can hold",
            );
        } else {
            self.push_bytes(&[byte]);
        }
    }

    /// `%N`, `%%`, or a mistake, starting at the `%`.
    fn percent(&mut self, quoted: Quoted) {
        let column = self.column();
        match self.peek(1) {
            Some('%') => {
                self.push_bytes(b"%");
                self.advance(2);
            }
            Some(digit @ '0'..='9') => {
                self.advance(2);
                let index = digit as usize - '0' as usize;
                // The substituted text is taken literally (a `#` or `"` in
                // it is that character), but outside quotes it splits at
                // white space, as the original's substitution into the
                // line did: `%0` = `a b` is two arguments, `"%0"` one.
                match self.args.get(index) {
                    Some(arg)
                        if quoted == Quoted::No && self.substitution == Substitution::Splits =>
                    {
                        self.push_split(arg)
                    }
                    Some(arg) => self.push_bytes(arg.as_bytes()),
                    None => {
                        let message = self.out_of_range(index);
                        self.error(column, message);
                    }
                }
            }
            _ => {
                self.advance(1);
                self.error(
                    column,
                    "`%` must be followed by a digit, as in `%0` (write %% for a literal %)",
                );
            }
        }
    }

    /// `text` into the token, starting a new token at each run of white
    /// space in it (none for white space at either end of a token).
    fn push_split(&mut self, text: &str) {
        for (index, word) in text.split(is_space).enumerate() {
            if index > 0 && self.has_text() {
                self.finish_token();
            }
            if !word.is_empty() {
                self.partial().bare = false;
                self.push_bytes(word.as_bytes());
            }
        }
    }

    /// Whether the token being built holds any text yet.
    fn has_text(&self) -> bool {
        self.current.as_ref().is_some_and(|partial| {
            partial
                .owned
                .as_ref()
                .is_some_and(|bytes| !bytes.is_empty())
                || partial.borrowed.is_some_and(|(start, end)| end > start)
        })
    }

    fn out_of_range(&self, index: usize) -> String {
        match self.args.len() {
            0 => format!(
                "`%{index}` is out of range: `{name}` is enabled without an argument \
                 (enable it as {name}@ARG)",
                name = self.name
            ),
            1 => format!("`%{index}` is out of range: `{}` passes only %0", self.name),
            count => format!(
                "`%{index}` is out of range: `{}` passes only %0 to %{}",
                self.name,
                count - 1
            ),
        }
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.rest().chars().nth(offset)
    }

    fn rest(&self) -> &'a str {
        self.line.get(self.position..).unwrap_or_default()
    }

    /// Steps over `count` characters.
    fn advance(&mut self, count: usize) {
        for c in self.rest().chars().take(count) {
            self.position += c.len_utf8();
            self.column = self.column.saturating_add(1);
        }
    }

    fn column(&self) -> u32 {
        self.column
    }

    /// The token being built, started here if there is none yet.
    fn partial(&mut self) -> &mut Partial {
        let column = self.column();
        self.current.get_or_insert(Partial {
            borrowed: None,
            owned: None,
            column,
            bare: true,
            quoted_groups: 0,
            starts_quoted: false,
            after_quote: false,
        })
    }

    /// Adds bytes that do not stand in the line as they are (an escape,
    /// what `%N` stands for): from here on the token has bytes of its own.
    fn push_bytes(&mut self, bytes: &[u8]) {
        let line = self.line;
        let partial = self.partial();
        let owned = partial.owned.get_or_insert_with(|| match partial.borrowed {
            Some((start, end)) => line.as_bytes().get(start..end).unwrap_or_default().to_vec(),
            None => Vec::new(),
        });
        owned.extend_from_slice(bytes);
    }

    /// Takes the characters from here on that are `plain`, at least one,
    /// into the token as they are, in one piece.
    fn push_run(&mut self, plain: impl Fn(char) -> bool) {
        let rest = self.rest();
        let mut length = 0;
        let mut count = 0u32;
        for c in rest.chars() {
            if count > 0 && !plain(c) {
                break;
            }
            length += c.len_utf8();
            count += 1;
        }
        let (start, end) = (self.position, self.position + length);
        let partial = self.partial();
        match (&mut partial.owned, &mut partial.borrowed) {
            (None, None) => partial.borrowed = Some((start, end)),
            (None, Some((_, borrowed_end))) if *borrowed_end == start => *borrowed_end = end,
            _ => self.push_bytes(rest.get(..length).unwrap_or_default().as_bytes()),
        }
        self.position = end;
        self.column = self.column.saturating_add(count);
    }

    fn finish_token(&mut self) {
        let Some(partial) = self.current.take() else {
            return;
        };
        let text = match (partial.owned, partial.borrowed) {
            // Escapes may make bytes that are not UTF-8 (`\xff`): the
            // original passed them on as they were, and so does this
            // (`rawbytes`).
            (Some(bytes), _) => Cow::Owned(rawbytes::from_bytes(&bytes).into_owned()),
            (None, Some((start, end))) => {
                Cow::Borrowed(self.line.get(start..end).unwrap_or_default())
            }
            (None, None) => Cow::Borrowed(""),
        };
        let mixed_quotes = match partial.quoted_groups {
            0 => false,
            1 => !partial.starts_quoted || partial.after_quote,
            _ => true,
        };
        self.out.tokens.push(Token {
            text,
            column: partial.column,
            bare: partial.bare,
            mixed_quotes,
        });
    }

    fn error(&mut self, column: u32, message: impl Into<String>) {
        self.out.errors.push(LineError {
            column,
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        let name = EnabledName::parse("agetty@tty1").expect("valid name");
        let lexed = lex_line(line, &name);
        assert_eq!(lexed.errors, vec![], "unexpected errors for {line:?}");
        lexed
            .tokens
            .into_iter()
            .map(|t| t.text.into_owned())
            .collect()
    }

    #[test]
    fn quotes_group_and_mix_with_plain_text() {
        assert_eq!(texts(r#"--opt="a b" "" x"#), ["--opt=a b", "", "x"]);
    }

    #[test]
    fn escapes_build_multibyte_characters() {
        assert_eq!(texts(r#""\xc3\xa9\0101""#), ["éA"]);
    }

    #[test]
    fn pieces_of_a_token_join_whatever_they_are_written_as() {
        assert_eq!(
            texts(r#"a"b c"d x%0y "\t"z %%%% "" "é%0""#),
            ["ab cd", "xtty1y", "\tz", "%%", "", "étty1"]
        );
    }

    #[test]
    fn a_plain_argument_borrows_from_the_line() {
        let name = EnabledName::parse("agetty@tty1").expect("valid name");
        let lexed = lex_line("exec /sbin/agetty \"x\" %0 é", &name);
        let borrowed: Vec<bool> = lexed
            .tokens
            .iter()
            .map(|t| matches!(t.text, Cow::Borrowed(_)))
            .collect();
        assert_eq!(borrowed, [true, true, true, false, true]);
    }

    #[test]
    fn columns_count_characters() {
        let name = EnabledName::parse("x").expect("valid name");
        let lexed = lex_line("é\t b", &name);
        let columns: Vec<u32> = lexed.tokens.iter().map(|t| t.column).collect();
        assert_eq!(columns, [1, 4]);
        // Several characters of several bytes in one run, then in quotes.
        let lexed = lex_line("aé€b 𝄞\"ü\"x y", &name);
        let columns: Vec<u32> = lexed.tokens.iter().map(|t| t.column).collect();
        assert_eq!(columns, [1, 6, 12]);
        assert_eq!(lexed.tokens[1].text, "𝄞üx");
    }
}

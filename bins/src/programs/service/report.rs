//! Writing results: stdout that survives a closed pipe, diagnostics and
//! errors on stderr.
//!
//! Owns the output conventions of `service`: the product on stdout,
//! `FILE:LINE: message` diagnostics as they are, other errors prefixed
//! `service: `.

use std::io::{self, BufWriter, Write};

use init_core::Diagnostic;
use serde::Serialize;

/// Writes the whole output at once. A closed pipe (`service list | head`)
/// is not an error worth a message.
pub fn print_stdout(text: &str) {
    print_stdout_bytes(text.as_bytes());
}

/// As [`print_stdout`], for bytes that need not be UTF-8.
pub fn print_stdout_bytes(bytes: &[u8]) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

/// Writes `value` as pretty JSON and a newline, through a buffer as it is
/// serialised rather than built whole first. As with [`print_stdout`], a
/// closed pipe is not an error; only JSON that cannot be made is.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), String> {
    let mut stdout = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match write_pretty(&mut stdout, value) {
        Ok(()) => {}
        Err(error) if error.is_io() => return Ok(()),
        Err(error) => return Err(format!("cannot write JSON: {error}")),
    }
    let _ = stdout.write_all(b"\n");
    let _ = stdout.flush();
    Ok(())
}

fn write_pretty<W: Write, T: Serialize>(writer: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        writer,
        Pretty::default(),
    ))
}

/// serde_json's `PrettyFormatter` (two spaces a level), byte for byte, but
/// writing each line break with its indent in one piece: it writes an
/// indent a level at a time, which at some thirty fields per service
/// showed in a listing of 100,000 of them.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// A comma, a line break and the indent of the deepest level written in
/// one piece; deeper levels add the rest two spaces at a time.
const LINE_BREAKS: &[u8] = b",\n                                ";

impl Pretty {
    #[inline]
    fn line_break<W: ?Sized + Write>(&self, writer: &mut W, comma: bool) -> io::Result<()> {
        let start = usize::from(!comma);
        let whole = 2 + 2 * self.depth;
        match LINE_BREAKS.get(start..whole) {
            Some(piece) => writer.write_all(piece),
            None => {
                writer.write_all(LINE_BREAKS.get(start..).unwrap_or_default())?;
                let written = LINE_BREAKS.len() - 2;
                writer.write_all(&b" ".repeat(2 * self.depth - written))
            }
        }
    }

    #[inline]
    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    #[inline]
    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line_break(writer, false)?;
        }
        writer.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line_break(writer, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line_break(writer, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
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

/// Lines of a table whose columns are as wide as their widest cell, two
/// spaces apart, with no trailing blanks. `paint` may dress a padded cell
/// (colour); the widths are always those of the plain text. Columns listed
/// in `right` are right-aligned (numbers).
pub fn table(
    header: &[&str],
    rows: &[Vec<String>],
    right: &[usize],
    paint: impl Fn(usize, usize, &str) -> String,
) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut text = String::new();
    for (index, row) in std::iter::once(&header).chain(rows).enumerate() {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let width = widths[column];
            let padded = if column + 1 == row.len() {
                cell.clone()
            } else if right.contains(&column) {
                format!("{cell:>width$}  ")
            } else {
                format!("{cell:<width$}  ")
            };
            // Row 0 is the header, never painted.
            line.push_str(&if index == 0 {
                padded
            } else {
                paint(index - 1, column, &padded)
            });
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_is_serde_jsons_to_the_byte() {
        // Deeper than the indents written in one piece, with empty and
        // one-element containers and strings that need escapes.
        let mut deep = serde_json::json!({"leaf": [1, "two\n\"3\"", null, [], {}]});
        for level in 0..24 {
            deep = serde_json::json!({
                "level": level,
                "empty": [],
                "one": [{"x": level}],
                "nested": [deep],
            });
        }
        for value in [
            deep,
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!(7),
        ] {
            let mut ours = Vec::new();
            write_pretty(&mut ours, &value).unwrap();
            let theirs = serde_json::to_vec_pretty(&value).unwrap();
            assert!(
                ours == theirs,
                "differs:\n{}",
                String::from_utf8_lossy(&ours)
            );
        }
    }
}

//! Properties of the parser over generated input: it never panics, its
//! result is always consistent, and the language's own quoting round-trips.

use init_core::parse::{parse_service, Parsed};
use init_core::EnabledName;
use proptest::prelude::*;

/// Quotes `text` as one argument of the service-file language: `"..."`, with
/// an escape for everything that would otherwise end or change the quote.
fn quote(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '%' => quoted.push_str("\\%"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            // `\r` would be stripped as a line end, and the language has no
            // `\r` escape: like every other control character, use `\xHH`.
            c if c.is_ascii_control() => quoted.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn parse_as(name: &str, text: &[u8]) -> Parsed {
    let enabled = EnabledName::parse(name).expect("a valid enabled name");
    parse_service("svc", text, &enabled)
}

/// What must hold for any input: a service exactly when there is no error,
/// diagnostics in line order, every line-level error pointing at a column.
fn assert_consistent(text: &[u8], parsed: &Parsed) {
    let has_error = parsed.diagnostics.iter().any(|d| d.is_error());
    assert_eq!(parsed.service.is_some(), !has_error);
    let lines: Vec<u32> = parsed.diagnostics.iter().map(|d| d.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "diagnostics in line order");
    let line_count = text.split(|b| *b == b'\n').count();
    for diagnostic in &parsed.diagnostics {
        assert!(diagnostic.line as usize <= line_count);
        assert_eq!(
            diagnostic.line > 0,
            diagnostic.column.is_some(),
            "{diagnostic}"
        );
    }
}

/// Pieces of the language, including its sharp edges, to build lines from.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "description",
        "type",
        "target",
        "tty",
        "after",
        "before",
        "exec",
        "exce",
        "wait",
        "once",
        "respawn",
        "limit",
        "5",
        "0",
        "4294967296",
        "boot",
        "shutdown",
        "truncate",
        "/dev/console",
        "a@b",
        "{",
        "}",
        "\"",
        "\\",
        "\\x",
        "\\0",
        "41",
        "c3",
        "%",
        "%0",
        "%1",
        "%%",
        "#",
        " ",
        "\t",
        "\r",
        "é",
        "x",
        "",
    ])
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..8).prop_map(|fragments| fragments.concat())
}

fn file_of_lines() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..12).prop_map(|lines| lines.join("\n"))
}

/// Any text but NUL (no argument can hold one) and the 128 code points
/// that stand for raw bytes (`init_core::rawbytes`): a file may hold those,
/// and their bytes then pass through, but they come with a warning.
const TEXT: &str = "[^\\x00\\u{10FF80}-\\u{10FFFF}]{0,12}";
const TEXT_40: &str = "[^\\x00\\u{10FF80}-\\u{10FFFF}]{0,40}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_bytes(text in prop::collection::vec(any::<u8>(), 0..512)) {
        assert_consistent(&text, &parse_as("svc", &text));
        assert_consistent(&text, &parse_as("svc@tty1", &text));
    }

    #[test]
    fn never_panics_on_lines_of_the_language(text in file_of_lines()) {
        assert_consistent(text.as_bytes(), &parse_as("svc", text.as_bytes()));
        assert_consistent(text.as_bytes(), &parse_as("svc@a b", text.as_bytes()));
    }

    #[test]
    fn a_quoted_argument_reads_back_as_itself(
        program in "[a-z]{1,8}",
        argument in TEXT_40,
    ) {
        let text = format!("type wait\ntarget boot\nexec {program} {}\n", quote(&argument));
        let parsed = parse_as("svc@tty1", text.as_bytes());
        prop_assert_eq!(&parsed.diagnostics, &vec![]);
        let exec = parsed.service.map(|s| s.exec.to_vecs());
        prop_assert_eq!(exec, Some(vec![vec![program, argument]]));
    }

    #[test]
    fn quoted_arguments_read_back_in_order(
        arguments in prop::collection::vec(TEXT, 1..6),
    ) {
        let quoted: Vec<String> = arguments.iter().map(|a| quote(a)).collect();
        let text = format!(
            "type wait\ntarget boot\nexec {{\n\tprogram {}\n}}\n",
            quoted.join(" ")
        );
        let parsed = parse_as("svc", text.as_bytes());
        prop_assert_eq!(&parsed.diagnostics, &vec![]);
        let mut expected = vec!["program".to_string()];
        expected.extend(arguments);
        prop_assert_eq!(parsed.service.map(|s| s.exec.to_vecs()), Some(vec![expected]));
    }

    #[test]
    fn a_quoted_description_reads_back_as_itself(description in TEXT_40) {
        let text = format!("description {}\ntype wait\ntarget boot\n", quote(&description));
        let parsed = parse_as("svc", text.as_bytes());
        prop_assert_eq!(&parsed.diagnostics, &vec![]);
        prop_assert_eq!(parsed.service.map(|s| s.description), Some(description));
    }
}

#[test]
fn the_test_quoting_escapes_what_it_must() {
    assert_eq!(
        quote("a \"b\" 100% \\ \n\r"),
        r#""a \"b\" 100\% \\ \n\x0d""#
    );
}

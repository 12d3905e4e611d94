//! Every rule of the service-file language, one table row each.
//!
//! Files are parsed as `svc@tty1` (so `%0` is `tty1`) unless a row says
//! otherwise; diagnostics are compared as rendered, `FILE:LINE:COL: message`.

use init_core::parse::parse_service;
use init_core::{EnabledName, ServiceDef, ServiceType, Target, Tty};
use rstest::rstest;

/// The diagnostics of `text`, parsed as `name`, rendered.
fn diagnostics_as(name: &str, text: &str) -> Vec<String> {
    let enabled = EnabledName::parse(name).expect("a valid enabled name");
    let parsed = parse_service(&enabled.base, text.as_bytes(), &enabled);
    let errors = parsed.diagnostics.iter().any(|d| d.is_error());
    assert_eq!(parsed.service.is_some(), !errors, "service iff no error");
    parsed.diagnostics.iter().map(|d| d.to_string()).collect()
}

/// Only the errors of `text`: rows about one mistake need not spell out a
/// `type` and `target` to silence the default warnings.
fn errors_of(text: &str) -> Vec<String> {
    errors_as("svc@tty1", text)
}

fn errors_as(name: &str, text: &str) -> Vec<String> {
    diagnostics_as(name, text)
        .into_iter()
        .filter(|d| !d.contains(": warning: "))
        .collect()
}

/// The service `text` gives as `name`, which must have no diagnostics.
fn service_as(name: &str, text: &str) -> ServiceDef {
    let full = format!("{text}\ntype wait\ntarget boot\n");
    let enabled = EnabledName::parse(name).expect("a valid enabled name");
    let parsed = parse_service("svc", full.as_bytes(), &enabled);
    assert_eq!(parsed.diagnostics, vec![], "for {text:?}");
    parsed.service.expect("no errors, so a service")
}

fn service(text: &str) -> ServiceDef {
    service_as("svc@tty1", text)
}

// ---------------------------------------------------------------- arguments

#[rstest]
#[case::white_space_folds("exec a   b\t\tc", &["a", "b", "c"])]
#[case::leading_white_space("  \texec a", &["a"])]
#[case::quotes_group("exec x \"a b\"", &["x", "a b"])]
#[case::empty_quotes_are_an_argument("exec x \"\" y", &["x", "", "y"])]
#[case::comment_after_arguments("exec x y # not an argument", &["x", "y"])]
#[case::comment_mid_token("exec x y#z", &["x", "y"])]
#[case::hash_inside_quotes("exec x \"y#z\"", &["x", "y#z"])]
#[case::backslash_outside_quotes_is_literal("exec x a\\b c\\", &["x", "a\\b", "c\\"])]
#[case::backslash_space_does_not_join("exec x a\\ b", &["x", "a\\", "b"])]
#[case::simple_escapes(
    "exec x \"\\a\\b\\f\\n\\t\\\\\\\"\\%\"",
    &["x", "\u{7}\u{8}\u{c}\n\t\\\"%"]
)]
#[case::hex_escape("exec x \"\\x41\\x7e\\x7E\"", &["x", "A~~"])]
#[case::hex_escapes_build_utf8("exec x \"\\xc3\\xa9\"", &["x", "é"])]
#[case::octal_escape("exec x \"\\0101\"", &["x", "A"])]
#[case::octal_takes_at_most_three_digits("exec x \"\\01012\"", &["x", "A2"])]
#[case::octal_stops_at_a_non_octal_digit("exec x \"\\078\"", &["x", "\u{7}8"])]
#[case::percent_zero("exec x %0", &["x", "tty1"])]
#[case::percent_zero_inside_quotes("exec x \"/dev/%0\"", &["x", "/dev/tty1"])]
#[case::percent_zero_mid_token("exec x a%0b", &["x", "atty1b"])]
#[case::double_percent("exec date +%%s 100%%", &["date", "+%s", "100%"])]
#[case::double_percent_inside_quotes("exec x \"%%\"", &["x", "%"])]
#[case::escaped_percent_inside_quotes("exec x \"\\%0\"", &["x", "%0"])]
#[case::crlf_line_end("exec x y\r", &["x", "y"])]
#[case::unicode_passes_through("exec echo grüße", &["echo", "grüße"])]
#[case::quoted_brace_is_a_command("exec \"{\"", &["{"])]
#[case::brace_later_is_an_argument("exec find . -exec {} ;", &["find", ".", "-exec", "{}", ";"])]
fn an_exec_line_splits_into_arguments(#[case] line: &str, #[case] argv: &[&str]) {
    assert_eq!(service(line).exec, [argv]);
}

#[test]
fn substituted_text_splits_outside_quotes_as_the_original_did() {
    let svc = service_as("svc@a b", "exec x %0 \"%0\" y%0z");
    assert_eq!(svc.exec, [["x", "a", "b", "a b", "ya", "bz"]]);
    let svc = service_as("svc@a  b", "description %0");
    assert_eq!(svc.description, "a  b");
    // Not read again: a quote, `#` or `%` in it is that character.
    let svc = service_as("svc@\"#%1", "exec x %0");
    assert_eq!(svc.exec, [["x", "\"#%1"]]);
}

// ---------------------------------------------------------------- keywords

#[rstest]
#[case::words("description mount the disks", "mount the disks")]
#[case::quoted("description \"mount /dev\"", "mount /dev")]
#[case::white_space_folds("description  a \t  b  ", "a b")]
#[case::quoted_white_space_stays("description \"a   b\"", "a   b")]
#[case::substituted("description agetty on %0", "agetty on tty1")]
#[case::empty_quotes("description \"\"", "")]
fn description_joins_its_words(#[case] line: &str, #[case] description: &str) {
    assert_eq!(service(line).description, description);
}

#[rstest]
#[case::wait("type wait", ServiceType::Wait, None)]
#[case::once("type once", ServiceType::Once, None)]
#[case::respawn("type respawn", ServiceType::Respawn, None)]
#[case::respawn_limit("type respawn limit 5", ServiceType::Respawn, Some(5))]
#[case::respawn_limit_max("type respawn limit 4294967295", ServiceType::Respawn, Some(u32::MAX))]
fn type_and_respawn_limit(
    #[case] line: &str,
    #[case] kind: ServiceType,
    #[case] limit: Option<u32>,
) {
    let text = format!("{line}\ntarget boot\n");
    let enabled = EnabledName::parse("svc").expect("a valid enabled name");
    let parsed = parse_service("svc", text.as_bytes(), &enabled);
    assert_eq!(parsed.diagnostics, vec![]);
    let svc = parsed.service.expect("no errors, so a service");
    assert_eq!((svc.kind, svc.respawn_limit), (kind, limit));
}

#[rstest]
#[case::boot("svc", "target boot", Target::Boot)]
#[case::reboot("svc", "target reboot", Target::Reboot)]
#[case::shutdown("svc", "target shutdown", Target::Shutdown)]
#[case::from_the_name("sigterm@shutdown", "target %0", Target::Shutdown)]
fn target_names_one_of_three(#[case] name: &str, #[case] line: &str, #[case] target: Target) {
    let text = format!("{line}\ntype wait\n");
    let enabled = EnabledName::parse(name).expect("a valid enabled name");
    let parsed = parse_service("svc", text.as_bytes(), &enabled);
    assert_eq!(parsed.diagnostics, vec![]);
    assert_eq!(parsed.service.map(|s| s.target), Some(target));
}

#[rstest]
#[case::path("tty /dev/console", "/dev/console", false)]
#[case::truncate("tty truncate /var/log/x", "/var/log/x", true)]
#[case::substituted("tty \"/dev/%0\"", "/dev/tty1", false)]
fn tty_takes_a_path(#[case] line: &str, #[case] path: &str, #[case] truncate: bool) {
    let expected = Tty {
        path: path.into(),
        truncate,
    };
    assert_eq!(service(line).tty.as_deref(), Some(&expected));
}

#[rstest]
#[case::one_line("after a b c", &["a", "b", "c"], &[])]
#[case::lines_accumulate("after a\nafter b c", &["a", "b", "c"], &[])]
#[case::duplicates_dropped("after a b a\nafter b", &["a", "b"], &[])]
#[case::file_order_kept("after z a m", &["z", "a", "m"], &[])]
#[case::before_too("before x\nbefore y x", &[], &["x", "y"])]
#[case::both("after a\nbefore b\nafter c", &["a", "c"], &["b"])]
#[case::substituted("after net_%0", &["net_tty1"], &[])]
fn after_and_before_list_canonical_names(
    #[case] text: &str,
    #[case] after: &[&str],
    #[case] before: &[&str],
) {
    let svc = service(text);
    assert_eq!(svc.after[..], after[..]);
    assert_eq!(svc.before[..], before[..]);
}

#[test]
fn exec_lines_and_blocks_append_commands_in_order() {
    let svc = service(
        "exec first\n\
         exec {\n\
         \tsecond a\n\
         \n\
         \t# a comment line\n\
         \tthird \"b c\" # and a comment\n\
         \t\"}\"\n\
         \ttype wait\n\
         }\n\
         exec last",
    );
    let expected: Vec<Vec<&str>> = vec![
        vec!["first"],
        vec!["second", "a"],
        vec!["third", "b c"],
        vec!["}"],
        // Inside a block every line is a command, keywords included.
        vec!["type", "wait"],
        vec!["last"],
    ];
    assert_eq!(svc.exec, expected);
}

#[test]
fn an_empty_block_and_no_exec_make_a_milestone() {
    assert!(service("exec {\n}").is_milestone());
    assert!(service("description only orders others").is_milestone());
}

#[test]
fn missing_type_and_target_default_with_a_warning() {
    let enabled = EnabledName::parse("svc").expect("a valid enabled name");
    let parsed = parse_service("svc", b"exec x\n", &enabled);
    let rendered: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        rendered,
        [
            "svc: warning: no `type` given; using `once`",
            "svc: warning: no `target` given; using `boot`",
        ]
    );
    let svc = parsed.service.expect("warnings only, so a service");
    assert_eq!((svc.kind, svc.target), (ServiceType::Once, Target::Boot));
    assert_eq!(
        svc.description, "",
        "a missing description is empty, silently"
    );
    assert_eq!(svc.tty, None);
}

#[test]
fn the_name_fills_name_base_and_arg() {
    let svc = service_as("agetty@tty1", "exec x");
    assert_eq!(
        (svc.name.as_str(), svc.base(), svc.arg()),
        ("agetty@tty1", "agetty", Some("tty1"))
    );
    let svc = service_as("vfs", "exec x");
    assert_eq!(
        (svc.name.as_str(), svc.base(), svc.arg()),
        ("vfs", "vfs", None)
    );
    // `@` in the argument is the argument's.
    let svc = service_as("a@b@c", "exec x");
    assert_eq!((svc.base(), svc.arg()), ("a", Some("b@c")));
}

#[rstest]
#[case::empty("")]
#[case::blank_lines("\n\n  \t\n")]
#[case::comments_only("# a\n   # b\n")]
#[case::no_final_newline("type wait\ntarget boot")]
#[case::crlf("type wait\r\ntarget boot\r\n")]
fn blank_and_comment_lines_are_ignored(#[case] text: &str) {
    assert_eq!(errors_of(text), Vec::<String>::new());
}

// ---------------------------------------------------------------- errors

const TYPE_EXPECTED: &str = "one of wait, once, respawn, or `respawn limit N`";
const ESCAPES: &str = r#"(known: \a \b \f \n \t \\ \" \% \xHH \0ooo)"#;

#[rstest]
// keywords
#[case::unknown_keyword("frobnicate x", "svc:1:1: unknown keyword `frobnicate`")]
#[case::near_keyword("exce x", "svc:1:1: unknown keyword `exce` (did you mean `exec`?)")]
#[case::keywords_are_case_sensitive(
    "Type wait",
    "svc:1:1: unknown keyword `Type` (did you mean `type`?)"
)]
#[case::keyword_after_white_space(
    "  tagret boot",
    "svc:1:3: unknown keyword `tagret` (did you mean `target`?)"
)]
// description
#[case::description_without_text(
    "description",
    "svc:1:13: `description` expects a text, as in `description mount /proc`"
)]
// type
#[case::type_without_value("type", &format!("svc:1:6: `type` expects {TYPE_EXPECTED}"))]
#[case::unknown_type("type sometimes", &format!("svc:1:6: unknown type `sometimes`: expected {TYPE_EXPECTED}"))]
#[case::type_is_case_sensitive("type Wait", "svc:1:6: unknown type `Wait` (did you mean `wait`?)")]
#[case::misspelt_type(
    "type respwan",
    "svc:1:6: unknown type `respwan` (did you mean `respawn`?)"
)]
#[case::limit_without_respawn(
    "type wait limit 3",
    "svc:1:11: `limit` only goes with `type respawn`, not `type wait`"
)]
#[case::limit_without_number(
    "type respawn limit",
    "svc:1:14: `limit` expects a number of runs, as in `type respawn limit 5`"
)]
#[case::limit_not_decimal(
    "type respawn limit +5",
    "svc:1:20: `+5` is not a respawn limit: expected a whole number, as in `limit 5`"
)]
#[case::limit_then_more(
    "type respawn limit 5 6",
    "svc:1:22: unexpected `6`: `type` expects nothing after `respawn limit N`"
)]
#[case::respawn_then_other("type respawn forever", &format!("svc:1:14: unexpected `forever`: `type` expects {TYPE_EXPECTED}"))]
// target
#[case::target_without_value("target", "svc:1:8: `target` expects one of boot, reboot, shutdown")]
#[case::unknown_target(
    "target sometime",
    "svc:1:8: unknown target `sometime`: expected one of boot, reboot, shutdown"
)]
#[case::misspelt_target(
    "target shutdwon",
    "svc:1:8: unknown target `shutdwon` (did you mean `shutdown`?)"
)]
#[case::two_targets(
    "target boot reboot",
    "svc:1:13: unexpected `reboot`: `target` expects one of boot, reboot, shutdown"
)]
#[case::target_from_a_bad_argument(
    "target %0",
    "svc:1:8: unknown target `tty1`: expected one of boot, reboot, shutdown"
)]
// tty
#[case::tty_without_path(
    "tty",
    "svc:1:5: `tty` expects a path, as in `tty /dev/console` or `tty truncate /var/log/x`"
)]
// after, before
#[case::after_without_names("after", "svc:1:7: `after` expects at least one service name")]
#[case::before_without_names(
    "before # none",
    "svc:1:8: `before` expects at least one service name"
)]
// exec
#[case::exec_without_command(
    "exec",
    "svc:1:6: `exec` expects a command, or `{` to start a block of commands"
)]
#[case::unterminated_block(
    "type wait\nexec {\n  x\n  y",
    "svc:2:6: `exec {` block is never closed: end it with `}`"
)]
#[case::stray_close_brace("exec x\n}", "svc:2:1: stray `}`: no `exec {` block is open")]
// quotes and escapes
#[case::unterminated_quote("exec x \"abc", "svc:1:8: unterminated quote: no closing `\"`")]
#[case::unterminated_by_escaped_quote(
    "exec x \"abc\\\"",
    "svc:1:8: unterminated quote: no closing `\"`"
)]
#[case::backslash_ends_quote_line("exec x \"abc\\", "svc:1:8: unterminated quote: no closing `\"`")]
#[case::unknown_escape("exec x \"\\q\"", &format!("svc:1:9: unknown escape `\\q` {ESCAPES}"))]
#[case::unlisted_c_escape("exec x \"\\r\"", &format!("svc:1:9: unknown escape `\\r` {ESCAPES}"))]
#[case::hex_no_digit(
    "exec x \"\\xg0\"",
    "svc:1:9: this escape gives a NUL byte, which no argument can hold"
)]
#[case::hex_nul(
    "exec x \"\\x00\"",
    "svc:1:9: this escape gives a NUL byte, which no argument can hold"
)]
#[case::octal_nul(
    "exec x \"\\0\"",
    "svc:1:9: this escape gives a NUL byte, which no argument can hold"
)]
#[case::octal_too_big(
    "exec x \"\\0777\"",
    "svc:1:9: octal escape `\\0777` is larger than one byte (at most `\\0377`)"
)]
// percent
#[case::percent_out_of_range(
    "exec x %1",
    "svc:1:8: `%1` is out of range: `svc@tty1` passes only %0"
)]
#[case::percent_letter(
    "exec x %x",
    "svc:1:8: `%` must be followed by a digit, as in `%0` (write %% for a literal %)"
)]
#[case::percent_at_line_end(
    "exec x 100%",
    "svc:1:11: `%` must be followed by a digit, as in `%0` (write %% for a literal %)"
)]
#[case::percent_before_quote(
    "exec x \"50%\"",
    "svc:1:11: `%` must be followed by a digit, as in `%0` (write %% for a literal %)"
)]
#[case::percent_before_comment(
    "exec x 5%# c",
    "svc:1:9: `%` must be followed by a digit, as in `%0` (write %% for a literal %)"
)]
#[case::percent_in_keyword_line(
    "description 100% sure",
    "svc:1:16: `%` must be followed by a digit, as in `%0` (write %% for a literal %)"
)]
// bytes
fn one_mistake_gives_one_error(#[case] text: &str, #[case] error: &str) {
    assert_eq!(errors_of(text), [error]);
}

#[test]
fn percent_zero_without_an_argument_says_how_to_enable() {
    assert_eq!(
        errors_as("sigterm", "target %0"),
        ["sigterm:1:8: `%0` is out of range: `sigterm` is enabled without an argument (enable it as sigterm@ARG)"]
    );
}

#[test]
fn bytes_that_are_not_utf8_are_passed_on_with_a_warning_at_their_argument() {
    let enabled = EnabledName::parse("svc").expect("a valid enabled name");
    let parsed = parse_service(
        "svc",
        b"type wait\ntarget boot\nexec \xc3\xa9\xff x\n",
        &enabled,
    );
    let rendered: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        rendered,
        ["svc:3:6: warning: this argument holds bytes that are not UTF-8; they are passed on as they are"]
    );
    let service = parsed.service.expect("loads, as in the original");
    assert_eq!(&*service.exec_bytes()[0][0], b"\xc3\xa9\xff");
}

#[test]
fn every_error_of_a_file_is_reported_in_line_order() {
    let text = "exec {\n\
                \tok\n\
                \tbad \"\\q\" \"\\z\"\n\
                type sometimes\n\
                exce\n\
                type wait\n\
                after a@b c-d\n\
                }\n\
                }\n\
                description %9";
    // Line 4 is inside the block, so only the escapes on line 3 are wrong
    // there; the block closes on line 8 and line 9 is a stray `}`.
    assert_eq!(
        errors_of(text),
        [
            format!("svc:3:7: unknown escape `\\q` {ESCAPES}"),
            format!("svc:3:12: unknown escape `\\z` {ESCAPES}"),
            "svc:9:1: stray `}`: no `exec {` block is open".to_string(),
            "svc:10:13: `%9` is out of range: `svc@tty1` passes only %0".to_string(),
        ]
    );
    // A second `type` and names that never match are warnings now, as
    // the original took them.
    let text = "type sometimes\nexce\ntype wait\nafter a@b c-d\ndescription";
    assert_eq!(errors_of(text).len(), 3);
    assert!(
        errors_of(text)[2].starts_with("svc:5:13: `description` expects"),
        "{:?}",
        errors_of(text)
    );
}

#[test]
fn a_broken_exec_brace_line_still_opens_its_block() {
    // Without this the commands below would each be an unknown keyword.
    assert_eq!(
        errors_of("exec { \"x\n  mount a\n}"),
        ["svc:1:8: unterminated quote: no closing `\"`"]
    );
}

#[test]
fn a_wrong_type_or_target_is_not_also_missing() {
    let enabled = EnabledName::parse("svc").expect("a valid enabled name");
    let parsed = parse_service("svc", b"type sometimes\ntarget halt\nexec x\n", &enabled);
    let rendered: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        rendered,
        [
            format!("svc:1:6: unknown type `sometimes`: expected {TYPE_EXPECTED}"),
            "svc:2:8: unknown target `halt`: expected one of boot, reboot, shutdown".to_string(),
        ]
    );
}

// ------------------------------------------- what the original took, leniently

/// The warnings of `text`, which must load: the lines the original took
/// load here too, with a word in `service verify`.
fn warnings_of(text: &str) -> Vec<String> {
    let enabled = EnabledName::parse("svc@tty1").expect("a valid enabled name");
    let parsed = parse_service("svc", text.as_bytes(), &enabled);
    assert!(
        parsed.service.is_some(),
        "{text:?} must load: {:?}",
        parsed.diagnostics
    );
    parsed
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .filter(|d| !d.ends_with("no `type` given; using `once`"))
        .filter(|d| !d.ends_with("no `target` given; using `boot`"))
        .collect()
}

#[rstest]
#[case::type_twice(
    "type wait\n\ntype once",
    "svc:3:1: warning: `type` given again (first on line 1); this one counts, as the last one did in the original"
)]
#[case::target_twice(
    "target boot\ntarget reboot",
    "svc:2:1: warning: `target` given again (first on line 1); this one counts, as the last one did in the original"
)]
#[case::description_twice(
    "description a\ndescription b",
    "svc:2:1: warning: `description` given again (first on line 1); this one counts, as the last one did in the original"
)]
#[case::tty_twice(
    "tty /a\ntty /b",
    "svc:2:1: warning: `tty` given again (first on line 1); this one counts, as the last one did in the original"
)]
#[case::limit_zero(
    "type respawn limit 0",
    "svc:1:20: warning: `limit 0` means no limit, as in the original; leave `limit` out to say so"
)]
#[case::limit_too_big(
    "type respawn limit 4294967296",
    "svc:1:20: warning: `4294967296` is more than 4294967295; 4294967295 it is"
)]
#[case::limit_with_junk(
    "type respawn limit 5x",
    "svc:1:20: warning: `5x` is read as `5`, as the original read it: the rest is ignored"
)]
#[case::tty_truncate_alone(
    "tty truncate",
    "svc:1:5: warning: `tty truncate` alone names a file called `truncate`, as in the original; write `tty truncate PATH` to truncate PATH"
)]
#[case::tty_two_words(
    "tty /a /b",
    "svc:1:8: warning: `tty` takes the rest of the line as one path (`/a /b`), as the original did; quote it to say so"
)]
#[case::tty_empty_path(
    "tty \"\"",
    "svc:1:5: warning: the tty path is empty: the service cannot start"
)]
#[case::after_enabled_name(
    "after network agetty@tty1",
    "svc:1:15: warning: `agetty@tty1` never matches a service: `after` names canonical services, A-Z, a-z, 0-9 and _ without `@` (write `after agetty`)"
)]
#[case::before_bad_character(
    "before a-b",
    "svc:1:8: warning: `a-b` never matches a service: `before` names canonical services, A-Z, a-z, 0-9 and _ without `@`"
)]
#[case::after_empty_name(
    "after \"\"",
    "svc:1:7: warning: `` never matches a service: `after` names canonical services, A-Z, a-z, 0-9 and _ without `@`"
)]
#[case::exec_empty_command(
    "exec \"\" x",
    "svc:1:6: warning: the command name is empty: this command will fail when it runs"
)]
#[case::exec_block_empty_command(
    "exec {\n  \"\"\n}",
    "svc:2:3: warning: the command name is empty: this command will fail when it runs"
)]
#[case::command_after_open_brace(
    "exec { x\n}",
    "svc:1:6: warning: a command on the line of `exec {` runs first in the block, as in the original; it reads more clearly on a line of its own"
)]
#[case::command_glued_to_open_brace(
    "exec {x\n}",
    "svc:1:6: warning: a command on the line of `exec {` runs first in the block, as in the original; it reads more clearly on a line of its own"
)]
#[case::text_after_close_brace(
    "exec {\nx\n} y\n}",
    "svc:3:1: warning: `} y` is a command, not the end of the block (a `}` that closes must stand alone), as in the original"
)]
#[case::escape_not_utf8(
    "exec x \"\\xff\"",
    "svc:1:8: warning: this argument holds bytes that are not UTF-8; they are passed on as they are"
)]
#[case::nul_byte(
    "exec x\0y",
    "svc:1:7: warning: a NUL byte ends the line here; the rest of it is ignored (as the original read it)"
)]
#[case::quotes_mix_with_plain_text(
    "exec x --opt=\"a b\"",
    "svc:1:8: warning: quotes inside an argument: read here as one argument, `--opt=a b`; the original kept the quote characters and split it at spaces (quote the whole argument)"
)]
#[case::quoted_parts_join(
    "exec x \"a\"b\"c\"",
    "svc:1:8: warning: quotes inside an argument: read here as one argument, `abc`; the original kept the quote characters and split it at spaces (quote the whole argument)"
)]
fn what_the_original_took_loads_with_one_warning(#[case] text: &str, #[case] warning: &str) {
    assert_eq!(warnings_of(text), [warning]);
}

#[test]
fn what_the_original_took_means_what_it_meant() {
    let read = |text: &str| {
        let enabled = EnabledName::parse("svc@tty1").expect("a valid enabled name");
        parse_service("svc", text.as_bytes(), &enabled)
            .service
            .unwrap_or_else(|| panic!("{text:?} loads"))
    };
    // The last of each wins.
    let last = read("type wait\ntype respawn\ntarget boot\ntarget reboot\ndescription a\ndescription b\ntty /a\ntty truncate /b");
    assert_eq!(
        (last.kind, last.target),
        (ServiceType::Respawn, Target::Reboot)
    );
    assert_eq!(last.description, "b");
    assert_eq!(
        last.tty.as_deref(),
        Some(&Tty {
            path: "/b".into(),
            truncate: true
        })
    );
    // `limit 0` is no limit; `tty truncate` alone is a file.
    assert_eq!(read("type respawn limit 0").respawn_limit, None);
    assert_eq!(
        read("tty truncate").tty.as_deref(),
        Some(&Tty {
            path: "truncate".into(),
            truncate: false
        })
    );
    // Names that never match are kept.
    assert_eq!(
        read("after agetty@tty1 \"\"").after[..],
        ["agetty@tty1", ""]
    );
    // The block's first command on the brace line, and a `} y` command.
    assert_eq!(
        read("exec {echo first\necho second\n} y\n}").exec,
        [
            vec!["echo", "first"],
            vec!["echo", "second"],
            vec!["}", "y"],
        ]
    );
    // \xH with one digit, at the end or before a non-digit.
    assert_eq!(
        read("exec x \"\\x4z\" \"\\x4\"").exec,
        [["x", "\u{4}z", "\u{4}"]]
    );
    // A form feed, a vertical tab or a carriage return separates.
    assert_eq!(
        read("\x0c\nexec a\x0bb\x0cc\rd\r").exec,
        [["a", "b", "c", "d"]]
    );
}

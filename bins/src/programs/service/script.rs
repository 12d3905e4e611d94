//! Shell quoting for `service dumpscript`: turning an argv into words that
//! `/bin/sh` reads back as exactly the same argv.
//!
//! Owns the quoting rule and its inverse for the subset it produces. It
//! builds no scripts and knows nothing of services; `dumpscript` does
//! that.

/// Characters that mean nothing to a POSIX shell anywhere in a word, so a
/// word made only of them can go bare.
///
/// `~`, `#`, `*`, `?`, `[`, `{`, `}`, `!` and friends are out because they
/// expand or start keywords and comments. `=` is in, but see
/// [`looks_like_assignment`].
fn is_safe_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '-' | '.' | '/' | ',' | ':' | '+' | '@' | '%' | '=')
}

/// A bare `NAME=value` in command position is a variable assignment, not a
/// command; such words are always quoted, since a word does not know its
/// position. `--opt=x` or `a,b=c` can never be assignments and stay bare.
fn looks_like_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            name.chars().next().is_some_and(|c| !c.is_ascii_digit())
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// Words that are reserved in some position; quoting them keeps them plain
/// commands or arguments whatever position they end up in.
const RESERVED_WORDS: [&str; 17] = [
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "function", "select", "time", "coproc",
];

/// Quotes one argument for `/bin/sh`: bare when every character is safe,
/// otherwise in single quotes, with each `'` written as `'\''`.
///
/// The empty string becomes `''`. Every character except NUL survives,
/// newlines included; NUL cannot be in an argv at all.
pub fn shell_quote(arg: &str) -> String {
    let bare = !arg.is_empty()
        && arg.chars().all(is_safe_char)
        && !looks_like_assignment(arg)
        && !RESERVED_WORDS.contains(&arg);
    if bare {
        return arg.to_string();
    }
    let mut quoted = String::with_capacity(arg.len() + 2);
    quoted.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

/// Quotes a whole argv and joins the words with single spaces.
pub fn shell_join<S: AsRef<str>>(argv: impl IntoIterator<Item = S>) -> String {
    argv.into_iter()
        .map(|arg| shell_quote(arg.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits a line that [`shell_join`] produced back into its argv.
///
/// Understands only that subset: words separated by single spaces, each made
/// of safe bare characters, `'...'` runs and `\'`. Anything else (other
/// backslashes, double quotes, unsafe bare characters, an unterminated
/// quote, doubled spaces) gives `None`, so a test can tell "not produced by
/// `shell_quote`" from a wrong round trip.
#[cfg(test)]
pub fn shell_split(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    if line.is_empty() {
        return Some(words);
    }
    let mut chars = line.chars().peekable();
    loop {
        let mut word = String::new();
        let mut had_quotes = false;
        loop {
            match chars.peek().copied() {
                None | Some(' ') => break,
                Some('\'') => {
                    chars.next();
                    had_quotes = true;
                    loop {
                        match chars.next()? {
                            '\'' => break,
                            c => word.push(c),
                        }
                    }
                }
                Some('\\') => {
                    chars.next();
                    if chars.next()? != '\'' {
                        return None;
                    }
                    had_quotes = true;
                    word.push('\'');
                }
                Some(c) if is_safe_char(c) => {
                    chars.next();
                    word.push(c);
                }
                Some(_) => return None,
            }
        }
        if word.is_empty() && !had_quotes {
            // Two spaces in a row, or a leading or trailing space.
            return None;
        }
        words.push(word);
        match chars.next() {
            None => return Some(words),
            Some(_space) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_words_stay_bare() {
        assert_eq!(shell_quote("agetty"), "agetty");
        assert_eq!(
            shell_quote("/usr/libexec/init/killall5"),
            "/usr/libexec/init/killall5"
        );
        assert_eq!(shell_quote("+%m%d%H%M%Y.%S"), "+%m%d%H%M%Y.%S");
        assert_eq!(shell_quote("noexec,nosuid,gid=5"), "noexec,nosuid,gid=5");
        assert_eq!(shell_quote("--inactive=yes"), "--inactive=yes");
    }

    #[test]
    fn everything_else_is_single_quoted() {
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("daemon off;"), "'daemon off;'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("~"), "'~'");
        assert_eq!(shell_quote("if"), "'if'");
        assert_eq!(shell_quote("mode=1777"), "'mode=1777'");
        assert_eq!(shell_quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn split_inverts_join() {
        let argv: Vec<String> = ["nginx", "-g", "daemon off;", "", "it's", "'"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let line = shell_join(&argv);
        assert_eq!(line, "nginx -g 'daemon off;' '' 'it'\\''s' ''\\'''");
        assert_eq!(shell_split(&line), Some(argv));
    }

    #[test]
    fn split_refuses_what_quote_never_writes() {
        assert_eq!(shell_split("a  b"), None);
        assert_eq!(shell_split("\"a\""), None);
        assert_eq!(shell_split("'open"), None);
        assert_eq!(shell_split("a\\b"), None);
        assert_eq!(shell_split("$x"), None);
        assert_eq!(shell_split(" a"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn quote_then_split_gives_the_argument_back(arg in "[^\\x00]*") {
            let quoted = shell_quote(&arg);
            proptest::prop_assert_eq!(shell_split(&quoted), Some(vec![arg]));
        }

        #[test]
        fn join_then_split_gives_the_argv_back(
            argv in proptest::collection::vec("[^\\x00]*|[ -~]{0,4}|['\\\\ ]{0,3}", 0..8)
        ) {
            proptest::prop_assert_eq!(shell_split(&shell_join(&argv)), Some(argv));
        }
    }
}

//! The keywords of the service-file language: one table entry each.
//!
//! Owns what each keyword accepts and how it fills the draft service. It
//! does not split lines (that is `lex`) and does not track `exec { ... }`
//! blocks across lines (that is the file loop in `parse`).

use crate::commands::Commands;
use crate::duration::parse_duration_ms;
use crate::envfile::is_valid_key;
use crate::events::Signal;
use crate::name::is_base_char;
use crate::service::{
    Leftovers, LimitValue, ReadyNotice, Resource, ResourceLimit, ServiceSettings, ServiceType,
    Target, Tty,
};

use super::lex::{LineError, Token};
use super::sandbox_keywords;
use super::suggest::did_you_mean;

/// The service as read so far. `None` means "not given yet".
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub description: Option<String>,
    pub kind: Option<(ServiceType, Option<u32>)>,
    pub target: Option<Target>,
    pub tty: Option<Tty>,
    pub after: Vec<String>,
    pub before: Vec<String>,
    pub exec: Commands,
    /// The keywords beyond the original's.
    pub settings: ServiceSettings,
    /// Where the `{` of an `exec {` block that is still open stands, as
    /// (line, column): set by the `exec` keyword, cleared by a `}` line.
    pub open_block: Option<(u32, u32)>,
    /// Warnings of the line being read, which the file loop takes after
    /// each line: what the original read leniently and a careful reader
    /// would want to know.
    pub warnings: Vec<LineError>,
}

/// One keyword line, split into its keyword and arguments.
pub(crate) struct Line<'a> {
    pub number: u32,
    pub keyword: &'a Token<'a>,
    pub args: &'a [Token<'a>],
}

/// Whether a keyword may appear more than once in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// A second line is an error ("given twice").
    Once,
    /// A second line replaces the first, with a warning: the original's
    /// keywords, which it read so.
    LastWins,
    /// Every line adds to what the earlier ones gave.
    Accumulates,
}

/// A keyword handler: reads the arguments into the draft, or says what is
/// wrong with them.
type Handler = fn(&mut Draft, &Line<'_>, &mut Vec<LineError>);

pub(crate) struct Keyword {
    pub name: &'static str,
    pub repeat: Repeat,
    pub handle: Handler,
}

/// Every keyword of the language. A new keyword is one more row and one more
/// handler; nothing else in the parser has to change, and since unknown
/// keywords are errors, no existing valid file changes meaning.
pub(crate) const KEYWORDS: &[Keyword] = &[
    Keyword {
        name: "description",
        repeat: Repeat::LastWins,
        handle: description,
    },
    Keyword {
        name: "type",
        repeat: Repeat::LastWins,
        handle: service_type,
    },
    Keyword {
        name: "target",
        repeat: Repeat::LastWins,
        handle: target,
    },
    Keyword {
        name: "tty",
        repeat: Repeat::LastWins,
        handle: tty,
    },
    Keyword {
        name: "after",
        repeat: Repeat::Accumulates,
        handle: after,
    },
    Keyword {
        name: "before",
        repeat: Repeat::Accumulates,
        handle: before,
    },
    Keyword {
        name: "exec",
        repeat: Repeat::Accumulates,
        handle: exec,
    },
    Keyword {
        name: "stop-signal",
        repeat: Repeat::Once,
        handle: stop_signal,
    },
    Keyword {
        name: "stop-timeout",
        repeat: Repeat::Once,
        handle: stop_timeout,
    },
    Keyword {
        name: "respawn-delay",
        repeat: Repeat::Once,
        handle: respawn_delay,
    },
    Keyword {
        name: "respawn-delay-max",
        repeat: Repeat::Once,
        handle: respawn_delay_max,
    },
    Keyword {
        name: "respawn-window",
        repeat: Repeat::Once,
        handle: respawn_window,
    },
    Keyword {
        name: "user",
        repeat: Repeat::Once,
        handle: user,
    },
    Keyword {
        name: "group",
        repeat: Repeat::Once,
        handle: group,
    },
    Keyword {
        name: "env",
        repeat: Repeat::Accumulates,
        handle: env,
    },
    Keyword {
        name: "env-file",
        repeat: Repeat::Once,
        handle: env_file,
    },
    Keyword {
        name: "working-dir",
        repeat: Repeat::Once,
        handle: working_dir,
    },
    Keyword {
        name: "rlimit",
        repeat: Repeat::Accumulates,
        handle: rlimit,
    },
    Keyword {
        name: "umask",
        repeat: Repeat::Once,
        handle: umask,
    },
    Keyword {
        name: "nice",
        repeat: Repeat::Once,
        handle: nice,
    },
    Keyword {
        name: "oom-score-adjust",
        repeat: Repeat::Once,
        handle: oom_score_adjust,
    },
    Keyword {
        name: "ready-fd",
        repeat: Repeat::Once,
        handle: ready_fd,
    },
    Keyword {
        name: "ready-file",
        repeat: Repeat::Once,
        handle: ready_file,
    },
    Keyword {
        name: "ready-timeout",
        repeat: Repeat::Once,
        handle: ready_timeout,
    },
    Keyword {
        name: "private-tmp",
        repeat: Repeat::Once,
        handle: sandbox_keywords::private_tmp,
    },
    Keyword {
        name: "bind",
        repeat: Repeat::Accumulates,
        handle: sandbox_keywords::bind,
    },
    Keyword {
        name: "read-only",
        repeat: Repeat::Accumulates,
        handle: sandbox_keywords::read_only,
    },
    Keyword {
        name: "inaccessible",
        repeat: Repeat::Accumulates,
        handle: sandbox_keywords::inaccessible,
    },
    Keyword {
        name: "network",
        repeat: Repeat::Once,
        handle: sandbox_keywords::network,
    },
    Keyword {
        name: "hostname",
        repeat: Repeat::Once,
        handle: sandbox_keywords::hostname,
    },
    Keyword {
        name: "private-ipc",
        repeat: Repeat::Once,
        handle: sandbox_keywords::private_ipc,
    },
    Keyword {
        name: "private-pid",
        repeat: Repeat::Once,
        handle: sandbox_keywords::private_pid,
    },
    Keyword {
        name: "no-new-privileges",
        repeat: Repeat::Once,
        handle: sandbox_keywords::no_new_privileges,
    },
    Keyword {
        name: "capabilities",
        repeat: Repeat::Once,
        handle: sandbox_keywords::capabilities,
    },
    Keyword {
        name: "syscalls",
        repeat: Repeat::Accumulates,
        handle: sandbox_keywords::syscalls,
    },
    Keyword {
        name: "syscall-action",
        repeat: Repeat::Once,
        handle: sandbox_keywords::syscall_action,
    },
    Keyword {
        name: "main-service",
        repeat: Repeat::Once,
        handle: main_service,
    },
    Keyword {
        name: "leftovers",
        repeat: Repeat::Once,
        handle: leftovers,
    },
];

pub(crate) fn find_keyword(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|keyword| keyword.name == name)
}

impl LineError {
    pub fn new(column: u32, message: impl Into<String>) -> LineError {
        LineError {
            column,
            message: message.into(),
        }
    }
}

impl Line<'_> {
    /// An error for a missing argument: points just past the keyword, where
    /// the argument should have been.
    pub(super) fn missing(&self, what: &str) -> LineError {
        let keyword_length = u32::try_from(self.keyword.text.chars().count()).unwrap_or(0);
        LineError::new(
            self.keyword
                .column
                .saturating_add(keyword_length)
                .saturating_add(1),
            format!("`{}` expects {what}", self.keyword.text),
        )
    }

    /// Errors for every argument past the first `expected` ones.
    pub(super) fn too_many(&self, expected: usize, what: &str) -> Option<LineError> {
        let extra = self.args.get(expected)?;
        Some(LineError::new(
            extra.column,
            format!(
                "unexpected `{}`: `{}` expects {what}",
                extra.text, self.keyword.text
            ),
        ))
    }
}

fn description(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if line.args.is_empty() {
        errors.push(line.missing("a text, as in `description mount /proc`"));
        return;
    }
    let words: Vec<&str> = line.args.iter().map(|t| t.text.as_ref()).collect();
    draft.description = Some(words.join(" "));
}

const TYPE_EXPECTED: &str = "one of wait, once, respawn, or `respawn limit N`";

fn service_type(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let Some(first) = line.args.first() else {
        errors.push(line.missing(TYPE_EXPECTED));
        return;
    };
    let Some(kind) = ServiceType::from_name(&first.text) else {
        let message = match did_you_mean(&first.text, ["wait", "once", "respawn"]) {
            Some(hint) => format!("unknown type `{}`{hint}", first.text),
            None => format!("unknown type `{}`: expected {TYPE_EXPECTED}", first.text),
        };
        errors.push(LineError::new(first.column, message));
        return;
    };
    let Some(second) = line.args.get(1) else {
        draft.kind = Some((kind, None));
        return;
    };
    if second.text != "limit" {
        errors.push(LineError::new(
            second.column,
            format!(
                "unexpected `{}`: `type` expects {TYPE_EXPECTED}",
                second.text
            ),
        ));
        return;
    }
    if kind != ServiceType::Respawn {
        errors.push(LineError::new(
            second.column,
            format!("`limit` only goes with `type respawn`, not `type {kind}`"),
        ));
        return;
    }
    let Some(count) = line.args.get(2) else {
        errors.push(LineError::new(
            second.column,
            "`limit` expects a number of runs, as in `type respawn limit 5`",
        ));
        return;
    };
    if let Some(error) = line.too_many(3, "nothing after `respawn limit N`") {
        errors.push(error);
        return;
    }
    let Some((limit, warning)) = read_limit(&count.text) else {
        errors.push(LineError::new(
            count.column,
            format!(
                "`{}` is not a respawn limit: expected a whole number, as in `limit 5`",
                count.text
            ),
        ));
        return;
    };
    if let Some(warning) = warning {
        draft.warnings.push(LineError::new(count.column, warning));
    }
    draft.kind = Some((kind, limit));
}

/// A respawn limit as the original read it (C's `atoi` after a check that
/// it starts with a digit): the leading digits, whatever follows them, and
/// 0 for no limit at all. `None` when it does not start with a digit; the
/// warning says what a careful reader would want to know.
fn read_limit(text: &str) -> Option<(Option<u32>, Option<String>)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (number, rest) = text.split_at(digits);
    let exact = number.parse::<u32>().ok();
    let value = exact.unwrap_or(u32::MAX);
    let warning = if !rest.is_empty() {
        Some(format!(
            "`{text}` is read as `{value}`, as the original read it: the rest is ignored"
        ))
    } else if exact.is_none() {
        Some(format!("`{text}` is more than {value}; {value} it is"))
    } else if value == 0 {
        Some("`limit 0` means no limit, as in the original; leave `limit` out to say so".into())
    } else {
        None
    };
    Some(((value > 0).then_some(value), warning))
}

const TARGET_EXPECTED: &str = "one of boot, reboot, shutdown";

fn target(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let Some(first) = line.args.first() else {
        errors.push(line.missing(TARGET_EXPECTED));
        return;
    };
    if let Some(error) = line.too_many(1, TARGET_EXPECTED) {
        errors.push(error);
        return;
    }
    match Target::from_name(&first.text) {
        Some(target) => draft.target = Some(target),
        None => {
            let names = Target::ALL.map(Target::as_str);
            let message = match did_you_mean(&first.text, names) {
                Some(hint) => format!("unknown target `{}`{hint}", first.text),
                None => format!(
                    "unknown target `{}`: expected {TARGET_EXPECTED}",
                    first.text
                ),
            };
            errors.push(LineError::new(first.column, message));
        }
    }
}

const TTY_EXPECTED: &str = "a path, as in `tty /dev/console` or `tty truncate /var/log/x`";

fn tty(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    // `truncate` only with a path after it: `tty truncate` alone is a file
    // named `truncate`, as the original read it.
    let (truncate, rest) = match line.args.split_first() {
        None => {
            errors.push(line.missing(TTY_EXPECTED));
            return;
        }
        Some((first, rest)) if first.is_bare("truncate") && !rest.is_empty() => (true, rest),
        Some((first, rest)) => {
            if first.is_bare("truncate") && rest.is_empty() {
                draft.warnings.push(LineError::new(
                    first.column,
                    "`tty truncate` alone names a file called `truncate`, as in the \
                     original; write `tty truncate PATH` to truncate PATH",
                ));
            }
            (false, line.args)
        }
    };
    // The original took the rest of the line as one path.
    let words: Vec<&str> = rest.iter().map(|t| t.text.as_ref()).collect();
    let path = words.join(" ");
    if let Some(second) = rest.get(1) {
        draft.warnings.push(LineError::new(
            second.column,
            format!(
                "`tty` takes the rest of the line as one path (`{path}`), as the \
                 original did; quote it to say so"
            ),
        ));
    }
    if path.is_empty() {
        draft.warnings.push(LineError::new(
            rest[0].column,
            "the tty path is empty: the service cannot start",
        ));
    }
    draft.tty = Some(Tty { path, truncate });
}

fn after(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    add_dependencies(&mut draft.after, line, errors);
    warn_of_names_that_never_match(draft, line);
}

fn before(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    add_dependencies(&mut draft.before, line, errors);
    warn_of_names_that_never_match(draft, line);
}

/// `after`/`before` name canonical services (`agetty`, never `agetty@tty1`):
/// ordering is between templates, whatever they were enabled with. A name
/// that cannot be one (`agetty@tty1`, `""`) is kept, as the original kept
/// it, and never matches: a warning says so.
fn add_dependencies(list: &mut Vec<String>, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if line.args.is_empty() {
        errors.push(line.missing("at least one service name"));
        return;
    }
    // Room for this line's names at once, not the four a push makes: kept
    // for the service's life, that room would be a hole in init's heap.
    list.reserve_exact(line.args.len());
    for arg in line.args {
        if !list.iter().any(|known| *known == *arg.text) {
            list.push(arg.text.to_string());
        }
    }
}

/// The warnings of `after`/`before` names that can never match.
fn warn_of_names_that_never_match(draft: &mut Draft, line: &Line<'_>) {
    for arg in line.args {
        if arg.text.is_empty() || !arg.text.chars().all(is_base_char) {
            let hint = match arg.text.split_once('@') {
                Some((base, _)) if !base.is_empty() && base.chars().all(is_base_char) => {
                    format!(" (write `{} {base}`)", line.keyword.text)
                }
                _ => String::new(),
            };
            draft.warnings.push(LineError::new(
                arg.column,
                format!(
                    "`{}` never matches a service: `{}` names canonical services, \
                     A-Z, a-z, 0-9 and _ without `@`{hint}",
                    arg.text, line.keyword.text
                ),
            ));
        }
    }
}

fn exec(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(open) = opens_block(line.args) {
        draft.open_block = Some((line.number, open.column));
        if let Some(extra) = line.args.get(1) {
            errors.push(LineError::new(
                extra.column,
                format!(
                    "unexpected `{}`: `exec {{` must end its line; \
                     put the commands on the lines after it",
                    extra.text
                ),
            ));
        }
        return;
    }
    if line.args.is_empty() {
        errors.push(line.missing("a command, or `{` to start a block of commands"));
        return;
    }
    add_command_leniently(draft, line.args, errors);
}

/// The `{` of `exec {`, if this is one. Only a bare `{` counts: `exec "{"`
/// runs a program called `{`.
pub(crate) fn opens_block<'t, 'a>(args: &'t [Token<'a>]) -> Option<&'t Token<'a>> {
    args.first().filter(|first| first.is_bare("{"))
}

/// One command, from an `exec` line or a line of an `exec` block. An
/// empty program name (`exec "" x`) is kept, as the original kept it: the
/// command fails when it runs. A warning says so.
pub(crate) fn add_command_leniently(
    draft: &mut Draft,
    tokens: &[Token],
    _errors: &mut Vec<LineError>,
) {
    if let Some(program) = tokens.first().filter(|t| t.text.is_empty()) {
        draft.warnings.push(LineError::new(
            program.column,
            "the command name is empty: this command will fail when it runs",
        ));
    }
    draft.exec.push(tokens.iter().map(|t| &*t.text));
}

/// The one argument of a keyword that takes exactly one, or the error.
pub(super) fn single_argument<'a>(
    line: &'a Line<'_>,
    expected: &str,
    errors: &mut Vec<LineError>,
) -> Option<&'a Token<'a>> {
    let Some(first) = line.args.first() else {
        errors.push(line.missing(expected));
        return None;
    };
    if let Some(error) = line.too_many(1, expected) {
        errors.push(error);
        return None;
    }
    Some(first)
}

/// A duration argument (`5s`, `100ms`) of at least one millisecond.
fn positive_duration_ms(token: &Token, keyword: &str, errors: &mut Vec<LineError>) -> Option<u64> {
    match parse_duration_ms(&token.text) {
        Ok(0) => {
            errors.push(LineError::new(
                token.column,
                format!("`{keyword}` must be longer than 0"),
            ));
            None
        }
        Ok(ms) => Some(ms),
        Err(message) => {
            errors.push(LineError::new(
                token.column,
                format!("`{keyword}`: {message}"),
            ));
            None
        }
    }
}

fn stop_signal(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let names = Signal::STOP_SIGNALS.map(Signal::name);
    let expected = format!("one of {}, as in `stop-signal INT`", names.join(", "));
    let Some(token) = single_argument(line, &expected, errors) else {
        return;
    };
    match Signal::stop_signal_from_name(&token.text) {
        Some(signal) => draft.settings.stop_signal = Some(signal),
        None => errors.push(LineError::new(
            token.column,
            format!(
                "`{}` is not a stop signal: expected {expected} \
                 (KILL always follows at the stop timeout)",
                token.text
            ),
        )),
    }
}

/// A keyword whose one argument is a duration above zero, e.g.
/// `stop-timeout 10s`.
fn duration_ms_keyword(line: &Line<'_>, errors: &mut Vec<LineError>) -> Option<u64> {
    let keyword = line.keyword.text.as_ref();
    let expected = format!("a duration, as in `{keyword} 10s` or `{keyword} 500ms`");
    let token = single_argument(line, &expected, errors)?;
    positive_duration_ms(token, keyword, errors)
}

fn stop_timeout(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(ms) = duration_ms_keyword(line, errors) {
        draft.settings.stop_timeout_ms = Some(ms);
    }
}

fn respawn_delay(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(ms) = duration_ms_keyword(line, errors) {
        draft.settings.respawn_delay_ms = Some(ms);
    }
}

fn respawn_delay_max(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(ms) = duration_ms_keyword(line, errors) {
        draft.settings.respawn_delay_max_ms = Some(ms);
    }
}

fn respawn_window(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(ms) = duration_ms_keyword(line, errors) {
        draft.settings.respawn_window_ms = Some(ms);
    }
}

/// A user or group name as the databases allow (`[a-z_][a-z0-9_.-]*`, a
/// trailing `$`), or a number: anything else cannot name one.
fn is_account_name(text: &str) -> bool {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u32>().is_ok();
    }
    let body = text.strip_suffix('$').unwrap_or(text);
    let mut chars = body.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn account_error(token: &Token, what: &str) -> LineError {
    LineError::new(
        token.column,
        format!(
            "`{}` is not a {what} name or number: expected letters, digits, `_`, `.` and `-`, \
             starting with a letter or `_`",
            token.text
        ),
    )
}

fn user(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let Some(token) = single_argument(line, "a user name or uid, as in `user nobody`", errors)
    else {
        return;
    };
    if is_account_name(&token.text) {
        draft.settings.exec.user = Some(token.text.to_string());
    } else {
        errors.push(account_error(token, "user"));
    }
}

fn group(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if line.args.is_empty() {
        errors.push(
            line.missing("a primary group and any supplementary ones, as in `group www audio`"),
        );
        return;
    }
    for arg in line.args {
        if !is_account_name(&arg.text) {
            errors.push(account_error(arg, "group"));
            return;
        }
    }
    draft.settings.exec.groups = line.args.iter().map(|a| a.text.to_string()).collect();
}

fn env(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if line.args.is_empty() {
        errors.push(line.missing("one or more KEY=VALUE, as in `env LANG=C.UTF-8`"));
        return;
    }
    for arg in line.args {
        match arg.text.split_once('=') {
            Some((key, value)) if is_valid_key(key) => {
                let vars = &mut draft.settings.exec.env;
                // A later line wins, in the place the key first had, as in
                // the env file.
                match vars.iter_mut().find(|(k, _)| k == key) {
                    Some(var) => var.1 = value.to_string(),
                    None => vars.push((key.to_string(), value.to_string())),
                }
            }
            _ => errors.push(LineError::new(
                arg.column,
                format!(
                    "`{}` is not KEY=VALUE: KEY is letters, digits and `_`, not starting \
                     with a digit",
                    arg.text
                ),
            )),
        }
    }
}

/// An absolute path: relative ones would depend on init's own directory.
fn absolute_path(line: &Line<'_>, example: &str, errors: &mut Vec<LineError>) -> Option<String> {
    let token = single_argument(
        line,
        &format!("an absolute path, as in `{example}`"),
        errors,
    )?;
    if !token.text.starts_with('/') {
        errors.push(LineError::new(
            token.column,
            format!(
                "`{}` is not an absolute path: `{}` needs one starting with `/`",
                token.text, line.keyword.text
            ),
        ));
        return None;
    }
    Some(token.text.to_string())
}

fn env_file(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.env_file = absolute_path(line, "env-file /etc/default/sshd", errors);
}

fn working_dir(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.working_dir = absolute_path(line, "working-dir /var/lib/app", errors);
}

const RLIMIT_EXPECTED: &str = "a resource and a soft limit, and optionally a hard one, \
     as in `rlimit nofile 1024 4096` or `rlimit core unlimited`";

fn limit_value(token: &Token, errors: &mut Vec<LineError>) -> Option<LimitValue> {
    if token.text == "unlimited" || token.text == "infinity" {
        return Some(LimitValue::Unlimited);
    }
    if !token.text.is_empty() && token.text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(value) = token.text.parse::<u64>() {
            return Some(LimitValue::Value(value));
        }
    }
    errors.push(LineError::new(
        token.column,
        format!(
            "`{}` is not a limit: expected a whole number or `unlimited`",
            token.text
        ),
    ));
    None
}

fn rlimit(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let (Some(name), Some(soft_token)) = (line.args.first(), line.args.get(1)) else {
        errors.push(line.missing(RLIMIT_EXPECTED));
        return;
    };
    if let Some(error) = line.too_many(3, RLIMIT_EXPECTED) {
        errors.push(error);
        return;
    }
    let Some(resource) = Resource::from_name(&name.text) else {
        let names = Resource::ALL.map(Resource::as_str);
        let message = match did_you_mean(&name.text, names) {
            Some(hint) => format!("unknown resource `{}`{hint}", name.text),
            None => format!(
                "unknown resource `{}`: expected one of {}",
                name.text,
                names.join(", ")
            ),
        };
        errors.push(LineError::new(name.column, message));
        return;
    };
    let Some(soft) = limit_value(soft_token, errors) else {
        return;
    };
    let hard = match line.args.get(2) {
        Some(token) => match limit_value(token, errors) {
            Some(hard) => hard,
            None => return,
        },
        None => soft,
    };
    if let (LimitValue::Value(s), LimitValue::Value(h)) = (soft, hard) {
        if s > h {
            errors.push(LineError::new(
                soft_token.column,
                format!("the soft limit {s} is above the hard limit {h}"),
            ));
            return;
        }
    }
    if matches!((soft, hard), (LimitValue::Unlimited, LimitValue::Value(_))) {
        errors.push(LineError::new(
            soft_token.column,
            "the soft limit `unlimited` is above the hard limit",
        ));
        return;
    }
    let rlimits = &mut draft.settings.exec.rlimits;
    if rlimits.iter().any(|l| l.resource == resource) {
        errors.push(LineError::new(
            name.column,
            format!("`rlimit {}` given twice", resource.as_str()),
        ));
        return;
    }
    rlimits.push(ResourceLimit {
        resource,
        soft,
        hard,
    });
}

fn umask(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let Some(token) = single_argument(line, "an octal mask, as in `umask 027`", errors) else {
        return;
    };
    let octal = !token.text.is_empty() && token.text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(&token.text, 8) {
        Ok(mask) if octal && mask <= 0o777 => draft.settings.exec.umask = Some(mask),
        _ => errors.push(LineError::new(
            token.column,
            format!(
                "`{}` is not a umask: expected octal digits from 0 to 777, as in `umask 027`",
                token.text
            ),
        )),
    }
}

/// A whole number (with an optional `-`) from `low` to `high`.
fn bounded_integer(
    line: &Line<'_>,
    example: &str,
    low: i32,
    high: i32,
    errors: &mut Vec<LineError>,
) -> Option<i32> {
    let keyword = line.keyword.text.as_ref();
    let expected = format!("a whole number from {low} to {high}, as in `{keyword} {example}`");
    let token = single_argument(line, &expected, errors)?;
    let digits = token.text.strip_prefix('-').unwrap_or(&token.text);
    let value = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        token.text.parse::<i32>().ok()
    } else {
        None
    };
    match value.filter(|v| (low..=high).contains(v)) {
        Some(value) => Some(value),
        None => {
            errors.push(LineError::new(
                token.column,
                format!(
                    "`{}` is not a `{keyword}` value: expected {expected}",
                    token.text
                ),
            ));
            None
        }
    }
}

fn nice(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.nice = bounded_integer(line, "10", -20, 19, errors);
}

fn oom_score_adjust(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.oom_score_adjust = bounded_integer(line, "-500", -1000, 1000, errors);
}

/// `ready-fd` and `ready-file` are two ways to say one thing: one only.
fn set_ready(draft: &mut Draft, line: &Line<'_>, notice: ReadyNotice, errors: &mut Vec<LineError>) {
    if draft.settings.ready.is_some() {
        errors.push(LineError::new(
            line.keyword.column,
            "a service says it is ready one way: give `ready-fd` or `ready-file`, not both",
        ));
        return;
    }
    draft.settings.ready = Some(notice);
}

fn ready_fd(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let expected = "an fd number from 3 to 1023, as in `ready-fd 3`";
    let Some(token) = single_argument(line, expected, errors) else {
        return;
    };
    let digits = !token.text.is_empty() && token.text.bytes().all(|b| b.is_ascii_digit());
    match token.text.parse::<u32>() {
        // 0 to 2 are the service's stdio.
        Ok(fd) if digits && (3..=1023).contains(&fd) => {
            set_ready(draft, line, ReadyNotice::Fd(fd), errors)
        }
        _ => errors.push(LineError::new(
            token.column,
            format!("`{}` is not a ready fd: expected {expected}", token.text),
        )),
    }
}

fn ready_file(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(path) = absolute_path(line, "ready-file /run/app.ready", errors) {
        set_ready(draft, line, ReadyNotice::File(path), errors);
    }
}

fn ready_timeout(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(ms) = duration_ms_keyword(line, errors) {
        draft.settings.ready_timeout_ms = Some(ms);
    }
}

fn main_service(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if let Some(error) = line.too_many(0, "nothing: the line alone marks the main service") {
        errors.push(error);
        return;
    }
    draft.settings.main_service = true;
}

fn leftovers(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let expected = "`end` or `keep`, as in `leftovers keep`";
    let Some(token) = single_argument(line, expected, errors) else {
        return;
    };
    match token.text.as_ref() {
        "end" => draft.settings.leftovers = Leftovers::End,
        "keep" => draft.settings.leftovers = Leftovers::Keep,
        other => errors.push(LineError::new(
            token.column,
            format!("`{other}` is not what to do with leftovers: expected {expected}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_the_original_read_them() {
        assert_eq!(read_limit("5"), Some((Some(5), None)));
        assert_eq!(read_limit("4294967295"), Some((Some(u32::MAX), None)));
        // Leniently, with a word: too large, trailing junk, and 0.
        for (text, limit) in [("4294967296", Some(u32::MAX)), ("5x", Some(5)), ("0", None)] {
            let (read, warning) = read_limit(text).unwrap();
            assert_eq!(read, limit, "{text}");
            assert!(warning.is_some(), "{text}");
        }
        // Not starting with a digit: refused, as the original refused it.
        for text in ["+5", "", " 5", "x"] {
            assert_eq!(read_limit(text), None, "{text}");
        }
    }
}

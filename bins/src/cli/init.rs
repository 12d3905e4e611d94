//! The command line of `init`. As PID 1 it must never exit over it, so
//! `src/bin/init.rs` decides what a bad one means; this describes it (for
//! clap: the manual, the completions), reads it (by hand, for init) and
//! writes it (for a re-exec), the last two from one table of options.

use std::ffi::OsString;
use std::os::fd::RawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;
use std::sync::LazyLock;

use clap::Parser;
use init_core::supervisor::Options;
use init_os_adapter::driver::Settings;
use init_os_adapter::power::Mode;

/// The default of the [`Options`] field `$field`, as the help shows it
/// (`5s`, `100ms`): rendered from [`Options::default`], the one home of
/// the defaults. Only clap's definition (the manual, the completions,
/// the tests) reads it; init itself takes [`Args::defaults`].
macro_rules! default_ms {
    ($field:ident) => {{
        static TEXT: LazyLock<String> = LazyLock::new(|| shown_ms(Options::default().$field));
        TEXT.as_str()
    }};
}

/// `ms` in the unit the help shows a default in: whole seconds when it is
/// some, else milliseconds. [`parse`] reads either.
fn shown_ms(ms: u64) -> String {
    match ms % 1000 {
        0 => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    }
}

/// Boot and supervise services (Pygos init).
///
/// As PID 1, init boots the machine (or a container) from the enabled
/// services, supervises them, and runs the shutdown or reboot target on
/// SIGTERM or SIGINT. With --supervise it runs under another init.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "init")]
pub struct Args {
    /// Where the enabled services are (symlinks or files).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// KEY=VALUE lines: the whole environment of every service.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_ENV_FILE)]
    pub env_file: PathBuf,
    /// The control socket `service` talks to.
    #[arg(long, value_name = "PATH", default_value = init_os_adapter::client::DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Start one service at a time, as the original did.
    #[arg(long)]
    pub sequential: bool,
    /// How long a stop waits for the exit before KILL, for services
    /// without `stop-timeout`.
    #[arg(
        long = "stop-timeout",
        value_name = "DURATION",
        default_value = default_ms!(stop_timeout_ms),
        value_parser = duration_ms
    )]
    pub stop_timeout_ms: u64,
    /// Once shutdown, reboot or switch-root has begun, the most any stop
    /// waits before KILL, whatever a service's `stop-timeout` says: it
    /// bounds the way down.
    #[arg(
        long = "shutdown-stop-timeout",
        value_name = "DURATION",
        default_value = default_ms!(shutdown_stop_timeout_ms),
        value_parser = duration_ms
    )]
    pub shutdown_stop_timeout_ms: u64,
    /// How long a service with `ready-fd` or `ready-file` may take to say it
    /// is ready, for services without `ready-timeout`.
    #[arg(
        long = "ready-timeout",
        value_name = "DURATION",
        default_value = default_ms!(ready_timeout_ms),
        value_parser = duration_ms
    )]
    pub ready_timeout_ms: u64,
    /// How long a service of the shutdown or reboot target may take before
    /// it is given up on.
    #[arg(
        long = "final-service-timeout",
        value_name = "DURATION",
        default_value = default_ms!(final_service_timeout_ms),
        value_parser = duration_ms
    )]
    pub final_service_timeout_ms: u64,
    /// At the end of shutdown: the time between TERM and KILL to every
    /// remaining process, and after a KILL for a stopped service to go.
    #[arg(
        long = "kill-grace",
        value_name = "DURATION",
        default_value = default_ms!(kill_grace_ms),
        value_parser = duration_ms
    )]
    pub kill_grace_ms: u64,
    /// The least time between two starts of a respawn service, for services
    /// without `respawn-delay`.
    #[arg(
        long = "respawn-delay",
        value_name = "DURATION",
        default_value = default_ms!(respawn_delay_ms),
        value_parser = duration_ms
    )]
    pub respawn_delay_ms: u64,
    /// The cap the delay between two starts of a respawn service doubles
    /// up to after every short run, for services without
    /// `respawn-delay-max`. Equal to --respawn-delay: a constant delay, the
    /// former default.
    #[arg(
        long = "respawn-delay-max",
        value_name = "DURATION",
        default_value = default_ms!(respawn_delay_max_ms),
        value_parser = duration_ms
    )]
    pub respawn_delay_max_ms: u64,
    /// Run as a child subreaper instead of PID 1, and exit (0 unless a
    /// main service ended it) at the end of shutdown or reboot instead of
    /// calling reboot(2).
    #[arg(long)]
    pub supervise: bool,
    /// Run as a container's init: at the end, exit with the main
    /// service's status instead of calling reboot(2). Detected as PID 1
    /// of a PID namespace other than the machine's (see docs/booting.md).
    #[arg(long, conflicts_with = "no_container")]
    pub container: bool,
    /// Run as a machine's init even in a PID namespace: end with reboot(2).
    #[arg(long)]
    pub no_container: bool,
    /// Append every input and output of the supervisor to FILE as JSON
    /// lines, the same lines as `init-sim run --json` (a re-exec goes on
    /// writing there). Kept in memory until FILE can be opened.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Set by a re-exec, not by people: the memfd holding the previous
    /// init's state, to go on from instead of booting.
    #[arg(long = "handover-fd", value_name = "FD", hide = true)]
    pub handover_fd: Option<i32>,
}

/// `--config-dir` when not given.
const DEFAULT_CONFIG_DIR: &str = "/etc/init.d";

/// `--env-file` when not given.
const DEFAULT_ENV_FILE: &str = "/etc/initd.env";

/// Durations as service files write them: `2s`, `0.5`, `150ms`.
fn duration_ms(text: &str) -> Result<u64, String> {
    init_core::duration::parse_duration_ms(text)
}

impl Args {
    /// Every option at its default: an empty command line. The core's
    /// options are at [`Options::default`], their one home: clap's
    /// defaults above are rendered from it, and the tests hold the
    /// tables in docs/booting.md and docs/services.md to it.
    pub fn defaults() -> Args {
        Args::with_options(&Options::default())
    }

    /// An empty command line but for the core's `options`.
    fn with_options(options: &Options) -> Args {
        let Options {
            sequential,
            respawn_delay_ms,
            respawn_delay_max_ms,
            kill_grace_ms,
            final_service_timeout_ms,
            stop_timeout_ms,
            shutdown_stop_timeout_ms,
            ready_timeout_ms,
        } = *options;
        Args {
            config_dir: PathBuf::from(DEFAULT_CONFIG_DIR),
            env_file: PathBuf::from(DEFAULT_ENV_FILE),
            socket: PathBuf::from(init_os_adapter::client::DEFAULT_SOCKET),
            sequential,
            stop_timeout_ms,
            shutdown_stop_timeout_ms,
            ready_timeout_ms,
            final_service_timeout_ms,
            kill_grace_ms,
            respawn_delay_ms,
            respawn_delay_max_ms,
            supervise: false,
            container: false,
            no_container: false,
            trace: None,
            handover_fd: None,
        }
    }

    /// The core's options this command line sets.
    pub fn options(&self) -> Options {
        Options {
            sequential: self.sequential,
            stop_timeout_ms: self.stop_timeout_ms,
            shutdown_stop_timeout_ms: self.shutdown_stop_timeout_ms,
            ready_timeout_ms: self.ready_timeout_ms,
            final_service_timeout_ms: self.final_service_timeout_ms,
            kill_grace_ms: self.kill_grace_ms,
            respawn_delay_ms: self.respawn_delay_ms,
            respawn_delay_max_ms: self.respawn_delay_max_ms,
        }
    }

    /// The command line that has a new init go on with `settings` from
    /// the hand-over in `handover_fd`: a re-exec's. The mode is said
    /// outright, so that the new init does not detect it again.
    pub fn of_reexec(settings: &Settings, handover_fd: RawFd) -> Args {
        Args {
            config_dir: settings.config_dir.clone(),
            env_file: settings.env_file.clone(),
            socket: settings.socket.clone(),
            supervise: settings.mode == Mode::Supervise,
            container: settings.mode == Mode::Container,
            no_container: settings.mode == Mode::Pid1,
            trace: settings.trace.clone(),
            handover_fd: Some(handover_fd),
            ..Args::with_options(&settings.options)
        }
    }
}

/// The arguments (without the program name) a re-exec starts the new
/// init with: [`Args::of_reexec`], rendered. The driver calls it through
/// [`Settings::reexec_args`], so that the os-adapter holds no copy of the
/// command line.
pub fn reexec_args(settings: &Settings, handover_fd: RawFd) -> Vec<OsString> {
    render(&Args::of_reexec(settings, handover_fd))
}

/// What init's command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Args),
    /// `-h` or `--help`: print [`HELP`] and exit 0.
    Help,
}

/// `init --help`: what clap renders for [`Args`], kept in a generated file
/// (`bins/src/cli/init-help.txt`, regenerated with the man pages) so that
/// init itself carries no clap.
pub const HELP: &str = include_str!("init-help.txt");

/// The path of [`HELP`]'s file from the repository root.
pub const HELP_FILE: &str = "bins/src/cli/init-help.txt";

/// One option of init's command line: its name after `--`, and the field
/// of [`Args`] it reads into and is rendered from. [`parse`] and
/// [`render`] go by [`OPTIONS`] alone, and a test holds it to clap's
/// definition, so that a new option is a field of [`Args`] and a row
/// there.
struct Opt {
    name: &'static str,
    field: Field,
}

/// A field of [`Args`], to read and to set.
struct Access<T> {
    get: fn(&Args) -> &T,
    set: fn(&mut Args) -> &mut T,
}

/// The option `--$name`, a [`Field`] of kind `$kind`: the field `$field`
/// of [`Args`].
macro_rules! option {
    ($name:literal, $kind:ident, $field:ident) => {
        Opt {
            name: $name,
            field: Field::$kind(Access {
                get: |args| &args.$field,
                set: |args| &mut args.$field,
            }),
        }
    };
}

/// What an option's value is, and which field it goes to.
enum Field {
    /// No value: present means true.
    Flag(Access<bool>),
    Path(Access<PathBuf>),
    OptionalPath(Access<Option<PathBuf>>),
    /// A duration as service files write it, in milliseconds.
    DurationMs(Access<u64>),
    OptionalFd(Access<Option<i32>>),
}

impl Field {
    #[cfg(test)]
    fn takes_value(&self) -> bool {
        !matches!(self, Field::Flag(_))
    }
}

/// Every option [`parse`] reads and [`render`] writes, in the order of
/// [`Args`].
const OPTIONS: &[Opt] = &[
    option!("config-dir", Path, config_dir),
    option!("env-file", Path, env_file),
    option!("socket", Path, socket),
    option!("sequential", Flag, sequential),
    option!("stop-timeout", DurationMs, stop_timeout_ms),
    option!(
        "shutdown-stop-timeout",
        DurationMs,
        shutdown_stop_timeout_ms
    ),
    option!("ready-timeout", DurationMs, ready_timeout_ms),
    option!(
        "final-service-timeout",
        DurationMs,
        final_service_timeout_ms
    ),
    option!("kill-grace", DurationMs, kill_grace_ms),
    option!("respawn-delay", DurationMs, respawn_delay_ms),
    option!("respawn-delay-max", DurationMs, respawn_delay_max_ms),
    option!("supervise", Flag, supervise),
    option!("container", Flag, container),
    option!("no-container", Flag, no_container),
    option!("trace", OptionalPath, trace),
    option!("handover-fd", OptionalFd, handover_fd),
];

/// Reads init's command line (without the program name) by hand, as clap
/// would read it for [`Args`]: `--name VALUE` or `--name=VALUE`, each at
/// most once, `--` ending the options, and `-h`/`--help` answered where
/// it comes. clap was 365 kB of init's 2 MB binary and some 300 kB of
/// PID 1's resident memory for good, for a dozen options read once; the
/// tests below hold this parser to clap's answers on the same
/// definition.
///
/// An error is one line that says which argument and why.
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Parsed, String> {
    let mut parsed = Args::defaults();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // The name must be text; an inline value may be any bytes, a path.
        let (text, inline) = match arg.as_bytes().iter().position(|&b| b == b'=') {
            Some(at) => (
                std::str::from_utf8(&arg.as_bytes()[..at]).ok(),
                Some(OsString::from_vec(arg.as_bytes()[at + 1..].to_vec())),
            ),
            None => (arg.to_str(), None),
        };
        let Some(text) = text else {
            return Err(format!("unexpected argument '{}'", arg.to_string_lossy()));
        };
        if inline.is_none() && text == "--" {
            match args.next() {
                Some(extra) => {
                    return Err(format!("unexpected argument '{}'", extra.to_string_lossy()))
                }
                None => break,
            }
        }
        if inline.is_none() && (text == "-h" || text == "--help") {
            return Ok(Parsed::Help);
        }
        let Some(name) = text.strip_prefix("--") else {
            return Err(format!("unexpected argument '{}'", arg.to_string_lossy()));
        };
        let Some(option) = OPTIONS.iter().find(|known| known.name == name) else {
            return Err(format!("unexpected argument '--{name}'"));
        };
        let name = option.name;
        if seen.contains(&name) {
            return Err(format!("--{name} given more than once"));
        }
        seen.push(name);
        if let Field::Flag(flag) = &option.field {
            if inline.is_some() {
                return Err(format!("--{name} takes no value"));
            }
            *(flag.set)(&mut parsed) = true;
            continue;
        }
        // As clap: the next argument is the value unless it looks like an
        // option itself (`-` alone is a value).
        let value = match inline {
            Some(value) => value,
            None => match args.next() {
                Some(next) if next == "-" || !next.to_string_lossy().starts_with('-') => next,
                _ => return Err(format!("--{name} needs a value")),
            },
        };
        if value.is_empty() {
            return Err(format!("--{name} needs a value"));
        }
        let text_value = || {
            value
                .to_str()
                .ok_or_else(|| format!("--{name}: the value is not UTF-8"))
        };
        match &option.field {
            Field::Flag(_) => {}
            Field::Path(path) => *(path.set)(&mut parsed) = PathBuf::from(&value),
            Field::OptionalPath(path) => *(path.set)(&mut parsed) = Some(PathBuf::from(&value)),
            Field::DurationMs(ms) => {
                let text = text_value()?;
                *(ms.set)(&mut parsed) =
                    duration_ms(text).map_err(|why| format!("--{name} '{text}': {why}"))?;
            }
            Field::OptionalFd(fd) => {
                let text = text_value()?;
                let number = text
                    .parse()
                    .map_err(|_| format!("--{name} '{text}': not a file descriptor number"))?;
                *(fd.set)(&mut parsed) = Some(number);
            }
        }
    }
    if parsed.container && parsed.no_container {
        return Err("--container and --no-container cannot go together".to_string());
    }
    Ok(Parsed::Run(parsed))
}

/// Writes `args` as a command line (without the program name) that
/// [`parse`] reads back as `args`: every value inline (`--name=VALUE`, so
/// that one that starts with `-` stays a value), durations in
/// milliseconds, flags only when set, and absent values left out. A path
/// cannot be empty on a command line.
pub fn render(args: &Args) -> Vec<OsString> {
    let mut line = Vec::new();
    for option in OPTIONS {
        let value: Option<OsString> = match &option.field {
            Field::Flag(flag) => {
                if *(flag.get)(args) {
                    line.push(OsString::from(format!("--{}", option.name)));
                }
                continue;
            }
            Field::Path(path) => Some((path.get)(args).clone().into_os_string()),
            Field::OptionalPath(path) => (path.get)(args).clone().map(PathBuf::into_os_string),
            Field::DurationMs(ms) => Some(format!("{}ms", (ms.get)(args)).into()),
            Field::OptionalFd(fd) => (fd.get)(args).map(|fd| fd.to_string().into()),
        };
        if let Some(value) = value {
            let mut word = OsString::from(format!("--{}=", option.name));
            word.push(value);
            line.push(word);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;
    use proptest::prelude::*;

    /// What clap makes of the same command line, in [`parse`]'s terms.
    fn clap_says(args: &[&str]) -> Result<Parsed, ()> {
        match Args::try_parse_from(std::iter::once("init").chain(args.iter().copied())) {
            Ok(args) => Ok(Parsed::Run(args)),
            Err(e) if e.kind() == ErrorKind::DisplayHelp => Ok(Parsed::Help),
            Err(_) => Err(()),
        }
    }

    fn hand_says(args: &[&str]) -> Result<Parsed, String> {
        parse(args.iter().map(OsString::from))
    }

    fn agree(args: &[&str]) {
        let hand = hand_says(args);
        let clap = clap_says(args);
        match (&hand, &clap) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(_), Err(())) => {}
            _ => panic!("{args:?}: by hand {hand:?}, clap {clap:?}"),
        }
    }

    #[test]
    fn an_empty_command_line_is_the_defaults() {
        assert_eq!(hand_says(&[]), Ok(Parsed::Run(Args::defaults())));
        agree(&[]);
    }

    #[test]
    fn every_option_in_both_spellings() {
        type Holds = fn(&Args) -> bool;
        let cases: &[(&[&str], Holds)] = &[
            (&["--config-dir", "/c"], |a| a.config_dir == Path::new("/c")),
            (&["--env-file=/e"], |a| a.env_file == Path::new("/e")),
            (&["--socket", "-"], |a| a.socket == Path::new("-")),
            (&["--socket=a=b"], |a| a.socket == Path::new("a=b")),
            (&["--sequential"], |a| a.sequential),
            (&["--stop-timeout", "2s"], |a| a.stop_timeout_ms == 2_000),
            (&["--shutdown-stop-timeout=20s"], |a| {
                a.shutdown_stop_timeout_ms == 20_000
            }),
            (&["--ready-timeout=0.5"], |a| a.ready_timeout_ms == 500),
            (&["--final-service-timeout", "1m"], |a| {
                a.final_service_timeout_ms == 60_000
            }),
            (&["--kill-grace=150ms"], |a| a.kill_grace_ms == 150),
            (&["--respawn-delay", "3s"], |a| a.respawn_delay_ms == 3_000),
            (&["--respawn-delay-max=100ms"], |a| {
                a.respawn_delay_max_ms == 100
            }),
            (&["--supervise"], |a| a.supervise),
            (&["--container"], |a| a.container),
            (&["--no-container"], |a| a.no_container),
            (&["--trace", "/t"], |a| {
                a.trace.as_deref() == Some(Path::new("/t"))
            }),
            (&["--handover-fd", "7"], |a| a.handover_fd == Some(7)),
            (&["--sequential", "--"], |a| a.sequential),
        ];
        for (args, holds) in cases {
            match hand_says(args) {
                Ok(Parsed::Run(parsed)) => assert!(holds(&parsed), "{args:?}: {parsed:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
            agree(args);
        }
    }

    #[test]
    fn a_re_exec_command_line_carries_every_setting() {
        use init_os_adapter::handover;
        let options = Options {
            sequential: true,
            respawn_delay_ms: 101,
            respawn_delay_max_ms: 107,
            kill_grace_ms: 102,
            final_service_timeout_ms: 103,
            stop_timeout_ms: 104,
            shutdown_stop_timeout_ms: 105,
            ready_timeout_ms: 106,
        };
        let settings = Settings {
            config_dir: PathBuf::from("/c"),
            env_file: PathBuf::from("/e"),
            socket: PathBuf::from("/s"),
            options: options.clone(),
            mode: Mode::Container,
            binary: None,
            trace: Some(PathBuf::from("/t")),
            reexec_args,
        };
        let line = handover::command_line(Path::new("/sbin/init"), &settings, 3);
        assert_eq!(line[0], "/sbin/init");
        match parse(line.into_iter().skip(1)) {
            Ok(Parsed::Run(args)) => {
                assert_eq!(args.options(), options);
                assert_eq!(args.config_dir, settings.config_dir);
                assert_eq!(args.env_file, settings.env_file);
                assert_eq!(args.socket, settings.socket);
                assert_eq!(args.trace, settings.trace);
                assert!(args.container && !args.no_container && !args.supervise);
                assert_eq!(args.handover_fd, Some(3));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_table_holds_every_option_of_the_clap_definition() {
        let clap: Vec<(String, bool)> = Args::command()
            .get_arguments()
            .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version"))
            .map(|arg| {
                let long = arg.get_long().expect("every option of init is long");
                (long.to_string(), arg.get_action().takes_values())
            })
            .collect();
        let table: Vec<(String, bool)> = OPTIONS
            .iter()
            .map(|option| (option.name.to_string(), option.field.takes_value()))
            .collect();
        assert_eq!(table, clap);
    }

    /// Each option's default as clap shows it (help, manual, completions),
    /// read back into [`Args`] by [`parse`].
    fn clap_defaults() -> Args {
        let mut line = Vec::new();
        for arg in Args::command().get_arguments() {
            if let (Some(long), [default]) = (arg.get_long(), arg.get_default_values()) {
                let mut word = OsString::from(format!("--{long}="));
                word.push(default);
                line.push(word);
            }
        }
        match parse(line) {
            Ok(Parsed::Run(args)) => args,
            other => panic!("clap's defaults do not parse: {other:?}"),
        }
    }

    #[test]
    fn clap_shows_the_cores_defaults() {
        assert_eq!(clap_defaults(), Args::defaults());
        assert_eq!(Args::defaults().options(), Options::default());
    }

    /// The repository's `docs/NAME`.
    fn doc(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The cells of the table row of `text` (a docs file) whose first
    /// cell is `` `WORD` `` or `` `WORD VALUE` ``, without the first.
    fn table_row<'a>(text: &'a str, word: &str) -> Option<Vec<&'a str>> {
        text.lines().find_map(|line| {
            let mut cells = line.strip_prefix("| `")?.strip_suffix(" |")?.split(" | ");
            let first = cells.next()?.trim_end_matches('`');
            (first.split(' ').next() == Some(word)).then(|| cells.collect())
        })
    }

    /// `` `5s` `` (and what may follow it) as milliseconds.
    fn documented_ms(cell: &str) -> u64 {
        let text = cell
            .trim_start_matches('`')
            .split('`')
            .next()
            .unwrap_or(cell);
        duration_ms(text).unwrap_or_else(|why| panic!("{cell}: {why}"))
    }

    #[test]
    fn docs_booting_md_shows_every_option_and_its_default() {
        let text = doc("booting.md");
        let defaults = Args::defaults();
        for option in OPTIONS.iter().filter(|o| o.name != "handover-fd") {
            let flag = format!("--{}", option.name);
            let Some(cells) = table_row(&text, &flag) else {
                panic!("docs/booting.md has no row for {flag}");
            };
            let shown = cells[0];
            let place = format!("docs/booting.md's default of {flag}: {shown}");
            match &option.field {
                Field::Flag(_) => assert!(["off", "detected"].contains(&shown), "{place}"),
                Field::Path(path) => {
                    let expected = format!("`{}`", (path.get)(&defaults).display());
                    assert_eq!(shown, expected, "{place}");
                }
                Field::OptionalPath(_) | Field::OptionalFd(_) => {
                    assert_eq!(shown, "off", "{place}")
                }
                Field::DurationMs(ms) => {
                    assert_eq!(documented_ms(shown), *(ms.get)(&defaults), "{place}")
                }
            }
        }
    }

    #[test]
    fn docs_services_md_shows_the_cores_defaults() {
        let text = doc("services.md");
        let options = Options::default();
        for (keyword, ms) in [
            ("stop-timeout", options.stop_timeout_ms),
            ("ready-timeout", options.ready_timeout_ms),
            ("respawn-delay", options.respawn_delay_ms),
            ("respawn-delay-max", options.respawn_delay_max_ms),
        ] {
            let Some(cells) = table_row(&text, keyword) else {
                panic!("docs/services.md has no row for {keyword}");
            };
            // The last column: what a missing keyword means.
            let shown = cells.last().copied().unwrap_or_default();
            assert_eq!(
                documented_ms(shown),
                ms,
                "docs/services.md: {keyword}: {shown}"
            );
        }
    }

    #[test]
    fn errors_say_which_argument_and_why() {
        let cases: &[(&[&str], &str)] = &[
            (&["--bogus"], "unexpected argument '--bogus'"),
            (&["single"], "unexpected argument 'single'"),
            (&["--", "x"], "unexpected argument 'x'"),
            (&["--socket"], "--socket needs a value"),
            (&["--socket", "--sequential"], "--socket needs a value"),
            (&["--socket="], "--socket needs a value"),
            (&["--sequential=yes"], "--sequential takes no value"),
            (
                &["--socket", "a", "--socket=b"],
                "--socket given more than once",
            ),
            (
                &["--stop-timeout", "5x"],
                "--stop-timeout '5x': bad duration '5x' (write e.g. 2s, 0.5s, 150ms)",
            ),
            (
                &["--handover-fd", "x"],
                "--handover-fd 'x': not a file descriptor number",
            ),
            (
                &["--container", "--no-container"],
                "--container and --no-container cannot go together",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(hand_says(args), Err(expected.to_string()), "{args:?}");
            agree(args);
        }
    }

    #[test]
    fn help_is_what_clap_renders() {
        assert_eq!(hand_says(&["--help"]), Ok(Parsed::Help));
        assert_eq!(hand_says(&["--sequential", "-h"]), Ok(Parsed::Help));
        assert_eq!(HELP, Args::command().render_long_help().to_string());
    }

    #[test]
    fn a_value_that_is_not_utf8_is_a_path_only() {
        let odd = OsString::from_vec(vec![b'/', 0xff]);
        let parsed = parse([OsString::from("--socket"), odd.clone()]);
        assert!(matches!(parsed, Ok(Parsed::Run(ref a)) if a.socket == Path::new(&odd)));
        let mut inline = OsString::from("--socket=");
        inline.push(&odd);
        let parsed = parse([inline]);
        assert!(matches!(parsed, Ok(Parsed::Run(ref a)) if a.socket == Path::new(&odd)));
        let bad = parse([OsString::from("--kill-grace"), odd]);
        assert_eq!(bad, Err("--kill-grace: the value is not UTF-8".to_string()));
    }

    /// Pieces of command lines: every option bare and with `=`, values
    /// good and bad, and what clap treats specially.
    const WORDS: &[&str] = &[
        "--config-dir",
        "--config-dir=/c",
        "--env-file",
        "--env-file=",
        "--socket",
        "--socket=x=y",
        "--sequential",
        "--sequential=1",
        "--stop-timeout",
        "--stop-timeout=150ms",
        "--shutdown-stop-timeout",
        "--shutdown-stop-timeout=1s",
        "--ready-timeout",
        "--final-service-timeout=1m",
        "--kill-grace",
        "--respawn-delay",
        "--respawn-delay-max=30s",
        "--supervise",
        "--container",
        "--no-container",
        "--trace",
        "--trace=/t",
        "--handover-fd",
        "--handover-fd=3",
        "--help",
        "-h",
        "--",
        "-",
        "--bogus",
        "-x",
        "single",
        "/p",
        "5s",
        "0.5",
        "5x",
        "7",
        "-1",
        "+4",
        "",
        "--=",
        "---socket",
    ];

    /// A path a command line can carry: any bytes but none.
    fn path() -> impl Strategy<Value = PathBuf> {
        prop::collection::vec(any::<u8>(), 1..12).prop_map(|b| PathBuf::from(OsString::from_vec(b)))
    }

    prop_compose! {
        /// Any [`Args`] a command line can say.
        fn any_args()(
            paths in (path(), path(), path(), prop::option::of(path())),
            sequential in any::<bool>(),
            durations in prop::array::uniform7(any::<u64>()),
            mode in 0..4,
            handover_fd in prop::option::of(any::<i32>()),
        ) -> Args {
            let (config_dir, env_file, socket, trace) = paths;
            let [stop, shutdown_stop, ready, final_service, grace, delay, delay_max] = durations;
            Args {
                config_dir,
                env_file,
                socket,
                sequential,
                stop_timeout_ms: stop,
                shutdown_stop_timeout_ms: shutdown_stop,
                ready_timeout_ms: ready,
                final_service_timeout_ms: final_service,
                kill_grace_ms: grace,
                respawn_delay_ms: delay,
                respawn_delay_max_ms: delay_max,
                supervise: mode == 1,
                container: mode == 2,
                no_container: mode == 3,
                trace,
                handover_fd,
            }
        }
    }

    proptest! {
        /// What [`render`] writes, [`parse`] reads back as it was.
        #[test]
        fn parse_reads_back_what_render_writes(args in any_args()) {
            prop_assert_eq!(parse(render(&args)), Ok(Parsed::Run(args)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// On any command line the parser and clap agree: the same
        /// options, help, or an error.
        #[test]
        fn agrees_with_clap(picks in prop::collection::vec(0..WORDS.len(), 0..7)) {
            let args: Vec<&str> = picks.iter().map(|&i| WORDS[i]).collect();
            agree(&args);
        }
    }
}

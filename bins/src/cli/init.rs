//! The command line of `init`. As PID 1 it must never exit over it, so
//! `src/bin/init.rs` decides what a bad one means; this describes it (for
//! clap: the manual, the completions) and reads it (by hand, for init).

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;

use clap::Parser;
use init_core::supervisor::Options;

/// Boot and supervise services (Pygos init).
///
/// As PID 1, init boots the machine (or a container) from the enabled
/// services, supervises them, and runs the shutdown or reboot target on
/// SIGTERM or SIGINT. With --supervise it runs under another init.
#[derive(Debug, PartialEq, Eq, Parser)]
#[command(name = "init")]
pub struct Args {
    /// Where the enabled services are (symlinks or files).
    #[arg(long, value_name = "DIR", default_value = "/etc/init.d")]
    pub config_dir: PathBuf,
    /// KEY=VALUE lines: the whole environment of every service.
    #[arg(long, value_name = "PATH", default_value = "/etc/initd.env")]
    pub env_file: PathBuf,
    /// The control socket `service` talks to.
    #[arg(long, value_name = "PATH", default_value = init_os_adapter::client::DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Start one service at a time, as the original did.
    #[arg(long)]
    pub sequential: bool,
    /// How long a stop waits for the exit before KILL, for services
    /// without `stop-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration_ms)]
    pub stop_timeout: u64,
    /// Once shutdown, reboot or switch-root has begun, the most any stop
    /// waits before KILL, whatever a service's `stop-timeout` says: it
    /// bounds the way down.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration_ms)]
    pub shutdown_stop_timeout: u64,
    /// How long a service with `ready-fd` or `ready-file` may take to say it
    /// is ready, for services without `ready-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration_ms)]
    pub ready_timeout: u64,
    /// How long a service of the shutdown or reboot target may take before
    /// it is given up on.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration_ms)]
    pub final_service_timeout: u64,
    /// At the end of shutdown: the time between TERM and KILL to every
    /// remaining process, and after a KILL for a stopped service to go.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration_ms)]
    pub kill_grace: u64,
    /// The least time between two starts of a respawn service, for services
    /// without `respawn-delay`.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = duration_ms)]
    pub respawn_delay: u64,
    /// The cap the delay between two starts of a respawn service doubles
    /// up to after every short run, for services without
    /// `respawn-delay-max`. Equal to --respawn-delay: a constant delay, the
    /// former default.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration_ms)]
    pub respawn_delay_max: u64,
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

/// Durations as service files write them: `2s`, `0.5`, `150ms`.
fn duration_ms(text: &str) -> Result<u64, String> {
    init_core::duration::parse_duration_ms(text)
}

impl Args {
    /// Every option at its default: an empty command line.
    pub fn defaults() -> Args {
        Args {
            config_dir: PathBuf::from("/etc/init.d"),
            env_file: PathBuf::from("/etc/initd.env"),
            socket: PathBuf::from(init_os_adapter::client::DEFAULT_SOCKET),
            sequential: false,
            stop_timeout: 5_000,
            shutdown_stop_timeout: 5_000,
            ready_timeout: 30_000,
            final_service_timeout: 30_000,
            kill_grace: 5_000,
            respawn_delay: 100,
            respawn_delay_max: 5_000,
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
            stop_timeout_ms: self.stop_timeout,
            shutdown_stop_timeout_ms: self.shutdown_stop_timeout,
            ready_timeout_ms: self.ready_timeout,
            final_service_timeout_ms: self.final_service_timeout,
            kill_grace_ms: self.kill_grace,
            respawn_delay_ms: self.respawn_delay,
            respawn_delay_max_ms: self.respawn_delay_max,
        }
    }
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
        let Some(&(name, takes_value)) = OPTIONS.iter().find(|(known, _)| *known == name) else {
            return Err(format!("unexpected argument '--{name}'"));
        };
        if seen.contains(&name) {
            return Err(format!("--{name} given more than once"));
        }
        seen.push(name);
        if !takes_value {
            if inline.is_some() {
                return Err(format!("--{name} takes no value"));
            }
            match name {
                "sequential" => parsed.sequential = true,
                "supervise" => parsed.supervise = true,
                "container" => parsed.container = true,
                _ => parsed.no_container = true,
            }
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
        let duration = || {
            text_value().and_then(|text| {
                duration_ms(text).map_err(|why| format!("--{name} '{text}': {why}"))
            })
        };
        match name {
            "config-dir" => parsed.config_dir = PathBuf::from(&value),
            "env-file" => parsed.env_file = PathBuf::from(&value),
            "socket" => parsed.socket = PathBuf::from(&value),
            "trace" => parsed.trace = Some(PathBuf::from(&value)),
            "stop-timeout" => parsed.stop_timeout = duration()?,
            "shutdown-stop-timeout" => parsed.shutdown_stop_timeout = duration()?,
            "ready-timeout" => parsed.ready_timeout = duration()?,
            "final-service-timeout" => parsed.final_service_timeout = duration()?,
            "kill-grace" => parsed.kill_grace = duration()?,
            "respawn-delay" => parsed.respawn_delay = duration()?,
            "respawn-delay-max" => parsed.respawn_delay_max = duration()?,
            _ => {
                let text = text_value()?;
                let fd = text
                    .parse()
                    .map_err(|_| format!("--{name} '{text}': not a file descriptor number"))?;
                parsed.handover_fd = Some(fd);
            }
        }
    }
    if parsed.container && parsed.no_container {
        return Err("--container and --no-container cannot go together".to_string());
    }
    Ok(Parsed::Run(parsed))
}

/// Every option [`parse`] knows, and whether it takes a value.
const OPTIONS: [(&str, bool); 16] = [
    ("config-dir", true),
    ("env-file", true),
    ("socket", true),
    ("sequential", false),
    ("stop-timeout", true),
    ("shutdown-stop-timeout", true),
    ("ready-timeout", true),
    ("final-service-timeout", true),
    ("kill-grace", true),
    ("respawn-delay", true),
    ("respawn-delay-max", true),
    ("supervise", false),
    ("container", false),
    ("no-container", false),
    ("trace", true),
    ("handover-fd", true),
];

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
            (&["--stop-timeout", "2s"], |a| a.stop_timeout == 2_000),
            (&["--shutdown-stop-timeout=20s"], |a| {
                a.shutdown_stop_timeout == 20_000
            }),
            (&["--ready-timeout=0.5"], |a| a.ready_timeout == 500),
            (&["--final-service-timeout", "1m"], |a| {
                a.final_service_timeout == 60_000
            }),
            (&["--kill-grace=150ms"], |a| a.kill_grace == 150),
            (&["--respawn-delay", "3s"], |a| a.respawn_delay == 3_000),
            (&["--respawn-delay-max=100ms"], |a| {
                a.respawn_delay_max == 100
            }),
            (&["--supervise"], |a| a.supervise),
            (&["--container"], |a| a.container),
            (&["--no-container"], |a| a.no_container),
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
    fn a_re_exec_command_line_carries_every_option() {
        use init_os_adapter::driver::Settings;
        use init_os_adapter::handover;
        use init_os_adapter::power::Mode;
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
            mode: Mode::Pid1,
            binary: None,
            trace: Some(PathBuf::from("/run/init.trace")),
        };
        let line = handover::command_line(Path::new("/sbin/init"), &settings, 3);
        match parse(line.into_iter().skip(1).map(OsString::from)) {
            Ok(Parsed::Run(args)) => {
                assert_eq!(args.options(), options);
                assert_eq!(args.trace, settings.trace);
            }
            other => panic!("{other:?}"),
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

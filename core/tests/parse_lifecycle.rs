//! The lifecycle keywords (`stop-signal`, `stop-timeout`, ...): what each
//! accepts, and the `FILE:LINE:COL` error each bad value gets.

use init_core::events::Signal;
use init_core::service::{
    ExecSettings, Leftovers, LimitValue, ReadyNotice, Resource, ResourceLimit,
};
use keyword_support::{parse, service};
use rstest::rstest;

mod keyword_support;

#[test]
fn a_file_without_the_new_keywords_keeps_the_defaults() {
    assert_eq!(service("").settings, Default::default());
}

/// The settings take room on the heap only when a file has some (see
/// `OutOfLine`), and the exec settings only when it has those.
#[test]
fn settings_are_boxed_only_when_a_file_has_some() {
    let plain = service("description d");
    assert!(!plain.settings.is_boxed());
    assert!(!plain.settings.exec.is_boxed());
    let lifecycle = service("stop-timeout 2s");
    assert!(lifecycle.settings.is_boxed());
    assert!(!lifecycle.settings.exec.is_boxed());
    let exec = service("user www");
    assert!(exec.settings.is_boxed());
    assert!(exec.settings.exec.is_boxed());
}

/// A box a write left at the default is the default in every way that
/// shows: equal, hashed, printed and serialised alike, and read back
/// unboxed.
#[test]
fn a_boxed_default_is_the_default() {
    use init_core::service::{OutOfLine, ServiceSettings};
    use std::hash::{BuildHasher, RandomState};

    let inline = OutOfLine::<ServiceSettings>::default();
    let mut written = OutOfLine::<ServiceSettings>::default();
    written.stop_timeout_ms = Some(1);
    written.stop_timeout_ms = None;
    assert!(written.is_boxed() && !inline.is_boxed());
    assert_eq!(written, inline);
    let hasher = RandomState::new();
    assert_eq!(hasher.hash_one(&written), hasher.hash_one(&inline));
    assert_eq!(format!("{written:?}"), format!("{inline:?}"));
    let json = serde_json::to_string(&written).unwrap();
    assert_eq!(json, serde_json::to_string(&inline).unwrap());
    let back: OutOfLine<ServiceSettings> = serde_json::from_str(&json).unwrap();
    assert!(!back.is_boxed());
    assert_eq!(back, inline);
}

#[rstest]
#[case::term("stop-signal TERM", Signal::Term)]
#[case::with_sig_prefix("stop-signal SIGINT", Signal::Int)]
#[case::hup("stop-signal HUP", Signal::Hup)]
#[case::quit("stop-signal QUIT", Signal::Quit)]
#[case::usr1("stop-signal USR1", Signal::Usr1)]
#[case::usr2("stop-signal USR2", Signal::Usr2)]
fn stop_signal_names_a_signal(#[case] line: &str, #[case] signal: Signal) {
    assert_eq!(service(line).settings.stop_signal, Some(signal));
}

#[rstest]
#[case::seconds("stop-timeout 10s", 10_000)]
#[case::milliseconds("stop-timeout 250ms", 250)]
#[case::fraction("stop-timeout 1.5s", 1500)]
#[case::minutes("stop-timeout 2m", 120_000)]
fn stop_timeout_takes_a_duration(#[case] line: &str, #[case] ms: u64) {
    assert_eq!(service(line).settings.stop_timeout_ms, Some(ms));
}

#[test]
fn the_respawn_keywords_take_durations() {
    let settings =
        service("respawn-delay 250ms\nrespawn-delay-max 1m\nrespawn-window 30s").settings;
    assert_eq!(settings.respawn_delay_ms, Some(250));
    assert_eq!(settings.respawn_delay_max_ms, Some(60_000));
    assert_eq!(settings.respawn_window_ms, Some(30_000));
}

#[test]
fn plain_respawn_limit_keeps_its_meaning() {
    let def = service("");
    assert_eq!(def.settings.respawn_delay_ms, None);
    assert_eq!(def.settings.respawn_delay_max_ms, None);
    assert_eq!(def.settings.respawn_window_ms, None);
}

#[test]
fn the_execution_keywords_fill_the_exec_settings() {
    let exec = service(
        "user www\ngroup www audio 44\nenv A=1 B=x=y\nenv A=2\nenv-file /etc/default/www\n\
         working-dir /srv/www\nrlimit nofile 1024 4096\nrlimit core unlimited\numask 027\n\
         nice -5\noom-score-adjust -500",
    )
    .settings
    .exec
    .clone();
    assert_eq!(
        *exec,
        ExecSettings {
            user: Some("www".to_string()),
            groups: vec!["www".to_string(), "audio".to_string(), "44".to_string()],
            env: vec![
                ("A".to_string(), "2".to_string()),
                ("B".to_string(), "x=y".to_string())
            ],
            env_file: Some("/etc/default/www".to_string()),
            working_dir: Some("/srv/www".to_string()),
            rlimits: vec![
                ResourceLimit {
                    resource: Resource::Nofile,
                    soft: LimitValue::Value(1024),
                    hard: LimitValue::Value(4096),
                },
                ResourceLimit {
                    resource: Resource::Core,
                    soft: LimitValue::Unlimited,
                    hard: LimitValue::Unlimited,
                },
            ],
            umask: Some(0o027),
            nice: Some(-5),
            oom_score_adjust: Some(-500),
            sandbox: Default::default(),
        }
    );
}

#[rstest]
#[case::fd("ready-fd 3", Some(ReadyNotice::Fd(3)), None)]
#[case::file("ready-file /run/x.ready", Some(ReadyNotice::File("/run/x.ready".to_string())), None)]
#[case::timeout(
    "ready-fd 4\nready-timeout 90s",
    Some(ReadyNotice::Fd(4)),
    Some(90_000)
)]
fn readiness_is_an_fd_or_a_file(
    #[case] text: &str,
    #[case] ready: Option<ReadyNotice>,
    #[case] timeout_ms: Option<u64>,
) {
    let settings = service(text).settings;
    assert_eq!(settings.ready, ready);
    assert_eq!(settings.ready_timeout_ms, timeout_ms);
}

#[rstest]
#[case::default("", Leftovers::End)]
#[case::end("leftovers end", Leftovers::End)]
#[case::keep("leftovers keep", Leftovers::Keep)]
fn leftovers_are_ended_unless_kept(#[case] line: &str, #[case] leftovers: Leftovers) {
    assert_eq!(service(line).settings.leftovers, leftovers);
}

#[rstest]
#[case::leftovers_word(
    "leftovers maybe",
    "svc:4:11: `maybe` is not what to do with leftovers: expected `end` or `keep`, \
     as in `leftovers keep`"
)]
#[case::kill_is_not_a_stop_signal(
    "stop-signal KILL",
    "svc:4:13: `KILL` is not a stop signal: expected one of TERM, HUP, INT, QUIT, USR1, \
     USR2, as in `stop-signal INT` (KILL always follows at the stop timeout)"
)]
#[case::lowercase_signal(
    "stop-signal term",
    "svc:4:13: `term` is not a stop signal: expected one of TERM, HUP, INT, QUIT, USR1, \
     USR2, as in `stop-signal INT` (KILL always follows at the stop timeout)"
)]
#[case::no_signal(
    "stop-signal",
    "svc:4:13: `stop-signal` expects one of TERM, HUP, INT, QUIT, USR1, USR2, as in \
     `stop-signal INT`"
)]
#[case::two_signals(
    "stop-signal TERM INT",
    "svc:4:18: unexpected `INT`: `stop-signal` expects one of TERM, HUP, INT, QUIT, USR1, \
     USR2, as in `stop-signal INT`"
)]
#[case::timeout_without_value(
    "stop-timeout",
    "svc:4:14: `stop-timeout` expects a duration, as in `stop-timeout 10s` or \
     `stop-timeout 500ms`"
)]
#[case::timeout_not_a_duration(
    "stop-timeout soon",
    "svc:4:14: `stop-timeout`: bad duration 'soon' (write e.g. 2s, 0.5s, 150ms)"
)]
#[case::timeout_zero("stop-timeout 0s", "svc:4:14: `stop-timeout` must be longer than 0")]
#[case::respawn_delay_without_unit_suffix_garbage(
    "respawn-delay 1x",
    "svc:4:15: `respawn-delay`: bad duration '1x' (write e.g. 2s, 0.5s, 150ms)"
)]
#[case::respawn_delay_max_without_value(
    "respawn-delay-max",
    "svc:4:19: `respawn-delay-max` expects a duration, as in `respawn-delay-max 10s` or \
     `respawn-delay-max 500ms`"
)]
#[case::respawn_window_zero("respawn-window 0", "svc:4:16: `respawn-window` must be longer than 0")]
#[case::respawn_window_finer_than_a_millisecond(
    "respawn-window 0.0005s",
    "svc:4:16: `respawn-window`: duration '0.0005s' is finer than a millisecond"
)]
#[case::user_with_a_space_in_quotes(
    "user \"a b\"",
    "svc:4:6: `a b` is not a user name or number: expected letters, digits, `_`, `.` and `-`, \
     starting with a letter or `_`"
)]
#[case::group_without_names(
    "group",
    "svc:4:7: `group` expects a primary group and any supplementary ones, as in `group www audio`"
)]
#[case::env_without_equals(
    "env LANG",
    "svc:4:5: `LANG` is not KEY=VALUE: KEY is letters, digits and `_`, not starting with a digit"
)]
#[case::env_key_with_a_digit_first(
    "env A=1 9X=2",
    "svc:4:9: `9X=2` is not KEY=VALUE: KEY is letters, digits and `_`, not starting with a digit"
)]
#[case::relative_working_dir(
    "working-dir srv",
    "svc:4:13: `srv` is not an absolute path: `working-dir` needs one starting with `/`"
)]
#[case::unknown_resource(
    "rlimit nofiles 10",
    "svc:4:8: unknown resource `nofiles` (did you mean `nofile`?)"
)]
#[case::bad_limit(
    "rlimit nofile lots",
    "svc:4:15: `lots` is not a limit: expected a whole number or `unlimited`"
)]
#[case::soft_above_hard(
    "rlimit nofile 100 10",
    "svc:4:15: the soft limit 100 is above the hard limit 10"
)]
#[case::rlimit_twice("rlimit core 0\nrlimit core 1", "svc:5:8: `rlimit core` given twice")]
#[case::umask_not_octal(
    "umask 089",
    "svc:4:7: `089` is not a umask: expected octal digits from 0 to 777, as in `umask 027`"
)]
#[case::nice_out_of_range(
    "nice 20",
    "svc:4:6: `20` is not a `nice` value: expected a whole number from -20 to 19, as in `nice 10`"
)]
#[case::oom_score_adjust_not_a_number(
    "oom-score-adjust low",
    "svc:4:18: `low` is not a `oom-score-adjust` value: expected a whole number from -1000 to \
     1000, as in `oom-score-adjust -500`"
)]
#[case::ready_fd_on_stdio(
    "ready-fd 1",
    "svc:4:10: `1` is not a ready fd: expected an fd number from 3 to 1023, as in `ready-fd 3`"
)]
#[case::ready_fd_and_file(
    "ready-fd 3\nready-file /run/x",
    "svc:5:1: a service says it is ready one way: give `ready-fd` or `ready-file`, not both"
)]
#[case::relative_ready_file(
    "ready-file x.ready",
    "svc:4:12: `x.ready` is not an absolute path: `ready-file` needs one starting with `/`"
)]
#[case::timeout_twice(
    "stop-timeout 1s\nstop-timeout 2s",
    "svc:5:1: `stop-timeout` given twice (first on line 4)"
)]
fn a_bad_value_is_an_error_at_its_column(#[case] text: &str, #[case] error: &str) {
    let (service, diagnostics) = parse(text);
    assert!(service.is_none());
    assert_eq!(diagnostics, [error]);
}

//! The scripted process model: how a simulated process behaves.
//!
//! Owns the rules that turn a service's `exec` lines and the scenario's
//! settings into "fails to spawn" or "ends after D with status S" (or never).
//! It holds no supervision policy and never looks at the clock itself.

use std::collections::BTreeMap;

use init_core::events::{ExitStatus, SpawnError};
use init_core::service::ServiceType;

use crate::duration::parse_duration_ms;

/// Settings for every process of one service (`process NAME ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSettings {
    /// `takes D`: the whole run lasts D, whatever the commands say.
    pub takes_ms: Option<u64>,
    /// `exit N`: the run ends with this code instead of the last command's.
    pub exit_code: Option<i32>,
    /// `hangs`: never exits by itself.
    pub hangs: bool,
    /// `ignores TERM`: only KILL ends it.
    pub ignores_term: bool,
    /// `spawn-fails ERRNO [first N]`.
    pub spawn_fails: Option<SpawnFailure>,
    /// `crashes SIG after D`: killed by SIG D after its start if still alive.
    pub crash: Option<Crash>,
    /// `ready after D`: a service that declares readiness says it is ready
    /// D after its start (default: at once).
    pub ready_after_ms: Option<u64>,
    /// `never ready`: it never says so.
    pub never_ready: bool,
    /// `leaves children [ignoring TERM]`: each run leaves processes behind
    /// when it ends (a worker, a double-forked child), which go on until
    /// signalled; `Some(true)` when only KILL ends them.
    pub leaves_children: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnFailure {
    pub errno: String,
    /// Only the first N spawns fail; `None`: every one.
    pub first: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crash {
    pub signal: i32,
    pub after_ms: u64,
}

/// Settings for one program wherever it runs (`command PROG ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandSettings {
    pub takes_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub hangs: bool,
}

/// The whole model of one scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessModel {
    /// By enabled name (`agetty@tty1`) or canonical name (`agetty`, which
    /// then covers every instance); the exact name wins.
    pub services: BTreeMap<String, ProcessSettings>,
    /// By program: `argv[0]` or its last path component.
    pub commands: BTreeMap<String, CommandSettings>,
    /// What-if mode: `once` and `respawn` services are daemons that keep
    /// running once their commands are done, as they do on a real machine.
    pub daemons_run_forever: bool,
    /// What-if with a profile: init's own time per spawn. Init carries
    /// out the spawns of one turn one after the other, so the k-th spawn
    /// of an instant (from 0) starts (k + 1) times this late. The
    /// simulator answers a spawn at once, so the delay is added where the
    /// services after this one see it: to when the run ends and when it
    /// says it is ready.
    pub spawn_overhead_ms: u64,
}

/// What the driver does with a Spawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnOutcome {
    Fails(SpawnError),
    Runs(Run),
}

/// A started process: when it ends by itself (None: never), and whether
/// TERM ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub end: Option<(u64, ExitStatus)>,
    pub ignores_term: bool,
    /// When it says it is ready, if its service declares readiness (None:
    /// never).
    pub ready_after_ms: Option<u64>,
}

/// One service's identity as the model needs it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub name: &'a str,
    pub base: &'a str,
    pub kind: ServiceType,
}

impl ProcessModel {
    pub fn settings_for(&self, subject: Subject<'_>) -> Option<&ProcessSettings> {
        self.services
            .get(subject.name)
            .or_else(|| self.services.get(subject.base))
    }

    /// Decides how the `spawn_index`-th spawn (0-based) of `subject` goes,
    /// the `spawns_before`-th spawn at this instant (0-based).
    pub fn spawn(
        &self,
        subject: Subject<'_>,
        exec: &[Vec<String>],
        spawn_index: u32,
        spawns_before: u32,
    ) -> SpawnOutcome {
        let overhead_ms = self
            .spawn_overhead_ms
            .saturating_mul(u64::from(spawns_before) + 1);
        let defaults = ProcessSettings::default();
        let settings = self.settings_for(subject).unwrap_or(&defaults);
        if let Some(failure) = &settings.spawn_fails {
            if failure.first.map_or(true, |n| spawn_index < n) {
                return SpawnOutcome::Fails(SpawnError {
                    errno: failure.errno.clone(),
                    message: errno_message(&failure.errno).to_string(),
                });
            }
        }
        let mut end = self.run_commands(exec);
        if let Some((elapsed_ms, status)) = end.as_mut() {
            if let Some(takes) = settings.takes_ms {
                *elapsed_ms = takes;
            }
            *elapsed_ms = elapsed_ms.saturating_add(overhead_ms);
            if let Some(code) = settings.exit_code {
                *status = ExitStatus::Exited(code);
            }
            let daemon = self.daemons_run_forever && subject.kind != ServiceType::Wait;
            if daemon && status.success() {
                end = None;
            }
        }
        if settings.hangs {
            end = None;
        }
        if let Some(crash) = settings.crash {
            let crash_end = (crash.after_ms, ExitStatus::Signaled(crash.signal));
            end = match end {
                Some((t, _)) if t > crash.after_ms => Some(crash_end),
                None => Some(crash_end),
                ended_first => ended_first,
            };
        }
        SpawnOutcome::Runs(Run {
            end,
            ignores_term: settings.ignores_term,
            ready_after_ms: if settings.never_ready {
                None
            } else {
                Some(
                    settings
                        .ready_after_ms
                        .unwrap_or(0)
                        .saturating_add(overhead_ms),
                )
            },
        })
    }

    /// Runs the commands in order, stopping at the first failure, as the
    /// real init's child does. None: a command never returns.
    fn run_commands(&self, exec: &[Vec<String>]) -> Option<(u64, ExitStatus)> {
        let mut elapsed_ms: u64 = 0;
        for argv in exec {
            let (took_ms, outcome) = self.run_command(argv);
            elapsed_ms = elapsed_ms.saturating_add(took_ms);
            match outcome {
                None => return None,
                Some(0) => {}
                Some(code) => return Some((elapsed_ms, ExitStatus::Exited(code))),
            }
        }
        Some((elapsed_ms, ExitStatus::Exited(0)))
    }

    /// One command: its duration and exit code (None: it never returns).
    fn run_command(&self, argv: &[String]) -> (u64, Option<i32>) {
        let Some(program) = argv.first() else {
            return (0, Some(0));
        };
        let short = program.rsplit('/').next().unwrap_or(program);
        if let Some(c) = self
            .commands
            .get(program)
            .or_else(|| self.commands.get(short))
        {
            let code = if c.hangs {
                None
            } else {
                Some(c.exit_code.unwrap_or(0))
            };
            return (c.takes_ms.unwrap_or(0), code);
        }
        if short == "sleep" {
            return sleep_outcome(&argv[1..]);
        }
        (0, Some(0))
    }
}

/// `sleep ARGS`: the sum of its arguments (as GNU sleep), `infinity` never
/// returns, and anything unreadable fails at once with status 1.
fn sleep_outcome(args: &[String]) -> (u64, Option<i32>) {
    if args.is_empty() {
        return (0, Some(1));
    }
    let mut total_ms: u64 = 0;
    for arg in args {
        if arg == "infinity" {
            return (total_ms, None);
        }
        match parse_duration_ms(arg) {
            Ok(ms) => total_ms = total_ms.saturating_add(ms),
            Err(_) => return (0, Some(1)),
        }
    }
    (total_ms, Some(0))
}

/// The signals a scenario may name, with their Linux numbers.
pub use init_core::trace::{signal_name, signal_number};

pub const SIGTERM: i32 = 15;
pub const SIGKILL: i32 = 9;

/// The errno names a scenario may make a spawn fail with.
const ERRNOS: [(&str, &str); 7] = [
    ("EAGAIN", "Resource temporarily unavailable"),
    ("ENOMEM", "Cannot allocate memory"),
    ("ENOENT", "No such file or directory"),
    ("EACCES", "Permission denied"),
    ("ENOEXEC", "Exec format error"),
    ("EPERM", "Operation not permitted"),
    ("EINVAL", "Invalid argument"),
];

pub fn is_known_errno(name: &str) -> bool {
    ERRNOS.iter().any(|(n, _)| *n == name)
}

pub fn errno_message(name: &str) -> &'static str {
    ERRNOS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
        .unwrap_or("unknown error")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    const WEB: Subject<'static> = Subject {
        name: "web",
        base: "web",
        kind: ServiceType::Respawn,
    };

    #[test]
    fn commands_take_no_time_except_sleep_and_stop_at_the_first_failure() {
        let mut model = ProcessModel::default();
        let exec = vec![argv("sleep 0.5"), argv("false"), argv("sleep 2")];
        assert_eq!(
            model.spawn(WEB, &exec, 0, 0),
            SpawnOutcome::Runs(Run {
                end: Some((2500, ExitStatus::Exited(0))),
                ignores_term: false,
                ready_after_ms: Some(0),
            })
        );
        model.commands.insert(
            "false".into(),
            CommandSettings {
                exit_code: Some(1),
                ..CommandSettings::default()
            },
        );
        let SpawnOutcome::Runs(run) = model.spawn(WEB, &exec, 0, 0) else {
            panic!("spawns")
        };
        assert_eq!(run.end, Some((500, ExitStatus::Exited(1))));
    }

    #[test]
    fn a_crash_only_happens_if_the_process_is_still_alive() {
        let mut model = ProcessModel::default();
        model.services.insert(
            "web".into(),
            ProcessSettings {
                crash: Some(Crash {
                    signal: 11,
                    after_ms: 1000,
                }),
                ..ProcessSettings::default()
            },
        );
        let SpawnOutcome::Runs(short) = model.spawn(WEB, &[argv("sleep 0.5")], 0, 0) else {
            panic!("spawns")
        };
        assert_eq!(short.end, Some((500, ExitStatus::Exited(0))));
        let SpawnOutcome::Runs(long) = model.spawn(WEB, &[argv("sleep infinity")], 0, 0) else {
            panic!("spawns")
        };
        assert_eq!(long.end, Some((1000, ExitStatus::Signaled(11))));
    }

    #[test]
    fn spawn_failures_can_be_limited_to_the_first_runs() {
        let mut model = ProcessModel::default();
        model.services.insert(
            "web".into(),
            ProcessSettings {
                spawn_fails: Some(SpawnFailure {
                    errno: "EAGAIN".into(),
                    first: Some(1),
                }),
                ..ProcessSettings::default()
            },
        );
        assert!(
            matches!(model.spawn(WEB, &[argv("web")], 0, 0), SpawnOutcome::Fails(e) if e.errno == "EAGAIN")
        );
        assert!(matches!(
            model.spawn(WEB, &[argv("web")], 1, 0),
            SpawnOutcome::Runs(_)
        ));
    }
}

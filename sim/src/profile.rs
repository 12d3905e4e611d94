//! A boot profile: what one real boot measured, per service, read from
//! init's trace, and the small text file that keeps it.
//!
//! Owns turning trace lines into durations, and writing and reading the
//! profile file (its errors are `FILE:LINE: message`). It reads the trace
//! only as JSON lines, as `init --trace FILE` writes them, never through
//! the simulator's own types: a real boot is its input. What a prediction
//! does with a profile is [`crate::whatif`]'s.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::duration::parse_duration_ms;

/// What one service's run measured, the run its boot target waited for
/// (the first after `boot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// It ended by itself: from its spawn to its exit (a `wait` or `once`
    /// service).
    SpawnToExit(u64),
    /// It became ready while running: from its spawn to its word on
    /// `ready-fd`/`ready-file`, or no time for a daemon that is ready when
    /// spawned.
    SpawnToReady(u64),
    /// Spawning it failed, with this errno.
    SpawnFailed(String),
    /// Still running, never ready, when the trace ends.
    Running,
}

impl Measure {
    fn keyword(&self) -> &'static str {
        match self {
            Measure::SpawnToExit(_) => "spawn-to-exit",
            Measure::SpawnToReady(_) => "spawn-to-ready",
            Measure::SpawnFailed(_) => "spawn-failed",
            Measure::Running => "running",
        }
    }
}

/// One service of a profile. Times are milliseconds from the start of the
/// boot target (the trace's `boot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredService {
    pub name: String,
    pub measure: Measure,
    pub spawned_ms: u64,
    pub ready_ms: Option<u64>,
    pub exited_ms: Option<u64>,
    /// The run exited with a status other than 0, or by a signal.
    pub failed: bool,
}

/// A whole profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// From `boot` to `target-complete boot`; None if the trace never got
    /// there.
    pub boot_ms: Option<u64>,
    /// Init's own time per spawn: the mean, over the boot's spawns,
    /// of the time from the input that asked for the spawn (or from the
    /// spawn before it in the same turn) to the spawn done.
    pub spawn_overhead_ms: u64,
    /// In the order of their first spawn.
    pub services: Vec<MeasuredService>,
}

/// A trace or profile that cannot be read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError {
    pub file: String,
    /// 1-based; 0 for the file as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ProfileError {}

/// One service's first run after `boot`, as it is being read.
#[derive(Debug, Default)]
struct Run {
    order: usize,
    spawned: u64,
    ready: Option<u64>,
    exited: Option<(u64, bool)>,
    spawn_failed: Option<(u64, String)>,
}

impl Profile {
    /// Reads a trace (`init --trace FILE` or `init-sim run --json`): one
    /// JSON object per line. Init appends to its file, so it may hold
    /// several boots: the last `boot` begins the one profiled. Lines
    /// before it are only checked, as are events the profile has no use
    /// for.
    pub fn from_trace(file: &str, text: &str) -> Result<Profile, ProfileError> {
        let error = |line: usize, message: String| ProfileError {
            file: file.to_string(),
            line,
            message,
        };
        let mut boot: Option<u64> = None;
        let mut complete: Option<u64> = None;
        let mut runs: BTreeMap<String, Run> = BTreeMap::new();
        // What the next spawn's cost counts from: the latest input, or the
        // spawn after it.
        let mut cost_since: Option<u64> = None;
        let mut overheads: Vec<u64> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line)
                .map_err(|e| error(number, format!("not a JSON object: {e}")))?;
            let t = value
                .get("t_ms")
                .and_then(Value::as_u64)
                .ok_or_else(|| error(number, "no t_ms".to_string()))?;
            let dir = value.get("dir").and_then(Value::as_str).unwrap_or("");
            let event = value.get("event").and_then(Value::as_str).unwrap_or("");
            let service = value.get("service").and_then(Value::as_str);
            if dir == "in" && event == "boot" {
                boot = Some(t);
                complete = None;
                runs.clear();
                cost_since = Some(0);
                overheads.clear();
                continue;
            }
            let Some(start) = boot else {
                continue;
            };
            let at = t.saturating_sub(start);
            if dir == "in" {
                cost_since = Some(at);
            }
            let counted_from = cost_since.unwrap_or(0);
            match (dir, event, service) {
                ("out", "target-complete", _)
                    if value.get("target").and_then(Value::as_str) == Some("boot") =>
                {
                    complete.get_or_insert(at);
                }
                ("out", "spawn", Some(name)) => {
                    // Init carries out one turn's spawns one after the
                    // other: each costs the time since the input, or
                    // since the spawn before it in the same turn. Only
                    // the boot's spawns are what a prediction adds up.
                    if complete.is_none() {
                        overheads.push(at.saturating_sub(counted_from));
                    }
                    cost_since = Some(at);
                    if runs.contains_key(name) {
                        continue;
                    }
                    let order = runs.len();
                    runs.insert(
                        name.to_string(),
                        Run {
                            order,
                            spawned: at,
                            ..Run::default()
                        },
                    );
                }
                ("in", "spawn-failed", Some(name)) => {
                    if let Some(run) = runs.get_mut(name) {
                        let errno = value.get("errno").and_then(Value::as_str).unwrap_or("?");
                        run.spawn_failed.get_or_insert((at, errno.to_string()));
                    }
                }
                ("in", "ready", Some(name)) => {
                    if let Some(run) = runs.get_mut(name) {
                        run.ready.get_or_insert(at);
                    }
                }
                // A daemon without a ready word is up when spawned; with
                // one, UP comes with the word.
                ("out", "report", Some(name))
                    if value.get("report").and_then(Value::as_str) == Some("UP") =>
                {
                    if let Some(run) = runs.get_mut(name) {
                        if run.exited.is_none() {
                            run.ready.get_or_insert(at);
                        }
                    }
                }
                ("in", "exit", Some(name)) => {
                    if let Some(run) = runs.get_mut(name) {
                        let ok = value.get("status").and_then(Value::as_i64) == Some(0);
                        run.exited.get_or_insert((at, !ok));
                    }
                }
                _ => {}
            }
        }
        if boot.is_none() {
            return Err(error(0, "no boot in the trace".to_string()));
        }
        let mut ordered: Vec<(String, Run)> = runs.into_iter().collect();
        ordered.sort_by_key(|(_, run)| run.order);
        let services = ordered
            .into_iter()
            .map(|(name, run)| {
                let failed = run.exited.is_some_and(|(_, failed)| failed);
                let measure = if let Some((_, errno)) = &run.spawn_failed {
                    Measure::SpawnFailed(errno.clone())
                } else if let Some(ready) = run.ready {
                    Measure::SpawnToReady(ready.saturating_sub(run.spawned))
                } else if let Some((exited, _)) = run.exited {
                    Measure::SpawnToExit(exited.saturating_sub(run.spawned))
                } else {
                    Measure::Running
                };
                MeasuredService {
                    name,
                    spawned_ms: run.spawned,
                    ready_ms: run.ready,
                    exited_ms: run.exited.map(|(t, _)| t),
                    failed: failed && matches!(measure, Measure::SpawnToExit(_)),
                    measure,
                }
            })
            .collect();
        Ok(Profile {
            boot_ms: complete,
            spawn_overhead_ms: mean(&overheads),
            services,
        })
    }

    /// The service of that name, if the profile measured it.
    pub fn service(&self, name: &str) -> Option<&MeasuredService> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The profile file: a header, then one line per service in fixed
    /// columns.
    pub fn render(&self) -> String {
        let mut text = String::new();
        text.push_str(
            "# A boot profile, measured from a trace of init by `init-sim profile`\n\
             # (docs/analyze.md). Times are from the start of the boot target.\n\
             # service NAME MEASURE [DURATION] spawned T [ready T] [exited T] [failed]\n",
        );
        match self.boot_ms {
            Some(ms) => {
                let _ = writeln!(text, "boot {ms}ms");
            }
            None => text.push_str("boot never\n"),
        }
        let _ = writeln!(text, "init spawn-overhead {}ms", self.spawn_overhead_ms);
        let width = self
            .services
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        for service in &self.services {
            let measure = match &service.measure {
                Measure::SpawnToExit(ms) | Measure::SpawnToReady(ms) => {
                    format!("{:<14} {:>7}", service.measure.keyword(), format!("{ms}ms"))
                }
                Measure::SpawnFailed(errno) => format!("{} {errno}", service.measure.keyword()),
                Measure::Running => service.measure.keyword().to_string(),
            };
            let mut line = format!(
                "service {:<width$}  {measure:<22}  spawned {:>7}",
                service.name,
                format!("{}ms", service.spawned_ms)
            );
            if let Some(ready) = service.ready_ms {
                let _ = write!(line, "  ready {:>7}", format!("{ready}ms"));
            }
            if let Some(exited) = service.exited_ms {
                let _ = write!(line, "  exited {:>7}", format!("{exited}ms"));
            }
            if service.failed {
                line.push_str("  failed");
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }

    /// Reads a profile file back; the first error is returned with its
    /// line.
    pub fn parse(file: &str, text: &str) -> Result<Profile, ProfileError> {
        let mut boot: Option<Option<u64>> = None;
        let mut overhead: Option<u64> = None;
        let mut services: Vec<MeasuredService> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let error = |message: String| ProfileError {
                file: file.to_string(),
                line: number,
                message,
            };
            let line = raw.split('#').next().unwrap_or("");
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some((&keyword, rest)) = words.split_first() else {
                continue;
            };
            match keyword {
                "boot" => {
                    if boot.is_some() {
                        return Err(error("a second boot line".to_string()));
                    }
                    boot = Some(match rest {
                        ["never"] => None,
                        [time] => Some(parse_duration_ms(time).map_err(error)?),
                        _ => return Err(error("write `boot DURATION` or `boot never`".into())),
                    });
                }
                "init" => match rest {
                    ["spawn-overhead", time] => {
                        if overhead.is_some() {
                            return Err(error("a second spawn-overhead line".to_string()));
                        }
                        overhead = Some(parse_duration_ms(time).map_err(error)?);
                    }
                    _ => return Err(error("write `init spawn-overhead DURATION`".into())),
                },
                "service" => {
                    let service = parse_service(rest).map_err(error)?;
                    if services.iter().any(|s| s.name == service.name) {
                        return Err(error(format!("{} is measured twice", service.name)));
                    }
                    services.push(service);
                }
                other => {
                    return Err(error(format!(
                        "unknown line '{other}' (boot, init or service)"
                    )))
                }
            }
        }
        let whole = |message: &str| ProfileError {
            file: file.to_string(),
            line: 0,
            message: message.to_string(),
        };
        Ok(Profile {
            boot_ms: boot.ok_or_else(|| whole("no boot line"))?,
            spawn_overhead_ms: overhead.ok_or_else(|| whole("no init spawn-overhead line"))?,
            services,
        })
    }
}

/// `NAME MEASURE [DURATION|ERRNO] spawned T [ready T] [exited T] [failed]`.
fn parse_service(words: &[&str]) -> Result<MeasuredService, String> {
    let (name, measure, mut rest) = match words {
        [name, "spawn-to-exit", time, rest @ ..] => {
            (name, Measure::SpawnToExit(parse_duration_ms(time)?), rest)
        }
        [name, "spawn-to-ready", time, rest @ ..] => {
            (name, Measure::SpawnToReady(parse_duration_ms(time)?), rest)
        }
        [name, "spawn-failed", errno, rest @ ..] => {
            (name, Measure::SpawnFailed(errno.to_string()), rest)
        }
        [name, "running", rest @ ..] => (name, Measure::Running, rest),
        [_, other, ..] => {
            return Err(format!(
                "unknown measure '{other}' (spawn-to-exit, spawn-to-ready, spawn-failed, running)"
            ))
        }
        _ => return Err("write `service NAME MEASURE ...`".to_string()),
    };
    let mut service = MeasuredService {
        name: name.to_string(),
        measure,
        spawned_ms: 0,
        ready_ms: None,
        exited_ms: None,
        failed: false,
    };
    let mut spawned = None;
    while let Some((&word, after)) = rest.split_first() {
        if word == "failed" {
            service.failed = true;
            rest = after;
            continue;
        }
        let Some((&time, after)) = after.split_first() else {
            return Err(format!("'{word}' needs a time"));
        };
        let time = parse_duration_ms(time)?;
        match word {
            "spawned" => spawned = Some(time),
            "ready" => service.ready_ms = Some(time),
            "exited" => service.exited_ms = Some(time),
            other => {
                return Err(format!(
                    "unknown field '{other}' (spawned, ready, exited, failed)"
                ))
            }
        }
        rest = after;
    }
    service.spawned_ms = spawned.ok_or_else(|| format!("{name}: no spawned time"))?;
    Ok(service)
}

/// The mean, rounded to the nearest millisecond, or 0 for none. Not the
/// median: a prediction adds the overhead up along a chain of spawns, and
/// the mean is what such a sum comes to.
fn mean(values: &[u64]) -> u64 {
    match values.len() {
        0 => 0,
        n => (values.iter().sum::<u64>() + n as u64 / 2) / n as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trace as the real init writes one: times in ms since it started,
    /// the boot not at 0, init's own time between an input and a spawn.
    const TRACE: &str = r#"{"dir":"in","event":"boot","service":null,"t_ms":30}
{"dir":"out","event":"spawn","exec":[["mount","-a"]],"service":"mounts","t_ms":33,"tty":null}
{"dir":"in","event":"spawned","pid":41,"service":"mounts","t_ms":33}
{"dir":"in","event":"exit","pid":41,"service":"mounts","signal":null,"status":0,"t_ms":150}
{"dir":"out","event":"report","report":"OK","service":"mounts","t_ms":151}
{"dir":"out","event":"spawn","exec":[["sshd","-D"]],"service":"sshd","t_ms":154,"tty":null}
{"dir":"in","event":"spawned","pid":42,"service":"sshd","t_ms":154}
{"dir":"out","event":"spawn","exec":[["false"]],"service":"check","t_ms":157,"tty":null}
{"dir":"in","event":"spawned","pid":43,"service":"check","t_ms":157}
{"dir":"in","event":"exit","pid":43,"service":"check","signal":null,"status":1,"t_ms":160}
{"dir":"out","event":"report","report":"FAIL","service":"check","t_ms":160}
{"dir":"in","event":"ready","service":"sshd","t_ms":494}
{"dir":"out","event":"report","report":"UP","service":"sshd","t_ms":495}
{"dir":"out","event":"target-complete","service":null,"t_ms":495,"target":"boot"}
{"dir":"in","event":"exit","pid":42,"service":"sshd","signal":"SEGV","status":null,"t_ms":900}
{"dir":"out","event":"spawn","exec":[["sshd","-D"]],"service":"sshd","t_ms":1001,"tty":null}
"#;

    const PROFILE: &str = "\
# A boot profile, measured from a trace of init by `init-sim profile`
# (docs/analyze.md). Times are from the start of the boot target.
# service NAME MEASURE [DURATION] spawned T [ready T] [exited T] [failed]
boot 465ms
init spawn-overhead 3ms
service mounts  spawn-to-exit    117ms  spawned     3ms  exited   120ms
service sshd    spawn-to-ready   340ms  spawned   124ms  ready   464ms  exited   870ms
service check   spawn-to-exit      3ms  spawned   127ms  exited   130ms  failed
";

    #[test]
    fn a_trace_gives_each_services_first_run_and_inits_overhead() {
        let profile = Profile::from_trace("boot.trace", TRACE).expect("reads");
        assert_eq!(profile.boot_ms, Some(465));
        // From the input before each spawn: 3 (boot), 4 (the exit at
        // 150), 3 (the answer at 154): the median.
        assert_eq!(profile.spawn_overhead_ms, 3);
        let names: Vec<&str> = profile.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["mounts", "sshd", "check"]);
        assert_eq!(profile.services[0].measure, Measure::SpawnToExit(117));
        assert_eq!(profile.services[1].measure, Measure::SpawnToReady(340));
        assert!(profile.services[2].failed);
    }

    #[test]
    fn the_last_boot_of_a_file_init_appended_to_is_profiled() {
        let earlier = r#"{"dir":"in","event":"boot","service":null,"t_ms":0}
{"dir":"out","event":"spawn","exec":[["old"]],"service":"old","t_ms":9,"tty":null}
"#;
        let profile =
            Profile::from_trace("boot.trace", &format!("{earlier}{TRACE}")).expect("reads");
        assert_eq!(
            profile,
            Profile::from_trace("boot.trace", TRACE).expect("reads")
        );
    }

    #[test]
    fn the_file_reads_back_as_it_was_written() {
        let profile = Profile::from_trace("boot.trace", TRACE).expect("reads");
        assert_eq!(profile.render(), PROFILE);
        assert_eq!(Profile::parse("p", PROFILE), Ok(profile));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let error = |text: &str| {
            Profile::parse("boot.profile", text)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error("boot 1s\ninit spawn-overhead 2ms\nservice a spawn-to-exit 5ms took 1ms\n"),
            "boot.profile:3: unknown field 'took' (spawned, ready, exited, failed)"
        );
        assert_eq!(
            error(
                "boot 1s\nservice a spawn-to-exit 5ms spawned 1ms\nservice a running spawned 2ms\n"
            ),
            "boot.profile:3: a is measured twice"
        );
        assert_eq!(
            error("boot soon\n"),
            "boot.profile:1: bad duration 'soon' (write e.g. 2s, 0.5s, 150ms)"
        );
        assert_eq!(
            error("boot 1s\nservice a took 5ms\n"),
            "boot.profile:2: unknown measure 'took' (spawn-to-exit, spawn-to-ready, spawn-failed, running)"
        );
        assert_eq!(
            error("boot 1s\n"),
            "boot.profile: no init spawn-overhead line"
        );
        assert_eq!(
            Profile::from_trace("t", "{\"t_ms\":1}\nnot json\n")
                .unwrap_err()
                .to_string()
                .split(':')
                .take(3)
                .collect::<Vec<_>>(),
            ["t", "2", " not a JSON object"]
        );
    }
}

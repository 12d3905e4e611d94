//! The trace of a run: one line per input (`>`) and output (`<`) of the
//! supervisor, plus `#` notes of the driver, time first.
//!
//! Owns the one way a run is written down, for every driver: the
//! simulator (`init-sim run`, its snapshots), the real init (`init --trace
//! FILE`) and the core's own test driver write the same lines, so a real
//! boot and a simulated one compare line by line. Two renderings:
//! fixed-column text for people and JSON lines for programs (`t_ms`,
//! `dir`, `service`, `event`, then the event's fields).
//!
//! A [`Tracer`] turns events and outputs into lines. It keeps what a line
//! needs that the supervisor may have forgotten by the time the line is
//! written: the name of every service id it has seen (a reload may remove a
//! service whose report is still to come) and the service of every pid it
//! saw spawned (an exit names its service).
//!
//! Every value is what the driver gave: the simulator's traces are
//! deterministic and compared byte for byte; a real one carries real
//! times and pids.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::events::{Event, ExitStatus, Millis, Output, Pid, PowerAction, Report, ServiceId};
use crate::service::LimitValue;
use crate::supervisor::{Supervisor, TimerKind};

/// Which way a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// An input to the core (`>`).
    In,
    /// An output of the core (`<`).
    Out,
    /// A remark of the driver (`#`): resolver findings, scenario steps
    /// that found nothing to act on.
    Note,
}

impl Direction {
    fn symbol(self) -> &'static str {
        match self {
            Direction::In => ">",
            Direction::Out => "<",
            Direction::Note => "#",
        }
    }

    /// The JSON `dir`: `in`, `out` or `note`.
    pub fn json_name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Note => "note",
        }
    }
}

/// One line of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceLine {
    pub t: Millis,
    pub direction: Direction,
    /// The enabled name, for lines about one service.
    pub service: Option<String>,
    /// `spawn`, `spawned`, `exit`, ... (the JSON `event`).
    pub event: &'static str,
    /// The rest of the text line.
    pub detail: String,
    /// The JSON fields beyond `t_ms`, `dir`, `service` and `event`.
    pub fields: Vec<(&'static str, Value)>,
}

/// The text name of an event where it differs from the JSON one: the text
/// trace reads as a story (`exited status=0`), JSON as data (`exit`).
fn text_event(event: &str) -> &str {
    match event {
        "exit" => "exited",
        other => other,
    }
}

/// The width of the service column: the longest name, at least 10.
pub fn service_column_width(lines: &[TraceLine]) -> usize {
    lines
        .iter()
        .filter_map(|l| l.service.as_ref().map(|s| s.chars().count()))
        .max()
        .unwrap_or(0)
        .max(10)
}

impl TraceLine {
    /// `   1.250s < web        spawn   [httpd -f]`: time right-aligned in 8
    /// columns, then the direction, the service padded to `width`, the
    /// event padded to 7 and the detail. Lines not about one service put
    /// their event where the service would be.
    pub fn render_text(&self, width: usize) -> String {
        let mut text = String::new();
        let time = self.t.to_string();
        let _ = write!(text, "{time:>8} {} ", self.direction.symbol());
        match (&self.direction, &self.service) {
            (Direction::Note, _) => text.push_str(&self.detail),
            (_, Some(service)) => {
                let _ = write!(
                    text,
                    "{service:<width$} {:<7} {}",
                    text_event(self.event),
                    self.detail
                );
            }
            (_, None) => {
                let _ = write!(text, "{:<width$} {}", text_event(self.event), self.detail);
            }
        }
        text.trim_end().to_string()
    }

    /// One JSON object: `t_ms`, `dir`, `service`, `event`, then the fields.
    pub fn render_json(&self) -> String {
        let mut object = Map::new();
        object.insert("t_ms".into(), Value::from(self.t.0));
        object.insert("dir".into(), Value::from(self.direction.json_name()));
        object.insert(
            "service".into(),
            self.service.clone().map_or(Value::Null, Value::from),
        );
        object.insert("event".into(), Value::from(self.event));
        if self.direction == Direction::Note {
            object.insert("text".into(), Value::from(self.detail.clone()));
        }
        for (key, value) in &self.fields {
            object.insert((*key).to_string(), value.clone());
        }
        Value::Object(object).to_string()
    }
}

/// The whole trace as text, one line each, ending in a newline.
pub fn render_text(lines: &[TraceLine]) -> String {
    let width = service_column_width(lines);
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.render_text(width));
        text.push('\n');
    }
    text
}

/// The whole trace as JSON lines.
pub fn render_json(lines: &[TraceLine]) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.render_json());
        text.push('\n');
    }
    text
}

/// An argv as the trace shows it: words joined by spaces, a word with
/// spaces, quotes or nothing in it double-quoted.
pub fn show_argv<S: AsRef<str>>(argv: impl IntoIterator<Item = S>) -> String {
    let words: Vec<String> = argv
        .into_iter()
        .map(|w| {
            let w = w.as_ref();
            if w.is_empty()
                || w.chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '\\')
            {
                format!("{w:?}")
            } else {
                w.to_string()
            }
        })
        .collect();
    format!("[{}]", words.join(" "))
}

/// The signals a trace names, by their Linux numbers (the same on x86_64,
/// aarch64 and riscv64).
const SIGNALS: [(&str, i32); 14] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
];

/// `SEGV` or `SIGSEGV` to 11.
pub fn signal_number(name: &str) -> Option<i32> {
    let name = name.strip_prefix("SIG").unwrap_or(name);
    SIGNALS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, num)| *num)
}

/// 11 to `SEGV`; unknown numbers print as themselves.
pub fn signal_name(number: i32) -> String {
    SIGNALS
        .iter()
        .find(|(_, num)| *num == number)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| number.to_string())
}

/// What a trace calls a timer: the `timer` field of a `timeout` line.
pub fn timer_name(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::Respawn(_) => "respawn",
        TimerKind::FinalService(_) => "final-service",
        TimerKind::KillGrace => "kill-grace",
        TimerKind::StopTimeout(_) => "stop",
        TimerKind::Ready(_) => "ready",
        TimerKind::Leftovers(_) => "leftovers",
    }
}

/// Writes the lines of one run. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Tracer {
    /// Every service id seen, by name; kept after a reload removes one.
    names: BTreeMap<ServiceId, String>,
    /// The enabled names as of the last reload (or the start), for the
    /// next reload's `added` and `removed`.
    known: BTreeSet<String>,
    /// The service every pid was spawned for (pids are not reused while
    /// their exit is pending).
    pid_owner: BTreeMap<Pid, ServiceId>,
    /// A reload was traced: learn the names after it is handled.
    learn_after_input: bool,
}

impl Tracer {
    /// A tracer for a supervisor's run, knowing its services.
    pub fn new(core: &Supervisor) -> Tracer {
        let mut tracer = Tracer::default();
        tracer.learn_names(core);
        tracer
    }

    /// Learns the name of every service the supervisor knows now.
    fn learn_names(&mut self, core: &Supervisor) {
        self.known.clear();
        for status in core.services() {
            self.names.insert(status.id, status.def.name.clone());
            self.known.insert(status.def.name.clone());
            if let Some(pid) = status.pid {
                self.pid_owner.entry(pid).or_insert(status.id);
            }
        }
    }

    /// The name lines give `id`: its enabled name, or `#N` for an id never
    /// seen.
    pub fn name_of(&self, id: ServiceId) -> String {
        self.names
            .get(&id)
            .map_or_else(|| format!("#{}", id.0), Clone::clone)
    }

    /// The service `pid` was spawned for, as far as the trace saw.
    pub fn owner_of(&self, pid: Pid) -> Option<ServiceId> {
        self.pid_owner.get(&pid).copied()
    }

    /// Call after the supervisor has handled each input: a reload's new
    /// services get their names (a cheap no-op otherwise).
    pub fn after_input(&mut self, core: &Supervisor) {
        if std::mem::take(&mut self.learn_after_input) {
            self.learn_names(core);
        }
    }

    /// A driver's remark.
    pub fn note(&self, t: Millis, text: String) -> TraceLine {
        line(t, Direction::Note, None, "note", text, vec![])
    }

    /// The line of an input, to be written before the supervisor handles
    /// it (so that it comes before the outputs it causes).
    pub fn input(&mut self, t: Millis, event: &Event) -> TraceLine {
        use Direction::In;
        let named = |id: &ServiceId| Some(self.name_of(*id));
        match event {
            Event::Boot => line(t, In, None, "boot", String::new(), vec![]),
            Event::Shutdown => line(t, In, None, "shutdown", String::new(), vec![]),
            Event::Reboot => line(t, In, None, "reboot", String::new(), vec![]),
            Event::SwitchRoot => line(t, In, None, "switch-root", String::new(), vec![]),
            Event::Reload { services } => {
                let names: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
                let added: Vec<String> = names
                    .iter()
                    .filter(|n| !self.known.contains(**n))
                    .map(|n| n.to_string())
                    .collect();
                let removed: Vec<String> = self
                    .known
                    .iter()
                    .filter(|n| !names.contains(n.as_str()))
                    .cloned()
                    .collect();
                let mut detail = format!("services={}", services.len());
                if !added.is_empty() {
                    let _ = write!(detail, " added={}", added.join(","));
                }
                if !removed.is_empty() {
                    let _ = write!(detail, " removed={}", removed.join(","));
                }
                let all: Vec<String> = names.iter().map(|n| n.to_string()).collect();
                self.learn_after_input = true;
                line(
                    t,
                    In,
                    None,
                    "reload",
                    detail,
                    vec![
                        ("services", Value::from(all)),
                        ("added", Value::from(added)),
                        ("removed", Value::from(removed)),
                    ],
                )
            }
            Event::Spawned { service, pid } => {
                let line = line(
                    t,
                    In,
                    named(service),
                    "spawned",
                    format!("pid={pid}"),
                    vec![("pid", Value::from(pid.0))],
                );
                self.pid_owner.insert(*pid, *service);
                line
            }
            Event::SpawnFailed { service, error } => line(
                t,
                In,
                named(service),
                "spawn-failed",
                format!("{} ({})", error.errno, error.message),
                vec![
                    ("errno", Value::from(error.errno.clone())),
                    ("message", Value::from(error.message.clone())),
                ],
            ),
            Event::Exited {
                pid,
                status,
                leftovers,
            } => {
                let owner = self.pid_owner.remove(pid).map(|id| self.name_of(id));
                let (mut detail, status_value, signal_value) = match status {
                    ExitStatus::Exited(code) => {
                        (format!("status={code}"), Value::from(*code), Value::Null)
                    }
                    ExitStatus::Signaled(sig) => (
                        format!("signal={}", signal_name(*sig)),
                        Value::Null,
                        Value::from(signal_name(*sig)),
                    ),
                };
                let mut fields = vec![
                    ("pid", Value::from(pid.0)),
                    ("status", status_value),
                    ("signal", signal_value),
                ];
                if *leftovers {
                    detail.push_str(" leftovers");
                    fields.push(("leftovers", Value::from(true)));
                }
                line(t, In, owner, "exit", detail, fields)
            }
            Event::Start(id) => line(t, In, named(id), "start", String::new(), vec![]),
            Event::Stop(id) => line(t, In, named(id), "stop", String::new(), vec![]),
            Event::Restart(id) => line(t, In, named(id), "restart", String::new(), vec![]),
            Event::Ready(id) => line(t, In, named(id), "ready", String::new(), vec![]),
            Event::LeftoversGone(id) => {
                line(t, In, named(id), "leftovers-gone", String::new(), vec![])
            }
        }
    }

    /// The lines of a call to `handle_timeout` at `t`, one per timer due
    /// then, in the order they fire; to be written before the call.
    pub fn timeouts(&self, t: Millis, core: &Supervisor) -> Vec<TraceLine> {
        core.due_timers(t)
            .into_iter()
            .map(|kind| {
                let name = timer_name(kind);
                line(
                    t,
                    Direction::In,
                    kind.service().map(|id| self.name_of(id)),
                    "timeout",
                    name.to_string(),
                    vec![("timer", Value::from(name))],
                )
            })
            .collect()
    }

    /// The line of an output, written as it is carried out.
    pub fn output(&self, t: Millis, output: &Output) -> TraceLine {
        use Direction::Out;
        let named = |id: &ServiceId| Some(self.name_of(*id));
        match output {
            Output::Spawn {
                service,
                exec,
                tty,
                settings,
            } => {
                let shown: Vec<String> = exec.iter().map(show_argv).collect();
                let mut detail = shown.join(" ");
                if let Some(tty) = tty {
                    let _ = write!(detail, " tty={}", tty.path);
                }
                if let Some(user) = &settings.user {
                    let _ = write!(detail, " user={user}");
                }
                let namespaces = settings.sandbox.namespaces();
                if !namespaces.is_empty() {
                    let _ = write!(detail, " namespaces={}", namespaces.join(","));
                }
                for limit in &settings.rlimits {
                    let show = |v: LimitValue| match v {
                        LimitValue::Unlimited => "unlimited".to_string(),
                        LimitValue::Value(n) => n.to_string(),
                    };
                    let _ = write!(
                        detail,
                        " rlimit={}:{}:{}",
                        limit.resource.as_str(),
                        show(limit.soft),
                        show(limit.hard)
                    );
                }
                line(
                    t,
                    Out,
                    named(service),
                    "spawn",
                    detail,
                    vec![
                        ("exec", serde_json::to_value(exec).unwrap_or(Value::Null)),
                        (
                            "tty",
                            tty.as_ref()
                                .map_or(Value::Null, |t| Value::from(t.path.clone())),
                        ),
                    ],
                )
            }
            Output::Signal {
                service,
                pid,
                signal,
            }
            | Output::SignalLeftovers {
                service,
                pid,
                signal,
            } => {
                let event = match output {
                    Output::Signal { .. } => "signal",
                    _ => "leftovers",
                };
                line(
                    t,
                    Out,
                    named(service),
                    event,
                    format!("{} pid={pid}", signal.name()),
                    vec![
                        ("signal", Value::from(signal.name())),
                        ("pid", Value::from(pid.0)),
                    ],
                )
            }
            Output::KillAll { signal } => line(
                t,
                Out,
                None,
                "kill-all",
                signal.name().to_string(),
                vec![("signal", Value::from(signal.name()))],
            ),
            Output::Report {
                service, report, ..
            } => {
                let word = match report {
                    Report::Ok => "OK",
                    Report::Fail => "FAIL",
                    Report::Up => "UP",
                };
                line(
                    t,
                    Out,
                    named(service),
                    "report",
                    word.to_string(),
                    vec![("report", Value::from(word))],
                )
            }
            Output::TargetComplete { target } => line(
                t,
                Out,
                None,
                "target-complete",
                target.as_str().to_string(),
                vec![("target", Value::from(target.as_str()))],
            ),
            Output::Sync => line(t, Out, None, "sync", String::new(), vec![]),
            Output::Power { action } => {
                let word = match action {
                    PowerAction::PowerOff => "poweroff",
                    PowerAction::Reboot => "reboot",
                    PowerAction::SwitchRoot => "switch-root",
                };
                line(
                    t,
                    Out,
                    None,
                    "power",
                    word.to_string(),
                    vec![("action", Value::from(word))],
                )
            }
        }
    }
}

fn line(
    t: Millis,
    direction: Direction,
    service: Option<String>,
    event: &'static str,
    detail: String,
    fields: Vec<(&'static str, Value)>,
) -> TraceLine {
    TraceLine {
        t,
        direction,
        service,
        event,
        detail,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_have_fixed_columns() {
        let lines = vec![
            line(
                Millis(0),
                Direction::In,
                None,
                "boot",
                String::new(),
                vec![],
            ),
            line(
                Millis(12),
                Direction::In,
                Some("mounts".into()),
                "exit",
                "status=0".into(),
                vec![("status", Value::from(0))],
            ),
        ];
        assert_eq!(
            render_text(&lines),
            "  0.000s > boot\n  0.012s > mounts     exited  status=0\n"
        );
        assert_eq!(
            lines[1].render_json(),
            r#"{"dir":"in","event":"exit","service":"mounts","status":0,"t_ms":12}"#
        );
    }

    #[test]
    fn argv_quotes_only_what_needs_it() {
        assert_eq!(show_argv(["echo", "a b", ""]), r#"[echo "a b" ""]"#);
    }

    #[test]
    fn signal_names_round_trip() {
        assert_eq!(signal_name(9), "KILL");
        assert_eq!(signal_number("SIGSEGV"), Some(11));
        assert_eq!(signal_name(99), "99");
    }
}

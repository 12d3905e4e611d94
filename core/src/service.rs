//! The parsed form of one service file, as the rest of the system sees it.
//!
//! Owns the vocabulary (types, targets, the tty setting) and nothing else:
//! no parsing, no ordering, no runtime state.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::commands::Commands;
use crate::events::Signal;
use crate::sandbox::Sandbox;

/// `type wait|once|respawn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceType {
    /// Run to completion; services after it wait for the exit.
    Wait,
    /// Start and go on; run once.
    Once,
    /// Start and restart whenever it exits.
    Respawn,
}

/// `target boot|reboot|shutdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Boot,
    Reboot,
    Shutdown,
}

impl Target {
    /// Every target, in the order `list` shows them.
    pub const ALL: [Target; 3] = [Target::Boot, Target::Reboot, Target::Shutdown];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Boot => "boot",
            Target::Reboot => "reboot",
            Target::Shutdown => "shutdown",
        }
    }

    pub fn from_name(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::Wait => "wait",
            ServiceType::Once => "once",
            ServiceType::Respawn => "respawn",
        }
    }

    pub fn from_name(s: &str) -> Option<ServiceType> {
        [ServiceType::Wait, ServiceType::Once, ServiceType::Respawn]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ServiceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `tty [truncate] PATH`: where the service's stdin, stdout and stderr go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tty {
    /// May hold bytes that are not UTF-8 ([`crate::rawbytes`]).
    pub path: String,
    pub truncate: bool,
}

impl Tty {
    /// The path as the bytes the file holds.
    pub fn path_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        crate::rawbytes::to_bytes(&self.path)
    }
}

/// One service, parsed and with `%N` already substituted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServiceDef {
    /// The name as enabled, e.g. `agetty@tty1`: [`ServiceDef::base`], and
    /// [`ServiceDef::arg`] after an `@`. Those two are read from it rather
    /// than kept beside it: a string fewer per service.
    pub name: String,
    /// `description`; empty when the file has none. May hold bytes that
    /// are not UTF-8 ([`crate::rawbytes`]).
    pub description: String,
    /// `type`; `once` when the file has none, as in the original.
    pub kind: ServiceType,
    /// `type respawn limit N`: at most N runs in a row.
    pub respawn_limit: Option<u32>,
    /// `target`; `boot` when the file has none, as in the original.
    pub target: Target,
    /// Boxed: most services have none, and inline it took 32 bytes of
    /// every service's entry.
    pub tty: Option<Box<Tty>>,
    /// Canonical names this service starts after, in file order. Boxed
    /// slices, not `Vec`s: 8 bytes less each on every service.
    pub after: Box<[String]>,
    /// Canonical names this service starts before, in file order.
    pub before: Box<[String]>,
    /// The commands, one argv each, run in order. Empty for a milestone.
    /// An argument may hold bytes that are not UTF-8 ([`crate::rawbytes`]):
    /// [`ServiceDef::exec_bytes`] gives what execve gets. Packed in one
    /// allocation ([`Commands`]).
    pub exec: Commands,
    /// Keywords beyond the original's; all default to the original's
    /// behaviour, so a file without them means what it always meant.
    #[serde(default)]
    pub settings: OutOfLine<ServiceSettings>,
}

/// How a service is stopped, restarted and run: the keywords the original
/// did not have. `None` means "not given": the supervisor's default applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServiceSettings {
    /// `stop-signal NAME`: what a stop sends to the process group first.
    /// Default: TERM.
    pub stop_signal: Option<Signal>,
    /// `stop-timeout DURATION`: how long a stop waits for the exit before
    /// KILL goes to the process group. Default: `Options::stop_timeout_ms`.
    pub stop_timeout_ms: Option<u64>,
    /// `respawn-delay DURATION`: the delay before the first respawn of a
    /// series, counted from the previous start. Default:
    /// `Options::respawn_delay_ms`.
    #[serde(default)]
    pub respawn_delay_ms: Option<u64>,
    /// `respawn-delay-max DURATION`: the cap the delay doubles up to while
    /// the service keeps failing fast. Default: the base delay, so that the
    /// delay stays constant as in the original.
    #[serde(default)]
    pub respawn_delay_max_ms: Option<u64>,
    /// `respawn-window DURATION`: a run that lasts this long starts the
    /// respawn limit's count (and the delay) afresh. Default: none, runs
    /// count until an admin start, as in the original.
    #[serde(default)]
    pub respawn_window_ms: Option<u64>,
    /// How the process is set up before it runs its command.
    #[serde(default)]
    pub exec: ExecSettingsBox,
    /// `ready-fd N` or `ready-file PATH`: the service says when it is
    /// ready, and the services after it wait for that rather than for the
    /// spawn. Default: ready once spawned, as in the original.
    #[serde(default)]
    pub ready: Option<ReadyNotice>,
    /// `ready-timeout DURATION`: how long a start may take to become
    /// ready before the service is stopped and failed. Default:
    /// `Options::ready_timeout_ms`.
    #[serde(default)]
    pub ready_timeout_ms: Option<u64>,
    /// `main-service`: when this service ends for good, the machine (or
    /// container) shuts down, and a container's init exits with its
    /// status. Default: no service is the main one.
    #[serde(default)]
    pub main_service: bool,
    /// `leftovers end|keep`: what becomes of the processes a respawn
    /// service's main process leaves behind when it ends by itself.
    /// Default: they are ended before the respawn.
    #[serde(default)]
    pub leftovers: Leftovers,
}

/// What becomes of the rest of a respawn service (its cgroup, or its
/// process group without one) when its main process ends by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leftovers {
    /// Ended before the respawn: the stop signal, then KILL after the
    /// stop timeout, and the respawn waits until they are gone. What
    /// systemd does for a unit's processes before a restart.
    #[default]
    End,
    /// Left running; the respawn comes at once (the former behaviour,
    /// systemd's `KillMode=process` for a restart).
    Keep,
}

/// How a service says it is ready.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadyNotice {
    /// It writes a newline to this fd (as in s6 and dinit).
    Fd(u32),
    /// This file appears.
    File(String),
}

/// Settings the child applies between fork and exec. Empty: the process
/// runs as init's children always did (root, `/`, init's limits).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecSettings {
    /// `user NAME`: a user name or a numeric uid.
    pub user: Option<String>,
    /// `group NAME [NAME...]`: the primary group, then supplementary ones.
    /// Without it the user's own group; the user's groups from the group
    /// database are supplementary groups in any case.
    pub groups: Vec<String>,
    /// `env KEY=VALUE ...`: in file order, after the env files.
    pub env: Vec<(String, String)>,
    /// `env-file PATH`: read at every start, after init's env file.
    pub env_file: Option<String>,
    /// `working-dir PATH`.
    pub working_dir: Option<String>,
    /// `rlimit NAME SOFT [HARD]`, one per resource, in file order.
    pub rlimits: Vec<ResourceLimit>,
    /// `umask OCTAL`.
    pub umask: Option<u32>,
    /// `nice N`, from -20 to 19.
    pub nice: Option<i32>,
    /// `oom-score-adjust N`, from -1000 to 1000.
    pub oom_score_adjust: Option<i32>,
    /// The sandbox keywords: namespaces, mounts, capabilities, seccomp.
    pub sandbox: Sandbox,
}

impl ExecSettings {
    pub fn is_empty(&self) -> bool {
        *self == ExecSettings::default()
    }
}

/// A value on the heap only when it is not its type's default: most
/// services have no settings beyond the original's, and those settings
/// inline were most of every definition (the exec settings 336 of its 664
/// bytes, then the rest of [`ServiceSettings`] 120 of 336). Reads of a
/// default one see a shared default value; the first write through
/// `DerefMut` makes the service its own. It compares, hashes, prints and
/// serialises as the value it holds, so nothing outside can tell it from
/// the value inline.
#[derive(Clone)]
pub struct OutOfLine<T: SharedDefault>(Option<Box<T>>);

/// A type with one default value for every [`OutOfLine`] to share.
pub trait SharedDefault: Default + PartialEq + 'static {
    fn shared_default() -> &'static Self;
}

impl SharedDefault for ExecSettings {
    fn shared_default() -> &'static ExecSettings {
        static EMPTY: std::sync::OnceLock<ExecSettings> = std::sync::OnceLock::new();
        EMPTY.get_or_init(ExecSettings::default)
    }
}

impl SharedDefault for ServiceSettings {
    fn shared_default() -> &'static ServiceSettings {
        static EMPTY: std::sync::OnceLock<ServiceSettings> = std::sync::OnceLock::new();
        EMPTY.get_or_init(ServiceSettings::default)
    }
}

/// A service's [`ExecSettings`], boxed only when it has some.
pub type ExecSettingsBox = OutOfLine<ExecSettings>;

impl<T: SharedDefault> OutOfLine<T> {
    pub fn new(value: T) -> OutOfLine<T> {
        match value == T::default() {
            true => OutOfLine(None),
            false => OutOfLine(Some(Box::new(value))),
        }
    }

    /// Whether a value of its own is on the heap (a default one may be,
    /// after a write that left it default).
    pub fn is_boxed(&self) -> bool {
        self.0.is_some()
    }
}

impl<T: SharedDefault> Default for OutOfLine<T> {
    fn default() -> OutOfLine<T> {
        OutOfLine(None)
    }
}

impl<T: SharedDefault> From<T> for OutOfLine<T> {
    fn from(value: T) -> OutOfLine<T> {
        OutOfLine::new(value)
    }
}

impl<T: SharedDefault> std::ops::Deref for OutOfLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match &self.0 {
            Some(value) => value,
            None => T::shared_default(),
        }
    }
}

impl<T: SharedDefault> std::ops::DerefMut for OutOfLine<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: SharedDefault> PartialEq for OutOfLine<T> {
    fn eq(&self, other: &OutOfLine<T>) -> bool {
        **self == **other
    }
}

impl<T: SharedDefault + Eq> Eq for OutOfLine<T> {}

impl<T: SharedDefault + std::hash::Hash> std::hash::Hash for OutOfLine<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: SharedDefault + fmt::Debug> fmt::Debug for OutOfLine<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: SharedDefault + Serialize> Serialize for OutOfLine<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de, T: SharedDefault + Deserialize<'de>> Deserialize<'de> for OutOfLine<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(OutOfLine::new)
    }
}

/// One `rlimit` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceLimit {
    pub resource: Resource,
    pub soft: LimitValue,
    pub hard: LimitValue,
}

/// The resources `rlimit` can set, named as in `ulimit` and prlimit(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    As,
    Core,
    Cpu,
    Data,
    Fsize,
    Memlock,
    Nofile,
    Nproc,
    Rss,
    Stack,
}

impl Resource {
    pub const ALL: [Resource; 10] = [
        Resource::As,
        Resource::Core,
        Resource::Cpu,
        Resource::Data,
        Resource::Fsize,
        Resource::Memlock,
        Resource::Nofile,
        Resource::Nproc,
        Resource::Rss,
        Resource::Stack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::As => "as",
            Resource::Core => "core",
            Resource::Cpu => "cpu",
            Resource::Data => "data",
            Resource::Fsize => "fsize",
            Resource::Memlock => "memlock",
            Resource::Nofile => "nofile",
            Resource::Nproc => "nproc",
            Resource::Rss => "rss",
            Resource::Stack => "stack",
        }
    }

    pub fn from_name(name: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// A limit: a number (bytes, seconds or a count, as setrlimit(2) says) or
/// none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitValue {
    Unlimited,
    Value(u64),
}

impl ServiceDef {
    /// The description as the bytes the file gave.
    pub fn description_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        crate::rawbytes::to_bytes(&self.description)
    }

    /// The commands as the bytes execve gets.
    pub fn exec_bytes(&self) -> Vec<Vec<std::borrow::Cow<'_, [u8]>>> {
        self.exec
            .iter()
            .map(|argv| argv.map(crate::rawbytes::to_bytes).collect())
            .collect()
    }

    /// The canonical name, e.g. `agetty`; dependencies refer to this.
    pub fn base(&self) -> &str {
        self.name
            .split_once('@')
            .map_or(&self.name, |(base, _)| base)
    }

    /// The argument after `@`, which `%0` stood for.
    pub fn arg(&self) -> Option<&str> {
        self.name.split_once('@').map(|(_, arg)| arg)
    }

    /// A service with no `exec` only orders others: it is satisfied as soon
    /// as its own predecessors are.
    pub fn is_milestone(&self) -> bool {
        self.exec.is_empty()
    }

    /// What the console calls it after a tag (`[ OK ] TEXT`): the
    /// description, or the name without one.
    pub fn console_text(&self) -> &str {
        if self.description.is_empty() {
            &self.name
        } else {
            &self.description
        }
    }
}

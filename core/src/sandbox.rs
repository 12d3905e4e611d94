//! A service's sandbox as its file asks for it: namespaces, mounts,
//! capabilities and a syscall filter (`docs/services.md`, "Sandbox").
//!
//! Owns the vocabulary and the names (capabilities, errno names); it knows
//! no syscall numbers (those depend on the machine, `os-adapter` maps
//! them) and applies nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Everything a service's sandbox keywords asked for. The default is no
/// sandbox at all: the process shares everything with init, as in the
/// original.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Sandbox {
    /// `private-tmp`: an empty tmpfs on `/tmp` that only this service sees.
    pub private_tmp: bool,
    /// `bind [read-only] SOURCE TARGET`, in file order.
    pub binds: Vec<BindMount>,
    /// `read-only PATH...`: bind-mounted onto themselves, read-only.
    pub read_only: Vec<String>,
    /// `inaccessible PATH...`: hidden behind an empty, unreadable mount.
    pub inaccessible: Vec<String>,
    /// `network none|loopback`; `None` shares init's network.
    pub network: Option<Network>,
    /// `hostname NAME`: a UTS namespace with this host name.
    pub hostname: Option<String>,
    /// `private-ipc`: an IPC namespace of its own.
    pub private_ipc: bool,
    /// `private-pid`: a PID namespace whose PID 1 is the service.
    pub private_pid: bool,
    /// `no-new-privileges`: setuid bits and file capabilities stop working.
    pub no_new_privileges: bool,
    /// `capabilities NAME...|none`: the only capabilities left; `None`
    /// keeps init's.
    pub capabilities: Option<Vec<Capability>>,
    /// `syscalls allow|deny NAME...`.
    pub syscalls: Option<SyscallFilter>,
    /// `syscall-action errno(N)|kill`: what a filtered syscall does.
    /// Default: `errno(EPERM)`.
    pub syscall_action: Option<SyscallAction>,
}

impl Sandbox {
    pub fn is_empty(&self) -> bool {
        *self == Sandbox::default()
    }

    /// Whether the service gets a mount namespace of its own: for its own
    /// mounts, and for a `/proc` that shows its own PID namespace.
    pub fn needs_mount_namespace(&self) -> bool {
        self.private_tmp
            || !self.binds.is_empty()
            || !self.read_only.is_empty()
            || !self.inaccessible.is_empty()
            || self.private_pid
    }

    /// The namespaces the service gets, by their `unshare(1)` names.
    pub fn namespaces(&self) -> Vec<&'static str> {
        [
            (self.needs_mount_namespace(), "mount"),
            (self.network.is_some(), "network"),
            (self.hostname.is_some(), "uts"),
            (self.private_ipc, "ipc"),
            (self.private_pid, "pid"),
        ]
        .into_iter()
        .filter(|(wanted, _)| *wanted)
        .map(|(_, name)| name)
        .collect()
    }

    /// The action a filtered syscall gets, with the default filled in.
    pub fn effective_syscall_action(&self) -> SyscallAction {
        self.syscall_action
            .unwrap_or(SyscallAction::Errno(errno_number("EPERM").unwrap_or(1)))
    }
}

/// One `bind` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BindMount {
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

/// `network none|loopback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// A network namespace with no interface up at all.
    None,
    /// A network namespace with only `lo`, up.
    Loopback,
}

impl Network {
    pub fn as_str(self) -> &'static str {
        match self {
            Network::None => "none",
            Network::Loopback => "loopback",
        }
    }

    pub fn from_name(name: &str) -> Option<Network> {
        [Network::None, Network::Loopback]
            .into_iter()
            .find(|n| n.as_str() == name)
    }
}

/// `syscalls allow|deny NAME...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyscallFilter {
    pub mode: FilterMode,
    /// Syscall names as the kernel headers spell them (`mkdirat`), in file
    /// order, each once.
    pub names: Vec<String>,
}

/// Whether the listed syscalls are the only ones allowed or the ones denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterMode {
    Allow,
    Deny,
}

impl FilterMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterMode::Allow => "allow",
            FilterMode::Deny => "deny",
        }
    }
}

/// What a filtered syscall does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyscallAction {
    /// The syscall fails with this errno and the process goes on.
    Errno(u32),
    /// The whole process is killed (SIGSYS).
    Kill,
}

impl fmt::Display for SyscallAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyscallAction::Errno(n) => match errno_name(*n) {
                Some(name) => write!(f, "errno({name})"),
                None => write!(f, "errno({n})"),
            },
            SyscallAction::Kill => f.write_str("kill"),
        }
    }
}

/// The errno names `syscall-action` accepts besides numbers. The numbers
/// are the generic ones every architecture this init targets shares.
const ERRNO_NAMES: [(&str, u32); 8] = [
    ("EPERM", 1),
    ("ENOENT", 2),
    ("EIO", 5),
    ("EACCES", 13),
    ("EBUSY", 16),
    ("EINVAL", 22),
    ("ENOSYS", 38),
    ("EAFNOSUPPORT", 97),
];

/// The largest errno the kernel passes through a seccomp filter.
pub const ERRNO_MAX: u32 = 4095;

pub fn errno_number(name: &str) -> Option<u32> {
    ERRNO_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, n)| *n)
}

pub fn errno_name(number: u32) -> Option<&'static str> {
    ERRNO_NAMES
        .iter()
        .find(|(_, n)| *n == number)
        .map(|(name, _)| *name)
}

pub fn errno_names() -> impl Iterator<Item = &'static str> {
    ERRNO_NAMES.iter().map(|(name, _)| *name)
}

/// A Linux capability, by its number (`CAP_CHOWN` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Capability(u8);

/// Every capability Linux 6.x knows, by number. Names are stable ABI
/// (`linux/capability.h`), so a table beats a dependency.
const CAPABILITY_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

impl Capability {
    /// `CAP_NET_RAW`, `cap_net_raw` or `net_raw`.
    pub fn from_name(name: &str) -> Option<Capability> {
        let upper = name.to_ascii_uppercase();
        let full = if upper.starts_with("CAP_") {
            upper
        } else {
            format!("CAP_{upper}")
        };
        CAPABILITY_NAMES
            .iter()
            .position(|known| *known == full)
            .and_then(|index| u8::try_from(index).ok())
            .map(Capability)
    }

    pub fn number(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        CAPABILITY_NAMES
            .get(usize::from(self.0))
            .copied()
            .unwrap_or("CAP_UNKNOWN")
    }

    pub fn all_names() -> impl Iterator<Item = &'static str> {
        CAPABILITY_NAMES.iter().copied()
    }
}

impl From<Capability> for String {
    fn from(cap: Capability) -> String {
        cap.name().to_string()
    }
}

impl TryFrom<String> for Capability {
    type Error = String;
    fn try_from(name: String) -> Result<Capability, String> {
        Capability::from_name(&name).ok_or_else(|| format!("unknown capability {name}"))
    }
}

/// `path` without repeated or trailing slashes, or why it cannot name a
/// place to mount: sandbox paths must be absolute and plain, so that two
/// spellings of one directory are seen to conflict.
pub fn normalise_path(path: &str) -> Result<String, &'static str> {
    if !path.starts_with('/') {
        return Err("is not an absolute path");
    }
    let mut parts = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." {
            return Err("holds a `.` or `..` component");
        }
        parts.push(part);
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Whether `inner` is `outer` or lies below it.
pub fn is_within(inner: &str, outer: &str) -> bool {
    outer == "/"
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_named_with_or_without_the_prefix() {
        assert_eq!(
            Capability::from_name("CAP_CHOWN").map(Capability::number),
            Some(0)
        );
        assert_eq!(
            Capability::from_name("net_bind_service").map(Capability::name),
            Some("CAP_NET_BIND_SERVICE")
        );
        assert_eq!(Capability::from_name("CAP_NOPE"), None);
        assert_eq!(
            Capability::from_name("checkpoint_restore").map(Capability::number),
            Some(40)
        );
    }

    #[test]
    fn paths_are_normalised_and_must_be_plain() {
        assert_eq!(normalise_path("/var//lib/"), Ok("/var/lib".to_string()));
        assert_eq!(normalise_path("/"), Ok("/".to_string()));
        assert!(normalise_path("var").is_err());
        assert!(normalise_path("/var/../etc").is_err());
        assert!(is_within("/var/lib", "/var"));
        assert!(!is_within("/variable", "/var"));
        assert!(is_within("/etc", "/"));
    }

    #[test]
    fn the_default_action_is_eperm() {
        let sandbox = Sandbox::default();
        assert_eq!(sandbox.effective_syscall_action(), SyscallAction::Errno(1));
        assert_eq!(
            sandbox.effective_syscall_action().to_string(),
            "errno(EPERM)"
        );
    }
}

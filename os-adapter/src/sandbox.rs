//! A service's sandbox, carried out: namespaces, mounts, capabilities and
//! the seccomp filter (`docs/services.md`, "Sandbox").
//!
//! Owns turning a `Sandbox` into ready syscall arguments in init (C
//! strings, capability masks, the BPF program, built before the fork) and
//! applying them in the child with raw syscalls only: no allocation, no
//! lock, nothing that is not async-signal-safe. Decides nothing about when
//! a service runs.
//!
//! The child applies it in two phases around the execution settings:
//! [`Prepared::apply_in_child`] before them (namespaces and mounts need
//! root, and the bounding set must shrink while CAP_SETPCAP is there) and
//! [`Prepared::restrict_in_child`] after them (capabilities and the filter
//! must outlive the uid change, and a filter must not stop `setuid`).

use std::ffi::{CStr, CString};

use init_core::events::SpawnError;
use init_core::sandbox::{FilterMode, Network, Sandbox, SyscallAction, SyscallFilter};
use nix::errno::Errno;
use nix::libc;
use seccompiler::{sock_filter, BpfProgram, TargetArch};

/// The sandbox, resolved: every field is ready for one syscall.
#[derive(Debug, Default)]
pub struct Prepared {
    unshare_flags: libc::c_int,
    new_pid_namespace: bool,
    mounts: Vec<MountStep>,
    hostname: Option<Vec<u8>>,
    loopback_up: bool,
    /// The capabilities kept, as a bit mask by number.
    capabilities: Option<u64>,
    /// Raise the kept capabilities as ambient ones: the service changes
    /// to a `user`, and would otherwise lose them at exec.
    ambient: bool,
    no_new_privileges: bool,
    seccomp: Option<BpfProgram>,
}

/// One mount in the service's own mount namespace, in the order applied.
#[derive(Debug)]
enum MountStep {
    /// Nothing mounted in here may reach init's namespace, nor the reverse.
    MakePrivate,
    PrivateTmp,
    Bind {
        index: u8,
        source: CString,
        target: CString,
        read_only: bool,
    },
    ReadOnly {
        index: u8,
        path: CString,
    },
    Inaccessible {
        index: u8,
        path: CString,
    },
    /// A `/proc` that shows the service's own PID namespace.
    Proc,
}

/// Which part of the sandbox failed in the child, as the report pipe
/// carries it. The index is the line's place among its keyword's paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxStep {
    Unshare,
    MakePrivate,
    PrivateTmp,
    Bind(u8),
    ReadOnly(u8),
    Inaccessible(u8),
    Proc,
    Hostname,
    Loopback,
    BoundingSet,
    KeepCapabilities,
    Capabilities,
    Ambient,
    NoNewPrivileges,
    Seccomp,
}

/// Sandbox codes start here, above the execution settings' step codes.
const CODE_BASE: u32 = 0x1_0000;

impl SandboxStep {
    const KINDS: [fn(u8) -> SandboxStep; 15] = [
        |_| SandboxStep::Unshare,
        |_| SandboxStep::MakePrivate,
        |_| SandboxStep::PrivateTmp,
        SandboxStep::Bind,
        SandboxStep::ReadOnly,
        SandboxStep::Inaccessible,
        |_| SandboxStep::Proc,
        |_| SandboxStep::Hostname,
        |_| SandboxStep::Loopback,
        |_| SandboxStep::BoundingSet,
        |_| SandboxStep::KeepCapabilities,
        |_| SandboxStep::Capabilities,
        |_| SandboxStep::Ambient,
        |_| SandboxStep::NoNewPrivileges,
        |_| SandboxStep::Seccomp,
    ];

    /// The code for the report pipe: the kind in the second byte, the
    /// index in the first.
    pub fn code(self) -> u32 {
        let (kind, index) = match self {
            SandboxStep::Unshare => (0, 0),
            SandboxStep::MakePrivate => (1, 0),
            SandboxStep::PrivateTmp => (2, 0),
            SandboxStep::Bind(i) => (3, i),
            SandboxStep::ReadOnly(i) => (4, i),
            SandboxStep::Inaccessible(i) => (5, i),
            SandboxStep::Proc => (6, 0),
            SandboxStep::Hostname => (7, 0),
            SandboxStep::Loopback => (8, 0),
            SandboxStep::BoundingSet => (9, 0),
            SandboxStep::KeepCapabilities => (10, 0),
            SandboxStep::Capabilities => (11, 0),
            SandboxStep::Ambient => (12, 0),
            SandboxStep::NoNewPrivileges => (13, 0),
            SandboxStep::Seccomp => (14, 0),
        };
        CODE_BASE | (kind << 8) | u32::from(index)
    }

    pub fn from_code(code: u32) -> Option<SandboxStep> {
        let rest = code.checked_sub(CODE_BASE)?;
        let kind = SandboxStep::KINDS.get(usize::try_from(rest >> 8).ok()?)?;
        Some(kind(u8::try_from(rest & 0xff).ok()?))
    }
}

fn refused(service: &str, errno: &str, message: String) -> SpawnError {
    SpawnError {
        errno: errno.to_string(),
        message: format!("{service}: {message}"),
    }
}

fn c_path(service: &str, path: &str) -> Result<CString, SpawnError> {
    CString::new(path).map_err(|_| refused(service, "EINVAL", format!("{path:?} holds a NUL")))
}

/// More mount lines than this per keyword are refused: the report pipe
/// names a failed mount by a one-byte index.
const MOUNTS_MAX: usize = 256;

fn mount_index(service: &str, keyword: &str, index: usize) -> Result<u8, SpawnError> {
    u8::try_from(index).map_err(|_| {
        refused(
            service,
            "E2BIG",
            format!("more than {MOUNTS_MAX} `{keyword}` paths"),
        )
    })
}

/// Resolves `sandbox` for `service`, which runs as another `user` when
/// `changes_user`. A syscall name that no architecture has is an error
/// here, in init, with the name in the message; one that only other
/// architectures have is left out of the filter.
pub fn prepare(
    service: &str,
    sandbox: &Sandbox,
    changes_user: bool,
) -> Result<Prepared, SpawnError> {
    let mut prepared = Prepared {
        new_pid_namespace: sandbox.private_pid,
        hostname: sandbox.hostname.as_ref().map(|h| h.as_bytes().to_vec()),
        loopback_up: sandbox.network == Some(Network::Loopback),
        no_new_privileges: sandbox.no_new_privileges,
        ..Prepared::default()
    };
    if sandbox.needs_mount_namespace() {
        prepared.unshare_flags |= libc::CLONE_NEWNS;
        prepared.mounts.push(MountStep::MakePrivate);
    }
    if sandbox.network.is_some() {
        prepared.unshare_flags |= libc::CLONE_NEWNET;
    }
    if sandbox.hostname.is_some() {
        prepared.unshare_flags |= libc::CLONE_NEWUTS;
    }
    if sandbox.private_ipc {
        prepared.unshare_flags |= libc::CLONE_NEWIPC;
    }
    if sandbox.private_tmp {
        prepared.mounts.push(MountStep::PrivateTmp);
    }
    for (index, bind) in sandbox.binds.iter().enumerate() {
        prepared.mounts.push(MountStep::Bind {
            index: mount_index(service, "bind", index)?,
            source: c_path(service, &bind.source)?,
            target: c_path(service, &bind.target)?,
            read_only: bind.read_only,
        });
    }
    for (index, path) in sandbox.read_only.iter().enumerate() {
        prepared.mounts.push(MountStep::ReadOnly {
            index: mount_index(service, "read-only", index)?,
            path: c_path(service, path)?,
        });
    }
    for (index, path) in sandbox.inaccessible.iter().enumerate() {
        prepared.mounts.push(MountStep::Inaccessible {
            index: mount_index(service, "inaccessible", index)?,
            path: c_path(service, path)?,
        });
    }
    if sandbox.private_pid {
        prepared.mounts.push(MountStep::Proc);
    }
    if let Some(kept) = &sandbox.capabilities {
        prepared.capabilities = Some(
            kept.iter()
                .fold(0u64, |mask, cap| mask | (1u64 << cap.number())),
        );
        prepared.ambient = changes_user && !kept.is_empty();
    }
    if let Some(filter) = &sandbox.syscalls {
        let program = compile_filter(filter, sandbox.effective_syscall_action())
            .map_err(|message| refused(service, "EINVAL", message))?;
        prepared.seccomp = Some(program);
    }
    Ok(prepared)
}

/// The architecture the filter is built for: this one.
fn target_arch() -> Result<TargetArch, String> {
    TargetArch::try_from(std::env::consts::ARCH).map_err(|_| {
        format!(
            "syscall filters are not supported on {}",
            std::env::consts::ARCH
        )
    })
}

/// What every process needs between the filter and its program's first
/// instruction: the rest of the child's setup (the tty, closing fds, the
/// signal mask), the exec, the exit, and the runner of several `exec`
/// lines. An allow-list gets them implicitly, or it could never start.
pub const START_SYSCALLS: [&str; 28] = [
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "rt_sigprocmask",
    "rt_sigaction",
    "rt_sigtimedwait",
    "open",
    "openat",
    "ioctl",
    "dup2",
    "dup3",
    "fcntl",
    "close",
    "close_range",
    "getrlimit",
    "prlimit64",
    "fork",
    "vfork",
    "clone",
    "clone3",
    "wait4",
    "kill",
    "tgkill",
    "getpid",
    "gettid",
    "write",
];

fn filter_json(
    arch_names: &[&str],
    match_action: serde_json::Value,
    mismatch_action: serde_json::Value,
) -> String {
    let rules: Vec<serde_json::Value> = arch_names
        .iter()
        .map(|name| serde_json::json!({ "syscall": name }))
        .collect();
    serde_json::json!({
        "service": {
            "match_action": match_action,
            "mismatch_action": mismatch_action,
            "filter": rules,
        }
    })
    .to_string()
}

/// Whether `arch` has a syscall of this name.
fn is_known_syscall(arch: TargetArch, name: &str) -> bool {
    let json = filter_json(&[name], "allow".into(), "kill_process".into());
    seccompiler::compile_from_json(json.as_bytes(), arch).is_ok()
}

/// Every architecture the filter compiler knows, by name: a `syscalls`
/// name is checked against all of them, so that one service file means
/// the same on each.
const FILTER_ARCHITECTURES: [(&str, TargetArch); 3] = [
    ("x86_64", TargetArch::x86_64),
    ("aarch64", TargetArch::aarch64),
    ("riscv64", TargetArch::riscv64),
];

/// The architectures that have a syscall of this name, of x86_64,
/// aarch64 and riscv64, in that order.
pub fn architectures_with(name: &str) -> Vec<&'static str> {
    FILTER_ARCHITECTURES
        .iter()
        .filter(|(_, arch)| is_known_syscall(*arch, name))
        .map(|(arch_name, _)| *arch_name)
        .collect()
}

/// The `syscalls` names that are no syscall of this machine, sorted by
/// what they mean here (docs/services.md, "Syscall filter").
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Missing<'a> {
    /// A syscall of another architecture only (`mkdir` on aarch64): the
    /// filter leaves it out here, as nothing here can make it.
    pub elsewhere: Vec<&'a str>,
    /// A syscall of no architecture: a mistake in the file.
    pub unknown: Vec<&'a str>,
}

/// The names in `names` that this machine has no syscall of, in order; or
/// why no name can be checked here (a machine the filter compiler does
/// not know).
pub fn missing_syscalls(names: &[String]) -> Result<Missing<'_>, String> {
    let here = target_arch()?;
    let mut missing = Missing::default();
    for name in names.iter().map(String::as_str) {
        if is_known_syscall(here, name) {
            continue;
        }
        match architectures_with(name).is_empty() {
            true => missing.unknown.push(name),
            false => missing.elsewhere.push(name),
        }
    }
    Ok(missing)
}

fn action_json(action: SyscallAction) -> serde_json::Value {
    match action {
        SyscallAction::Errno(errno) => serde_json::json!({ "errno": errno }),
        SyscallAction::Kill => "kill_process".into(),
    }
}

/// The BPF program for `filter`, or what is wrong with it.
pub fn compile_filter(filter: &SyscallFilter, action: SyscallAction) -> Result<BpfProgram, String> {
    let arch = target_arch()?;
    let missing = missing_syscalls(&filter.names)?;
    if !missing.unknown.is_empty() {
        return Err(format!("unknown syscall {}", missing.unknown.join(", ")));
    }
    let mut names: Vec<&str> = filter
        .names
        .iter()
        .map(String::as_str)
        .filter(|name| !missing.elsewhere.contains(name))
        .collect();
    let (match_action, mismatch_action) = match filter.mode {
        FilterMode::Allow => {
            for start in START_SYSCALLS {
                if !names.contains(&start) && is_known_syscall(arch, start) {
                    names.push(start);
                }
            }
            ("allow".into(), action_json(action))
        }
        FilterMode::Deny => (action_json(action), "allow".into()),
    };
    let json = filter_json(&names, match_action, mismatch_action);
    let mut programs = seccompiler::compile_from_json(json.as_bytes(), arch)
        .map_err(|e| format!("cannot build the syscall filter: {e}"))?;
    programs
        .remove("service")
        .ok_or_else(|| "cannot build the syscall filter".to_string())
}

/// The `capset(2)` arguments (`linux/capability.h`, version 3: two words
/// of 32 capabilities each).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `struct ifreq` as SIOC[GS]IFFLAGS use it: the name and the flags, padded
/// to the kernel's size.
#[repr(C)]
struct InterfaceFlags {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _padding: [u8; 22],
}

/// `struct sock_fprog` for seccompiler's instructions.
#[repr(C)]
struct FilterProgram {
    len: libc::c_ushort,
    filter: *const sock_filter,
}

fn checked(step: SandboxStep, result: libc::c_int) -> Result<(), (SandboxStep, Errno)> {
    if result == 0 {
        Ok(())
    } else {
        Err((step, Errno::last()))
    }
}

/// `ST_RELATIME` from <sys/statvfs.h>: the kernel's `MS_RELATIME` bit as
/// statfs(2) reports it; the libc crate declares it for glibc only, and
/// musl's statvfs passes the kernel's flags through as they are.
const ST_RELATIME: libc::c_ulong = 0x1000;

/// The `statfs` flags a read-only remount must keep: a bind remount that
/// drops `nosuid` or `nodev` fails with EPERM where they are locked.
unsafe fn kept_mount_flags(path: &CStr) -> libc::c_ulong {
    // statvfs is statfs(2) plus the kernel's own flags (ST_VALID, since
    // Linux 2.6.36), in glibc and musl alike: no /proc/mounts read, no
    // allocation.
    let mut fs: libc::statvfs = std::mem::zeroed();
    if libc::statvfs(path.as_ptr(), &mut fs) != 0 {
        return 0;
    }
    let flags = fs.f_flag as libc::c_ulong;
    let pairs = [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (ST_RELATIME, libc::MS_RELATIME),
    ];
    pairs
        .iter()
        .filter(|(st, _)| flags & *st != 0)
        .fold(0, |kept, (_, ms)| kept | ms)
}

unsafe fn bind_mount(source: &CStr, target: &CStr) -> libc::c_int {
    libc::mount(
        source.as_ptr(),
        target.as_ptr(),
        std::ptr::null(),
        libc::MS_BIND | libc::MS_REC,
        std::ptr::null(),
    )
}

/// Makes the bind mount at `path` read-only. Only its top mount: mounts
/// below it keep their own flags (a `read-only /` leaves `/proc` as is).
unsafe fn remount_read_only(path: &CStr, extra: libc::c_ulong) -> libc::c_int {
    libc::mount(
        std::ptr::null(),
        path.as_ptr(),
        std::ptr::null(),
        libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | kept_mount_flags(path) | extra,
        std::ptr::null(),
    )
}

/// Hides `path`: a directory behind an empty read-only tmpfs of mode 000,
/// anything else behind `/dev/null` on a `nodev` mount, which no one can
/// open. A path that does not exist has nothing to hide.
unsafe fn hide(path: &CStr) -> libc::c_int {
    let mut st: libc::stat = std::mem::zeroed();
    if libc::stat(path.as_ptr(), &mut st) != 0 {
        return if Errno::last() == Errno::ENOENT {
            0
        } else {
            -1
        };
    }
    let sealed = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
        return libc::mount(
            c"tmpfs".as_ptr(),
            path.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_RDONLY | sealed,
            c"mode=000,size=4k".as_ptr().cast(),
        );
    }
    if bind_mount(c"/dev/null", path) != 0 {
        return -1;
    }
    remount_read_only(path, sealed)
}

impl MountStep {
    unsafe fn apply(&self) -> Result<(), (SandboxStep, Errno)> {
        match self {
            MountStep::MakePrivate => checked(
                SandboxStep::MakePrivate,
                libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ),
            ),
            MountStep::PrivateTmp => checked(
                SandboxStep::PrivateTmp,
                libc::mount(
                    c"tmpfs".as_ptr(),
                    c"/tmp".as_ptr(),
                    c"tmpfs".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    c"mode=1777".as_ptr().cast(),
                ),
            ),
            MountStep::Bind {
                index,
                source,
                target,
                read_only,
            } => {
                checked(SandboxStep::Bind(*index), bind_mount(source, target))?;
                if *read_only {
                    checked(SandboxStep::Bind(*index), remount_read_only(target, 0))?;
                }
                Ok(())
            }
            MountStep::ReadOnly { index, path } => {
                checked(SandboxStep::ReadOnly(*index), bind_mount(path, path))?;
                checked(SandboxStep::ReadOnly(*index), remount_read_only(path, 0))
            }
            MountStep::Inaccessible { index, path } => {
                checked(SandboxStep::Inaccessible(*index), hide(path))
            }
            MountStep::Proc => checked(
                SandboxStep::Proc,
                libc::mount(
                    c"proc".as_ptr(),
                    c"/proc".as_ptr(),
                    c"proc".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    std::ptr::null(),
                ),
            ),
        }
    }
}

impl Prepared {
    /// Whether `fork` must make a PID namespace.
    pub fn new_pid_namespace(&self) -> bool {
        self.new_pid_namespace
    }

    /// The first phase, in the child before the execution settings:
    /// namespaces, mounts, host name, loopback, the bounding set.
    ///
    /// # Safety
    /// Only in a freshly forked child: it changes the calling process.
    pub unsafe fn apply_in_child(&self) -> Result<(), (SandboxStep, Errno)> {
        if self.unshare_flags != 0 {
            checked(SandboxStep::Unshare, libc::unshare(self.unshare_flags))?;
        }
        for mount in &self.mounts {
            mount.apply()?;
        }
        if let Some(name) = &self.hostname {
            checked(
                SandboxStep::Hostname,
                libc::sethostname(name.as_ptr().cast(), name.len()),
            )?;
        }
        if self.loopback_up {
            checked(SandboxStep::Loopback, bring_loopback_up())?;
        }
        if let Some(kept) = self.capabilities {
            for cap in 0..64u32 {
                if kept & (1u64 << cap) != 0 {
                    continue;
                }
                if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) != 0 {
                    // EINVAL: past the last capability this kernel knows.
                    if Errno::last() == Errno::EINVAL {
                        break;
                    }
                    return Err((SandboxStep::BoundingSet, Errno::last()));
                }
            }
            if self.ambient {
                checked(
                    SandboxStep::KeepCapabilities,
                    libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0),
                )?;
            }
        }
        Ok(())
    }

    /// The second phase, in the child after the execution settings (the
    /// uid change): the kept capabilities, no_new_privs, the filter.
    ///
    /// # Safety
    /// Only in a freshly forked child: it changes the calling process.
    pub unsafe fn restrict_in_child(&self) -> Result<(), (SandboxStep, Errno)> {
        if let Some(kept) = self.capabilities {
            let low = kept as u32;
            let high = (kept >> 32) as u32;
            let mut header = CapHeader {
                version: CAPABILITY_VERSION_3,
                pid: 0,
            };
            let data = [
                CapData {
                    effective: low,
                    permitted: low,
                    inheritable: low,
                },
                CapData {
                    effective: high,
                    permitted: high,
                    inheritable: high,
                },
            ];
            let result = libc::syscall(libc::SYS_capset, &mut header, data.as_ptr());
            checked(SandboxStep::Capabilities, result as libc::c_int)?;
            if self.ambient {
                for cap in (0..64u32).filter(|cap| kept & (1u64 << cap) != 0) {
                    checked(
                        SandboxStep::Ambient,
                        libc::prctl(
                            libc::PR_CAP_AMBIENT,
                            libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
                            cap as libc::c_ulong,
                            0,
                            0,
                        ),
                    )?;
                }
            }
        }
        if self.no_new_privileges {
            checked(
                SandboxStep::NoNewPrivileges,
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
            )?;
        }
        if let Some(program) = &self.seccomp {
            let fprog = FilterProgram {
                len: program.len() as libc::c_ushort,
                filter: program.as_ptr(),
            };
            let install = || {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &fprog as *const FilterProgram,
                ) as libc::c_int
            };
            let mut result = install();
            // Without CAP_SYS_ADMIN (a `user`, or `capabilities` without
            // it) the kernel takes a filter only under no_new_privs.
            if result != 0 && Errno::last() == Errno::EACCES {
                checked(
                    SandboxStep::NoNewPrivileges,
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
                )?;
                result = install();
            }
            checked(SandboxStep::Seccomp, result)?;
        }
        Ok(())
    }
}

/// `ip link set lo up` in a fresh network namespace, by ioctl.
unsafe fn bring_loopback_up() -> libc::c_int {
    let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
    if fd < 0 {
        return -1;
    }
    let mut request: InterfaceFlags = std::mem::zeroed();
    request.name[0] = b'l' as libc::c_char;
    request.name[1] = b'o' as libc::c_char;
    // The request is an unsigned long in glibc's prototype, an int in musl's.
    let mut result = libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut request);
    if result == 0 {
        request.flags |= libc::IFF_UP as libc::c_short;
        result = libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &request);
    }
    let errno = Errno::last();
    libc::close(fd);
    Errno::set_raw(errno as i32);
    result
}

/// What the parent says when the child reports `step` failed with `errno`.
pub fn describe_failure(
    service: &str,
    sandbox: &Sandbox,
    step: SandboxStep,
    errno: Errno,
) -> String {
    let nth = |list: &[String], index: u8| {
        list.get(usize::from(index))
            .cloned()
            .unwrap_or_else(|| "?".to_string())
    };
    let what = match step {
        SandboxStep::Unshare => format!(
            "cannot make its {} namespaces",
            sandbox.namespaces().join(", ")
        ),
        SandboxStep::MakePrivate => "cannot make its mounts private".to_string(),
        SandboxStep::PrivateTmp => "cannot mount its private /tmp".to_string(),
        SandboxStep::Bind(index) => match sandbox.binds.get(usize::from(index)) {
            Some(bind) => format!("cannot bind {} on {}", bind.source, bind.target),
            None => "cannot bind".to_string(),
        },
        SandboxStep::ReadOnly(index) => {
            format!("cannot make {} read-only", nth(&sandbox.read_only, index))
        }
        SandboxStep::Inaccessible(index) => {
            format!("cannot hide {}", nth(&sandbox.inaccessible, index))
        }
        SandboxStep::Proc => "cannot mount /proc for its PID namespace".to_string(),
        SandboxStep::Hostname => format!(
            "cannot set hostname {}",
            sandbox.hostname.as_deref().unwrap_or("?")
        ),
        SandboxStep::Loopback => "cannot bring up its loopback interface".to_string(),
        SandboxStep::BoundingSet => "cannot drop capabilities from its bounding set".to_string(),
        SandboxStep::KeepCapabilities => {
            "cannot keep capabilities across the user change".to_string()
        }
        SandboxStep::Capabilities => format!(
            "cannot set capabilities {}",
            capability_names(sandbox).join(" ")
        ),
        SandboxStep::Ambient => "cannot raise ambient capabilities".to_string(),
        SandboxStep::NoNewPrivileges => "cannot set no-new-privileges".to_string(),
        SandboxStep::Seccomp => "cannot install its syscall filter".to_string(),
    };
    // EINVAL from unshare or seccomp is the kernel saying it lacks the
    // feature (CONFIG_*_NS, CONFIG_SECCOMP_FILTER): say so.
    let hint = match (step, errno) {
        (SandboxStep::Unshare | SandboxStep::Seccomp, Errno::EINVAL) => {
            " (is it built into this kernel?)"
        }
        _ => "",
    };
    format!("{service}: sandbox: {what}: {}{hint}", errno.desc())
}

fn capability_names(sandbox: &Sandbox) -> Vec<&'static str> {
    sandbox
        .capabilities
        .iter()
        .flatten()
        .map(|cap| cap.name())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use init_core::sandbox::Capability;

    #[test]
    fn step_codes_come_back_and_stay_clear_of_the_settings_codes() {
        for step in [
            SandboxStep::Unshare,
            SandboxStep::Bind(0),
            SandboxStep::ReadOnly(7),
            SandboxStep::Inaccessible(255),
            SandboxStep::Seccomp,
        ] {
            assert!(step.code() > 0xffff);
            assert_eq!(SandboxStep::from_code(step.code()), Some(step));
        }
        assert_eq!(SandboxStep::from_code(3), None);
        assert_eq!(SandboxStep::from_code(CODE_BASE | (15 << 8)), None);
    }

    /// A syscall of another architecture that this one lacks.
    const ELSEWHERE_ONLY: &str = match cfg!(target_arch = "x86_64") {
        true => "riscv_flush_icache",
        false => "mkdir",
    };

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn a_name_is_checked_against_every_architecture() {
        assert_eq!(architectures_with("mkdir"), ["x86_64"]);
        assert_eq!(
            architectures_with("mkdirat"),
            ["x86_64", "aarch64", "riscv64"]
        );
        assert_eq!(architectures_with("no_such_call"), [] as [&str; 0]);
        let listed = names(&["mkdirat", ELSEWHERE_ONLY, "no_such_call"]);
        assert_eq!(
            missing_syscalls(&listed),
            Ok(Missing {
                elsewhere: vec![ELSEWHERE_ONLY],
                unknown: vec!["no_such_call"],
            })
        );
    }

    #[test]
    fn a_filter_refuses_a_name_of_no_architecture_and_leaves_out_one_of_another() {
        let deny = |listed: &[&str]| SyscallFilter {
            mode: FilterMode::Deny,
            names: names(listed),
        };
        let error = compile_filter(&deny(&["mkdirat", "no_such_call"]), SyscallAction::Kill);
        assert_eq!(error, Err("unknown syscall no_such_call".to_string()));
        assert_eq!(
            compile_filter(&deny(&["mkdirat", ELSEWHERE_ONLY]), SyscallAction::Kill),
            compile_filter(&deny(&["mkdirat"]), SyscallAction::Kill)
        );
        let only_elsewhere = compile_filter(&deny(&[ELSEWHERE_ONLY]), SyscallAction::Kill);
        assert_eq!(
            only_elsewhere,
            compile_filter(&deny(&[]), SyscallAction::Kill)
        );
    }

    /// Forks, installs `filter` in the child, and returns what the child
    /// saw from getuid (not a start syscall) and getppid (not one either)
    /// and getpid (one), as its exit code: a bit per syscall that failed
    /// with EACCES.
    fn refused_in_a_child(filter: SyscallFilter) -> i32 {
        let sandbox = Sandbox {
            syscalls: Some(filter),
            syscall_action: Some(SyscallAction::Errno(Errno::EACCES as u32)),
            ..Sandbox::default()
        };
        let prepared = prepare("svc", &sandbox, false).unwrap();
        // SAFETY: the child makes raw syscalls only, then _exits.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                if prepared.restrict_in_child().is_err() {
                    libc::_exit(100);
                }
                let refused = |result: libc::c_long| result == -1 && Errno::last() == Errno::EACCES;
                let mut code = 0;
                if refused(libc::syscall(libc::SYS_getuid)) {
                    code |= 1;
                }
                if refused(libc::syscall(libc::SYS_getppid)) {
                    code |= 2;
                }
                if refused(libc::syscall(libc::SYS_getpid)) {
                    code |= 4;
                }
                libc::_exit(code);
            }
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            libc::WEXITSTATUS(status)
        }
    }

    #[test]
    fn an_allow_list_refuses_the_rest_but_never_what_a_start_needs() {
        let allowed = SyscallFilter {
            mode: FilterMode::Allow,
            names: vec!["getuid".to_string()],
        };
        assert_eq!(refused_in_a_child(allowed), 2, "only getppid refused");
    }

    #[test]
    fn a_deny_list_refuses_only_what_it_names() {
        let denied = SyscallFilter {
            mode: FilterMode::Deny,
            names: vec!["getuid".to_string(), "getpid".to_string()],
        };
        assert_eq!(refused_in_a_child(denied), 1 | 4);
    }

    #[test]
    fn a_failure_names_the_setting_and_the_reason() {
        let sandbox = Sandbox {
            read_only: vec!["/a".to_string(), "/b".to_string()],
            capabilities: Some(vec![Capability::from_name("chown").unwrap()]),
            network: Some(Network::None),
            ..Sandbox::default()
        };
        assert_eq!(
            describe_failure("svc", &sandbox, SandboxStep::ReadOnly(1), Errno::ENOENT),
            "svc: sandbox: cannot make /b read-only: No such file or directory"
        );
        assert_eq!(
            describe_failure("svc", &sandbox, SandboxStep::Unshare, Errno::EINVAL),
            "svc: sandbox: cannot make its mount, network namespaces: Invalid argument \
             (is it built into this kernel?)"
        );
        assert_eq!(
            describe_failure("svc", &sandbox, SandboxStep::Capabilities, Errno::EPERM),
            "svc: sandbox: cannot set capabilities CAP_CHOWN: Operation not permitted"
        );
    }
}

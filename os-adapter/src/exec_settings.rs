//! A service's execution settings (`user`, `group`, `env`, `env-file`,
//! `working-dir`, `rlimit`, `umask`, `nice`, `oom-score-adjust`).
//!
//! Owns turning them into what the child needs, in init before the fork
//! (names to ids through the user and group databases, env files read,
//! strings made C strings), and applying them in the child between fork
//! and exec with async-signal-safe calls only: getpwnam and friends may
//! allocate and lock, so they never run in the child. It decides nothing
//! about when a service runs.

use std::ffi::CString;

use std::path::Path;

use init_core::envfile::parse_env_file;
use init_core::events::SpawnError;
use init_core::service::{ExecSettings, LimitValue, Resource};
use nix::errno::Errno;
use nix::libc;
use nix::unistd::{getgrouplist, Gid, Group, Uid, User};

use crate::bounded_read::{self, ReadError};
use crate::fs_identity::{as_identity, Identity};

/// The settings, resolved. Every field is ready for one syscall.
#[derive(Debug, Default)]
pub struct PreparedSettings {
    rlimits: Vec<(Resource, libc::rlimit)>,
    nice: Option<libc::c_int>,
    oom_score_adjust: Option<Vec<u8>>,
    umask: Option<libc::mode_t>,
    /// Set together: the supplementary groups, then the gid, then the uid.
    groups: Option<Vec<libc::gid_t>>,
    gid: Option<libc::gid_t>,
    uid: Option<libc::uid_t>,
    working_dir: Option<CString>,
}

/// Which step failed in the child, as the report pipe carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum SettingsStep {
    Rlimit = 1,
    Nice,
    OomScoreAdjust,
    Groups,
    Gid,
    Uid,
    WorkingDir,
}

impl SettingsStep {
    pub fn from_code(code: u32) -> Option<SettingsStep> {
        [
            SettingsStep::Rlimit,
            SettingsStep::Nice,
            SettingsStep::OomScoreAdjust,
            SettingsStep::Groups,
            SettingsStep::Gid,
            SettingsStep::Uid,
            SettingsStep::WorkingDir,
        ]
        .into_iter()
        .find(|step| *step as u32 == code)
    }
}

fn refused(service: &str, errno: &str, message: String) -> SpawnError {
    SpawnError {
        errno: errno.to_string(),
        message: format!("{service}: {message}"),
    }
}

/// The variables `env-file` and `env` lines add, in that order, on top of
/// `base` (init's env file): a later key replaces an earlier one in place.
/// `prepared` is what the service runs as: its `env-file` is read with the
/// service's own rights (see `read_env_file`).
pub fn service_vars(
    service: &str,
    settings: &ExecSettings,
    prepared: Option<&PreparedSettings>,
    base: &[(String, String)],
) -> Result<Vec<(String, String)>, SpawnError> {
    let mut vars = base.to_vec();
    let mut set = |key: &str, value: &str| match vars.iter_mut().find(|(k, _)| k == key) {
        Some(var) => var.1 = value.to_string(),
        None => vars.push((key.to_string(), value.to_string())),
    };
    if let Some(path) = &settings.env_file {
        let identity = prepared.map(PreparedSettings::identity).unwrap_or_default();
        let text = read_env_file(service, path, identity)?;
        let parsed = parse_env_file(path, &text);
        if let Some(bad) = parsed.diagnostics.iter().find(|d| d.is_error()) {
            return Err(refused(service, "EINVAL", format!("env-file {bad}")));
        }
        for (key, value) in &parsed.vars {
            set(key, value);
        }
    }
    for (key, value) in &settings.env {
        set(key, value);
    }
    Ok(vars)
}

/// Reads a service's `env-file` in init, as every file init reads
/// ([`bounded_read`]: only a regular file, never blocking, at most
/// [`MAX_FILE_BYTES`](bounded_read::MAX_FILE_BYTES)), and opened with the
/// rights of the user and groups the service will run as
/// ([`fs_identity`]). A path that leads, through symlinks or not, to a file
/// the service could not read itself fails the service: init must never
/// hand a service what only root may read.
fn read_env_file(service: &str, path: &str, identity: Identity<'_>) -> Result<Vec<u8>, SpawnError> {
    let mut bytes = Vec::new();
    let read = as_identity(identity, || {
        bounded_read::read_file(Path::new(path), &mut bytes)
    })
    .map_err(|errno| {
        refused(
            service,
            &format!("{errno:?}"),
            format!(
                "cannot take on the service's user and groups to read env-file {path}: {}",
                errno.desc()
            ),
        )
    })?;
    let as_whom = match identity.uid {
        Some(uid) => format!(" (read as uid {uid})"),
        None => String::new(),
    };
    match read {
        Ok(_) => Ok(bytes),
        Err(error) => {
            let errno = match &error {
                ReadError::Missing => Errno::ENOENT,
                ReadError::NotRegular(_) => Errno::EINVAL,
                ReadError::TooLarge(_) => Errno::EFBIG,
                ReadError::Io(io) => Errno::from_raw(io.raw_os_error().unwrap_or(0)),
            };
            Err(refused(
                service,
                &format!("{errno:?}"),
                format!("cannot read env-file {path}: {error}{as_whom}"),
            ))
        }
    }
}

/// Resolves `settings` for `service`. A user or group that does not exist
/// is an error here, in init, with the name in the message.
pub fn prepare(service: &str, settings: &ExecSettings) -> Result<PreparedSettings, SpawnError> {
    let mut prepared = PreparedSettings {
        rlimits: settings
            .rlimits
            .iter()
            .map(|limit| {
                let value = |v: LimitValue| match v {
                    LimitValue::Unlimited => libc::RLIM_INFINITY,
                    LimitValue::Value(n) => n as libc::rlim_t,
                };
                (
                    limit.resource,
                    libc::rlimit {
                        rlim_cur: value(limit.soft),
                        rlim_max: value(limit.hard),
                    },
                )
            })
            .collect(),
        nice: settings.nice,
        oom_score_adjust: settings
            .oom_score_adjust
            .map(|n| format!("{n}\n").into_bytes()),
        umask: settings.umask.map(|m| m as libc::mode_t),
        ..PreparedSettings::default()
    };
    if let Some(dir) = &settings.working_dir {
        prepared.working_dir = Some(CString::new(dir.as_str()).map_err(|_| {
            refused(
                service,
                "EINVAL",
                format!("working-dir {dir:?} holds a NUL"),
            )
        })?);
    }
    let user = settings
        .user
        .as_deref()
        .map(|name| find_user(service, name))
        .transpose()?;
    let mut groups: Vec<Gid> = Vec::new();
    for name in &settings.groups {
        groups.push(find_group(service, name)?);
    }
    if user.is_none() && groups.is_empty() {
        return Ok(prepared);
    }
    let primary = match (groups.first(), &user) {
        (Some(gid), _) => *gid,
        (None, Some((_, Some(account)))) => account.gid,
        (None, Some((uid, None))) => {
            return Err(refused(
                service,
                "EINVAL",
                format!("uid {uid} has no entry in the user database: give a `group` too"),
            ))
        }
        (None, None) => return Ok(prepared),
    };
    let mut supplementary: Vec<libc::gid_t> = Vec::new();
    if let Some((_, Some(account))) = &user {
        let name = CString::new(account.name.as_str())
            .map_err(|_| refused(service, "EINVAL", "user name holds a NUL".to_string()))?;
        let listed = getgrouplist(&name, primary).map_err(|errno| {
            refused(
                service,
                &format!("{errno:?}"),
                format!(
                    "cannot list the groups of {}: {}",
                    account.name,
                    errno.desc()
                ),
            )
        })?;
        supplementary.extend(listed.iter().map(|g| g.as_raw()));
    } else {
        supplementary.push(primary.as_raw());
    }
    for gid in groups.iter().skip(1) {
        if !supplementary.contains(&gid.as_raw()) {
            supplementary.push(gid.as_raw());
        }
    }
    prepared.groups = Some(supplementary);
    prepared.gid = Some(primary.as_raw());
    prepared.uid = user.map(|(uid, _)| uid.as_raw());
    Ok(prepared)
}

/// A user by name, or by number (which need not be in the database).
fn find_user(service: &str, name: &str) -> Result<(Uid, Option<User>), SpawnError> {
    if let Ok(number) = name.parse::<u32>() {
        let uid = Uid::from_raw(number);
        let account = User::from_uid(uid).ok().flatten();
        return Ok((uid, account));
    }
    match User::from_name(name) {
        Ok(Some(account)) => Ok((account.uid, Some(account))),
        Ok(None) => Err(refused(service, "ENOENT", format!("no user named {name}"))),
        Err(errno) => Err(refused(
            service,
            &format!("{errno:?}"),
            format!("cannot look up user {name}: {}", errno.desc()),
        )),
    }
}

fn find_group(service: &str, name: &str) -> Result<Gid, SpawnError> {
    if let Ok(number) = name.parse::<u32>() {
        return Ok(Gid::from_raw(number));
    }
    match Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid),
        Ok(None) => Err(refused(service, "ENOENT", format!("no group named {name}"))),
        Err(errno) => Err(refused(
            service,
            &format!("{errno:?}"),
            format!("cannot look up group {name}: {}", errno.desc()),
        )),
    }
}

/// The type `setrlimit` takes its resource in: glibc declares an enum of
/// its own, musl a plain int.
#[cfg(target_env = "gnu")]
type RlimitResource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
type RlimitResource = libc::c_int;

fn resource_number(resource: Resource) -> RlimitResource {
    match resource {
        Resource::As => libc::RLIMIT_AS,
        Resource::Core => libc::RLIMIT_CORE,
        Resource::Cpu => libc::RLIMIT_CPU,
        Resource::Data => libc::RLIMIT_DATA,
        Resource::Fsize => libc::RLIMIT_FSIZE,
        Resource::Memlock => libc::RLIMIT_MEMLOCK,
        Resource::Nofile => libc::RLIMIT_NOFILE,
        Resource::Nproc => libc::RLIMIT_NPROC,
        Resource::Rss => libc::RLIMIT_RSS,
        Resource::Stack => libc::RLIMIT_STACK,
    }
}

/// What the parent says when the child reports `step` failed with `errno`.
pub fn describe_failure(
    service: &str,
    settings: &ExecSettings,
    step: SettingsStep,
    errno: Errno,
) -> String {
    let what = match step {
        SettingsStep::Rlimit => {
            let names: Vec<&str> = settings
                .rlimits
                .iter()
                .map(|l| l.resource.as_str())
                .collect();
            format!("cannot set rlimit {}", names.join(", "))
        }
        SettingsStep::Nice => format!("cannot set nice {}", settings.nice.unwrap_or(0)),
        SettingsStep::OomScoreAdjust => format!(
            "cannot set oom-score-adjust {}",
            settings.oom_score_adjust.unwrap_or(0)
        ),
        SettingsStep::Groups => format!("cannot set the groups {}", settings.groups.join(" ")),
        SettingsStep::Gid => "cannot set the group id".to_string(),
        SettingsStep::Uid => format!(
            "cannot become user {}",
            settings.user.as_deref().unwrap_or("?")
        ),
        SettingsStep::WorkingDir => format!(
            "cannot change to working-dir {}",
            settings.working_dir.as_deref().unwrap_or("?")
        ),
    };
    format!("{service}: {what}: {}", errno.desc())
}

impl PreparedSettings {
    /// Who the service runs as, for opening files with its rights.
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            uid: self.uid,
            gid: self.gid,
            groups: self.groups.as_deref(),
        }
    }

    /// Applies every setting in the child, the ones that need root first.
    /// On failure returns the step and the errno.
    ///
    /// # Safety
    /// Only in a freshly forked child: it changes the calling process.
    pub unsafe fn apply(&self) -> Result<(), (SettingsStep, Errno)> {
        let check = |step: SettingsStep, result: libc::c_int| {
            if result == 0 {
                Ok(())
            } else {
                Err((step, Errno::last()))
            }
        };
        // Raising a hard limit, a negative nice and a lower OOM score need
        // root: all before the uid changes.
        for (resource, limit) in &self.rlimits {
            check(
                SettingsStep::Rlimit,
                libc::setrlimit(resource_number(*resource), limit),
            )?;
        }
        if let Some(nice) = self.nice {
            check(
                SettingsStep::Nice,
                libc::setpriority(libc::PRIO_PROCESS, 0, nice),
            )?;
        }
        if let Some(text) = &self.oom_score_adjust {
            let fd = libc::open(
                c"/proc/self/oom_score_adj".as_ptr(),
                libc::O_WRONLY | libc::O_CLOEXEC,
            );
            if fd < 0 {
                return Err((SettingsStep::OomScoreAdjust, Errno::last()));
            }
            let written = libc::write(fd, text.as_ptr().cast(), text.len());
            let errno = Errno::last();
            libc::close(fd);
            if written < 0 {
                return Err((SettingsStep::OomScoreAdjust, errno));
            }
        }
        if let Some(mask) = self.umask {
            libc::umask(mask);
        }
        if let Some(groups) = &self.groups {
            check(
                SettingsStep::Groups,
                libc::setgroups(groups.len(), groups.as_ptr()),
            )?;
        }
        if let Some(gid) = self.gid {
            check(SettingsStep::Gid, libc::setgid(gid))?;
        }
        if let Some(uid) = self.uid {
            check(SettingsStep::Uid, libc::setuid(uid))?;
        }
        // After the switch, so that the directory is one the user may use.
        if let Some(dir) = &self.working_dir {
            check(SettingsStep::WorkingDir, libc::chdir(dir.as_ptr()))?;
        }
        Ok(())
    }
}

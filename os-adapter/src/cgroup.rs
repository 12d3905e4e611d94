//! A cgroup v2 per service, where a writable cgroup2 hierarchy is mounted:
//! stop then reaches every process of the service, double-forked daemons
//! included, and status can count them.
//!
//! Owns finding the hierarchy (through /proc/self/mountinfo: its path is
//! never assumed), init's subtree in it, and the per-service cgroups. It
//! decides nothing about when a service stops; without a writable
//! hierarchy everything falls back to process groups.
//!
//! Linux details that bite:
//! - a child is born in its service's cgroup (`clone3` with
//!   CLONE_INTO_CGROUP, see `clone`); where the kernel will not, it joins
//!   by writing `0` ("myself") to `cgroup.procs` between fork and exec;
//! - `cgroup.kill` (Linux 5.14) SIGKILLs every process in the cgroup at
//!   once, including ones forked while it runs; older kernels get a
//!   signal per pid from `cgroup.procs`;
//! - with no controllers enabled in `cgroup.subtree_control`, processes may
//!   live in a cgroup that also has children, so init's own cgroup needs no
//!   moving.

use std::ffi::CString;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use init_core::events::Signal;
use nix::fcntl::{open, openat, OFlag};
use nix::sys::signal::kill;
use nix::sys::stat::Mode;
use nix::unistd::{getpgid, read, Pid as NixPid};

use crate::power::to_nix;

/// The cgroups of init's services: `SUBTREE/NAME` for each service.
#[derive(Debug)]
pub struct Cgroups {
    subtree: PathBuf,
    /// The subtree, opened once: `status` counts the processes of every
    /// service, and a lookup relative to it walks two path components
    /// instead of the whole mount path (most of a 1,000-service status).
    subtree_dir: Option<OwnedFd>,
    // Which services have a directory is asked of the subtree itself: init
    // makes every directory in it and no one else does, so a set of names
    // beside it (40 bytes a service for as long as init runs) would only
    // repeat it, and would need taking back after a re-exec.
}

/// Where the cgroup2 hierarchy is mounted, from mountinfo text.
pub fn cgroup2_mount(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        let fstype = after.split_whitespace().next()?;
        let mount_point = before.split_whitespace().nth(4)?;
        (fstype == "cgroup2").then(|| PathBuf::from(unescape_mount_path(mount_point)))
    })
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mount_path(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The cgroup v2 path in a `/proc/PID/cgroup` text (`0::/PATH`).
pub(crate) fn own_cgroup(proc_cgroup: &str) -> Option<String> {
    proc_cgroup
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(str::to_string)
}

impl Cgroups {
    /// Init's subtree in the writable cgroup2 hierarchy, made if need be;
    /// `Err` says why there is none (and services use process groups).
    ///
    /// The subtree is named after init's PID namespace, so that inits in
    /// several containers that share a cgroup never share a subtree.
    pub fn open() -> Result<Cgroups, String> {
        let mountinfo = fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
        let mount = cgroup2_mount(&mountinfo).ok_or("no cgroup2 hierarchy is mounted")?;
        let own = fs::read_to_string("/proc/self/cgroup")
            .ok()
            .and_then(|text| own_cgroup(&text))
            .unwrap_or_else(|| "/".to_string());
        let namespace = fs::read_link("/proc/self/ns/pid")
            .ok()
            .and_then(|link| {
                let text = link.to_string_lossy().to_string();
                let inode = text.strip_prefix("pid:[")?.strip_suffix(']')?.to_string();
                Some(inode)
            })
            .unwrap_or_else(|| "0".to_string());
        let subtree = mount
            .join(own.trim_start_matches('/'))
            .join(format!("init-services.{namespace}"));
        match fs::create_dir(&subtree) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot make {}: {e}", subtree.display())),
        }
        if !subtree.join("cgroup.procs").exists() {
            return Err(format!("{} is not a cgroup", subtree.display()));
        }
        let subtree_dir = open_dir(&subtree, OFlag::O_PATH);
        Ok(Cgroups {
            subtree,
            subtree_dir,
        })
    }

    /// The cgroup a new process of `service` is to be born in (or to join),
    /// made if need be. `None`: this service falls back to its process
    /// group.
    pub fn place_for(&self, service: &str) -> Option<ServiceCgroup> {
        let dir = self.path_of(service)?;
        // Usually made already (`make_ahead`, or an earlier run).
        if let Some(opened) = open_dir(&dir, OFlag::O_RDONLY) {
            return ServiceCgroup::with(&dir, Some(opened));
        }
        make_dir(&dir).then(|| ServiceCgroup::at(&dir)).flatten()
    }

    /// Makes `service`'s cgroup before its start, while init has nothing
    /// else to do: making one is the largest part of a spawn's cost in
    /// the kernel, and at boot it then falls in the time the services
    /// before it run, not on the path to the next ones. Whether it
    /// succeeds matters to no one: `place_for` makes it if it is missing.
    pub fn make_ahead(&self, service: &str) {
        if let Some(dir) = self.path_of(service) {
            make_dir(&dir);
        }
    }

    /// `SUBTREE/NAME`, whether or not it exists; `None` for a name that
    /// is no directory right under the subtree.
    fn path_of(&self, service: &str) -> Option<PathBuf> {
        is_cgroup_name(service).then(|| self.subtree.join(service))
    }

    /// `SUBTREE/NAME`, if `service` has a cgroup there.
    fn dir(&self, service: &str) -> Option<PathBuf> {
        let dir = self.path_of(service)?;
        dir.join("cgroup.procs").exists().then_some(dir)
    }

    /// The pids in `service`'s cgroup; `None` if it has none.
    pub fn processes(&self, service: &str) -> Option<Vec<i32>> {
        pids_in(&self.dir(service)?)
    }

    /// How many processes are in `service`'s cgroup (`None` if it has
    /// none): its `cgroup.procs` counted by lines, read into a buffer on
    /// the stack.
    pub fn process_count(&self, service: &str) -> Option<u32> {
        let Some(dir) = &self.subtree_dir else {
            return self.processes(service).map(|pids| pids.len() as u32);
        };
        if !is_cgroup_name(service) {
            return None;
        }
        let procs = openat(
            Some(dir.as_raw_fd()),
            format!("{service}/cgroup.procs").as_str(),
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        // SAFETY: a fresh fd that nothing else owns.
        let procs = unsafe { OwnedFd::from_raw_fd(procs) };
        let mut buffer = [0u8; 4096];
        let mut count = 0;
        loop {
            match read(procs.as_raw_fd(), &mut buffer) {
                Ok(0) => return Some(count),
                Ok(n) => count += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u32,
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return None,
            }
        }
    }

    /// Signals every process of `service`: KILL through `cgroup.kill`
    /// where the kernel has it, anything else pid by pid, skipping the
    /// members of process group `signalled_group` when given: the caller
    /// has signalled that group already, and a process signalled twice
    /// runs a TERM trap twice if it handles the first before the second
    /// comes. False when the service has no cgroup.
    pub fn signal(&self, service: &str, signal: Signal, signalled_group: Option<i32>) -> bool {
        let Some(dir) = self.dir(service) else {
            return false;
        };
        if signal == Signal::Kill && fs::write(dir.join("cgroup.kill"), "1").is_ok() {
            return true;
        }
        for pid in pids_in(&dir).unwrap_or_default() {
            let pid = NixPid::from_raw(pid);
            let in_group = signalled_group
                .is_some_and(|group| getpgid(Some(pid)).is_ok_and(|of| of.as_raw() == group));
            if pid.as_raw() > 1 && !in_group {
                let _ = kill(pid, to_nix(signal));
            }
        }
        true
    }

    /// Removes the cgroups that are empty, and the subtree if all are:
    /// at the end, so that a container leaves no directories behind.
    /// Processes KILLed a moment ago may still be leaving: a few tries,
    /// 100 ms at most, so that the end is never held up for long.
    pub fn remove_empty(&mut self) {
        for _ in 0..10 {
            let Ok(entries) = fs::read_dir(&self.subtree) else {
                return;
            };
            let mut left = false;
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    left |= fs::remove_dir(entry.path()).is_err();
                }
            }
            if !left {
                let _ = fs::remove_dir(&self.subtree);
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// The pids in the cgroup at `dir`, from its `cgroup.procs`.
fn pids_in(dir: &std::path::Path) -> Option<Vec<i32>> {
    let text = fs::read_to_string(dir.join("cgroup.procs")).ok()?;
    Some(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
}

/// `mkdir`; an existing directory is fine.
fn make_dir(dir: &std::path::Path) -> bool {
    match fs::create_dir(dir) {
        Ok(()) => true,
        Err(e) => e.kind() == std::io::ErrorKind::AlreadyExists,
    }
}

/// Whether `service` names a directory right under the subtree.
fn is_cgroup_name(service: &str) -> bool {
    !(service.is_empty() || service.contains('/') || service.starts_with('.'))
}

/// The directory `path`, opened with `mode` (O_PATH or O_RDONLY).
fn open_dir(path: &std::path::Path, mode: OFlag) -> Option<OwnedFd> {
    open(
        path,
        mode | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    // SAFETY: a fresh fd that nothing else owns.
    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
    .ok()
}

/// A service's cgroup, as a spawn needs it: the directory open, for a
/// child born in it (`clone::fork`), and the path of its `cgroup.procs`,
/// for a child that has to join it after a plain fork.
#[derive(Debug)]
pub struct ServiceCgroup {
    dir: Option<OwnedFd>,
    procs: CString,
}

impl ServiceCgroup {
    /// The cgroup at `dir`, which exists; `None` for a path with a NUL.
    pub fn at(dir: &std::path::Path) -> Option<ServiceCgroup> {
        // Read-only is enough: clone3 only needs the directory itself.
        ServiceCgroup::with(dir, open_dir(dir, OFlag::O_RDONLY))
    }

    /// The cgroup at `dir`, open as `opened` (if it could be opened).
    fn with(dir: &std::path::Path, opened: Option<OwnedFd>) -> Option<ServiceCgroup> {
        let procs = CString::new(
            dir.join("cgroup.procs")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .ok()?;
        Some(ServiceCgroup { dir: opened, procs })
    }

    pub fn dir_fd(&self) -> Option<std::os::fd::RawFd> {
        self.dir.as_ref().map(AsRawFd::as_raw_fd)
    }

    pub fn procs_file(&self) -> &std::ffi::CStr {
        &self.procs
    }
}

/// Where a service's stop reaches, as `status` says it.
pub fn scope_name(cgroup: bool) -> &'static str {
    if cgroup {
        "cgroup"
    } else {
        "process group"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchCgroup;
    use std::os::unix::process::CommandExt;

    /// `sleep 100` in a session (and process group) of its own, moved
    /// into `cgroup`.
    fn sleeper_in(cgroup: &std::path::Path) -> std::process::Child {
        let mut command = std::process::Command::new("sleep");
        command.arg("100");
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()
                    .map(drop)
                    .map_err(std::io::Error::from)
            })
        };
        let child = command.spawn().expect("start sleep");
        fs::write(cgroup.join("cgroup.procs"), child.id().to_string()).expect("move it in");
        child
    }

    #[test]
    fn a_signal_through_the_cgroup_skips_the_group_already_signalled() {
        let Some(subtree) = ScratchCgroup::new("cgroup-signal") else {
            return;
        };
        let cgroups = Cgroups {
            subtree: subtree.to_path_buf(),
            subtree_dir: None,
        };
        let place = cgroups.place_for("svc").expect("the service's cgroup");
        drop(place);
        let service_dir = subtree.join("svc");
        let mut leader = sleeper_in(&service_dir);
        let mut daemon = sleeper_in(&service_dir);
        assert!(cgroups.signal("svc", Signal::Term, Some(leader.id() as i32)));
        // The daemon, in a group of its own, got TERM; the leader's group
        // was left alone, as the caller had signalled it.
        let daemon_end = daemon.wait().expect("wait for the daemon");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&daemon_end),
            Some(nix::libc::SIGTERM)
        );
        assert_eq!(leader.try_wait().expect("the leader"), None);
        assert!(cgroups.signal("svc", Signal::Term, None));
        assert!(leader.wait().is_ok());
        let _ = fs::remove_dir(&service_dir);
    }

    #[test]
    fn the_cgroup2_mount_is_found_in_mountinfo_wherever_it_is() {
        let hybrid = "25 30 0:22 / /sys rw - sysfs sysfs rw\n\
                      41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        assert_eq!(
            cgroup2_mount(hybrid),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        let escaped = "41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n";
        assert_eq!(
            cgroup2_mount(escaped),
            Some(PathBuf::from("/mnt/my cgroups"))
        );
        assert_eq!(
            cgroup2_mount("25 30 0:22 / /sys rw - sysfs sysfs rw\n"),
            None
        );
    }

    #[test]
    fn init_finds_its_own_cgroup_v2_path() {
        assert_eq!(
            own_cgroup("12:pids:/\n0::/user.slice/x\n"),
            Some("/user.slice/x".to_string())
        );
        assert_eq!(own_cgroup("1:name=systemd:/\n"), None);
    }
}

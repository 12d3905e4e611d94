//! Opening a file as a service would: init takes on the service's user
//! and groups for file access, for the length of one call, and gives them
//! back.
//!
//! Owns the switch and its undoing, nothing else. Linux keeps a file-system
//! uid and gid apart from the effective ones (setfsuid(2), setfsgid(2)),
//! and the kernel checks every path against those and the supplementary
//! groups. Changing them touches no other right of init: it keeps its
//! effective uid, so it may change them back. Taking the fs uid away from
//! 0 also drops the capabilities that bypass file permissions
//! (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER...), and giving it
//! back restores them (capabilities(7)), so root's open is exactly the
//! service's open for as long as the switch lasts.
//!
//! The calls are made as raw system calls on purpose: the kernel keeps
//! credentials per thread, and the C library's `setgroups` would change
//! every thread of the process (POSIX asks it to). Init is one thread,
//! but a test process is not, and the switch must never leak beyond the
//! thread that made it.

use nix::errno::Errno;
use nix::libc;

/// Whose rights a file is opened with: what the service will run as.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    pub uid: Option<libc::uid_t>,
    pub gid: Option<libc::gid_t>,
    pub groups: Option<&'a [libc::gid_t]>,
}

impl Identity<'_> {
    /// Whether this is init's own identity, nothing to take on.
    pub fn is_own(&self) -> bool {
        self.uid.is_none() && self.gid.is_none() && self.groups.is_none()
    }
}

/// Runs `call` with `identity` as this thread's file-access identity, and
/// gives init's own back after it, whatever `call` returned. An identity
/// that cannot be taken on is an error and `call` does not run: a file
/// must never be opened with more rights than its service has.
pub fn as_identity<T>(identity: Identity<'_>, call: impl FnOnce() -> T) -> Result<T, Errno> {
    if identity.is_own() {
        return Ok(call());
    }
    let saved = Saved::take()?;
    let switched = switch(&identity);
    let result = switched.map(|()| call());
    saved.restore();
    result
}

/// Init's own identity, to give back.
struct Saved {
    fsuid: libc::uid_t,
    fsgid: libc::gid_t,
    groups: Vec<libc::gid_t>,
}

impl Saved {
    fn take() -> Result<Saved, Errno> {
        // SAFETY: a count query, then a fill of a buffer of that count.
        let count = unsafe { libc::syscall(libc::SYS_getgroups, 0, std::ptr::null_mut::<u32>()) };
        let count = usize::try_from(count).map_err(|_| Errno::last())?;
        let mut groups: Vec<libc::gid_t> = vec![0; count];
        // SAFETY: `groups` holds `count` entries.
        let filled = unsafe { libc::syscall(libc::SYS_getgroups, count, groups.as_mut_ptr()) };
        let filled = usize::try_from(filled).map_err(|_| Errno::last())?;
        groups.truncate(filled);
        Ok(Saved {
            fsuid: fsuid(),
            fsgid: fsgid(),
            groups,
        })
    }

    /// Gives init its identity back, the uid first: with fs uid 0 again,
    /// init has its capabilities back to change the rest.
    fn restore(self) {
        set_fsuid(self.fsuid);
        set_fsgid(self.fsgid);
        // SAFETY: a buffer of `len` gids.
        unsafe { libc::syscall(libc::SYS_setgroups, self.groups.len(), self.groups.as_ptr()) };
    }
}

/// Takes on `identity`: the groups first, then the gid, then the uid, as
/// a service's child does, since after the uid init may lack the right to
/// change the others.
fn switch(identity: &Identity<'_>) -> Result<(), Errno> {
    if let Some(groups) = identity.groups {
        // SAFETY: a buffer of `len` gids.
        let set = unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) };
        if set != 0 {
            return Err(Errno::last());
        }
    }
    // setfsuid and setfsgid report no error: each returns the old value
    // whether or not it changed anything. Asking again says which.
    if let Some(gid) = identity.gid {
        set_fsgid(gid);
        if fsgid() != gid {
            return Err(Errno::EPERM);
        }
    }
    if let Some(uid) = identity.uid {
        set_fsuid(uid);
        if fsuid() != uid {
            return Err(Errno::EPERM);
        }
    }
    Ok(())
}

/// An id no process can have: setfsuid(-1) changes nothing and says what is.
const NO_ID: libc::uid_t = libc::uid_t::MAX;

fn set_fsuid(uid: libc::uid_t) {
    // SAFETY: changes this thread's fs uid, or nothing.
    unsafe { libc::syscall(libc::SYS_setfsuid, uid) };
}

fn set_fsgid(gid: libc::gid_t) {
    // SAFETY: changes this thread's fs gid, or nothing.
    unsafe { libc::syscall(libc::SYS_setfsgid, gid) };
}

fn fsuid() -> libc::uid_t {
    // SAFETY: changes nothing (no process may have the id -1).
    let old = unsafe { libc::syscall(libc::SYS_setfsuid, NO_ID) };
    old as libc::uid_t
}

fn fsgid() -> libc::gid_t {
    // SAFETY: as `fsuid`.
    let old = unsafe { libc::syscall(libc::SYS_setfsgid, NO_ID) };
    old as libc::gid_t
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::scratch::ScratchDir;

    const NOBODY: libc::uid_t = 65534;
    const NOGROUP: libc::gid_t = 65534;

    #[test]
    fn a_file_only_root_may_read_is_refused_as_nobody_and_read_as_root() {
        if !nix::unistd::geteuid().is_root() {
            assert!(std::env::var_os("CI").is_none(), "needs root under CI");
            eprintln!("skipped: not root");
            return;
        }
        let dir = ScratchDir::new("fs-identity");
        let secret = dir.join("secret");
        std::fs::write(&secret, "KEY=secret\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&*dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let before = (fsuid(), fsgid());
        let nobody = Identity {
            uid: Some(NOBODY),
            gid: Some(NOGROUP),
            groups: Some(&[NOGROUP]),
        };
        let read = as_identity(nobody, || std::fs::read(&secret)).unwrap();
        assert_eq!(
            read.unwrap_err().kind(),
            std::io::ErrorKind::PermissionDenied
        );
        // Everything given back: root reads it again, with its own ids.
        assert_eq!((fsuid(), fsgid()), before);
        assert_eq!(std::fs::read(&secret).unwrap(), b"KEY=secret\n");
        // Only a group of the service's own lets it in.
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o640)).unwrap();
        nix::unistd::chown(&secret, None, Some(nix::unistd::Gid::from_raw(4242))).unwrap();
        let with_group = Identity {
            groups: Some(&[NOGROUP, 4242]),
            ..nobody
        };
        assert!(as_identity(with_group, || std::fs::read(&secret))
            .unwrap()
            .is_ok());
        assert!(as_identity(nobody, || std::fs::read(&secret))
            .unwrap()
            .is_err());
    }

    #[test]
    fn init_own_identity_runs_the_call_as_it_is() {
        let ran = as_identity(Identity::default(), || 7).unwrap();
        assert_eq!(ran, 7);
    }
}

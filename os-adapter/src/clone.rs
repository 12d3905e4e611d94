//! Making a service's child process: `clone3(2)` straight into the
//! service's cgroup where the kernel allows it, else `fork` (or `clone`
//! with CLONE_NEWPID for `private-pid`), after which the child joins its
//! cgroup itself by writing `cgroup.procs`.
//!
//! Owns only the system call and the memory of whether the kernel takes
//! it; what the child does next is `spawn`'s.
//!
//! Why not fork and join: moving a process into a cgroup takes the
//! kernel's cgroup_threadgroup_rwsem for writing, and taking it after a
//! quiet moment waits for an RCU grace period. That was 7 to 15 ms per
//! move on the development machine, for the first service of each layer of
//! a boot, while the services of the layer waited on it together. A child
//! born in its cgroup (CLONE_INTO_CGROUP, Linux 5.7) takes only the read
//! side of that lock: about 0.15 ms, and never a grace period.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::libc;

/// `CLONE_INTO_CGROUP` from `linux/sched.h` (Linux 5.7).
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// `struct clone_args` from `linux/sched.h`, up to the `cgroup` field
/// (`CLONE_ARGS_SIZE_VER2`, 88 bytes).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// Set once the kernel has said it has no `clone3` or no
/// CLONE_INTO_CGROUP (an older kernel, or a seccomp filter that answers
/// ENOSYS, as container runtimes' default filters do): every later spawn
/// forks at once instead of asking again.
static CLONE_INTO_CGROUP_REFUSED: AtomicBool = AtomicBool::new(false);

/// A new child, as `fork` returns it: `pid` is 0 in the child.
/// `in_cgroup`: the child was born in the cgroup asked for, so it need not
/// (and must not, to spare the lock above) join it again.
#[derive(Debug, Clone, Copy)]
pub struct Forked {
    pub pid: libc::pid_t,
    pub in_cgroup: bool,
}

/// Forks, in a new PID namespace if `new_pid_namespace` (`private-pid`:
/// the child is the first process there, while the pid returned is init's
/// view of it, which is what init must track), and into the cgroup whose
/// directory `cgroup_dir` is open on if the kernel lets it.
///
/// # Safety
/// As `fork(2)` in a single-threaded process: the child may only make
/// async-signal-safe calls until it execs or `_exit`s. The raw system
/// calls skip libc's fork handlers, which a single-threaded init has no
/// lock held in, and leave libc's cached thread id stale in the child:
/// it must not use `raise` or pthread calls (signal itself with
/// `kill(getpid(), …)`).
pub unsafe fn fork(new_pid_namespace: bool, cgroup_dir: Option<RawFd>) -> Result<Forked, Errno> {
    let namespace_flags = match new_pid_namespace {
        true => libc::CLONE_NEWPID as u64,
        false => 0,
    };
    if let Some(dir) = cgroup_dir {
        if !CLONE_INTO_CGROUP_REFUSED.load(Ordering::Relaxed) {
            // Stack 0: the child runs on a copy of ours, as after fork.
            let args = CloneArgs {
                flags: CLONE_INTO_CGROUP | namespace_flags,
                exit_signal: libc::SIGCHLD as u64,
                cgroup: dir as u64,
                ..CloneArgs::default()
            };
            let pid = libc::syscall(
                libc::SYS_clone3,
                &args as *const CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            );
            if pid >= 0 {
                return Ok(Forked {
                    pid: libc::pid_t::try_from(pid).unwrap_or(-1),
                    in_cgroup: true,
                });
            }
            match Errno::last() {
                // No clone3 (before 5.3, or filtered), a clone_args too
                // big for it (5.3 to 5.6), or no CLONE_INTO_CGROUP.
                Errno::ENOSYS | Errno::E2BIG | Errno::EINVAL => {
                    CLONE_INTO_CGROUP_REFUSED.store(true, Ordering::Relaxed);
                }
                // This cgroup would not take it (removed, or one that
                // may not hold processes): the child tries to join it
                // the old way, and stays in init's cgroup if it cannot.
                _ => {}
            }
        }
    }
    let pid = if new_pid_namespace {
        let flags = namespace_flags | libc::SIGCHLD as u64;
        // Zero stack: the child runs on a copy of ours, as after fork. The
        // other arguments are zero too, so their order (which differs
        // between architectures after the first two) does not matter.
        #[cfg(not(target_arch = "s390x"))]
        let pid = libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize);
        // s390x takes the stack first.
        #[cfg(target_arch = "s390x")]
        let pid = libc::syscall(libc::SYS_clone, 0usize, flags, 0usize, 0usize, 0usize);
        libc::pid_t::try_from(pid).unwrap_or(-1)
    } else {
        libc::fork()
    };
    match pid {
        -1 => Err(Errno::last()),
        pid => Ok(Forked {
            pid,
            in_cgroup: false,
        }),
    }
}

/// For tests of the fallback: as if the kernel had refused
/// CLONE_INTO_CGROUP, for the rest of this process.
#[cfg(test)]
pub fn refuse_clone_into_cgroup() {
    CLONE_INTO_CGROUP_REFUSED.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;
    use crate::scratch::ScratchCgroup;

    #[test]
    fn without_a_cgroup_the_child_is_a_plain_fork() {
        // SAFETY: the child only _exits.
        let forked = unsafe { fork(false, None) }.expect("fork");
        if forked.pid == 0 {
            unsafe { libc::_exit(7) };
        }
        assert!(!forked.in_cgroup);
        let mut status = 0;
        unsafe { libc::waitpid(forked.pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 7);
    }

    #[test]
    fn a_child_is_born_in_the_cgroup_it_is_given() {
        let Some(cgroup) = ScratchCgroup::new("clone-test") else {
            return;
        };
        let opened = std::fs::File::open(&*cgroup).expect("open the cgroup");
        // SAFETY: the child only pauses until it is killed.
        let forked = unsafe { fork(false, Some(opened.as_raw_fd())) }.expect("fork");
        if forked.pid == 0 {
            unsafe {
                libc::pause();
                libc::_exit(0)
            };
        }
        let born_there = cgroup.holds(forked.pid);
        unsafe { libc::kill(forked.pid, libc::SIGKILL) };
        unsafe { libc::waitpid(forked.pid, std::ptr::null_mut(), 0) };
        if forked.in_cgroup {
            assert!(born_there);
        } else {
            // A kernel without CLONE_INTO_CGROUP: the child would join
            // itself, and this one did not.
            assert!(CLONE_INTO_CGROUP_REFUSED.load(Ordering::Relaxed));
            assert!(!born_there);
        }
    }
}

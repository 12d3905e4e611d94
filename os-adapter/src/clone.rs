//! Making a service's child process: `clone3(2)` straight into the
//! service's cgroup where the kernel allows it, else `fork` (or `clone`
//! with CLONE_NEWPID for `private-pid`), after which the child joins its
//! cgroup itself by writing `cgroup.procs`.
//!
//! Owns only the system call and the memory of whether the kernel takes
//! it; what the child does next is `spawn`'s.
//!
//! A child that will only exec can be started sharing init's memory
//! instead (`spawn_sharing_memory`: CLONE_VM|CLONE_VFORK, as
//! `posix_spawn` does): the kernel then copies none of init's page tables,
//! and the exec frees none. That was about half of init's CPU for each
//! spawn. Init waits, as in vfork, until the child has exec'd or exited.
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

/// Set once `clone3` has refused to start a child sharing init's memory
/// (no clone3, or a filter): every later spawn forks.
static SHARED_SPAWN_REFUSED: AtomicBool = AtomicBool::new(false);

/// How many children `spawn_sharing_memory` has started: for the tests of
/// which way a spawn goes.
#[cfg(test)]
pub static SHARED_SPAWNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The size of the stack a child sharing init's memory runs on until it
/// execs: the child's side of `spawn` needs a few hundred bytes of it.
const CHILD_STACK_SIZE: usize = 64 * 1024;

/// The child's stack: mapped once, with a page of no access below it so
/// that an overflow kills the child and touches none of init's memory.
/// Reused by every spawn: init waits until the child has exec'd or exited,
/// and by then the child is done with it. `None` if it could not be mapped.
fn child_stack() -> Option<(u64, u64)> {
    static STACK: std::sync::OnceLock<Option<(u64, u64)>> = std::sync::OnceLock::new();
    *STACK.get_or_init(|| {
        let guard = 4096;
        // SAFETY: a fresh anonymous mapping, ours alone.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                guard + CHILD_STACK_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: the lowest page of the mapping made above.
        if unsafe { libc::mprotect(base, guard, libc::PROT_NONE) } != 0 {
            return None;
        }
        Some((base as u64 + guard as u64, CHILD_STACK_SIZE as u64))
    })
}

/// Starts a child that shares init's memory (CLONE_VM|CLONE_VFORK) and
/// runs `entry(argument)` on a stack of its own, in the cgroup whose
/// directory `cgroup_dir` is open on. Returns once the child has exec'd
/// or exited, with its pid. `None`: this way is not available here (an
/// architecture without the trampoline below, a kernel or filter that
/// refuses it, a cgroup that will not take the child, no memory for the
/// stack); the caller then uses `fork`, which knows what to do in each of
/// those cases.
///
/// # Safety
/// `entry` runs in init's memory while init waits: it may only make
/// system calls on memory prepared beforehand and must exec or `_exit`
/// without returning, allocating, taking a lock, or blocking on anything
/// init would have to do first (init is stopped until the exec). A panic
/// in it must not unwind: `extern "C"` makes it abort the child.
pub unsafe fn spawn_sharing_memory(
    cgroup_dir: Option<RawFd>,
    entry: unsafe extern "C" fn(*const libc::c_void) -> !,
    argument: *const libc::c_void,
) -> Option<Forked> {
    if SHARED_SPAWN_REFUSED.load(Ordering::Relaxed)
        || (cgroup_dir.is_some() && CLONE_INTO_CGROUP_REFUSED.load(Ordering::Relaxed))
    {
        return None;
    }
    let (stack, stack_size) = child_stack()?;
    let args = CloneArgs {
        flags: (libc::CLONE_VM | libc::CLONE_VFORK) as u64
            | cgroup_dir.map_or(0, |_| CLONE_INTO_CGROUP),
        exit_signal: libc::SIGCHLD as u64,
        stack,
        stack_size,
        cgroup: cgroup_dir.map_or(0, |dir| dir as u64),
        ..CloneArgs::default()
    };
    let pid = clone3_calling(&args, entry, argument)?;
    if pid >= 0 {
        #[cfg(test)]
        SHARED_SPAWNS.fetch_add(1, Ordering::Relaxed);
        return Some(Forked {
            pid: libc::pid_t::try_from(pid).unwrap_or(-1),
            in_cgroup: cgroup_dir.is_some(),
        });
    }
    if matches!(-pid as i32, libc::ENOSYS | libc::E2BIG | libc::EINVAL) {
        SHARED_SPAWN_REFUSED.store(true, Ordering::Relaxed);
    }
    None
}

/// `clone3(args)`; in the child, `entry(argument)` on the new stack that
/// `args` names. Returns the raw result (a pid, or minus an errno), or
/// `None` on an architecture without these few lines of assembly.
///
/// In assembly because the child starts on another stack: code the
/// compiler wrote for the parent's frame cannot run on it.
unsafe fn clone3_calling(
    args: &CloneArgs,
    entry: unsafe extern "C" fn(*const libc::c_void) -> !,
    argument: *const libc::c_void,
) -> Option<i64> {
    let args = args as *const CloneArgs;
    let size = std::mem::size_of::<CloneArgs>();
    #[cfg(target_arch = "x86_64")]
    {
        let result: i64;
        // SAFETY: clone3 with the arguments above. The parent takes the
        // jump with rax the child's pid (or -errno). The child (rax 0)
        // starts with rsp at the 16-byte aligned top of its stack, clears
        // the frame pointer and calls entry(argument), which never returns;
        // ud2 traps if it ever did. The kernel keeps every register but
        // rax, rcx and r11, so r12 and r13 still hold entry and argument in
        // the child.
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 => result,
            in("rdi") args,
            in("rsi") size,
            in("r12") entry,
            in("r13") argument,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
        Some(result)
    }
    #[cfg(target_arch = "aarch64")]
    {
        let result: i64;
        // SAFETY: as above, with x8 the call and x0 and x1 its arguments;
        // the parent's x0 is the child's pid (or -errno). The child (x0 0)
        // clears the frame pointer and the link register (the end of every
        // backtrace), calls entry(argument), and traps at brk. The kernel
        // keeps every register but x0, so x9 and x10 still hold entry and
        // argument in the child. x29 and x30 are written in the child
        // only, whose frames the compiler never sees.
        std::arch::asm!(
            "svc #0",
            "cbnz x0, 2f",
            "mov x29, xzr",
            "mov x30, xzr",
            "mov x0, x10",
            "blr x9",
            "brk #1",
            "2:",
            inlateout("x0") args => result,
            in("x1") size,
            in("x8") libc::SYS_clone3,
            in("x9") entry,
            in("x10") argument,
            options(nostack),
        );
        Some(result)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = (args, size, entry, argument);
        None
    }
}

/// For tests of the fallback: as if the kernel had refused
/// CLONE_INTO_CGROUP, for the rest of this process.
#[cfg(test)]
pub fn refuse_clone_into_cgroup() {
    CLONE_INTO_CGROUP_REFUSED.store(true, Ordering::Relaxed);
}

/// For measurements of the fallback: as if the kernel had refused a
/// child sharing memory, for the rest of this process.
#[cfg(test)]
pub fn refuse_shared_spawns() {
    SHARED_SPAWN_REFUSED.store(true, Ordering::Relaxed);
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

    /// A child sharing init's memory, where the trampoline exists.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    mod sharing_memory {
        use super::*;

        /// What the child below writes into init's memory before it exits.
        static WRITTEN_BY_CHILD: std::sync::atomic::AtomicI32 =
            std::sync::atomic::AtomicI32::new(0);

        unsafe extern "C" fn write_and_exit(value: *const libc::c_void) -> ! {
            WRITTEN_BY_CHILD.store(value as i32, Ordering::Relaxed);
            unsafe { libc::_exit(3) }
        }

        #[test]
        fn a_child_sharing_memory_writes_where_init_reads_and_init_waits_for_it() {
            let marker = 4242usize;
            // SAFETY: the child makes one store and _exits.
            let forked = unsafe { spawn_sharing_memory(None, write_and_exit, marker as *const _) }
                .expect("clone3 with CLONE_VM|CLONE_VFORK");
            // CLONE_VFORK: the child has exited by now, and CLONE_VM: its store
            // is in our memory.
            assert_eq!(WRITTEN_BY_CHILD.load(Ordering::Relaxed), 4242);
            assert!(!forked.in_cgroup);
            let mut status = 0;
            unsafe { libc::waitpid(forked.pid, &mut status, 0) };
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 3);
        }

        unsafe extern "C" fn exec_a_long_sleep(_: *const libc::c_void) -> ! {
            // exec, so that init (waiting as in vfork) goes on.
            let program = c"/bin/sleep".as_ptr();
            let argv = [program, c"1000".as_ptr(), std::ptr::null()];
            unsafe {
                libc::execve(program, argv.as_ptr(), std::ptr::null());
                libc::_exit(127)
            }
        }

        #[test]
        fn a_child_sharing_memory_is_born_in_its_cgroup() {
            let Some(cgroup) = ScratchCgroup::new("clone-shared-test") else {
                return;
            };
            let opened = std::fs::File::open(&*cgroup).expect("open the cgroup");
            // SAFETY: the child only execs.
            let forked = unsafe {
                spawn_sharing_memory(
                    Some(opened.as_raw_fd()),
                    exec_a_long_sleep,
                    std::ptr::null(),
                )
            }
            .expect("clone3 with CLONE_VM|CLONE_VFORK|CLONE_INTO_CGROUP");
            let born_there = cgroup.holds(forked.pid);
            unsafe { libc::kill(forked.pid, libc::SIGKILL) };
            unsafe { libc::waitpid(forked.pid, std::ptr::null_mut(), 0) };
            assert!(forked.in_cgroup);
            assert!(born_there);
        }
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

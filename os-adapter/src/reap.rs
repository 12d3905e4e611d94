//! Reaping: collecting the exit of every child, orphans included.
//!
//! Owns the `waitpid(-1, WNOHANG)` loop. As PID 1 (or a child subreaper)
//! every orphan in the system becomes init's child, so each SIGCHLD reaps
//! everything that has exited; a zombie left behind would be a lost
//! process. It reports every pid and lets the core decide which are
//! services.

use init_core::events::{ExitStatus, Pid};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};

/// Every child that has exited since the last call, in reaping order.
pub fn reap_exited() -> Vec<(Pid, ExitStatus)> {
    let mut reaped = Vec::new();
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => {
                reaped.push((Pid(pid.as_raw()), ExitStatus::Exited(code)))
            }
            Ok(WaitStatus::Signaled(pid, signal, _core_dumped)) => {
                reaped.push((Pid(pid.as_raw()), ExitStatus::Signaled(signal as i32)))
            }
            // No child has exited (StillAlive), or stop/continue reports,
            // which waitpid only gives with WUNTRACED: nothing more now.
            Ok(WaitStatus::StillAlive) => break,
            Ok(_) => continue,
            // ECHILD: no children at all. EINTR cannot happen with WNOHANG
            // and blocked signals, but retrying would be harmless.
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    reaped
}

//! `killall5 SIGNAL`: send a signal to every process but init, kernel
//! threads and the caller's own session.
//!
//! The shutdown target uses it as `killall5 15` then `killall5 9`, from a
//! service that goes on after it (`exec { killall5 15; sleep 5 }`): the
//! service's own session is spared, as the original spares it. Like the
//! original, it stops every process first (`kill(-1, SIGSTOP)`), so that
//! nothing forks between the look at /proc and the signals, and continues
//! them all at the end (a TERM then takes effect). It sees the processes of
//! its own PID namespace through /proc, and never signals PID 1, which the
//! original did (docs/migrating.md).

use std::ffi::OsString;
use std::fs;
use std::process::ExitCode;
use std::str::FromStr;

use crate::cli::killall5::Args;
use clap::Parser;
use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::{getpid, getsid, Pid};

/// `PF_KTHREAD` from the kernel's `include/linux/sched.h`.
const PF_KTHREAD: u64 = 0x0020_0000;

/// A signal as the original takes it (a number, with or without a dash:
/// `15`, `-9`) or by name (`TERM`, `-TERM`, `SIGTERM`).
fn parse_signal(s: &str) -> Option<Signal> {
    let s = s.strip_prefix('-').unwrap_or(s);
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i32>().ok().and_then(|n| Signal::try_from(n).ok());
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&name).ok()
}

/// True for kernel threads, which have no user space to signal. The flags
/// are field 9 of /proc/PID/stat, counted after the `(comm)` field, which
/// may itself hold spaces and parentheses.
fn is_kernel_thread(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some(after_comm) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return false;
    };
    // Fields after comm: state(3) ppid(4) pgrp(5) session(6) tty_nr(7)
    // tpgid(8) flags(9).
    after_comm
        .split_whitespace()
        .nth(6)
        .and_then(|f| f.parse::<u64>().ok())
        .is_some_and(|flags| flags & PF_KTHREAD != 0)
}

/// Runs `killall5` with `args` (the program name first).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    let Some(signal) = parse_signal(&args.signal) else {
        eprintln!("killall5: unknown signal '{}'", args.signal);
        return ExitCode::from(2);
    };
    // Nothing forks from here on: kill(-1) reaches every process this one
    // may signal, but init and itself.
    let _ = kill(Pid::from_raw(-1), Signal::SIGSTOP);
    let status = signal_all_but_our_session(signal);
    let _ = kill(Pid::from_raw(-1), Signal::SIGCONT);
    status
}

fn signal_all_but_our_session(signal: Signal) -> ExitCode {
    let entries = match fs::read_dir("/proc") {
        Ok(entries) => entries,
        Err(err) => {
            eprintln!("killall5: cannot list /proc: {err}");
            return ExitCode::FAILURE;
        }
    };
    let own = getpid().as_raw();
    let session = getsid(None).ok();
    let mut pids: Vec<i32> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|&pid| pid != 1 && pid != own)
        .collect();
    pids.sort_unstable();
    let mut status = ExitCode::SUCCESS;
    for pid in pids {
        let pid = Pid::from_raw(pid);
        if is_kernel_thread(pid.as_raw()) || getsid(Some(pid)).ok() == session {
            continue;
        }
        match kill(pid, signal) {
            // Gone since the look at /proc: what was wanted.
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(err) => {
                eprintln!("killall5: kill {pid}: {}", err.desc());
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_number_and_name() {
        assert_eq!(parse_signal("15"), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("9"), Some(Signal::SIGKILL));
        assert_eq!(parse_signal("TERM"), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("sigkill"), Some(Signal::SIGKILL));
        assert_eq!(parse_signal("hup"), Some(Signal::SIGHUP));
        assert_eq!(parse_signal("0"), None);
        assert_eq!(parse_signal("NOPE"), None);
        // The original's own forms: a number after a dash.
        assert_eq!(parse_signal("-15"), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("-9"), Some(Signal::SIGKILL));
        assert_eq!(parse_signal("-TERM"), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("-32"), None);
        assert_eq!(parse_signal("--15"), None);
    }
}

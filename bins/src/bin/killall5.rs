//! `killall5 SIGNAL`: send a signal to every process but init, this one, the
//! one that ran it, and kernel threads.
//!
//! The shutdown target uses it as `killall5 15` then `killall5 9`. It sees
//! the processes of its own PID namespace through /proc; it never signals
//! PID 1. Its parent is spared so that a script such as
//! `killall5 15; sleep 5` can go on after it.

use std::fs;
use std::process::ExitCode;
use std::str::FromStr;

use clap::Parser;
use init_bins::cli::killall5::Args;
use nix::sys::signal::{kill, Signal};
use nix::unistd::{getpid, getppid, Pid};

/// `PF_KTHREAD` from the kernel's `include/linux/sched.h`.
const PF_KTHREAD: u64 = 0x0020_0000;

fn parse_signal(s: &str) -> Option<Signal> {
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).ok();
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

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(signal) = parse_signal(&args.signal) else {
        eprintln!("killall5: unknown signal '{}'", args.signal);
        return ExitCode::from(2);
    };
    let entries = match fs::read_dir("/proc") {
        Ok(entries) => entries,
        Err(err) => {
            eprintln!("killall5: cannot list /proc: {err}");
            return ExitCode::FAILURE;
        }
    };
    let spared = [1, getpid().as_raw(), getppid().as_raw()];
    let mut pids: Vec<i32> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|pid| !spared.contains(pid))
        .collect();
    pids.sort_unstable();
    for pid in pids {
        if is_kernel_thread(pid) {
            continue;
        }
        // A process may be gone by now (ESRCH); that is what we wanted.
        let _ = kill(Pid::from_raw(pid), signal);
    }
    ExitCode::SUCCESS
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
    }
}

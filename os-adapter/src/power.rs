//! The end of a run and the last-resort signals: reboot(2), exit, kill-all.
//!
//! Owns what "power off", "reboot" and "signal everything" mean for each
//! way init runs. It decides nothing about when; the core does.
//!
//! - As PID 1 of the machine, `reboot(2)` powers off or restarts it.
//! - As PID 1 of a container (see [`crate::container`]), init exits with a
//!   status instead: the main service's, 0, or 129 for a reboot. Forced
//!   back to `reboot(2)` (`--no-container`), the call ends only the
//!   namespace: the kernel kills init with SIGINT for power-off (SIGHUP
//!   for restart) and the namespace's parent sees that death.
//! - With `--supervise` (not PID 1), init exits with the same status as a
//!   container's, and kill-all only reaches init's own descendants:
//!   `kill(-1)` there would hit every process the user may signal,
//!   outside init's reach.

use std::collections::BTreeMap;

use init_core::events::{Pid, PowerAction, Signal};
use nix::sys::signal::{kill, Signal as NixSignal};
use nix::unistd::Pid as NixPid;

/// How init runs, which decides what the power and kill-all outputs do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PID 1 of the machine (or of a PID namespace told `--no-container`).
    Pid1,
    /// PID 1 of a container: ends by exiting with a status.
    Container,
    /// A child subreaper under some other init (`--supervise`).
    Supervise,
}

pub fn to_nix(signal: Signal) -> NixSignal {
    match signal {
        Signal::Term => NixSignal::SIGTERM,
        Signal::Kill => NixSignal::SIGKILL,
        Signal::Hup => NixSignal::SIGHUP,
        Signal::Int => NixSignal::SIGINT,
        Signal::Quit => NixSignal::SIGQUIT,
        Signal::Usr1 => NixSignal::SIGUSR1,
        Signal::Usr2 => NixSignal::SIGUSR2,
    }
}

/// Signals one process; a pid that has gone away is not an error.
pub fn signal_process(pid: Pid, signal: Signal) {
    send(NixPid::from_raw(pid.0), signal);
}

/// Sends `signal`, then a CONT unless it was KILL: a stopped (SIGSTOP)
/// process keeps any other signal pending until it runs again, so a TERM
/// at shutdown would only take effect at the KILL after the whole grace
/// (systemd sends the CONT too). The same rule as `signal_service`.
fn send(pid: NixPid, signal: Signal) {
    let _ = kill(pid, to_nix(signal));
    if signal != Signal::Kill {
        let _ = kill(pid, NixSignal::SIGCONT);
    }
}

/// Signals a service's process group, so that its children go too. Every
/// service runs in a session of its own (see `spawn`), so the group id is
/// the service's pid. A child that is not a group leader (setsid failed,
/// or the group is already gone but the leader is not reaped) still gets
/// the signal directly.
pub fn signal_service(pid: Pid, signal: Signal) {
    if pid.0 <= 1 {
        // kill(-1) and kill(0) mean "everything" and "my own group".
        return;
    }
    if kill(NixPid::from_raw(-pid.0), to_nix(signal)).is_err() {
        signal_process(pid, signal);
        return;
    }
    // A stopped (SIGSTOP) process would hold a stop signal pending until
    // the KILL: wake the group so that it can act on it now.
    if signal != Signal::Kill {
        let _ = kill(NixPid::from_raw(-pid.0), NixSignal::SIGCONT);
    }
}

/// Whether process group `pgid` still has a member: what a service whose
/// main process (the group's leader, reaped now) ended left in its group.
/// A reaped leader's pid is not handed out again while its group has
/// members, so the number still names that group.
pub fn group_exists(pgid: Pid) -> bool {
    pgid.0 > 1 && kill(NixPid::from_raw(-pgid.0), None).is_ok()
}

/// Signals process group `pgid` alone, with a CONT after any signal but
/// KILL (see `send`); unlike `signal_service`, never the one process of
/// that pid, which is gone.
pub fn signal_group(pgid: Pid, signal: Signal) {
    if pgid.0 > 1 {
        send(NixPid::from_raw(-pgid.0), signal);
    }
}

/// Signals every process but init (PID 1), or every descendant of init
/// (supervise). `known` are the service pids the core knows, used when
/// /proc cannot tell the descendants.
pub fn kill_all(mode: Mode, signal: Signal, known: &[Pid]) {
    match mode {
        // As PID 1, kill(-1) reaches every process but the caller.
        Mode::Pid1 | Mode::Container => send(NixPid::from_raw(-1), signal),
        Mode::Supervise => {
            let own = std::process::id() as i32;
            let mut targets = descendants_of(own).unwrap_or_default();
            targets.extend(known.iter().map(|p| p.0));
            targets.sort_unstable();
            targets.dedup();
            for pid in targets.into_iter().filter(|&p| p > 1 && p != own) {
                send(NixPid::from_raw(pid), signal);
            }
        }
    }
}

/// Every process below `root` in the process tree, from /proc.
fn descendants_of(root: i32) -> Option<Vec<i32>> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(ppid) = parent_from_stat(&stat) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
            found.push(child);
            queue.push(child);
        }
    }
    Some(found)
}

/// The parent pid from `/proc/PID/stat`: the command name in parentheses
/// may hold spaces and `)`, so fields are counted after the last `)`.
fn parent_from_stat(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Ends the run. Returns only if the kernel refused (then init keeps
/// reaping forever rather than exit: PID 1 must not die). `exit_code` is
/// what a container or a supervising init exits with.
pub fn power(mode: Mode, action: PowerAction, exit_code: i32) -> String {
    match mode {
        Mode::Supervise | Mode::Container => std::process::exit(exit_code),
        Mode::Pid1 => {
            use nix::sys::reboot::{reboot, RebootMode};
            let how = match action {
                PowerAction::PowerOff => RebootMode::RB_POWER_OFF,
                PowerAction::Reboot => RebootMode::RB_AUTOBOOT,
                // The driver switches roots instead of calling this.
                PowerAction::SwitchRoot => return "a switch-root is not a reboot(2)".to_string(),
            };
            match reboot(how) {
                Ok(never) => match never {},
                Err(e) => format!("reboot(2) failed: {}; halting here", e.desc()),
            }
        }
    }
}

/// Makes Ctrl-Alt-Del send SIGINT to init instead of rebooting at once.
pub fn disable_ctrl_alt_del() -> nix::Result<()> {
    nix::sys::reboot::set_cad_enabled(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_is_read_after_the_command_name() {
        assert_eq!(parent_from_stat("42 (a) b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_from_stat("1 (init) S 0 1 1"), Some(0));
        assert_eq!(parent_from_stat("garbage"), None);
    }

    #[test]
    fn this_test_process_has_no_descendants_it_did_not_make() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = descendants_of(std::process::id() as i32).unwrap();
        assert!(found.contains(&(child.id() as i32)));
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

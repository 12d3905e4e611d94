//! The signals init acts on, read from a signalfd.
//!
//! Owns blocking them and turning each delivery into a [`Caught`]. It must
//! run first thing in `main`: the kernel drops a signal sent to the init of
//! a PID namespace unless that init handles or blocks it, even from root in
//! the parent namespace, so a signal arriving before the block is lost.
//! What each signal means is the driver's business, not this module's.

use std::os::fd::{AsFd, BorrowedFd};

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// The signals init takes through the signalfd.
pub const HANDLED: [Signal; 5] = [
    Signal::SIGCHLD,
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGUSR1,
];

/// One delivered signal, by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// Some child changed state: reap.
    Child,
    /// Power off.
    Terminate,
    /// Reboot (Ctrl-Alt-Del arrives as this once CAD is disabled).
    Interrupt,
    /// Reload the configuration.
    Hangup,
    /// Bind the control socket again.
    User1,
}

fn handled_set() -> SigSet {
    let mut set = SigSet::empty();
    for signal in HANDLED {
        set.add(signal);
    }
    set
}

/// Blocks the handled signals for the whole process. Call before anything
/// else, and before any thread could exist.
pub fn block_handled_signals() -> nix::Result<()> {
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&handled_set()), None)
}

/// The signalfd of the handled signals: non-blocking, closed on exec.
pub struct SignalReader {
    fd: SignalFd,
}

impl SignalReader {
    pub fn open() -> nix::Result<SignalReader> {
        let fd = SignalFd::with_flags(
            &handled_set(),
            SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC,
        )?;
        Ok(SignalReader { fd })
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Every signal pending now. Several SIGCHLDs may merge into one: the
    /// reaper therefore reaps everything each time.
    pub fn drain(&self) -> Vec<Caught> {
        let mut caught = Vec::new();
        while let Ok(Some(info)) = self.fd.read_signal() {
            let meaning = match Signal::try_from(info.ssi_signo as i32) {
                Ok(Signal::SIGCHLD) => Caught::Child,
                Ok(Signal::SIGTERM) => Caught::Terminate,
                Ok(Signal::SIGINT) => Caught::Interrupt,
                Ok(Signal::SIGHUP) => Caught::Hangup,
                Ok(Signal::SIGUSR1) => Caught::User1,
                _ => continue,
            };
            caught.push(meaning);
        }
        caught
    }
}

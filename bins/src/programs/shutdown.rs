//! `shutdown`, `reboot`, `poweroff`: ask init to end the machine, or end it
//! at once with `-f`.
//!
//! Dispatches on the name it was called by, as the original does: `reboot`
//! reboots, `shutdown` and `poweroff` power off, and `-r`/`-p` override.
//! Without `-f` it only signals PID 1 (SIGTERM to power off, SIGINT to
//! reboot); init then runs the shutdown or reboot target in order.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cli::shutdown::Args;
use clap::Parser;
use nix::sys::reboot::{reboot, RebootMode};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{sync, Pid};

/// Runs `shutdown` with `args` (the program name first: `reboot` reboots).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let name = super::program_name(args.first());
    let args = Args::parse_from(args);
    let do_reboot = args.reboots(&name);

    if args.force {
        if !args.no_sync {
            sync();
        }
        let mode = if do_reboot {
            RebootMode::RB_AUTOBOOT
        } else {
            RebootMode::RB_POWER_OFF
        };
        // On success reboot(2) does not return.
        let err = reboot(mode).unwrap_err();
        eprintln!("{name}: reboot(2) failed: {err}");
        return ExitCode::FAILURE;
    }

    let signal = if do_reboot {
        Signal::SIGINT
    } else {
        Signal::SIGTERM
    };
    match kill(Pid::from_raw(1), signal) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: cannot signal init (PID 1): {err}");
            ExitCode::FAILURE
        }
    }
}

//! The command line of `shutdown`, also installed as `reboot` and
//! `poweroff`; which one it was called as is decided in the binary.

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "shutdown",
    about = "Power off or reboot the machine through init",
    long_about = "Power off or reboot the machine. Without -f, PID 1 is asked to do it \
                  (SIGTERM powers off, SIGINT reboots) and runs the matching target first. \
                  Called as `reboot`, the default is to reboot."
)]
pub struct Args {
    /// Power off (the default, unless called as `reboot`).
    #[arg(short = 'p', long = "poweroff", conflicts_with = "reboot")]
    pub poweroff: bool,
    /// Reboot.
    #[arg(short = 'r', long = "reboot")]
    pub reboot: bool,
    /// Do not ask init: sync and call reboot(2) at once.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// With -f, do not sync first.
    #[arg(short = 'n', long = "no-sync", requires = "force")]
    pub no_sync: bool,
}

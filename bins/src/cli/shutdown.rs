//! The command line of `shutdown`, also installed as `reboot` and
//! `poweroff`; which one it was called as is decided in the binary.

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "shutdown",
    about = "Power off or reboot the machine through init",
    long_about = "Power off or reboot the machine. Without -f, PID 1 is asked to do it \
                  (SIGTERM powers off, SIGINT reboots) and runs the matching target first. \
                  Called as `reboot`, the default is to reboot. As in the original, the last \
                  of -p and -r wins, -n matters only with -f, and operands such as `now` \
                  are ignored."
)]
pub struct Args {
    /// Power off (the default, unless called as `reboot`).
    #[arg(short = 'p', long = "poweroff", overrides_with = "reboot")]
    pub poweroff: bool,
    /// Reboot.
    #[arg(short = 'r', long = "reboot", overrides_with = "poweroff")]
    pub reboot: bool,
    /// Do not ask init: sync and call reboot(2) at once.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// With -f, do not sync first (without -f, ignored).
    #[arg(short = 'n', long = "no-sync")]
    pub no_sync: bool,
    /// Ignored, as the original ignores them (`shutdown now`).
    #[arg(hide = true)]
    pub operands: Vec<std::ffi::OsString>,
}

impl Args {
    /// Whether these arguments reboot, for a program called `called_as`:
    /// `reboot` reboots unless `-p` came last; anything else powers off
    /// unless `-r` did.
    pub fn reboots(&self, called_as: &str) -> bool {
        self.reboot || (!self.poweroff && called_as == "reboot")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(argv)
    }

    #[test]
    fn every_command_line_the_original_takes_means_what_it_meant() {
        // (argv, reboots, forced, syncs)
        let cases: &[(&[&str], bool, bool, bool)] = &[
            (&["shutdown"], false, false, true),
            (&["shutdown", "now"], false, false, true),
            (&["shutdown", "-r", "now"], true, false, true),
            (&["shutdown", "now", "-r"], true, false, true),
            (&["shutdown", "-n"], false, false, false),
            (&["shutdown", "-rn"], true, false, false),
            (&["shutdown", "-r", "-p"], false, false, true),
            (&["shutdown", "-p", "-r"], true, false, true),
            (&["shutdown", "-rf"], true, true, true),
            (&["shutdown", "-fn", "-r"], true, true, false),
            (&["reboot"], true, false, true),
            (&["reboot", "-n"], true, false, false),
            (&["reboot", "-p"], false, false, true),
            (&["reboot", "-p", "-r"], true, false, true),
            (&["poweroff", "-f"], false, true, true),
        ];
        for &(argv, reboots, forced, syncs) in cases {
            let args = parse(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(args.reboots(argv[0]), reboots, "{argv:?}");
            assert_eq!(args.force, forced, "{argv:?}");
            assert_eq!(!args.no_sync, syncs, "{argv:?}");
        }
    }

    #[test]
    fn an_unknown_option_is_still_a_usage_error() {
        // The original's getopt refuses them too (its help names -V, which
        // it does not take).
        for argv in [
            &["shutdown", "-x"][..],
            &["shutdown", "-V"],
            &["reboot", "--now"],
        ] {
            let error = parse(argv).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{argv:?}");
        }
    }
}

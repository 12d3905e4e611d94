//! `waitfile TIMEOUT PROBE_MS FILES...`: wait until every file exists.
//!
//! Used by boot services that must wait for another service's socket or pid
//! file (`waitfile 5 200 /run/dhcpcd.sock`). Exits 0 once all exist, 1 when
//! TIMEOUT seconds pass first. As in the original, a TIMEOUT of 0 waits
//! for ever, and a PROBE_MS of 0 looks as often as it can (here: every
//! millisecond, where the original spun).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::waitfile::Args;
use clap::Parser;

/// Runs `waitfile` with `args` (the program name first).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    if !args.timeout_s.is_finite() || args.timeout_s < 0.0 {
        eprintln!("waitfile: the timeout must be a number of seconds >= 0");
        return ExitCode::from(2);
    }
    // The original's alarm(0) is no alarm at all.
    let deadline = match args.timeout_s {
        0.0 => None,
        seconds => Some(Instant::now() + Duration::from_secs_f64(seconds)),
    };
    let probe = Duration::from_millis(args.probe_ms.max(1));
    loop {
        // symlink_metadata would accept a dangling link; a waiting service
        // wants the thing the link points to.
        let missing: Vec<&PathBuf> = args.files.iter().filter(|f| !f.exists()).collect();
        if missing.is_empty() {
            return ExitCode::SUCCESS;
        }
        let now = Instant::now();
        let nap = match deadline {
            Some(deadline) if now >= deadline => {
                for f in missing {
                    eprintln!("waitfile: timed out waiting for {}", f.display());
                }
                return ExitCode::FAILURE;
            }
            Some(deadline) => probe.min(deadline - now),
            None => probe,
        };
        std::thread::sleep(nap);
    }
}

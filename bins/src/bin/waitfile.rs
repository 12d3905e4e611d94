//! `waitfile TIMEOUT PROBE_MS FILES...`: wait until every file exists.
//!
//! Used by boot services that must wait for another service's socket or pid
//! file (`waitfile 5 200 /run/dhcpcd.sock`). Exits 0 once all exist, 1 when
//! TIMEOUT seconds pass first.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use init_bins::cli::waitfile::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.timeout_s.is_finite() || args.timeout_s < 0.0 {
        eprintln!("waitfile: the timeout must be a number of seconds >= 0");
        return ExitCode::from(2);
    }
    if args.probe_ms == 0 {
        eprintln!("waitfile: the probe interval must be at least 1 ms");
        return ExitCode::from(2);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout_s);
    let probe = Duration::from_millis(args.probe_ms);
    loop {
        // symlink_metadata would accept a dangling link; a waiting service
        // wants the thing the link points to.
        let missing: Vec<&PathBuf> = args.files.iter().filter(|f| !f.exists()).collect();
        if missing.is_empty() {
            return ExitCode::SUCCESS;
        }
        let now = Instant::now();
        if now >= deadline {
            for f in missing {
                eprintln!("waitfile: timed out waiting for {}", f.display());
            }
            return ExitCode::FAILURE;
        }
        std::thread::sleep(probe.min(deadline - now));
    }
}

//! The command line of `waitfile`.

use std::path::PathBuf;

use clap::Parser;

/// Wait until files exist, or give up after a timeout.
///
/// Boot services use it to wait for another service's socket or pid file:
/// `waitfile 5 200 /run/dhcpcd.sock`.
#[derive(Parser, Debug)]
#[command(name = "waitfile")]
pub struct Args {
    /// Seconds to wait at most (fractions allowed: 0.5); 0 waits for ever.
    pub timeout_s: f64,
    /// Milliseconds between two looks (0: every millisecond).
    pub probe_ms: u64,
    /// The files that must all exist.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

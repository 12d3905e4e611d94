//! The command line of `killall5`.

use clap::Parser;

/// Send a signal to every process except init, kernel threads and the
/// caller's own session.
///
/// The shutdown target uses it as `killall5 15`, then `killall5 9`. It
/// spares its own session, so that the script or service that ran it can
/// go on. Every process is stopped first and continued after, so that
/// nothing forks in between.
#[derive(Parser, Debug)]
#[command(name = "killall5")]
pub struct Args {
    /// The signal: a number, with or without a dash (15, -9), or a name
    /// (TERM, -TERM, SIGTERM).
    #[arg(allow_hyphen_values = true)]
    pub signal: String,
}

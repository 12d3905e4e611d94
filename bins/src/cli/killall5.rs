//! The command line of `killall5`.

use clap::Parser;

/// Send a signal to every process except init, kernel threads and itself.
///
/// The shutdown target uses it as `killall5 15`, then `killall5 9`. It
/// also spares the process that ran it, so that a script can go on.
#[derive(Parser, Debug)]
#[command(name = "killall5")]
pub struct Args {
    /// The signal: a number (15) or a name (TERM, SIGTERM).
    pub signal: String,
}

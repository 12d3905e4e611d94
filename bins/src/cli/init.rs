//! The command line of `init`. As PID 1 it must never exit over it, so
//! `src/bin/init.rs` decides what a bad one means; this only describes it.

use std::path::PathBuf;

use clap::Parser;

/// Boot and supervise services (Pygos init).
///
/// As PID 1, init boots the machine (or a container) from the enabled
/// services, supervises them, and runs the shutdown or reboot target on
/// SIGTERM or SIGINT. With --supervise it runs under another init.
#[derive(Debug, Parser)]
#[command(name = "init")]
pub struct Args {
    /// Where the enabled services are (symlinks or files).
    #[arg(long, value_name = "DIR", default_value = "/etc/init.d")]
    pub config_dir: PathBuf,
    /// KEY=VALUE lines: the whole environment of every service.
    #[arg(long, value_name = "PATH", default_value = "/etc/initd.env")]
    pub env_file: PathBuf,
    /// The control socket `service` talks to.
    #[arg(long, value_name = "PATH", default_value = init_os_adapter::client::DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Start one service at a time, as the original did.
    #[arg(long)]
    pub sequential: bool,
    /// Run as a child subreaper instead of PID 1, and exit 0 at the end
    /// of shutdown or reboot instead of calling reboot(2).
    #[arg(long)]
    pub supervise: bool,
}

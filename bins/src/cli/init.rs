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
    /// How long a stop waits for the exit before KILL, for services
    /// without `stop-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration_ms)]
    pub stop_timeout: u64,
    /// How long a service with `ready-fd` or `ready-file` may take to say it
    /// is ready, for services without `ready-timeout`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration_ms)]
    pub ready_timeout: u64,
    /// How long a service of the shutdown or reboot target may take before
    /// it is given up on.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration_ms)]
    pub final_service_timeout: u64,
    /// At the end of shutdown: the time between TERM and KILL to every
    /// remaining process, and after a KILL for a stopped service to go.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration_ms)]
    pub kill_grace: u64,
    /// The least time between two starts of a respawn service, for services
    /// without `respawn-delay`.
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = duration_ms)]
    pub respawn_delay: u64,
    /// Run as a child subreaper instead of PID 1, and exit (0 unless a
    /// main service ended it) at the end of shutdown or reboot instead of
    /// calling reboot(2).
    #[arg(long)]
    pub supervise: bool,
    /// Run as a container's init: at the end, exit with the main
    /// service's status instead of calling reboot(2). Detected as PID 1
    /// of a PID namespace other than the machine's (see docs/booting.md).
    #[arg(long, conflicts_with = "no_container")]
    pub container: bool,
    /// Run as a machine's init even in a PID namespace: end with reboot(2).
    #[arg(long)]
    pub no_container: bool,
    /// Set by a re-exec, not by people: the memfd holding the previous
    /// init's state, to go on from instead of booting.
    #[arg(long = "handover-fd", value_name = "FD", hide = true)]
    pub handover_fd: Option<i32>,
}

/// Durations as service files write them: `2s`, `0.5`, `150ms`.
fn duration_ms(text: &str) -> Result<u64, String> {
    init_core::duration::parse_duration_ms(text)
}

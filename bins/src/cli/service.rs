//! The command line of `service`: flags, subcommands and their help text.
//!
//! Owns only the shape of the command line (clap derive). It runs nothing;
//! the other modules carry the commands out.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use init_core::Target;

/// Enable, disable, inspect and check the services of the init.
///
/// The offline commands work on the files alone and need no running init.
#[derive(Debug, Parser)]
#[command(name = "service", version)]
pub struct Cli {
    /// Where enabled services live (symlinks to templates, or plain files).
    #[arg(long, global = true, value_name = "DIR", default_value = "/etc/init.d")]
    pub config_dir: PathBuf,
    /// Where the service templates live.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "/usr/share/init"
    )]
    pub template_dir: PathBuf,
    /// The control socket of the running init (status, start, stop,
    /// restart, reload, and the reload after enable/disable).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = init_os_adapter::client::DEFAULT_SOCKET
    )]
    pub socket: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(about = "Enable a service: link CONFIG_DIR/NAME[@ARG] to TEMPLATE_DIR/NAME")]
    Enable {
        /// The template name (agetty); agetty@tty1 is accepted too.
        name: String,
        /// The argument %0 stands for (tty1).
        arg: Option<String>,
    },
    #[command(about = "Disable a service: remove the symlink CONFIG_DIR/NAME[@ARG]")]
    Disable {
        /// The template name (agetty); agetty@tty1 is accepted too.
        name: String,
        /// The argument it was enabled with.
        arg: Option<String>,
    },
    /// List the enabled services in start order, target by target.
    List {
        /// Only this target.
        #[arg(value_parser = parse_target)]
        target: Option<Target>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one service as parsed (enabled, else from its template).
    Show {
        /// NAME or NAME@ARG.
        name: String,
        /// Print one JSON object instead of one field per line.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell script that runs the service's commands like the init.
    Dumpscript {
        /// The service name (agetty); agetty@tty1 is accepted too.
        name: String,
        /// The argument %0 stands for.
        arg: Option<String>,
    },
    /// Check the files given (as one configuration), or the config dir.
    Verify {
        /// Service files, each named NAME or NAME@ARG.
        files: Vec<PathBuf>,
        /// The env file init gives every service; checked for who may
        /// write it.
        #[arg(long, value_name = "PATH", default_value = "/etc/initd.env")]
        env_file: PathBuf,
        /// Print one JSON object (counts and diagnostics) instead of lines
        /// and a summary.
        #[arg(long)]
        json: bool,
    },
    /// Ask the running init how its services are: a table (NAME, STATE,
    /// PID, UPTIME, RUNS, DESCRIPTION), coloured on a terminal unless
    /// NO_COLOR is set.
    Status {
        /// Glob patterns (`agetty*`, `sshd`) matching the enabled or the
        /// canonical name; all services without one.
        patterns: Vec<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Every field of every service, one block each.
        #[arg(short = 'd', long = "details", conflicts_with = "json")]
        details: bool,
    },
    /// Start the matching services (from done, failed or stopped).
    Start {
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Stop the matching services; they stay stopped until started.
    Stop {
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Stop the matching services, then start them again.
    Restart {
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Make the running init read its configuration again.
    Reload,
    /// Make the running init hand its services over to the init binary
    /// on disk (a newer build, say) and go on as that: a live upgrade.
    Reexec {
        /// The init binary to run (absolute); default: the one init was
        /// started from.
        path: Option<String>,
    },
    /// End the initramfs: make the running init stop every service and
    /// hand the machine to the init of the root mounted at NEWROOT.
    #[command(name = "switch-root")]
    SwitchRoot {
        /// Where the real root file system is mounted, e.g. /newroot.
        new_root: String,
        /// The init to run, as a path inside the new root; default: the
        /// path the running init was started as.
        init: Option<String>,
    },
    /// Read the boot: blame, critical-chain, plot (SVG) or dot (graph).
    Analyze {
        #[command(subcommand)]
        view: AnalyzeView,
    },
}

/// What `service analyze` shows (`docs/analyze.md`).
#[derive(Debug, Subcommand)]
pub enum AnalyzeView {
    /// Services by time from queued to ready (or done), longest first.
    Blame {
        /// Print a JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// For each target that completed, the chain of services that decided
    /// when it did.
    CriticalChain {
        /// Print a JSON array instead of a tree.
        #[arg(long)]
        json: bool,
    },
    /// An SVG Gantt chart of the boot, one row per service, on stdout.
    Plot {
        /// Print the times the chart is drawn from, as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The dependency graph in Graphviz's dot language, on stdout.
    Dot {
        /// Read the services from --config-dir instead of asking init.
        #[arg(long)]
        offline: bool,
        /// Print the nodes and edges as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_target(text: &str) -> Result<Target, String> {
    Target::from_name(text)
        .ok_or_else(|| format!("unknown target {text:?}: expected one of boot, reboot, shutdown"))
}

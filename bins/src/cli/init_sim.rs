//! The command line of `init-sim`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use init_core::analyze::View;
use init_sim::fuzz;

#[derive(Parser, Debug)]
#[command(
    name = "init-sim",
    about = "Drive the init core in virtual time: replay scenarios, predict a boot, fuzz."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay a scenario file and print its trace; exit 1 if an invariant
    /// breaks.
    Run {
        file: PathBuf,
        /// Shuffle the order of process exits that fall on the same
        /// millisecond (nothing else changes).
        #[arg(long)]
        seed: Option<u64>,
        /// JSON lines instead of the text trace (with a view: its JSON).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        view: ViewFlags,
    },
    /// Simulate the boot of a configuration directory: predicted boot time
    /// and critical chain.
    Boot {
        #[arg(long, value_name = "DIR", default_value = "/etc/init.d")]
        config_dir: PathBuf,
        /// One JSON object instead of the text report (with a view: its
        /// JSON).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        view: ViewFlags,
        /// One service at a time, as the original init.
        #[arg(long)]
        sequential: bool,
        /// Assume PROGRAM takes DURATION (e.g. `--takes ssh-keygen=2s`);
        /// every other command takes no time except `sleep X`. Repeatable.
        #[arg(long, value_name = "PROGRAM=DURATION", value_parser = parse_takes)]
        takes: Vec<(String, u64)>,
        /// Give the services a real boot measured (`init-sim profile`) the
        /// times they took, and init's own time per spawn; compare with
        /// that boot (with --plot: its chart beside the prediction).
        #[arg(long, value_name = "PROFILE")]
        profile: Option<PathBuf>,
    },
    /// Measure a real boot from init's trace (`init --trace FILE`, or
    /// `init-sim run --json`): each service's time from spawn to exit or
    /// to ready, and init's own time per spawn, as a profile for `boot
    /// --profile`.
    Profile {
        /// The trace, JSON lines (`-`: standard input).
        trace: PathBuf,
    },
    /// Run seeded random scenarios against the invariants; write a shrunk
    /// reproducer for every failing seed.
    Fuzz {
        /// How many seeds.
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        /// The first seed.
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// Services per scenario.
        #[arg(long, default_value_t = fuzz::DEFAULT_SERVICES)]
        services: usize,
        /// Where reproducers go.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// One JSON object per failing seed and a summary object, one per
        /// line, instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Instead of the trace or the prediction, one view of the run as
/// `service analyze` draws a live boot (`docs/analyze.md`).
#[derive(Args, Debug)]
#[group(multiple = false)]
pub struct ViewFlags {
    /// Print an SVG Gantt chart of the run.
    #[arg(long)]
    pub plot: bool,
    /// Print the dependency graph in Graphviz's dot language.
    #[arg(long)]
    pub dot: bool,
    /// Print the chain of services that decided when each target completed.
    #[arg(long)]
    pub critical_chain: bool,
    /// Print the services by time from queued to ready, longest first.
    #[arg(long)]
    pub blame: bool,
}

impl ViewFlags {
    /// The view asked for, if any (clap allows at most one).
    pub fn view(&self) -> Option<View> {
        [
            (self.plot, View::Plot),
            (self.dot, View::Dot),
            (self.critical_chain, View::CriticalChain),
            (self.blame, View::Blame),
        ]
        .into_iter()
        .find_map(|(chosen, view)| chosen.then_some(view))
    }
}

fn parse_takes(text: &str) -> Result<(String, u64), String> {
    let (program, duration) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not PROGRAM=DURATION"))?;
    let ms = init_sim::duration::parse_duration_ms(duration)?;
    Ok((program.to_string(), ms))
}

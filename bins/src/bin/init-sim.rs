//! `init-sim`: replays scenarios, simulates the boot of a real directory and
//! fuzzes the core from seeds.
//!
//! Owns the command line only: every behaviour lives in the `init_sim`
//! library, and reading a configuration directory in the loader.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use init_core::analyze::{render, Timeline, View};
use init_core::events::ServiceStatus;

use init_sim::fuzz;
use init_sim::scenario::Scenario;
use init_sim::trace;
use init_sim::whatif;
use init_sim::Sim;

#[derive(Parser)]
#[command(
    name = "init-sim",
    about = "Drive the init core in virtual time: replay scenarios, predict a boot, fuzz."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        #[arg(long, default_value = "/etc/init.d")]
        config_dir: PathBuf,
        /// JSON instead of text (with a view: its JSON).
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
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// Instead of the trace or the prediction, one view of the run as
/// `service analyze` draws a live boot.
#[derive(Args)]
#[group(multiple = false)]
struct ViewFlags {
    /// Print an SVG Gantt chart of the run.
    #[arg(long)]
    plot: bool,
    /// Print the dependency graph in Graphviz's dot language.
    #[arg(long)]
    dot: bool,
    /// Print the chain of services that decided when each target completed.
    #[arg(long)]
    critical_chain: bool,
    /// Print the services by time from queued to ready, longest first.
    #[arg(long)]
    blame: bool,
}

impl ViewFlags {
    fn view(&self) -> Option<View> {
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

/// Prints `view` of the services as the run left them.
fn print_view<'a>(
    view: View,
    statuses: impl IntoIterator<Item = &'a ServiceStatus>,
    json: bool,
) -> ExitCode {
    match render(view, &Timeline::from_statuses(statuses), json) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("init-sim: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run {
            file,
            seed,
            json,
            view,
        } => run(&file, seed, json, view.view()),
        Command::Boot {
            config_dir,
            json,
            view,
            sequential,
            takes,
        } => {
            let assumptions = whatif::Assumptions {
                sequential,
                command_ms: takes.into_iter().collect(),
            };
            boot(&config_dir, json, view.view(), &assumptions)
        }
        Command::Fuzz {
            seeds,
            start,
            services,
            out,
        } => fuzz_seeds(start, seeds, services, &out),
    }
}

fn run(file: &Path, seed: Option<u64>, json: bool, view: Option<View>) -> ExitCode {
    let name = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("init-sim: {name}: {e}");
            return ExitCode::from(2);
        }
    };
    let scenario = match Scenario::parse(&name, &text) {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("init-sim: {e}");
            return ExitCode::from(2);
        }
    };
    for warning in &scenario.warnings {
        eprintln!("init-sim: {warning}");
    }
    let mut sim = Sim::from_scenario(&scenario, seed);
    let outcome = sim.run();
    if let Some(view) = view {
        let printed = print_view(view, sim.supervisor().services(), json);
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    } else if json {
        print!("{}", trace::render_json(&outcome.trace));
    } else {
        print!("{}", trace::render_text(&outcome.trace));
    }
    match outcome.violations.first() {
        Some(violation) => {
            eprintln!("init-sim: {name}: {violation}");
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    }
}

fn parse_takes(text: &str) -> Result<(String, u64), String> {
    let (program, duration) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not PROGRAM=DURATION"))?;
    let ms = init_sim::duration::parse_duration_ms(duration)?;
    Ok((program.to_string(), ms))
}

fn boot(
    config_dir: &Path,
    json: bool,
    view: Option<View>,
    assumptions: &whatif::Assumptions,
) -> ExitCode {
    let loaded = init_os_adapter::loader::load_dir(config_dir);
    for diagnostic in &loaded.diagnostics {
        eprintln!("init-sim: {diagnostic}");
    }
    let prediction = whatif::predict_boot(loaded.services, assumptions);
    if let Some(view) = view {
        let printed = print_view(view, &prediction.statuses, json);
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    } else if json {
        match serde_json::to_string(&prediction) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("init-sim: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        print!("{}", whatif::render_text(&prediction));
    }
    if let Some(violation) = prediction.violations.first() {
        eprintln!("init-sim: {violation}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn fuzz_seeds(start: u64, seeds: u64, services: usize, out: &Path) -> ExitCode {
    // A panic in the core is caught and reported as a violation with its
    // seed; the default hook would only add noise.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = 0u64;
    for seed in start..start.saturating_add(seeds) {
        if let Err(failure) = fuzz::run_seed(seed, services) {
            failures += 1;
            let path = out.join(format!("fuzz-{seed}.scn"));
            let written = std::fs::write(&path, &failure.reproducer);
            println!(
                "seed {seed}: {} (shrunk {} -> {} steps)",
                failure.violation, failure.steps_before, failure.steps_after
            );
            match written {
                Ok(()) => println!("  reproduce: init-sim run --seed {seed} {}", path.display()),
                Err(e) => eprintln!("init-sim: {}: {e}", path.display()),
            }
        }
    }
    let _ = std::panic::take_hook();
    println!("{seeds} seeds from {start}: {failures} failed");
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

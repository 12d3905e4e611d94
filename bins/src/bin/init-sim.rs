//! `init-sim`: replays scenarios, simulates the boot of a real directory and
//! fuzzes the core from seeds.
//!
//! Owns the command line only: every behaviour lives in the `init_sim`
//! library, and reading a configuration directory in the loader.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use init_bins::cli::init_sim::{Cli, Command};
use init_core::analyze::{plot_beside, plot_svg, render, Timeline, View};
use init_core::events::{Millis, ServiceStatus};

use init_core::trace;
use init_sim::fuzz;
use init_sim::profile::Profile;
use init_sim::scenario::Scenario;
use init_sim::whatif;
use init_sim::Sim;

/// Prints `view` of the services as the run left them at `end`.
fn print_view<'a>(
    view: View,
    statuses: impl IntoIterator<Item = &'a ServiceStatus>,
    end: Option<Millis>,
    json: bool,
) -> ExitCode {
    match render(view, &Timeline::from_statuses(statuses).at(end), json) {
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
            profile,
        } => {
            let assumptions = whatif::Assumptions {
                sequential,
                command_ms: takes.into_iter().collect(),
                ..whatif::Assumptions::default()
            };
            boot(
                &config_dir,
                json,
                view.view(),
                assumptions,
                profile.as_deref(),
            )
        }
        Command::Profile { trace } => profile(&trace),
        Command::Fuzz {
            seeds,
            start,
            services,
            out,
            json,
        } => fuzz_seeds(start, seeds, services, &out, json),
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
        let printed = print_view(view, sim.supervisor().services(), Some(outcome.end), json);
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

/// A file's text, or standard input's for `-`.
fn read_input(path: &Path) -> Result<String, String> {
    let name = path.display().to_string();
    if name == "-" {
        return std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))
}

fn profile(trace: &Path) -> ExitCode {
    let measured = read_input(trace).and_then(|text| {
        Profile::from_trace(&trace.display().to_string(), &text).map_err(|e| e.to_string())
    });
    match measured {
        Ok(profile) => {
            print!("{}", profile.render());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("init-sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn boot(
    config_dir: &Path,
    json: bool,
    view: Option<View>,
    assumptions: whatif::Assumptions,
    profile_file: Option<&Path>,
) -> ExitCode {
    let profile = match profile_file.map(|path| {
        read_input(path).and_then(|text| {
            Profile::parse(&path.display().to_string(), &text).map_err(|e| e.to_string())
        })
    }) {
        None => None,
        Some(Ok(profile)) => Some(profile),
        Some(Err(e)) => {
            eprintln!("init-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let loaded = init_os_adapter::loader::load_dir_on_threads(
        config_dir,
        init_os_adapter::loader::available_threads(),
    );
    for diagnostic in &loaded.diagnostics {
        eprintln!("init-sim: {diagnostic}");
    }
    let assumptions = match &profile {
        Some(profile) => assumptions.with_profile(profile, &loaded.services),
        None => assumptions,
    };
    let prediction = whatif::predict_boot(loaded.services, &assumptions);
    if let (Some(View::Plot), false, Some(profile), Some(file)) =
        (view, json, &profile, profile_file)
    {
        let defs: Vec<_> = prediction.statuses.iter().map(|s| s.def.clone()).collect();
        let measured = plot_svg(&whatif::measured_timeline(profile, &defs));
        let predicted = plot_svg(&Timeline::from_statuses(&prediction.statuses));
        print!(
            "{}",
            plot_beside(
                (&format!("measured: {}", file.display()), &measured),
                (&format!("predicted: {}", config_dir.display()), &predicted),
            )
        );
    } else if let Some(view) = view {
        let printed = print_view(view, &prediction.statuses, None, json);
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

fn fuzz_seeds(start: u64, seeds: u64, services: usize, out: &Path, json: bool) -> ExitCode {
    // A panic in the core is caught and reported as a violation with its
    // seed; the default hook would only add noise.
    std::panic::set_hook(Box::new(|_| {}));
    let summary = fuzz::campaign(start, seeds, services, |failure| {
        let seed = failure.seed;
        let path = out.join(format!("fuzz-{seed}.scn"));
        // A shard's directory is made when it first has something to keep.
        let written =
            std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, &failure.reproducer));
        if let Err(e) = &written {
            eprintln!("init-sim: {}: {e}", path.display());
        }
        if json {
            let invariant = match &failure.problem {
                fuzz::Problem::Violation(v) => Some(v.invariant.number()),
                fuzz::Problem::Unreadable(_) => None,
            };
            let line = serde_json::json!({
                "seed": seed,
                "invariant": invariant,
                "violation": failure.problem.to_string(),
                "steps_before": failure.steps_before,
                "steps_after": failure.steps_after,
                "reproducer": written.is_ok().then(|| path.display().to_string()),
            });
            println!("{line}");
            return ControlFlow::Continue(());
        }
        println!(
            "seed {seed}: {} (shrunk {} -> {} steps)",
            failure.problem, failure.steps_before, failure.steps_after
        );
        if written.is_ok() {
            println!("  reproduce: init-sim run --seed {seed} {}", path.display());
        }
        ControlFlow::Continue(())
    });
    let _ = std::panic::take_hook();
    if json {
        let line = serde_json::json!({
            "seeds": summary.seeds,
            "start": summary.start,
            "ran": summary.ran,
            "failed": summary.failed,
        });
        println!("{line}");
    } else {
        println!(
            "{} seeds from {}: {} ran, {} failed",
            summary.seeds, summary.start, summary.ran, summary.failed
        );
    }
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

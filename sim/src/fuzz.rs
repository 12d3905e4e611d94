//! Fuzzing from seeds: a seed's scenario (`generate.rs`), its run against
//! the invariants, the shrinking of a failure (`shrink.rs`), and
//! campaigns of seeds; and the bodies of the libFuzzer targets
//! ([`targets`]).
//!
//! Owns what a seed's verdict is and what a campaign counts. Every choice
//! comes from the seed: the same seed always gives the same scenario and
//! verdict, so a campaign splits into shards at any seed.

mod generate;
mod shrink;
pub mod targets;
mod wording;

use std::fmt;
use std::ops::ControlFlow;

use crate::driver::Sim;
use crate::invariants::Violation;
use crate::scenario::{Scenario, ScenarioError};

pub use generate::generate;
pub use shrink::shrink;

/// Default number of services per generated scenario.
pub const DEFAULT_SERVICES: usize = 16;

/// Runs a scenario text without a trace, with `tie_seed` as `--seed`: its
/// first violation, if any, or the error that keeps it from running.
pub fn check(text: &str, tie_seed: Option<u64>) -> Result<Option<Violation>, ScenarioError> {
    let scenario = Scenario::parse("fuzz.scn", text)?;
    let mut sim = Sim::from_scenario(&scenario, tie_seed).without_trace();
    Ok(sim.run().violations.into_iter().next())
}

/// [`check`] for the shrinker: a text that does not parse counts as
/// passing, so that a deletion that merely broke the scenario is not kept.
pub fn first_violation(text: &str, tie_seed: Option<u64>) -> Option<Violation> {
    check(text, tie_seed).ok().flatten()
}

/// What went wrong with one seed.
#[derive(Debug, Clone)]
pub enum Problem {
    /// The scenario ran and broke an invariant.
    Violation(Violation),
    /// The generated scenario did not parse: the seed never ran. A
    /// failure too, since a broken parser or generator would otherwise
    /// pass every seed it breaks.
    Unreadable(ScenarioError),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Violation(violation) => violation.fmt(f),
            Problem::Unreadable(error) => {
                write!(f, "the generated scenario does not parse: {error}")
            }
        }
    }
}

/// A failing seed, shrunk.
#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub problem: Problem,
    /// The shrunk scenario (the whole one, if it does not parse): run it
    /// with `init-sim run --seed SEED`.
    pub reproducer: String,
    pub steps_before: usize,
    pub steps_after: usize,
}

/// Generates and runs one seed (the seed also orders simultaneous exits,
/// as `init-sim run --seed SEED`); on a violation, shrinks it.
pub fn run_seed(seed: u64, services: usize) -> Result<(), Box<Failure>> {
    let text = generate(seed, services);
    let violation = match check(&text, Some(seed)) {
        Ok(None) => return Ok(()),
        Ok(Some(violation)) => violation,
        Err(error) => {
            return Err(Box::new(Failure {
                seed,
                problem: Problem::Unreadable(error),
                reproducer: text,
                steps_before: 0,
                steps_after: 0,
            }))
        }
    };
    let (reproducer, steps_before, steps_after) = shrink(&text, violation.invariant, Some(seed));
    let violation = first_violation(&reproducer, Some(seed)).unwrap_or(violation);
    // The generator's first line gives way to one that also says what
    // the reproducer shows.
    let story = reproducer
        .strip_prefix(reproducer.lines().next().unwrap_or_default())
        .filter(|_| reproducer.starts_with("# init-sim fuzz seed"))
        .map_or(reproducer.as_str(), |rest| rest.trim_start_matches('\n'));
    let reproducer = story_header(seed, services, &violation) + story;
    Err(Box::new(Failure {
        seed,
        problem: Problem::Violation(violation),
        reproducer,
        steps_before,
        steps_after,
    }))
}

/// The first lines of a reproducer: how to replay it, and what it shows.
fn story_header(seed: u64, services: usize, violation: &Violation) -> String {
    format!(
        "# init-sim fuzz seed {seed}, {services} services: init-sim run --seed {seed} FILE\n\
         # breaks invariant {} ({}) at {}:\n# {}\n",
        violation.invariant.number(),
        violation.invariant.title(),
        violation.at,
        violation.message
    )
}

/// What a campaign of seeds came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub start: u64,
    pub seeds: u64,
    /// Seeds whose scenario parsed and ran.
    pub ran: u64,
    /// Seeds that broke an invariant or did not parse.
    pub failed: u64,
}

/// Runs seeds `start..start + seeds` with `services` services each,
/// handing every failure to `on_failure` as it comes, which says whether
/// to go on. One shard of a longer campaign: seeds are independent, so
/// shards split at any seed.
pub fn campaign(
    start: u64,
    seeds: u64,
    services: usize,
    mut on_failure: impl FnMut(&Failure) -> ControlFlow<()>,
) -> Summary {
    let mut summary = Summary {
        start,
        seeds,
        ..Summary::default()
    };
    for seed in start..start.saturating_add(seeds) {
        match run_seed(seed, services) {
            Ok(()) => summary.ran += 1,
            Err(failure) => {
                summary.failed += 1;
                if matches!(failure.problem, Problem::Violation(_)) {
                    summary.ran += 1;
                }
                if on_failure(&failure).is_break() {
                    break;
                }
            }
        }
    }
    summary
}

//! The body that acts in virtual time: it drives `init-core` with scripted
//! processes and a virtual clock, replays scenario files and fuzzes them.
//! No supervision policy lives here: every decision comes from the core.
//!
//! Read it top-down:
//! - [`scenario`]: the `.scn` language (services inline, process model,
//!   timeline) and its `FILE:LINE: message` errors;
//! - [`model`]: how a scripted process behaves (durations, exits, crashes);
//! - [`driver`]: the virtual clock, the process table and the event loop
//!   (its trace is written by `init_core::trace`, as the real init's is);
//! - [`invariants`]: what must hold after every step;
//! - [`fuzz`]: seeded swarm scenarios, the shrinker, and the bodies of the
//!   libFuzzer targets in `fuzz/`;
//! - [`bytes`]: the core driven by events that raw bytes choose (the
//!   libFuzzer target's body);
//! - [`profile`]: what a real boot measured, read from init's trace;
//! - [`whatif`]: the predicted boot of a real configuration directory.

#![forbid(unsafe_code)]

pub mod bytes;
pub mod driver;
pub mod duration;
pub mod fuzz;
pub mod invariants;
pub mod model;
pub mod profile;
pub mod rng;
pub mod scenario;
pub mod whatif;

pub use driver::{RunLimits, RunOutcome, Sim};
pub use scenario::{Scenario, ScenarioError};

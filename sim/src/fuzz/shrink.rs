//! The shrinker: a failing scenario cut down to a small one that still
//! breaks the same invariant.
//!
//! Owns deleting what a reproducer does not need. It judges a candidate
//! only by running it ([`super::first_violation`]); a candidate that does
//! not parse is simply not kept.

use crate::invariants::Invariant;
use crate::scenario::Scenario;

use super::first_violation;

/// Deletes timeline steps, then declarations (options, service blocks,
/// `enable` and `process` lines), one at a time while the scenario still
/// breaks the same invariant, until no single deletion keeps it failing.
/// A deletion that leaves a scenario that does not parse (an `enable` of a
/// deleted template) is simply not kept. Returns the text and the step
/// counts before and after.
pub fn shrink(text: &str, invariant: Invariant, tie_seed: Option<u64>) -> (String, usize, usize) {
    let Ok(scenario) = Scenario::parse("fuzz.scn", text) else {
        return (text.to_string(), 0, 0);
    };
    let mut units = declaration_units(&scenario.preamble);
    let mut keep: Vec<usize> = (0..scenario.timeline.len()).collect();
    let before = keep.len();
    let render = |units: &[String], keep: &[usize]| {
        let mut text: String = units.concat();
        for &i in keep {
            if let Some(step) = scenario.timeline.get(i) {
                text.push_str(&step.source);
            }
        }
        text
    };
    let fails =
        |text: &str| first_violation(text, tie_seed).is_some_and(|v| v.invariant == invariant);
    let mut progress = true;
    while progress {
        progress = false;
        let mut i = keep.len();
        while i > 0 {
            i -= 1;
            let mut candidate = keep.clone();
            candidate.remove(i);
            if fails(&render(&units, &candidate)) {
                keep = candidate;
                progress = true;
            }
        }
        let mut i = units.len();
        while i > 0 {
            i -= 1;
            if units[i].starts_with('#') {
                continue;
            }
            let mut candidate = units.clone();
            candidate.remove(i);
            if fails(&render(&candidate, &keep)) {
                units = candidate;
                progress = true;
            }
        }
    }
    let after = keep.len();
    (render(&units, &keep), before, after)
}

/// The preamble cut into what can be deleted on its own: one line, or a
/// whole `service`/`template` block.
fn declaration_units(preamble: &str) -> Vec<String> {
    let mut units = Vec::new();
    let mut block: Option<String> = None;
    for line in preamble.lines() {
        let with_newline = format!("{line}\n");
        if let Some(open) = block.as_mut() {
            open.push_str(&with_newline);
            if line.trim() == "end" {
                units.extend(block.take());
            }
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if first == "service" || first == "template" {
            block = Some(with_newline);
        } else {
            units.push(with_newline);
        }
    }
    units.extend(block);
    units
}

//! The shrinker: a failing scenario cut down to a small one that still
//! breaks the same invariant.
//!
//! Owns deleting what a reproducer does not need, coarse first: timeline
//! steps, then declarations (options, whole service blocks, `enable` and
//! `process` lines), then lines inside blocks, then words of lines (an
//! `after` name, a process setting, a quoted argument), and last it rounds
//! the timeline's times down to whole seconds. It judges a candidate only
//! by running it ([`super::first_violation`]): one that does not parse, or
//! breaks another invariant, is not kept.

use crate::invariants::Invariant;
use crate::scenario::Scenario;

use super::first_violation;

/// The scenario as the shrinker cuts it: declarations (a line, or a whole
/// block) and timeline steps (an `at` line, or an `edit` block, with the
/// comments before it), each with its line ends.
#[derive(Debug, Clone)]
struct Parts {
    declarations: Vec<String>,
    steps: Vec<String>,
}

impl Parts {
    fn render(&self) -> String {
        self.declarations.concat() + &self.steps.concat()
    }
}

/// Shrinks `text` while it still breaks `invariant` under `tie_seed`,
/// until no single cut keeps it failing. Returns the text and the number
/// of timeline steps before and after.
pub fn shrink(text: &str, invariant: Invariant, tie_seed: Option<u64>) -> (String, usize, usize) {
    let Ok(scenario) = Scenario::parse("fuzz.scn", text) else {
        return (text.to_string(), 0, 0);
    };
    let mut parts = Parts {
        declarations: declaration_units(&scenario.preamble),
        steps: scenario.timeline.iter().map(|s| s.source.clone()).collect(),
    };
    let before = parts.steps.len();
    let fails = |parts: &Parts| {
        first_violation(&parts.render(), tie_seed).is_some_and(|v| v.invariant == invariant)
    };
    loop {
        let mut progress = false;
        progress |= cut_each(&mut parts, |p| &mut p.steps, &fails, |_| true);
        progress |= cut_each(
            &mut parts,
            |p| &mut p.declarations,
            &fails,
            |unit| !unit.starts_with('#'),
        );
        progress |= cut_lines_inside(&mut parts, &fails);
        progress |= cut_words(&mut parts, &fails);
        if !progress {
            break;
        }
    }
    round_times(&mut parts, &fails);
    let after = parts.steps.len();
    (parts.render(), before, after)
}

/// Tries deleting each item of the list `list` picks (those `may` allows),
/// last first; keeps every deletion after which the scenario still fails.
fn cut_each(
    parts: &mut Parts,
    list: impl Fn(&mut Parts) -> &mut Vec<String>,
    fails: &impl Fn(&Parts) -> bool,
    may: impl Fn(&str) -> bool,
) -> bool {
    let mut progress = false;
    let mut i = list(parts).len();
    while i > 0 {
        i -= 1;
        if !may(&list(parts)[i]) {
            continue;
        }
        let mut candidate = parts.clone();
        list(&mut candidate).remove(i);
        if fails(&candidate) {
            *parts = candidate;
            progress = true;
        }
    }
    progress
}

/// Tries replacing one part by `edit` of it, for every part; keeps what
/// still fails.
fn try_each_part(
    parts: &mut Parts,
    fails: &impl Fn(&Parts) -> bool,
    edits: impl Fn(&str) -> Vec<String>,
) -> bool {
    let mut progress = false;
    for steps in [false, true] {
        let mut i = 0;
        while i < if steps {
            parts.steps.len()
        } else {
            parts.declarations.len()
        } {
            let mut k = 0;
            loop {
                let part = if steps {
                    &parts.steps[i]
                } else {
                    &parts.declarations[i]
                };
                let Some(edited) = edits(part).into_iter().nth(k) else {
                    break;
                };
                let mut candidate = parts.clone();
                if steps {
                    candidate.steps[i] = edited;
                } else {
                    candidate.declarations[i] = edited;
                }
                if fails(&candidate) {
                    *parts = candidate;
                    progress = true;
                } else {
                    k += 1;
                }
            }
            i += 1;
        }
    }
    progress
}

/// Lines inside a block (a service body, a template, an edit): each one
/// deleted, the first and the `end` kept.
fn cut_lines_inside(parts: &mut Parts, fails: &impl Fn(&Parts) -> bool) -> bool {
    try_each_part(parts, fails, |part| {
        let lines: Vec<&str> = part.lines().collect();
        let Some(end) = lines.iter().rposition(|l| l.trim() == "end") else {
            return Vec::new();
        };
        let Some(open) = lines.iter().position(|l| is_block_header(l)) else {
            return Vec::new();
        };
        (open + 1..end)
            .rev()
            .map(|cut| {
                lines
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != cut)
                    .map(|(_, l)| format!("{l}\n"))
                    .collect()
            })
            .collect()
    })
}

/// Words of a line, each one deleted: an `after` name, a process setting,
/// an extra argument. The first word (and a directive's name) is kept;
/// a cut that breaks the line's syntax does not parse and is not kept.
fn cut_words(parts: &mut Parts, fails: &impl Fn(&Parts) -> bool) -> bool {
    try_each_part(parts, fails, |part| {
        let lines: Vec<&str> = part.lines().collect();
        let mut edits = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let keep = match words.first() {
                Some(&"process" | &"command" | &"option") => 2,
                Some(&"at" | &"service" | &"template" | &"enable" | &"end") => words.len(),
                Some(word) if word.starts_with('#') => words.len(),
                _ => 1,
            };
            let indent = &line[..line.len() - line.trim_start().len()];
            for cut in (keep..words.len()).rev() {
                let shorter: Vec<&str> = words
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != cut)
                    .map(|(_, w)| *w)
                    .collect();
                let mut text = String::new();
                for (i, l) in lines.iter().enumerate() {
                    if i == n {
                        text.push_str(indent);
                        text.push_str(&shorter.join(" "));
                    } else {
                        text.push_str(l);
                    }
                    text.push('\n');
                }
                edits.push(text);
            }
        }
        edits
    })
}

/// Each step's time rounded down to a whole second, where the scenario
/// still fails: a story reads better at 3s than at 3.217s. Rounding down
/// keeps the times in order.
fn round_times(parts: &mut Parts, fails: &impl Fn(&Parts) -> bool) {
    for i in 0..parts.steps.len() {
        let step = &parts.steps[i];
        let Some(rounded) = round_step(step) else {
            continue;
        };
        let mut candidate = parts.clone();
        candidate.steps[i] = rounded;
        if fails(&candidate) {
            *parts = candidate;
        }
    }
}

/// `step` with its `at` time rounded down to a whole second, if it is not
/// one already.
fn round_step(step: &str) -> Option<String> {
    let mut changed = false;
    let text: String = step
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["at", time, rest @ ..] = words.as_slice() {
                if let Ok(ms) = crate::duration::parse_duration_ms(time) {
                    let whole = ms - ms % 1000;
                    if whole != ms && !changed {
                        changed = true;
                        let time = crate::duration::format_duration_ms(whole);
                        return format!("at {time} {}\n", rest.join(" "));
                    }
                }
            }
            format!("{line}\n")
        })
        .collect();
    changed.then_some(text)
}

fn is_block_header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    matches!(
        words.as_slice(),
        ["service" | "template", _] | ["at", _, "edit", _]
    )
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
        if is_block_header(line) {
            block = Some(with_newline);
        } else {
            units.push(with_newline);
        }
    }
    units.extend(block);
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_rounds_down_once_and_a_block_is_one_declaration() {
        assert_eq!(
            round_step("# why\nat 3.217s crash web SEGV\n").as_deref(),
            Some("# why\nat 3s crash web SEGV\n")
        );
        assert_eq!(round_step("at 3s reload\n"), None);
        let units = declaration_units("option sequential\nservice a\n  type once\nend\nenable b\n");
        assert_eq!(
            units,
            [
                "option sequential\n",
                "service a\n  type once\nend\n",
                "enable b\n"
            ]
        );
    }
}

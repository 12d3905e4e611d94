//! The generator: a seed's scenario text, in the swarm style of
//! TigerBeetle's VOPR.
//!
//! Owns every choice a scenario is made of: the graph, the keywords and
//! how they are written, the faults and the timeline. Every choice comes
//! from the seed; it runs nothing.
//!
//! Swarm testing: each seed first draws its own probabilities (some
//! features switched off entirely), so that different seeds stress
//! different mixes instead of every run being the same average soup.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::duration::format_duration_ms;
use crate::rng::SplitMix64;

use super::wording::Words;

/// One probability a seed draws (a percentage): a feature is off for
/// about a third of the seeds, on at a random strength up to `max` for
/// the rest.
pub(super) fn knob(rng: &mut SplitMix64, max: u64) -> u64 {
    if rng.chance(33) {
        0
    } else {
        rng.range(1, max)
    }
}

/// The probabilities one seed draws (percentages).
#[derive(Debug, Clone)]
struct Knobs {
    type_weights: [u64; 3],
    edge: u64,
    backward_edge: u64,
    before_edge: u64,
    ghost_edge: u64,
    milestone: u64,
    limit: u64,
    parameterised: u64,
    final_target: u64,
    hang: u64,
    ignore_term: u64,
    spawn_fail: u64,
    exit_nonzero: u64,
    crash: u64,
    sleep: u64,
    events: u64,
    event_weights: [u64; 7],
    end_with_power: u64,
}

impl Knobs {
    fn draw(rng: &mut SplitMix64) -> Knobs {
        let mut p = |max| knob(rng, max);
        let mut knobs = Knobs {
            type_weights: [p(4), p(4), p(4)],
            edge: p(60),
            backward_edge: p(20),
            before_edge: p(30),
            ghost_edge: p(10),
            milestone: p(25),
            limit: p(60),
            parameterised: p(40),
            final_target: p(40),
            hang: p(30),
            ignore_term: p(30),
            spawn_fail: p(20),
            exit_nonzero: p(40),
            crash: p(25),
            sleep: p(70),
            events: p(40),
            event_weights: [p(4), p(4), p(4), p(4), p(4), p(2), p(2)],
            end_with_power: 0,
        };
        if knobs.type_weights.iter().all(|&w| w == 0) {
            knobs.type_weights = [1, 1, 1];
        }
        knobs.end_with_power = rng.range(50, 95);
        knobs
    }
}

/// Mixed into the seed for the lifecycle keywords' own stream.
const LIFECYCLE_STREAM: u64 = 0x6c69_6665_6379_636c;

/// Mixed into the seed for the edits' own stream: what a reload changes
/// in a service besides its graph (its target, its lifecycle keywords).
const EDITS_STREAM: u64 = 0x6564_6974_7374_726d;

/// Mixed into the seed for the re-execs' own stream: when init hands its
/// state over to a new binary.
const REEXEC_STREAM: u64 = 0x7265_6578_6563_7374;

/// Mixed into the seed for the leftovers' own stream: processes that
/// leave children behind, and services that keep them.
const LEFTOVERS_STREAM: u64 = 0x6c65_6674_6f76_6572;

/// How often a seed uses the lifecycle keywords (percentages).
#[derive(Debug, Clone)]
struct LifecycleKnobs {
    stop: u64,
    backoff: u64,
    window: u64,
    ready: u64,
    never_ready: u64,
}

impl LifecycleKnobs {
    fn draw(rng: &mut SplitMix64) -> LifecycleKnobs {
        let mut p = |max| knob(rng, max);
        LifecycleKnobs {
            stop: p(40),
            backoff: p(40),
            window: p(30),
            ready: p(30),
            never_ready: p(40),
        }
    }
}

/// Adds `stop-*`, `respawn-*` and `ready-*` lines to a service body;
/// true when the service declares readiness. The values are sometimes
/// edge values instead, and spelled in any form (`words`).
fn lifecycle_lines(
    rng: &mut SplitMix64,
    knobs: &LifecycleKnobs,
    words: &mut Words,
    body: &mut Vec<String>,
) -> bool {
    if rng.chance(knobs.stop) {
        let signal = *rng.pick(&["TERM", "INT", "HUP", "QUIT"]);
        let signal = *words.pick(&[signal, signal, "USR1", "USR2"]);
        body.push(format!("stop-signal {signal}"));
        // An hour: only the shutdown ceiling bounds the way down.
        let ms = *rng.pick(&[100u64, 1000, 5000, 3_600_000]);
        let ms = words.edge(ms, &[1, 86_400_000]);
        body.push(format!("stop-timeout {}", words.duration(ms)));
    }
    if rng.chance(knobs.backoff) {
        let delay_ms = *rng.pick(&[50u64, 100, 500]);
        let delay_ms = words.edge(delay_ms, &[1]);
        body.push(format!("respawn-delay {}", words.duration(delay_ms)));
        // A cap below the delay is the delay: constant.
        let cap_ms = *rng.pick(&[200u64, 1000, 4000]);
        let cap_ms = words.edge(cap_ms, &[1, delay_ms, 3_600_000]);
        body.push(format!("respawn-delay-max {}", words.duration(cap_ms)));
    }
    if rng.chance(knobs.window) {
        let ms = *rng.pick(&[100u64, 1000, 3000]);
        let ms = words.edge(ms, &[1, 3_600_000]);
        body.push(format!("respawn-window {}", words.duration(ms)));
    }
    let ready = rng.chance(knobs.ready);
    if ready {
        if rng.chance(50) {
            let fd = *words.pick(&[3u32, 3, 1023]);
            body.push(format!("ready-fd {fd}"));
        } else {
            body.push("ready-file /run/ready".to_string());
        }
        let ms = *rng.pick(&[500u64, 2000, 30_000]);
        let ms = words.edge(ms, &[1, 3_600_000]);
        body.push(format!("ready-timeout {}", words.duration(ms)));
    }
    ready
}

/// When a service that declares readiness gives its word, if ever.
fn ready_lines(rng: &mut SplitMix64, knobs: &LifecycleKnobs, base: &str, text: &mut String) {
    if rng.chance(knobs.never_ready) {
        let _ = writeln!(text, "process {base} never ready");
    } else {
        let after_ms = *rng.pick(&[0u64, 300, 3000]);
        let _ = writeln!(
            text,
            "process {base} ready after {}",
            format_duration_ms(after_ms)
        );
    }
}

/// The scenario text for `seed`, with `services` services.
pub fn generate(seed: u64, services: usize) -> String {
    let services = services.max(1);
    let mut rng = SplitMix64::new(seed);
    let knobs = Knobs::draw(&mut rng);
    let sequential = rng.chance(30);
    let delay_ms = *rng.pick(&[100u64, 50, 1000]);
    let grace_ms = *rng.pick(&[5000u64, 1000, 100]);
    let final_timeout_ms = *rng.pick(&[30_000u64, 2000, 500]);
    let bases: Vec<String> = (0..services)
        .map(|i| {
            if rng.chance(knobs.parameterised) {
                format!("p{i}")
            } else {
                format!("s{i}")
            }
        })
        .collect();

    // The lifecycle keywords draw from a stream of their own, so that the
    // scenarios older seeds give stay what they were, with these lines
    // added.
    let mut life_rng = SplitMix64::new(seed ^ LIFECYCLE_STREAM);
    let life = LifecycleKnobs::draw(&mut life_rng);
    let mut left_rng = SplitMix64::new(seed ^ LEFTOVERS_STREAM);
    let mut edit_rng = SplitMix64::new(seed ^ EDITS_STREAM);
    let mut reexec_rng = SplitMix64::new(seed ^ REEXEC_STREAM);
    let reexecs = if reexec_rng.chance(50) {
        0
    } else {
        reexec_rng.range(5, 30)
    };
    let leaves = if left_rng.chance(50) {
        0
    } else {
        left_rng.range(1, 40)
    };
    // So does the way the lines are written.
    let mut words = Words::new(seed);

    let mut text = String::new();
    let mut enabled: BTreeSet<String> = BTreeSet::new();
    let mut main_taken = false;
    for (i, base) in bases.iter().enumerate() {
        let parameterised = base.starts_with('p');
        let final_target = rng.chance(knobs.final_target);
        let (target_line, names) = match (parameterised, final_target) {
            (true, true) => (
                "target %0".to_string(),
                vec![format!("{base}@shutdown"), format!("{base}@reboot")],
            ),
            (true, false) => {
                let (a, b) = words.instance_args();
                (
                    "target boot".to_string(),
                    vec![format!("{base}@{a}"), format!("{base}@{b}")],
                )
            }
            (false, true) => (
                format!("target {}", rng.pick(&["shutdown", "reboot"])),
                vec![base.clone()],
            ),
            (false, false) => ("target boot".to_string(), vec![base.clone()]),
        };
        let mut body = service_body(&mut rng, &knobs, i, &bases, &target_line, parameterised);
        let declares_ready = lifecycle_lines(&mut life_rng, &life, &mut words, &mut body);
        if !final_target && words.main_service(&mut main_taken) {
            body.push("main-service".to_string());
        }
        let leaves_children = left_rng.chance(leaves);
        if leaves_children && left_rng.chance(30) {
            body.push("leftovers keep".to_string());
        }
        let body = words.body(body, parameterised);
        let _ = writeln!(text, "template {base}");
        for line in body {
            let _ = writeln!(text, "  {line}");
        }
        text.push_str("end\n");
        for name in names {
            let _ = writeln!(text, "enable {name}");
            enabled.insert(name);
        }
        process_lines(&mut rng, &knobs, base, &mut text);
        if declares_ready {
            ready_lines(&mut life_rng, &life, base, &mut text);
        }
        if leaves_children {
            let stubborn = if left_rng.chance(30) {
                " ignoring TERM"
            } else {
                ""
            };
            let _ = writeln!(text, "process {base} leaves children{stubborn}");
        }
    }

    let mut all_names: Vec<String> = enabled.iter().cloned().collect();
    // Process lines the timeline asks for (they go before it).
    let mut lingering = String::new();
    let mut next_new = services;
    let mut at_ms: u64 = 0;
    let events = rng.below(knobs.events + 1);
    // Now and then the boot is placed in the timeline (possibly after a
    // shutdown request, or never, for `events + 1`): shutdown must work
    // before boot too.
    let boot_at_step = rng.chance(10).then(|| rng.below(events + 2));
    for step in 0..events {
        at_ms += rng.below(4000);
        let at = words.duration(at_ms);
        if boot_at_step == Some(step) {
            let _ = writeln!(text, "at {at} boot");
        }
        let kind = weighted(&mut rng, &knobs.event_weights);
        let name = rng.pick(&all_names).clone();
        match kind {
            0 => {
                let signal = *rng.pick(&["SEGV", "KILL", "ABRT", "TERM"]);
                let signal = words.crash_signal(signal);
                let _ = writeln!(text, "at {at} crash {name} {signal}");
            }
            1 => {
                let _ = writeln!(text, "at {at} control stop {name}");
                if words.lingers() {
                    // A stop that lingers (TERM ignored, an hour's stop
                    // timeout) when the machine goes down at once: the
                    // shutdown ceiling must cut it short.
                    let base = name.split('@').next().unwrap_or(&name);
                    let _ = writeln!(lingering, "process {base} ignores TERM");
                    let _ = writeln!(text, "at {at} signal TERM");
                }
            }
            2 => {
                let _ = writeln!(text, "at {at} control start {name}");
            }
            3 => {
                let _ = writeln!(text, "at {at} control restart {name}");
            }
            4 => {
                let mut state = ReloadState {
                    next_new: &mut next_new,
                    enabled: &mut enabled,
                    all_names: &mut all_names,
                    edit_rng: &mut edit_rng,
                    life: &life,
                };
                reload_lines(
                    &mut rng, &knobs, &mut words, &at, &bases, &mut state, &mut text,
                );
            }
            5 => {
                let _ = writeln!(text, "at {at} signal TERM");
            }
            _ => {
                let _ = writeln!(text, "at {at} signal INT");
            }
        }
        if reexec_rng.chance(reexecs) {
            let _ = writeln!(text, "at {at} reexec");
        }
    }
    if boot_at_step == Some(events) {
        let _ = writeln!(text, "at {} boot", format_duration_ms(at_ms));
    }
    if rng.chance(knobs.end_with_power) {
        at_ms += rng.below(5000);
        let signal = rng.pick(&["TERM", "INT"]);
        let _ = writeln!(text, "at {} signal {signal}", format_duration_ms(at_ms));
    }

    let mut header = String::new();
    let _ = writeln!(
        header,
        "# init-sim fuzz seed {seed}, {services} services: init-sim run --seed {seed} FILE"
    );
    if sequential {
        header.push_str("option sequential\n");
    }
    if boot_at_step.is_some() {
        header.push_str("option no-boot\n");
    }
    let _ = writeln!(
        header,
        "option until {}",
        format_duration_ms(at_ms + 60_000)
    );
    let _ = writeln!(
        header,
        "option respawn-delay {}",
        format_duration_ms(delay_ms)
    );
    let _ = writeln!(header, "option kill-grace {}", format_duration_ms(grace_ms));
    let _ = writeln!(
        header,
        "option final-service-timeout {}",
        format_duration_ms(final_timeout_ms)
    );
    if lingering.is_empty() {
        option_lines(&mut words, delay_ms, &mut header);
    } else {
        header.push_str("option stop-timeout 1h\n");
        header.push_str(&lingering);
    }
    header + &text
}

/// The options the generator leaves at their defaults unless at the edge:
/// a respawn cap equal to the delay (constant), a default stop timeout,
/// and a shutdown ceiling below or above it.
fn option_lines(words: &mut Words, delay_ms: u64, header: &mut String) {
    if words.at_edge() {
        let cap_ms = *words.pick(&[delay_ms, 1, 60_000]);
        let _ = writeln!(
            header,
            "option respawn-delay-max {}",
            words.duration(cap_ms)
        );
    }
    if words.at_edge() {
        // An hour: a stop under way when the machine goes down is cut
        // short by the shutdown ceiling.
        let ms = *words.pick(&[100u64, 1000, 20_000, 3_600_000]);
        let _ = writeln!(header, "option stop-timeout {}", words.duration(ms));
    }
    if words.at_edge() {
        let ms = *words.pick(&[1u64, 50, 1000, 3_600_000]);
        let _ = writeln!(
            header,
            "option shutdown-stop-timeout {}",
            words.duration(ms)
        );
    }
    if words.at_edge() {
        header.push_str("option parallel\n");
    }
}

/// What a reload may change in the generator's picture of the config.
struct ReloadState<'a> {
    next_new: &'a mut usize,
    enabled: &'a mut BTreeSet<String>,
    all_names: &'a mut Vec<String>,
    /// The edits' own stream, and how often lifecycle keywords come.
    edit_rng: &'a mut SplitMix64,
    life: &'a LifecycleKnobs,
}

fn weighted(rng: &mut SplitMix64, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    if total == 0 {
        return 0;
    }
    let mut roll = rng.below(total);
    for (i, &w) in weights.iter().enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    0
}

fn service_body(
    rng: &mut SplitMix64,
    knobs: &Knobs,
    index: usize,
    bases: &[String],
    target_line: &str,
    parameterised: bool,
) -> Vec<String> {
    let mut body = Vec::new();
    if parameterised {
        body.push(format!("description instance %0 of p{index}"));
    }
    let kind = ["wait", "once", "respawn"][weighted(rng, &knobs.type_weights)];
    if kind == "respawn" && rng.chance(knobs.limit) {
        body.push(format!("type respawn limit {}", rng.range(1, 4)));
    } else {
        body.push(format!("type {kind}"));
    }
    body.push(target_line.to_string());
    let other = |rng: &mut SplitMix64, backward: bool| -> Option<String> {
        if rng.chance(knobs.ghost_edge) {
            return Some("ghost".to_string());
        }
        let upto = if backward {
            bases.len()
        } else {
            index.min(bases.len())
        };
        if upto == 0 {
            return None;
        }
        bases.get(rng.below(upto as u64) as usize).cloned()
    };
    let mut after = Vec::new();
    for _ in 0..3 {
        if rng.chance(knobs.edge) {
            let backward = rng.chance(knobs.backward_edge);
            if let Some(name) = other(rng, backward) {
                after.push(name);
            }
        }
    }
    if !after.is_empty() {
        body.push(format!("after {}", after.join(" ")));
    }
    if rng.chance(knobs.before_edge) {
        if let Some(name) = other(rng, true) {
            body.push(format!("before {name}"));
        }
    }
    if !rng.chance(knobs.milestone) {
        if rng.chance(knobs.sleep) {
            body.push(format!(
                "exec sleep {}",
                format_duration_ms(rng.below(3000))
            ));
        }
        body.push(format!("exec prog{index} --flag"));
    }
    body
}

fn process_lines(rng: &mut SplitMix64, knobs: &Knobs, base: &str, text: &mut String) {
    let mut settings = Vec::new();
    if rng.chance(knobs.hang) {
        settings.push("hangs".to_string());
    }
    if rng.chance(knobs.ignore_term) {
        settings.push("ignores TERM".to_string());
    }
    if rng.chance(knobs.exit_nonzero) {
        settings.push(format!("exit {}", rng.range(1, 3)));
    }
    if rng.chance(knobs.spawn_fail) {
        let errno = rng.pick(&["EAGAIN", "ENOMEM", "ENOENT"]);
        if rng.chance(50) {
            settings.push(format!("spawn-fails {errno} first {}", rng.range(1, 3)));
        } else {
            settings.push(format!("spawn-fails {errno}"));
        }
    }
    if rng.chance(knobs.crash) {
        let signal = rng.pick(&["SEGV", "ABRT", "KILL"]);
        settings.push(format!(
            "crashes {signal} after {}",
            format_duration_ms(rng.range(1, 5000))
        ));
    }
    if !settings.is_empty() {
        let _ = writeln!(text, "process {base} {}", settings.join(" "));
    }
}

fn reload_lines(
    rng: &mut SplitMix64,
    knobs: &Knobs,
    words: &mut Words,
    at: &str,
    bases: &[String],
    state: &mut ReloadState<'_>,
    text: &mut String,
) {
    // Add a new service, drop one, or edit one; then reload.
    match rng.below(3) {
        0 => {
            let index = *state.next_new;
            *state.next_new += 1;
            let base = format!("s{index}");
            let body = service_body(rng, knobs, bases.len(), bases, "target boot", false);
            let body = edited(state, words, body);
            write_edit(text, at, &base, words.body(body, false));
            let _ = writeln!(text, "at {at} enable {base}");
            state.enabled.insert(base.clone());
            state.all_names.push(base);
        }
        1 => {
            let names: Vec<String> = state.enabled.iter().cloned().collect();
            if !names.is_empty() {
                let name = rng.pick(&names).clone();
                let _ = writeln!(text, "at {at} disable {name}");
                state.enabled.remove(&name);
            }
        }
        _ => {
            let names: Vec<String> = state
                .enabled
                .iter()
                .filter(|n| !n.contains('@'))
                .cloned()
                .collect();
            if !names.is_empty() {
                let base = rng.pick(&names).clone();
                let index: usize = base[1..].parse().unwrap_or(0);
                let body = service_body(
                    rng,
                    knobs,
                    index.min(bases.len()),
                    bases,
                    "target boot",
                    false,
                );
                let body = edited(state, words, body);
                write_edit(text, at, &base, words.body(body, false));
            }
        }
    }
    let _ = writeln!(text, "at {at} {}", words.reload());
}

/// What an edit changes besides the graph, from the edits' own stream:
/// now and then another target (a service that runs moves to the way
/// down), and the lifecycle keywords (a live process keeps the old ones
/// until it ends: its stop, its next respawn's delay). No readiness: the
/// process lines that answer it come before the timeline.
fn edited(state: &mut ReloadState<'_>, words: &mut Words, mut body: Vec<String>) -> Vec<String> {
    let rng = &mut *state.edit_rng;
    if rng.chance(15) {
        let target = *rng.pick(&["shutdown", "reboot"]);
        for line in &mut body {
            if line == "target boot" {
                *line = format!("target {target}");
            }
        }
    }
    let knobs = LifecycleKnobs {
        ready: 0,
        ..state.life.clone()
    };
    lifecycle_lines(rng, &knobs, words, &mut body);
    body
}

fn write_edit(text: &mut String, at: &str, base: &str, body: Vec<String>) {
    let _ = writeln!(text, "at {at} edit {base}");
    for line in body {
        let _ = writeln!(text, "  {line}");
    }
    text.push_str("end\n");
}

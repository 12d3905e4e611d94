//! How a generated scenario is written: the same services and timeline,
//! in every form the languages accept.
//!
//! Owns rewriting a service body line by line into an equivalent form
//! (quotes, escapes, `%%`, `#` inside quotes, `exec` blocks, comments,
//! durations spelled several ways, the lenient forms the original Pygos
//! init read, repeated lines), adding lines that change nothing the
//! simulation models (execution settings, sandboxes, a `tty`), and the
//! edge values of the lifecycle keywords. It draws from a stream of its
//! own (mixed from the seed), so that a seed's graph and timeline stay
//! what they were. Everything it writes parses; a lenient form gives a
//! warning, never an error.

use crate::duration::format_duration_ms;
use crate::rng::SplitMix64;

use super::generate::knob;

/// Mixed into the seed for the wording's own stream.
const WORDING_STREAM: u64 = 0x776f_7264_696e_6773;

/// How often a seed uses each form (percentages, drawn as every swarm
/// knob is).
#[derive(Debug, Clone)]
struct Wording {
    quotes: u64,
    blocks: u64,
    comments: u64,
    lenient: u64,
    repeats: u64,
    settings: u64,
    durations: u64,
    edges: u64,
    odd_args: u64,
}

impl Wording {
    fn draw(rng: &mut SplitMix64) -> Wording {
        let mut p = |max| knob(rng, max);
        Wording {
            quotes: p(60),
            blocks: p(40),
            comments: p(30),
            lenient: p(30),
            repeats: p(30),
            settings: p(30),
            durations: p(60),
            edges: p(40),
            odd_args: p(50),
        }
    }
}

/// Extra arguments for a program (never for `sleep`, whose arguments are
/// its duration): every quoting and escape form, each with the argument
/// it stands for written nowhere, since the model only reads `argv[0]`.
const ARGUMENTS: [&str; 16] = [
    "\"two words\"",
    "\"\"",
    "\"#not-a-comment\"",
    "\"tab\\there\"",
    "\"\\x41\\0102\\x4z\"",
    "100%%",
    "\"50%% and \\%\"",
    "\"quote\\\"inside\"",
    "\"back\\\\slash\"",
    "\"\\a\\b\\f\\n\"",
    "a\\b",
    "'single'",
    "\"mixed\"tail",
    "--opt=\"a b\"",
    "\"a\"\"b\"",
    "\"\\xff\"",
];

/// More, for a template enabled with an argument.
const ARGUMENTS_WITH_ARG: [&str; 4] = ["%0", "\"%0\"", "dev_%0", "\"/dev/%0 %%\""];

/// The lenient forms among [`ARGUMENTS`] (the original read them another
/// way; `service verify` warns).
fn is_lenient(argument: &str) -> bool {
    matches!(argument, "--opt=\"a b\"" | "\"a\"\"b\"" | "\"mixed\"tail")
}

/// Arguments to enable a template with, besides `a` and `b`: each is
/// taken literally by `%0`.
const ODD_ARGUMENTS: [&str; 10] = [
    "a.b", "x-y_z", "a@b", "%", "50%", "\"q\"", "é", "a=b", "+", "tty1",
];

/// Descriptions in every quoting form.
const DESCRIPTIONS: [&str; 6] = [
    "\"a  spaced   text\"",
    "plain words # and a comment",
    "\"#hash, \\\"quotes\\\" and 100%%\"",
    "\"tab\\tand\\x20hex\"",
    "\"\"",
    "with\\backslash",
];

/// Lines that change nothing the simulation models: the execution
/// settings and the sandbox travel with the spawn, and the model ignores
/// them.
const SETTINGS: [&str; 16] = [
    "env LANG=C.UTF-8 \"GREETING=hello world\"",
    "env PATH=/usr/bin:/bin",
    "working-dir /srv",
    "user 0",
    "group 0 0",
    "umask 0",
    "umask 777",
    "nice -20",
    "nice 19",
    "oom-score-adjust -1000",
    "oom-score-adjust 1000",
    "rlimit nofile 1024 unlimited",
    "rlimit core unlimited",
    "private-tmp",
    "no-new-privileges",
    "network loopback",
];

/// The wording's stream and the forms one seed uses.
pub(super) struct Words {
    rng: SplitMix64,
    wording: Wording,
}

impl Words {
    pub fn new(seed: u64) -> Words {
        let mut rng = SplitMix64::new(seed ^ WORDING_STREAM);
        let wording = Wording::draw(&mut rng);
        Words { rng, wording }
    }

    /// See [`word_body`].
    pub fn body(&mut self, body: Vec<String>, has_arg: bool) -> Vec<String> {
        word_body(&mut self.rng, &self.wording, body, has_arg)
    }

    /// See [`spell_duration`].
    pub fn duration(&mut self, ms: u64) -> String {
        spell_duration(&mut self.rng, &self.wording, ms)
    }

    /// `ms`, or now and then one of `edges`.
    pub fn edge(&mut self, ms: u64, edges: &[u64]) -> u64 {
        if self.rng.chance(self.wording.edges) {
            *self.rng.pick(edges)
        } else {
            ms
        }
    }

    /// Whether to use an edge value (or an option) at all.
    pub fn at_edge(&mut self) -> bool {
        self.rng.chance(self.wording.edges)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.rng.pick(items)
    }

    /// The two arguments a boot template is enabled with: `a` and `b`,
    /// or now and then others, each taken literally by `%0`.
    pub fn instance_args(&mut self) -> (&'static str, &'static str) {
        if !self.rng.chance(self.wording.odd_args) {
            return ("a", "b");
        }
        let first = self.odd_argument();
        let mut second = self.odd_argument();
        if second == first {
            second = "b";
        }
        (first, second)
    }

    fn odd_argument(&mut self) -> &'static str {
        let argument = *self.rng.pick(&ODD_ARGUMENTS);
        argument
    }

    /// Whether this service is the main one (`main-service`), whose end
    /// shuts the machine down: one at most, and rarely, since it ends the
    /// story.
    pub fn main_service(&mut self, taken: &mut bool) -> bool {
        let main = !*taken && self.rng.chance(self.wording.settings / 8);
        *taken |= main;
        main
    }

    /// Whether an admin stop should linger into a shutdown (see the
    /// generator's timeline).
    pub fn lingers(&mut self) -> bool {
        self.rng.chance(self.wording.edges / 2)
    }

    /// `reload` or its other name, `signal HUP`.
    pub fn reload(&mut self) -> &'static str {
        if self.rng.chance(self.wording.repeats) {
            "signal HUP"
        } else {
            "reload"
        }
    }

    /// `crash NAME SEGV` may leave out its default signal.
    pub fn crash_signal(&mut self, signal: &'static str) -> &'static str {
        if signal == "SEGV" && self.rng.chance(self.wording.repeats) {
            ""
        } else {
            signal
        }
    }
}

/// A duration spelled one of the ways the languages read it: `1500ms`,
/// `1.5s`, `1.5`, `0.025m`, `1h`.
fn spell_duration(rng: &mut SplitMix64, wording: &Wording, ms: u64) -> String {
    if !rng.chance(wording.durations) {
        return format_duration_ms(ms);
    }
    match rng.below(4) {
        0 => format!("{ms}ms"),
        1 if ms % 3_600_000 == 0 && ms > 0 => format!("{}h", ms / 3_600_000),
        1 if ms % 60_000 == 0 && ms > 0 => format!("{}m", ms / 60_000),
        2 if ms % 1000 == 0 => format!("{}", ms / 1000),
        3 if ms % 6 == 0 => {
            // Minutes with a fraction, exact to the millisecond.
            let mut text = format!("{}.{:05}", ms / 60_000, (ms % 60_000) * 100_000 / 60_000);
            while text.ends_with('0') {
                text.pop();
            }
            format!("{}m", text.trim_end_matches('.'))
        }
        _ => format_duration_ms(ms),
    }
}

/// `body` (one keyword line each, as the generator made them) written in
/// other forms that mean the same. `has_arg`: every instance of the
/// template is enabled with an argument, so `%0` may be used.
fn word_body(
    rng: &mut SplitMix64,
    wording: &Wording,
    body: Vec<String>,
    has_arg: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut commands: Vec<String> = Vec::new();
    for line in body {
        let (keyword, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match keyword {
            "exec" => commands.push(word_command(rng, wording, rest, has_arg)),
            "description" => {
                if rng.chance(wording.repeats) {
                    // Given twice: the last one counts (a warning).
                    out.push("description first, and replaced".to_string());
                }
                if rng.chance(wording.quotes) {
                    let text = *rng.pick(&DESCRIPTIONS);
                    let text = if has_arg && rng.chance(50) {
                        format!("\"%0 as \\\"%0\\\" and %%0\" {text}")
                    } else {
                        text.to_string()
                    };
                    out.push(format!("description {text}"));
                } else {
                    out.push(line.clone());
                }
            }
            "type" => {
                if rng.chance(wording.repeats) {
                    out.push("type once".to_string());
                }
                out.push(word_type(rng, wording, rest));
            }
            "target" => {
                if rng.chance(wording.repeats) {
                    out.push("target boot".to_string());
                }
                out.push(line.clone());
            }
            "after" | "before" => out.extend(word_names(rng, wording, keyword, rest)),
            "stop-signal" if rng.chance(wording.quotes) => {
                out.push(format!("stop-signal SIG{rest}"))
            }
            _ => out.push(line.clone()),
        }
        if rng.chance(wording.comments) {
            out.push(if rng.chance(50) {
                "# a comment line".to_string()
            } else {
                String::new()
            });
        }
    }
    if rng.chance(wording.settings) {
        out.push(rng.pick(&SETTINGS).to_string());
        if has_arg && rng.chance(50) {
            out.push("tty \"/dev/%0\"".to_string());
        } else if rng.chance(30) {
            out.push("tty truncate /var/log/generated.log".to_string());
        }
    }
    out.extend(word_commands(rng, wording, commands));
    out
}

/// One command line (`PROGRAM ARGS`, without `exec`), with extra
/// arguments in quoted and escaped forms for a program other than sleep.
fn word_command(rng: &mut SplitMix64, wording: &Wording, command: &str, has_arg: bool) -> String {
    let mut words: Vec<String> = command.split(' ').map(str::to_string).collect();
    let program = words.first().cloned().unwrap_or_default();
    if program == "sleep" {
        return command.to_string();
    }
    if rng.chance(wording.quotes) {
        words[0] = format!("\"{program}\"");
        let mut argument = *rng.pick(&ARGUMENTS);
        if is_lenient(argument) && !rng.chance(wording.lenient) {
            argument = "\"two words\"";
        }
        words.push(argument.to_string());
        if has_arg && rng.chance(50) {
            words.push(rng.pick(&ARGUMENTS_WITH_ARG).to_string());
        }
    }
    let separator = if rng.chance(wording.quotes / 3) {
        "\t"
    } else {
        " "
    };
    let mut line = words.join(separator);
    if rng.chance(wording.comments) {
        line.push_str(" # a trailing comment");
    }
    line
}

/// The commands as `exec` lines, or as one `exec {` block (with the
/// original's lenient forms now and then: a first command on the brace's
/// line).
fn word_commands(rng: &mut SplitMix64, wording: &Wording, commands: Vec<String>) -> Vec<String> {
    if commands.is_empty() || !rng.chance(wording.blocks) {
        return commands.into_iter().map(|c| format!("exec {c}")).collect();
    }
    let mut lines = Vec::new();
    let mut rest = commands.into_iter();
    if rng.chance(wording.lenient) {
        if let Some(first) = rest.next() {
            lines.push(format!("exec {{ {first}"));
        }
    } else {
        lines.push("exec {".to_string());
    }
    for command in rest {
        lines.push(format!("    {command}"));
        if rng.chance(wording.comments) {
            lines.push("    # a comment inside the block".to_string());
        }
    }
    lines.push("}".to_string());
    lines
}

/// `type ...`: a limit written `Nx` (read as N, with a warning), and no
/// limit written `limit 0` (no limit, with a warning).
fn word_type(rng: &mut SplitMix64, wording: &Wording, rest: &str) -> String {
    if !rng.chance(wording.lenient) {
        return format!("type {rest}");
    }
    match rest.split(' ').collect::<Vec<_>>().as_slice() {
        ["respawn", "limit", n] => format!("type respawn limit {n}x"),
        ["respawn"] => "type respawn limit 0".to_string(),
        _ => format!("type {rest}"),
    }
}

/// `after`/`before` names: split over several lines, repeated, or with a
/// name that can never match (`x@y`, kept with a warning).
fn word_names(rng: &mut SplitMix64, wording: &Wording, keyword: &str, rest: &str) -> Vec<String> {
    let names: Vec<&str> = rest.split(' ').filter(|n| !n.is_empty()).collect();
    let mut lines = Vec::new();
    if rng.chance(wording.repeats) {
        for name in &names {
            lines.push(format!("{keyword} {name} {name}"));
        }
    } else {
        lines.push(format!("{keyword} {rest}"));
    }
    if rng.chance(wording.lenient) {
        lines.push(format!("{keyword} never@matches"));
    }
    lines
}

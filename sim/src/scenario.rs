//! The scenario language (`.scn`): services inline, the process model,
//! core options and a timeline, one directive per line.
//!
//! Owns reading a scenario into a [`Scenario`] and every `FILE:LINE:
//! message` error about it. Service bodies go through the real parser
//! (`init_core::parse::parse_service`); nothing here runs anything.
//!
//! ```text
//! # A wait service before a respawn one, and a crash.
//! option respawn-delay 100ms
//!
//! service mounts
//!   type wait
//!   exec mount -a
//! end
//! service web
//!   type respawn
//!   after mounts
//!   exec httpd -f
//! end
//! process web hangs
//!
//! at 2s crash web SEGV
//! at 5s signal TERM
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use init_core::events::Millis;
use init_core::name::EnabledName;
use init_core::parse::parse_service;
use init_core::service::ServiceDef;
use init_core::supervisor::Options;

use crate::duration::parse_duration_ms;
use crate::model::{
    is_known_errno, signal_number, CommandSettings, Crash, ProcessModel, ProcessSettings,
    SpawnFailure,
};

/// A scenario, read and checked, with every configuration it will load
/// already parsed.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The name used in messages (the path as given).
    pub file: String,
    pub options: ScenarioOptions,
    /// The configuration loaded at the start, in loader order (sorted by
    /// enabled name, as the config-dir loader reads a directory).
    pub services: Vec<ServiceDef>,
    pub model: ProcessModel,
    pub timeline: Vec<TimelineEntry>,
    /// The source text before the first `at` line, for reproducers.
    pub preamble: String,
    /// Warnings the service parser gave, `FILE:LINE: warning: message`.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioOptions {
    /// The core's options, as `option` lines set them.
    pub core: Options,
    /// `option until D`: stop the run at this virtual time at the latest.
    pub until_ms: Option<u64>,
    /// False with `option no-boot`: the timeline must say `at T boot`.
    pub boot_at_start: bool,
}

impl Default for ScenarioOptions {
    fn default() -> Self {
        ScenarioOptions {
            core: Options::default(),
            until_ms: None,
            boot_at_start: true,
        }
    }
}

/// One timeline line (or `edit` block).
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: Millis,
    /// The line of the `at`, for messages.
    pub line: u32,
    /// The source text, comments before it included, for reproducers.
    pub source: String,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `at T boot` (implicit at 0 unless `option no-boot`).
    Boot,
    /// `crash NAME [SIG]`: the service's live process dies by SIG.
    Crash { service: String, signal: i32 },
    /// `signal TERM`.
    Shutdown,
    /// `signal INT` (Ctrl-Alt-Del).
    Reboot,
    /// `reload` or `signal HUP`: the configuration as it stands then.
    Reload(Vec<ServiceDef>),
    /// `control start|stop|restart NAME`.
    Control(Control, String),
    /// `reexec`: init re-executes itself, handing its whole state over to
    /// the new binary, if the core allows it now.
    Reexec,
    /// `enable`, `disable`, `edit`: change what the next reload reads. No
    /// effect on the running system by themselves.
    ConfigChange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Start,
    Stop,
    Restart,
}

impl Control {
    pub fn as_str(self) -> &'static str {
        match self {
            Control::Start => "start",
            Control::Stop => "stop",
            Control::Restart => "restart",
        }
    }
}

/// `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Reads a scenario. `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        Reader::new(file).read(text)
    }

    /// The scenario text with only the timeline steps at `keep` (indices
    /// into `timeline`): what the shrinker writes as a reproducer.
    pub fn render_with(&self, keep: &[usize]) -> String {
        let mut text = self.preamble.clone();
        for &i in keep {
            if let Some(step) = self.timeline.get(i) {
                text.push_str(&step.source);
            }
        }
        text
    }
}

/// A service file body inside the scenario.
#[derive(Debug, Clone)]
struct Template {
    text: String,
    /// The scenario line of the block's first body line.
    body_line: u32,
}

/// The configuration as a directory would hold it: templates and the
/// names enabled from them.
#[derive(Debug, Clone, Default)]
struct Config {
    templates: BTreeMap<String, Template>,
    enabled: BTreeSet<String>,
}

/// A block being collected: `service`/`template` in the preamble or
/// `edit` in the timeline.
struct OpenBlock {
    kind: BlockKind,
    header_line: u32,
    body: String,
}

enum BlockKind {
    Service(EnabledName),
    Template(String),
    Edit { at: Millis, base: String },
}

struct Reader {
    file: String,
    options: ScenarioOptions,
    config: Config,
    model: ProcessModel,
    timeline: Vec<TimelineEntry>,
    preamble: String,
    /// Source lines seen since the last step, for the next step's source.
    pending_source: String,
    in_timeline: bool,
    last_at: Millis,
    initial: Option<Vec<ServiceDef>>,
    warnings: Vec<String>,
    /// Where each template was defined, for "defined twice".
    defined_at: BTreeMap<String, u32>,
    /// `process NAME` lines, checked against the services at the end.
    process_lines: Vec<(String, u32)>,
}

impl Reader {
    fn new(file: &str) -> Reader {
        Reader {
            file: file.to_string(),
            options: ScenarioOptions::default(),
            config: Config::default(),
            model: ProcessModel::default(),
            timeline: Vec::new(),
            preamble: String::new(),
            pending_source: String::new(),
            in_timeline: false,
            last_at: Millis::ZERO,
            initial: None,
            warnings: Vec::new(),
            defined_at: BTreeMap::new(),
            process_lines: Vec::new(),
        }
    }

    fn error(&self, line: u32, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.clone(),
            line,
            message: message.into(),
        }
    }

    fn read(mut self, text: &str) -> Result<Scenario, ScenarioError> {
        let mut block: Option<OpenBlock> = None;
        let mut last_line: u32 = 0;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index as u32 + 1;
            last_line = line_no;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(open) = block.as_mut() {
                self.pending_source.push_str(raw);
                self.pending_source.push('\n');
                if raw.trim() == "end" {
                    let done = block.take();
                    if let Some(done) = done {
                        self.close_block(done, line_no)?;
                    }
                } else {
                    open.body.push_str(raw.trim_start());
                    open.body.push('\n');
                }
                continue;
            }
            let content = strip_comment(raw);
            let words: Vec<&str> = content.split_whitespace().collect();
            let Some(&first) = words.first() else {
                self.pending_source.push_str(raw);
                self.pending_source.push('\n');
                continue;
            };
            if first == "at" {
                self.enter_timeline(line_no)?;
            } else if self.in_timeline {
                return Err(self.error(
                    line_no,
                    format!("'{first}' must come before the timeline (the first 'at' line)"),
                ));
            }
            self.pending_source.push_str(raw);
            self.pending_source.push('\n');
            block = self.directive(line_no, &words)?;
        }
        if let Some(open) = block {
            return Err(self.error(open.header_line, "block is never closed with 'end'"));
        }
        if !self.in_timeline {
            self.enter_timeline(last_line + 1)?;
        }
        let has_boot = self.timeline.iter().any(|s| s.action == Action::Boot);
        if self.options.boot_at_start && has_boot {
            let line = self
                .timeline
                .iter()
                .find(|s| s.action == Action::Boot)
                .map_or(0, |s| s.line);
            return Err(self.error(
                line,
                "boot is implicit at 0s; add 'option no-boot' to place it",
            ));
        }
        for (name, line) in &self.process_lines {
            let base = name.split('@').next().unwrap_or(name);
            if !self.defined_at.contains_key(base) {
                return Err(self.error(*line, format!("no service '{name}' in this scenario")));
            }
        }
        let services = self.initial.take().unwrap_or_default();
        Ok(Scenario {
            file: self.file,
            options: self.options,
            services,
            model: self.model,
            timeline: self.timeline,
            preamble: self.preamble,
            warnings: self.warnings,
        })
    }

    /// The preamble ends: load the initial configuration.
    fn enter_timeline(&mut self, line_no: u32) -> Result<(), ScenarioError> {
        if self.in_timeline {
            return Ok(());
        }
        self.in_timeline = true;
        self.preamble = std::mem::take(&mut self.pending_source);
        let services = self.load_config(line_no)?;
        self.initial = Some(services);
        Ok(())
    }

    fn directive(&mut self, line: u32, words: &[&str]) -> Result<Option<OpenBlock>, ScenarioError> {
        match words {
            ["option", rest @ ..] => self.option(line, rest).map(|()| None),
            ["service", name] => {
                let name = self.enabled_name(line, name)?;
                self.define_template(line, &name.base)?;
                Ok(Some(OpenBlock {
                    kind: BlockKind::Service(name),
                    header_line: line,
                    body: String::new(),
                }))
            }
            ["template", base] => {
                let name = self.enabled_name(line, base)?;
                if name.arg.is_some() {
                    return Err(self.error(line, "a template name has no '@ARG'"));
                }
                self.define_template(line, base)?;
                Ok(Some(OpenBlock {
                    kind: BlockKind::Template(base.to_string()),
                    header_line: line,
                    body: String::new(),
                }))
            }
            ["enable", name] => {
                let name = self.enabled_name(line, name)?;
                self.enable(line, &name).map(|()| None)
            }
            ["process", name, settings @ ..] => {
                let name = self.enabled_name(line, name)?.to_string();
                self.process_lines.push((name.clone(), line));
                let mut current = self.model.services.remove(&name).unwrap_or_default();
                self.process_settings(line, settings, &mut current)?;
                self.model.services.insert(name, current);
                Ok(None)
            }
            ["command", program, settings @ ..] => {
                let mut current = self.model.commands.remove(*program).unwrap_or_default();
                self.command_settings(line, settings, &mut current)?;
                self.model.commands.insert(program.to_string(), current);
                Ok(None)
            }
            ["at", time, rest @ ..] => self.step(line, time, rest),
            ["at"] => Err(self.error(line, "'at' needs a time and an event")),
            [other, ..] => Err(self.error(line, format!("unknown directive '{other}'"))),
            [] => Ok(None),
        }
    }

    fn option(&mut self, line: u32, words: &[&str]) -> Result<(), ScenarioError> {
        let duration = |reader: &Reader, text: &str| {
            parse_duration_ms(text).map_err(|m| reader.error(line, m))
        };
        match words {
            ["sequential"] => self.options.core.sequential = true,
            ["parallel"] => self.options.core.sequential = false,
            ["no-boot"] => self.options.boot_at_start = false,
            ["respawn-delay", d] => self.options.core.respawn_delay_ms = duration(self, d)?,
            ["respawn-delay-max", d] => self.options.core.respawn_delay_max_ms = duration(self, d)?,
            ["kill-grace", d] => self.options.core.kill_grace_ms = duration(self, d)?,
            ["final-service-timeout", d] => {
                self.options.core.final_service_timeout_ms = duration(self, d)?
            }
            ["stop-timeout", d] => self.options.core.stop_timeout_ms = duration(self, d)?,
            ["shutdown-stop-timeout", d] => {
                self.options.core.shutdown_stop_timeout_ms = duration(self, d)?
            }
            ["until", d] => self.options.until_ms = Some(duration(self, d)?),
            _ => {
                return Err(self.error(
                    line,
                    format!(
                        "unknown option '{}' (sequential, parallel, no-boot, respawn-delay D, \
                         respawn-delay-max D, \
                         kill-grace D, final-service-timeout D, stop-timeout D, \
                         shutdown-stop-timeout D, until D)",
                        words.join(" ")
                    ),
                ))
            }
        }
        Ok(())
    }

    fn enabled_name(&self, line: u32, text: &str) -> Result<EnabledName, ScenarioError> {
        EnabledName::parse(text)
            .map_err(|e| self.error(line, format!("bad service name '{text}': {e}")))
    }

    fn define_template(&mut self, line: u32, base: &str) -> Result<(), ScenarioError> {
        if let Some(first) = self.defined_at.get(base) {
            return Err(self.error(
                line,
                format!(
                    "template '{base}' is already defined at line {first}; \
                     define it once with 'template {base}' and 'enable' each instance"
                ),
            ));
        }
        self.defined_at.insert(base.to_string(), line);
        Ok(())
    }

    fn enable(&mut self, line: u32, name: &EnabledName) -> Result<(), ScenarioError> {
        if !self.defined_at.contains_key(&name.base) {
            return Err(self.error(
                line,
                format!("no template '{}' to enable {name} from", name.base),
            ));
        }
        if !self.config.enabled.insert(name.to_string()) {
            return Err(self.error(line, format!("{name} is already enabled")));
        }
        Ok(())
    }

    fn close_block(&mut self, block: OpenBlock, end_line: u32) -> Result<(), ScenarioError> {
        let template = Template {
            text: block.body,
            body_line: block.header_line + 1,
        };
        match block.kind {
            BlockKind::Service(name) => {
                self.config.templates.insert(name.base.clone(), template);
                self.enable(block.header_line, &name)?;
            }
            BlockKind::Template(base) => {
                self.config.templates.insert(base, template);
            }
            BlockKind::Edit { at, base } => {
                self.defined_at
                    .entry(base.clone())
                    .or_insert(block.header_line);
                self.config.templates.insert(base, template);
                self.push_step(block.header_line, at, Action::ConfigChange);
            }
        }
        let _ = end_line;
        Ok(())
    }

    fn push_step(&mut self, line: u32, at: Millis, action: Action) {
        self.timeline.push(TimelineEntry {
            at,
            line,
            source: std::mem::take(&mut self.pending_source),
            action,
        });
    }

    fn step(
        &mut self,
        line: u32,
        time: &str,
        rest: &[&str],
    ) -> Result<Option<OpenBlock>, ScenarioError> {
        let at = Millis(parse_duration_ms(time).map_err(|m| self.error(line, m))?);
        if at < self.last_at {
            return Err(self.error(
                line,
                format!("time goes backwards: {at} after {}", self.last_at),
            ));
        }
        self.last_at = at;
        let action = match rest {
            ["boot"] => Action::Boot,
            ["reexec"] => Action::Reexec,
            ["crash", name] | ["crash", name, _] => {
                let signal = match rest.get(2) {
                    Some(sig) => signal_number(sig)
                        .ok_or_else(|| self.error(line, format!("unknown signal '{sig}'")))?,
                    None => 11,
                };
                let name = self.enabled_name(line, name)?;
                Action::Crash {
                    service: name.to_string(),
                    signal,
                }
            }
            ["signal", "TERM"] => Action::Shutdown,
            ["signal", "INT"] => Action::Reboot,
            ["signal", "HUP"] | ["reload"] => Action::Reload(self.load_config(line)?),
            ["signal", other] => {
                return Err(self.error(
                    line,
                    format!("init reacts to TERM, INT and HUP, not '{other}'"),
                ))
            }
            ["control", verb, name] => {
                let control = match *verb {
                    "start" => Control::Start,
                    "stop" => Control::Stop,
                    "restart" => Control::Restart,
                    _ => {
                        return Err(self.error(
                            line,
                            format!("unknown control '{verb}' (start, stop, restart)"),
                        ))
                    }
                };
                let name = self.enabled_name(line, name)?;
                Action::Control(control, name.to_string())
            }
            ["enable", name] => {
                let name = self.enabled_name(line, name)?;
                self.enable(line, &name)?;
                Action::ConfigChange
            }
            ["disable", name] => {
                let name = self.enabled_name(line, name)?;
                if !self.config.enabled.remove(&name.to_string()) {
                    return Err(self.error(line, format!("{name} is not enabled")));
                }
                Action::ConfigChange
            }
            ["edit", base] => {
                let name = self.enabled_name(line, base)?;
                if name.arg.is_some() {
                    return Err(
                        self.error(line, "edit a template by its base name, without '@ARG'")
                    );
                }
                return Ok(Some(OpenBlock {
                    kind: BlockKind::Edit {
                        at,
                        base: base.to_string(),
                    },
                    header_line: line,
                    body: String::new(),
                }));
            }
            _ => {
                return Err(self.error(
                    line,
                    format!(
                        "unknown event '{}' (boot, crash, signal, control, reload, edit, \
                         enable, disable)",
                        rest.join(" ")
                    ),
                ))
            }
        };
        self.push_step(line, at, action);
        Ok(None)
    }

    /// Parses every enabled service as the loader would at this point.
    fn load_config(&mut self, line: u32) -> Result<Vec<ServiceDef>, ScenarioError> {
        let mut services = Vec::with_capacity(self.config.enabled.len());
        for text_name in &self.config.enabled {
            let name = self.enabled_name(line, text_name)?;
            let Some(template) = self.config.templates.get(&name.base) else {
                return Err(self.error(line, format!("{text_name} is enabled but has no template")));
            };
            let parsed = parse_service(text_name, template.text.as_bytes(), &name);
            let place = |diag_line: u32| {
                if diag_line == 0 {
                    template.body_line.saturating_sub(1)
                } else {
                    template.body_line + diag_line - 1
                }
            };
            for diagnostic in &parsed.diagnostics {
                if diagnostic.is_error() {
                    return Err(self.error(
                        place(diagnostic.line),
                        format!("service {text_name}: {}", diagnostic.message),
                    ));
                }
                let warning = format!(
                    "{}:{}: warning: service {text_name}: {}",
                    self.file,
                    place(diagnostic.line),
                    diagnostic.message
                );
                if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
            }
            match parsed.service {
                Some(service) => services.push(service),
                None => return Err(self.error(line, format!("service {text_name} did not parse"))),
            }
        }
        Ok(services)
    }

    fn process_settings(
        &self,
        line: u32,
        words: &[&str],
        s: &mut ProcessSettings,
    ) -> Result<(), ScenarioError> {
        let mut rest = words;
        if rest.is_empty() {
            return Err(self.error(line, "'process NAME' needs settings (takes, exit, hangs, ignores TERM, spawn-fails, crashes)"));
        }
        while !rest.is_empty() {
            rest = match rest {
                ["takes", d, tail @ ..] => {
                    s.takes_ms = Some(parse_duration_ms(d).map_err(|m| self.error(line, m))?);
                    tail
                }
                ["exit", code, tail @ ..] => {
                    s.exit_code = Some(self.exit_code(line, code)?);
                    tail
                }
                ["hangs", tail @ ..] => {
                    s.hangs = true;
                    tail
                }
                ["ignores", "TERM", tail @ ..] => {
                    s.ignores_term = true;
                    tail
                }
                ["ready", "after", d, tail @ ..] => {
                    s.ready_after_ms = Some(parse_duration_ms(d).map_err(|m| self.error(line, m))?);
                    tail
                }
                ["never", "ready", tail @ ..] => {
                    s.never_ready = true;
                    tail
                }
                ["leaves", "children", "ignoring", "TERM", tail @ ..] => {
                    s.leaves_children = Some(true);
                    tail
                }
                ["leaves", "children", tail @ ..] => {
                    s.leaves_children = Some(false);
                    tail
                }
                ["spawn-fails", errno, "first", n, tail @ ..] => {
                    let first: u32 = n
                        .parse()
                        .map_err(|_| self.error(line, format!("bad count '{n}'")))?;
                    s.spawn_fails = Some(self.spawn_failure(line, errno, Some(first))?);
                    tail
                }
                ["spawn-fails", errno, tail @ ..] => {
                    s.spawn_fails = Some(self.spawn_failure(line, errno, None)?);
                    tail
                }
                ["crashes", sig, "after", d, tail @ ..] => {
                    let signal = signal_number(sig)
                        .ok_or_else(|| self.error(line, format!("unknown signal '{sig}'")))?;
                    let after_ms = parse_duration_ms(d).map_err(|m| self.error(line, m))?;
                    s.crash = Some(Crash { signal, after_ms });
                    tail
                }
                [other, ..] => {
                    return Err(self.error(
                        line,
                        format!(
                            "unknown process setting '{other}' (takes D, exit N, hangs, \
                             ignores TERM, spawn-fails ERRNO [first N], crashes SIG after D, ready after D, \
                             never ready, leaves children [ignoring TERM])"
                        ),
                    ))
                }
                [] => rest,
            };
        }
        Ok(())
    }

    fn command_settings(
        &self,
        line: u32,
        words: &[&str],
        c: &mut CommandSettings,
    ) -> Result<(), ScenarioError> {
        let mut rest = words;
        if rest.is_empty() {
            return Err(self.error(
                line,
                "'command PROGRAM' needs settings (takes, exit, hangs)",
            ));
        }
        while !rest.is_empty() {
            rest = match rest {
                ["takes", d, tail @ ..] => {
                    c.takes_ms = Some(parse_duration_ms(d).map_err(|m| self.error(line, m))?);
                    tail
                }
                ["exit", code, tail @ ..] => {
                    c.exit_code = Some(self.exit_code(line, code)?);
                    tail
                }
                ["hangs", tail @ ..] => {
                    c.hangs = true;
                    tail
                }
                [other, ..] => {
                    return Err(self.error(
                        line,
                        format!("unknown command setting '{other}' (takes D, exit N, hangs)"),
                    ))
                }
                [] => rest,
            };
        }
        Ok(())
    }

    fn exit_code(&self, line: u32, text: &str) -> Result<i32, ScenarioError> {
        match text.parse::<i32>() {
            Ok(code) if (0..=255).contains(&code) => Ok(code),
            _ => Err(self.error(line, format!("bad exit code '{text}' (0 to 255)"))),
        }
    }

    fn spawn_failure(
        &self,
        line: u32,
        errno: &str,
        first: Option<u32>,
    ) -> Result<SpawnFailure, ScenarioError> {
        if !is_known_errno(errno) {
            return Err(self.error(
                line,
                format!("unknown errno '{errno}' (EAGAIN, ENOMEM, ENOENT, EACCES, ENOEXEC, EPERM, EINVAL)"),
            ));
        }
        Ok(SpawnFailure {
            errno: errno.to_string(),
            first,
        })
    }
}

/// A `#` starts a comment on a scenario line (service bodies keep theirs:
/// the service parser reads them).
fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    }
}

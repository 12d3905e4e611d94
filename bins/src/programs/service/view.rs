//! `service list` and `service show`: services as tables, fields and JSON.
//!
//! Owns the output formats, including the JSON contract documented in
//! docs/cmdline.md. The order comes from the resolver; nothing here decides
//! it.

use std::fmt::Write as _;

use init_core::commands::Commands;
use init_core::duration::format_duration_ms;
use init_core::events::Signal;
use init_core::resolve::resolve;
use init_core::sandbox::{BindMount, FilterMode, Network, Sandbox, SyscallFilter};
use init_core::service::{ExecSettings, Leftovers, LimitValue, ReadyNotice};
use init_core::{ServiceDef, ServiceType, Target};
use init_os_adapter::loader::{available_threads, load_dir_on_threads};
use serde::Serialize;

use super::names::{enabled_name, load_service};
use super::report::{self, one_line, print_diagnostics, print_json, print_stdout};
use super::script::shell_join;
use super::verify::cycle_diagnostics;
use crate::cli::service::Cli;

/// One service as `list --json` and `show --json` print it. Field names and
/// enum values are part of the contract: add fields, never rename them.
#[derive(Debug, Serialize)]
pub struct ServiceJson<'a> {
    pub name: &'a str,
    pub base: &'a str,
    pub arg: Option<&'a str>,
    pub description: &'a str,
    #[serde(rename = "type")]
    pub kind: ServiceType,
    pub respawn_limit: Option<u32>,
    pub target: Target,
    /// The path of the tty, or null.
    pub tty: Option<&'a str>,
    pub truncate: bool,
    pub after: &'a [String],
    pub before: &'a [String],
    pub exec: &'a Commands,
    /// `stop-signal`, e.g. `INT`; null for the default (TERM).
    pub stop_signal: Option<Signal>,
    /// `stop-timeout` in milliseconds; null for the default (5000).
    pub stop_timeout_ms: Option<u64>,
    pub respawn_delay_ms: Option<u64>,
    pub respawn_delay_max_ms: Option<u64>,
    pub respawn_window_ms: Option<u64>,
    pub user: Option<&'a str>,
    /// The primary group first; empty for the user's own.
    pub groups: &'a [String],
    /// `env` lines as `KEY=VALUE`, in file order.
    pub env: Vec<String>,
    pub env_file: Option<&'a str>,
    pub working_dir: Option<&'a str>,
    pub rlimits: Vec<RlimitJson>,
    pub umask: Option<String>,
    pub nice: Option<i32>,
    pub oom_score_adjust: Option<i32>,
    /// `ready-fd N` as the number; null without.
    pub ready_fd: Option<u32>,
    pub ready_file: Option<&'a str>,
    pub ready_timeout_ms: Option<u64>,
    /// The effective sandbox; left out without one, so that the objects of
    /// services without it stay as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxJson<'a>>,
}

/// A service's sandbox with its defaults and implications filled in.
#[derive(Debug, Serialize)]
pub struct SandboxJson<'a> {
    /// The namespaces of its own, by their unshare(1) names: `mount`,
    /// `network`, `uts`, `ipc`, `pid`.
    pub namespaces: Vec<&'static str>,
    pub private_tmp: bool,
    pub binds: &'a [BindMount],
    pub read_only: &'a [String],
    pub inaccessible: &'a [String],
    pub network: Option<Network>,
    pub hostname: Option<&'a str>,
    pub no_new_privileges: bool,
    /// The capabilities kept, e.g. `CAP_CHOWN`; null keeps init's.
    pub capabilities: Option<Vec<&'static str>>,
    /// The kept capabilities raised as ambient ones, for a `user`.
    pub ambient_capabilities: Vec<&'static str>,
    pub syscalls: Option<&'a SyscallFilter>,
    /// `kill` or `errno(NAME)`; null without a filter.
    pub syscall_action: Option<String>,
}

impl<'a> SandboxJson<'a> {
    fn of(exec: &'a ExecSettings) -> Option<SandboxJson<'a>> {
        let sandbox: &Sandbox = &exec.sandbox;
        if sandbox.is_empty() {
            return None;
        }
        let capabilities: Option<Vec<&'static str>> = sandbox
            .capabilities
            .as_ref()
            .map(|kept| kept.iter().map(|cap| cap.name()).collect());
        let ambient_capabilities = match (&exec.user, &capabilities) {
            (Some(_), Some(kept)) => kept.clone(),
            _ => Vec::new(),
        };
        Some(SandboxJson {
            namespaces: sandbox.namespaces(),
            private_tmp: sandbox.private_tmp,
            binds: &sandbox.binds,
            read_only: &sandbox.read_only,
            inaccessible: &sandbox.inaccessible,
            network: sandbox.network,
            hostname: sandbox.hostname.as_deref(),
            no_new_privileges: sandbox.no_new_privileges,
            capabilities,
            ambient_capabilities,
            syscalls: sandbox.syscalls.as_ref(),
            syscall_action: sandbox
                .syscalls
                .as_ref()
                .map(|_| sandbox.effective_syscall_action().to_string()),
        })
    }
}

/// One `rlimit` line; null stands for unlimited.
#[derive(Debug, Serialize)]
pub struct RlimitJson {
    pub resource: &'static str,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

fn limit_json(value: LimitValue) -> Option<u64> {
    match value {
        LimitValue::Unlimited => None,
        LimitValue::Value(n) => Some(n),
    }
}

impl<'a> From<&'a ServiceDef> for ServiceJson<'a> {
    fn from(service: &'a ServiceDef) -> Self {
        let exec = &service.settings.exec;
        ServiceJson {
            name: &service.name,
            base: service.base(),
            arg: service.arg(),
            description: &service.description,
            kind: service.kind,
            respawn_limit: service.respawn_limit,
            target: service.target,
            tty: service.tty.as_ref().map(|tty| tty.path.as_str()),
            truncate: service.tty.as_ref().is_some_and(|tty| tty.truncate),
            after: &service.after,
            before: &service.before,
            exec: &service.exec,
            stop_signal: service.settings.stop_signal,
            stop_timeout_ms: service.settings.stop_timeout_ms,
            respawn_delay_ms: service.settings.respawn_delay_ms,
            respawn_delay_max_ms: service.settings.respawn_delay_max_ms,
            respawn_window_ms: service.settings.respawn_window_ms,
            user: exec.user.as_deref(),
            groups: &exec.groups,
            env: exec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            env_file: exec.env_file.as_deref(),
            working_dir: exec.working_dir.as_deref(),
            rlimits: exec
                .rlimits
                .iter()
                .map(|l| RlimitJson {
                    resource: l.resource.as_str(),
                    soft: limit_json(l.soft),
                    hard: limit_json(l.hard),
                })
                .collect(),
            umask: exec.umask.map(|m| format!("{m:04o}")),
            nice: exec.nice,
            oom_score_adjust: exec.oom_score_adjust,
            ready_fd: match &service.settings.ready {
                Some(ReadyNotice::Fd(fd)) => Some(*fd),
                _ => None,
            },
            ready_file: match &service.settings.ready {
                Some(ReadyNotice::File(path)) => Some(path.as_str()),
                _ => None,
            },
            ready_timeout_ms: service.settings.ready_timeout_ms,
            sandbox: SandboxJson::of(exec),
        }
    }
}

pub fn list(cli: &Cli, only: Option<Target>, json: bool) -> Result<(), String> {
    if !cli.config_dir.is_dir() {
        return Err(format!(
            "the config directory {} does not exist",
            cli.config_dir.display()
        ));
    }
    let loaded = load_dir_on_threads(&cli.config_dir, available_threads());
    print_diagnostics(&loaded.diagnostics);

    let targets: Vec<Target> = match only {
        Some(target) => vec![target],
        None => Target::ALL.to_vec(),
    };
    let mut in_order: Vec<&ServiceDef> = Vec::with_capacity(loaded.services.len());
    for target in targets {
        let order = resolve(&loaded.services, target);
        // A cycle changes the order shown, so it is worth a word here even
        // though `verify` is the place for checking.
        print_diagnostics(&cycle_diagnostics(&loaded, target, &order));
        in_order.extend(order.order.iter().map(|&index| &loaded.services[index]));
    }

    let printed = if json {
        // Streamed: the JSON of 100,000 services is some 80 MB, which is
        // not worth building in memory only to write it at once.
        print_json(&JsonList(&in_order))
    } else {
        print_stdout(&table(&in_order));
        Ok(())
    };
    // As the original, a file that cannot be loaded fails the listing
    // (exit 1), after what could be listed: a script that lists before it
    // boots learns that something will be missing.
    let broken: std::collections::BTreeSet<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.file.as_str())
        .collect();
    let broken = broken.len();
    // The process ends right after this: freeing every string of every
    // definition one by one would only cost time (a tenth of a listing of
    // 100,000 services) to hand memory back that exit returns anyway.
    std::mem::forget(loaded);
    printed?;
    match broken {
        0 => Ok(()),
        1 => Err("1 file could not be loaded (see above)".to_string()),
        n => Err(format!("{n} files could not be loaded (see above)")),
    }
}

/// The services of `list --json`, each turned into its [`ServiceJson`]
/// only as it is written: serialised exactly as a `Vec<ServiceJson>`.
struct JsonList<'a>(&'a [&'a ServiceDef]);

impl Serialize for JsonList<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|service| ServiceJson::from(*service)))
    }
}

pub fn show(cli: &Cli, name: &str, json: bool) -> Result<(), String> {
    let name = enabled_name(name, None)?;
    let service = load_service(cli, &name)?;
    if json {
        print_json(&ServiceJson::from(&service))
    } else {
        print_stdout(&fields(&service));
        Ok(())
    }
}

/// `TARGET NAME TYPE DESCRIPTION`, columns as wide as their widest cell.
fn table(services: &[&ServiceDef]) -> String {
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            vec![
                s.target.to_string(),
                s.name.clone(),
                s.kind.to_string(),
                one_line(&s.description),
            ]
        })
        .collect();
    report::table(
        &["TARGET", "NAME", "TYPE", "DESCRIPTION"],
        &rows,
        &[],
        |_, _, cell| cell.to_string(),
    )
}

/// One `field: value` per line, field names as in the JSON; `-` for none.
/// Commands are shell-quoted, one per line.
fn fields(service: &ServiceDef) -> String {
    let or_none = |text: String| {
        if text.is_empty() {
            "-".to_string()
        } else {
            text
        }
    };
    let mut lines: Vec<(&str, String)> = vec![
        ("name", service.name.clone()),
        ("description", or_none(one_line(&service.description))),
        ("type", service.kind.to_string()),
        (
            "respawn_limit",
            or_none(
                service
                    .respawn_limit
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ),
        ),
        ("target", service.target.to_string()),
        (
            "tty",
            or_none(
                service
                    .tty
                    .as_ref()
                    .map(|t| t.path.clone())
                    .unwrap_or_default(),
            ),
        ),
        (
            "truncate",
            service.tty.as_ref().is_some_and(|t| t.truncate).to_string(),
        ),
        ("after", or_none(service.after.join(" "))),
        ("before", or_none(service.before.join(" "))),
    ];
    if service.exec.is_empty() {
        lines.push(("exec", "-".to_string()));
    }
    for command in &service.exec {
        lines.push(("exec", shell_join(command)));
    }
    // The keywords beyond the original's only when given, so that an
    // original file shows as it always did.
    if let Some(signal) = service.settings.stop_signal {
        lines.push(("stop_signal", signal.name().to_string()));
    }
    if let Some(ms) = service.settings.stop_timeout_ms {
        lines.push(("stop_timeout", format_duration_ms(ms)));
    }
    if service.settings.leftovers == Leftovers::Keep {
        lines.push(("leftovers", "keep".to_string()));
    }
    if let Some(sandbox) = SandboxJson::of(&service.settings.exec) {
        lines.push(("namespaces", or_none(sandbox.namespaces.join(" "))));
        if let Some(kept) = &sandbox.capabilities {
            lines.push(("capabilities", or_none(kept.join(" "))));
        }
        if let (Some(filter), Some(action)) = (sandbox.syscalls, &sandbox.syscall_action) {
            let names = filter.names.join(" ");
            let rule = match filter.mode {
                FilterMode::Allow => format!("only {names}; any other: {action}"),
                FilterMode::Deny => format!("{names}: {action}"),
            };
            lines.push(("syscalls", rule));
        }
    }
    let mut text = String::new();
    for (field, value) in lines {
        let _ = writeln!(text, "{:<15}{value}", format!("{field}:"));
    }
    text
}

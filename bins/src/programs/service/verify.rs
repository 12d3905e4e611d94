//! `service verify`: every problem of a configuration, with its place.
//!
//! Owns the checks that span files: cycles, dependencies on services that
//! are not enabled, the same file or name enabled twice, templates linked
//! under another name, and files a non-root user could write (the service
//! files and the env file decide what init runs as root), and the sandbox
//! checks that need this machine (`verify_sandbox`). Per-file checks
//! are the parser's and the loader's; this only adds to their diagnostics.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use init_core::diag::Severity;
use init_core::resolve::{resolve, TargetOrder};
use init_core::{Diagnostic, ServiceDef, Target};
use init_os_adapter::loader::{available_threads, load_dir_on_threads, load_files, FileId, Loaded};
use serde::Serialize;

use super::report::{print_note, print_stdout};
use super::verify_sandbox::sandbox_diagnostics;
use crate::cli::service::Cli;

/// What `verify` found; the caller turns it into the exit status.
pub struct Verdict {
    pub errors: usize,
}

/// One diagnostic as `verify --json` prints it; `line` and `column` are
/// null when the problem is the file as a whole.
#[derive(Serialize)]
struct DiagnosticJson<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    severity: Severity,
    message: &'a str,
}

#[derive(Serialize)]
struct VerdictJson<'a> {
    services: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<DiagnosticJson<'a>>,
}

pub fn verify(cli: &Cli, files: &[PathBuf], env_file: &Path, json: bool) -> Verdict {
    let loaded = if files.is_empty() {
        load_dir_on_threads(&cli.config_dir, available_threads())
    } else {
        load_files(files)
    };
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(duplicate_diagnostics(&loaded));
    diagnostics.extend(renamed_template_diagnostics(&loaded));
    diagnostics.extend(writable_diagnostics(&loaded, env_file));
    diagnostics.extend(sandbox_diagnostics(&loaded));
    let mut by_base: BTreeMap<&str, Vec<&ServiceDef>> = BTreeMap::new();
    for service in &loaded.services {
        by_base.entry(service.base()).or_default().push(service);
    }
    for target in Target::ALL {
        let order = resolve(&loaded.services, target);
        diagnostics.extend(cycle_diagnostics(&loaded, target, &order));
        diagnostics.extend(missing_diagnostics(cli, &loaded, &by_base, target, &order));
    }

    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if json {
        let verdict = VerdictJson {
            services: loaded.files_seen,
            errors,
            warnings,
            diagnostics: diagnostics
                .iter()
                .map(|d| DiagnosticJson {
                    file: &d.file,
                    line: (d.line > 0).then_some(d.line),
                    column: d.column.filter(|_| d.line > 0),
                    severity: d.severity,
                    message: &d.message,
                })
                .collect(),
        };
        match serde_json::to_string_pretty(&verdict) {
            Ok(text) => print_stdout(&format!("{text}\n")),
            Err(e) => print_note(&format!("service: cannot write JSON: {e}")),
        }
        return Verdict { errors };
    }
    let mut text = String::new();
    for diagnostic in &diagnostics {
        text.push_str(&diagnostic.to_string());
        text.push('\n');
    }
    print_stdout(&text);
    print_note(&format!(
        "{}, {}, {}",
        counted(loaded.files_seen, "service"),
        counted(errors, "error"),
        counted(warnings, "warning")
    ));
    Verdict { errors }
}

fn counted(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `cycle in target boot: a -> b -> a`, each member starting after the one
/// before it, placed at the first member's file.
pub fn cycle_diagnostics(loaded: &Loaded, target: Target, order: &TargetOrder) -> Vec<Diagnostic> {
    order
        .cycles
        .iter()
        .filter_map(|cycle| {
            let first = *cycle.first()?;
            let names: Vec<&str> = cycle
                .iter()
                .chain(std::iter::once(&first))
                .map(|&index| loaded.services[index].name.as_str())
                .collect();
            Some(Diagnostic::error(
                &loaded.sources[first].path,
                0,
                format!("cycle in target {target}: {}", names.join(" -> ")),
            ))
        })
        .collect()
}

/// A dependency on a name that no service of the target has. Only a
/// warning: the original ignores such names too, and a template may name
/// optional services. The hint says the likely reason.
fn missing_diagnostics(
    cli: &Cli,
    loaded: &Loaded,
    by_base: &BTreeMap<&str, Vec<&ServiceDef>>,
    target: Target,
    order: &TargetOrder,
) -> Vec<Diagnostic> {
    order
        .missing
        .iter()
        .map(|(index, missing)| {
            let service = &loaded.services[*index];
            let keyword = if service.after.contains(missing) {
                "after"
            } else {
                "before"
            };
            let elsewhere: Vec<String> = by_base
                .get(missing.as_str())
                .into_iter()
                .flatten()
                .filter(|other| other.target != target)
                .map(|other| format!("{} is in target {}", other.name, other.target))
                .collect();
            let hint = if !elsewhere.is_empty() {
                elsewhere.join(", ")
            } else if Target::from_name(missing).is_some() {
                format!("{missing} is a target, not a service, and orders nothing")
            } else if cli.template_dir.join(missing).is_file() {
                format!("not enabled; `service enable {missing}` would enable it")
            } else {
                "no such service".to_string()
            };
            Diagnostic::warning(
                &loaded.sources[*index].path,
                0,
                format!("{keyword} {missing}: no service {missing} in target {target} ({hint})"),
            )
        })
        .collect()
}

/// A symlink whose name is not the name of its template: `ssh -> sshd`.
/// The service is known by its link name, so `after sshd` elsewhere finds
/// nothing; usually a hand-made link with a typo.
fn renamed_template_diagnostics(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (service, source) in loaded.services.iter().zip(&loaded.sources) {
        let Some(target) = &source.link_target else {
            continue;
        };
        let Some(template) = target.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if template != service.base() {
            diagnostics.push(Diagnostic::warning(
                &source.path,
                0,
                format!(
                    "links to the template {template} ({}) but is enabled as {}; \
                     other services know it as {}, not {template}",
                    target.display(),
                    service.name,
                    service.base()
                ),
            ));
        }
    }
    diagnostics
}

/// The same enabled name twice (only possible with `verify FILES`) is an
/// error: one config dir can hold only one of the two files. The same file under two names with the
/// same argument runs the same thing twice, which is rarely meant.
fn duplicate_diagnostics(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut first_by_name: BTreeMap<&str, usize> = BTreeMap::new();
    let mut first_by_file: BTreeMap<(FileId, Option<&str>), usize> = BTreeMap::new();
    for (index, service) in loaded.services.iter().enumerate() {
        let source = &loaded.sources[index];
        if let Some(&first) = first_by_name.get(service.name.as_str()) {
            diagnostics.push(Diagnostic::error(
                &source.path,
                0,
                format!(
                    "{} is given twice (also {})",
                    service.name, loaded.sources[first].path
                ),
            ));
            continue;
        }
        first_by_name.insert(&service.name, index);
        let key = (source.file_id, service.arg());
        if let Some(&first) = first_by_file.get(&key) {
            let other = &loaded.services[first];
            diagnostics.push(Diagnostic::warning(
                &source.path,
                0,
                format!(
                    "{} is the same file as {} with the same argument; it would run twice",
                    service.name, other.name
                ),
            ));
        } else {
            first_by_file.insert(key, index);
        }
    }
    diagnostics
}

/// Who other than root could write `path` (following symlinks), if
/// anyone: the owner when not root, a group other than root's, or
/// everyone. `None` also when the file cannot be read: the loader says so.
fn writable_by_non_root(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let mode = meta.mode() & 0o7777;
    if meta.uid() != 0 {
        Some(format!("owned by uid {} (mode {mode:04o})", meta.uid()))
    } else if mode & 0o002 != 0 {
        Some(format!("writable by everyone (mode {mode:04o})"))
    } else if mode & 0o020 != 0 && meta.gid() != 0 {
        Some(format!(
            "writable by group {} (mode {mode:04o})",
            meta.gid()
        ))
    } else {
        None
    }
}

/// A warning for each service file (the file read, through its symlink)
/// and for the env file when a non-root user could write it: whoever can
/// write them chooses what init runs as root.
fn writable_diagnostics(loaded: &Loaded, env_file: &Path) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for source in &loaded.sources {
        if let Some(who) = writable_by_non_root(Path::new(&source.path)) {
            diagnostics.push(Diagnostic::warning(
                &source.path,
                0,
                format!("{who}: a non-root user could change what init runs as root"),
            ));
        }
    }
    if let Some(who) = writable_by_non_root(env_file) {
        diagnostics.push(Diagnostic::warning(
            &env_file.display().to_string(),
            0,
            format!("{who}: a non-root user could change every service's environment"),
        ));
    }
    diagnostics
}

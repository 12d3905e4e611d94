//! `service verify`'s sandbox checks that need the machine: syscall names
//! no architecture has (errors) or only others have (warnings: the filter
//! leaves them out here), and deny-lists that would stop the service from
//! ever starting.
//!
//! Capability names, path shapes and conflicting paths are the parser's
//! (they need no machine); this only adds what the parser cannot know.

use init_core::sandbox::FilterMode;
use init_core::Diagnostic;
use init_os_adapter::loader::Loaded;
use init_os_adapter::sandbox::{architectures_with, missing_syscalls, START_SYSCALLS};

/// One diagnostic per problem, at the `syscalls` line naming it.
pub fn sandbox_diagnostics(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (service, source) in loaded.services.iter().zip(&loaded.sources) {
        let Some(filter) = &service.settings.exec.sandbox.syscalls else {
            continue;
        };
        let text = std::fs::read_to_string(&source.path).unwrap_or_default();
        let missing = match missing_syscalls(&filter.names) {
            Ok(missing) => missing,
            Err(why) => {
                let line = syscalls_line(&text, None);
                diagnostics.push(Diagnostic::error(&source.path, line, why));
                continue;
            }
        };
        // In the file's order, each at its line.
        for name in filter.names.iter().map(String::as_str) {
            let line = syscalls_line(&text, Some(name));
            if missing.unknown.contains(&name) {
                diagnostics.push(Diagnostic::error(
                    &source.path,
                    line,
                    format!("unknown syscall `{name}`: no architecture has one by that name"),
                ));
            } else if missing.elsewhere.contains(&name) {
                diagnostics.push(Diagnostic::warning(
                    &source.path,
                    line,
                    format!(
                        "`{name}` is a syscall of {} but not of this {} machine: \
                         the filter leaves it out here",
                        architectures_with(name).join(", "),
                        std::env::consts::ARCH
                    ),
                ));
            }
        }
        if filter.mode == FilterMode::Deny {
            for name in filter
                .names
                .iter()
                .filter(|n| START_SYSCALLS.contains(&n.as_str()))
            {
                diagnostics.push(Diagnostic::warning(
                    &source.path,
                    syscalls_line(&text, Some(name)),
                    format!(
                        "denying `{name}` also stops init's own setup of the service \
                         (tty, fds, exec): it may never start"
                    ),
                ));
            }
        }
    }
    diagnostics
}

/// The line of the first `syscalls` line (naming `name`, if given), or 0
/// when the file no longer says so.
fn syscalls_line(text: &str, name: Option<&str>) -> u32 {
    text.lines()
        .position(|line| {
            let mut words = line.split_whitespace();
            words.next() == Some("syscalls") && name.map_or(true, |n| words.any(|w| w == n))
        })
        .and_then(|index| u32::try_from(index + 1).ok())
        .unwrap_or(0)
}

//! The sandbox keywords (`private-tmp`, `bind`, `read-only`, `capabilities`,
//! `syscalls`, ...): what each accepts and how it fills the draft.
//!
//! Owns the checks that need no machine: path shape and conflicts between
//! paths, capability names, syscall-name syntax. Whether a syscall exists is
//! the machine's question (`os-adapter`'s sandbox, `service verify`).

use crate::sandbox::{
    errno_names, errno_number, is_within, normalise_path, BindMount, Capability, FilterMode,
    Network, SyscallAction, SyscallFilter, ERRNO_MAX,
};

use super::keywords::{single_argument, Draft, Line};
use super::lex::{LineError, Token};
use super::suggest::did_you_mean;

/// A keyword that is a switch: it takes no argument.
fn switch(line: &Line<'_>, errors: &mut Vec<LineError>) -> bool {
    match line.too_many(0, "no argument") {
        Some(error) => {
            errors.push(error);
            false
        }
        None => true,
    }
}

pub(super) fn private_tmp(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.sandbox.private_tmp |= switch(line, errors);
}

pub(super) fn private_ipc(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.sandbox.private_ipc |= switch(line, errors);
}

pub(super) fn private_pid(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.sandbox.private_pid |= switch(line, errors);
}

pub(super) fn no_new_privileges(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    draft.settings.exec.sandbox.no_new_privileges |= switch(line, errors);
}

/// A sandbox path, normalised, or the error at its column.
fn sandbox_path(token: &Token, keyword: &str, errors: &mut Vec<LineError>) -> Option<String> {
    match normalise_path(&token.text) {
        Ok(path) => Some(path),
        Err(why) => {
            errors.push(LineError::new(
                token.column,
                format!(
                    "`{}` {why}: `{keyword}` needs an absolute path such as `/var/lib/app`",
                    token.text
                ),
            ));
            None
        }
    }
}

/// How a mount path is already used by an earlier line, if it conflicts
/// with a new use. Mounts on one path would hide each other, and anything
/// under an inaccessible path is hidden with it.
fn conflict(draft: &Draft, path: &str, inaccessible: bool) -> Option<String> {
    let sandbox = &draft.settings.exec.sandbox;
    let uses = sandbox
        .read_only
        .iter()
        .map(|p| (p.as_str(), "read-only"))
        .chain(
            sandbox
                .inaccessible
                .iter()
                .map(|p| (p.as_str(), "inaccessible")),
        )
        .chain(sandbox.binds.iter().map(|b| (b.target.as_str(), "bind")));
    for (earlier, keyword) in uses {
        if earlier == path {
            return Some(format!("`{path}` is already given to `{keyword}`"));
        }
        if keyword == "inaccessible" && is_within(path, earlier) {
            return Some(format!(
                "`{path}` lies inside `{earlier}`, which `inaccessible` hides"
            ));
        }
        if inaccessible && is_within(earlier, path) {
            return Some(format!(
                "`{path}` would hide `{earlier}`, given to `{keyword}`"
            ));
        }
    }
    None
}

/// `read-only PATH...` and `inaccessible PATH...`: each path checked, then
/// added to the list `inaccessible` says.
fn path_list(draft: &mut Draft, line: &Line<'_>, inaccessible: bool, errors: &mut Vec<LineError>) {
    let keyword = line.keyword.text.as_ref();
    if line.args.is_empty() {
        errors.push(line.missing(&format!(
            "one or more absolute paths, as in `{keyword} /etc /usr`"
        )));
        return;
    }
    for token in line.args {
        let Some(path) = sandbox_path(token, keyword, errors) else {
            continue;
        };
        if inaccessible && path == "/" {
            errors.push(LineError::new(
                token.column,
                "`inaccessible /` would hide the service's own program",
            ));
            continue;
        }
        if let Some(message) = conflict(draft, &path, inaccessible) {
            errors.push(LineError::new(token.column, message));
            continue;
        }
        let sandbox = &mut draft.settings.exec.sandbox;
        if inaccessible {
            sandbox.inaccessible.push(path);
        } else {
            sandbox.read_only.push(path);
        }
    }
}

pub(super) fn read_only(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    path_list(draft, line, false, errors);
}

pub(super) fn inaccessible(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    path_list(draft, line, true, errors);
}

const BIND_EXPECTED: &str = "a source and a target path, as in `bind /srv/data /var/lib/app` \
     or `bind read-only /etc/app /etc/app`";

pub(super) fn bind(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let read_only = line.args.first().is_some_and(|t| t.is_bare("read-only"));
    let paths = line.args.get(usize::from(read_only)..).unwrap_or_default();
    let (Some(source), Some(target)) = (paths.first(), paths.get(1)) else {
        errors.push(line.missing(BIND_EXPECTED));
        return;
    };
    if let Some(error) = line.too_many(2 + usize::from(read_only), BIND_EXPECTED) {
        errors.push(error);
        return;
    }
    let source_path = sandbox_path(source, "bind", errors);
    let target_path = sandbox_path(target, "bind", errors);
    let (Some(source_path), Some(target_path)) = (source_path, target_path) else {
        return;
    };
    if let Some(message) = conflict(draft, &target_path, false) {
        errors.push(LineError::new(target.column, message));
        return;
    }
    draft.settings.exec.sandbox.binds.push(BindMount {
        source: source_path,
        target: target_path,
        read_only,
    });
}

pub(super) fn network(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let expected = "`none` or `loopback`, as in `network loopback`";
    let Some(token) = single_argument(line, expected, errors) else {
        return;
    };
    match Network::from_name(&token.text) {
        Some(network) => draft.settings.exec.sandbox.network = Some(network),
        None => errors.push(LineError::new(
            token.column,
            format!(
                "`{}` is not a network setting: expected {expected}",
                token.text
            ),
        )),
    }
}

/// A host name as sethostname(2) and RFC 1123 allow: up to 64 letters,
/// digits, `-` and `.`, not starting with `-` or `.`.
fn is_host_name(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && !text.starts_with(['-', '.'])
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

pub(super) fn hostname(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let Some(token) = single_argument(line, "a host name, as in `hostname sandbox`", errors) else {
        return;
    };
    if is_host_name(&token.text) {
        draft.settings.exec.sandbox.hostname = Some(token.text.to_string());
    } else {
        errors.push(LineError::new(
            token.column,
            format!(
                "`{}` is not a host name: expected up to 64 letters, digits, `-` and `.`",
                token.text
            ),
        ));
    }
}

pub(super) fn capabilities(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    if line.args.is_empty() {
        errors.push(
            line.missing("capability names, as in `capabilities CAP_NET_BIND_SERVICE`, or `none`"),
        );
        return;
    }
    if let [only] = line.args {
        if only.is_bare("none") {
            draft.settings.exec.sandbox.capabilities = Some(Vec::new());
            return;
        }
    }
    let mut kept = Vec::new();
    for token in line.args {
        match Capability::from_name(&token.text) {
            Some(cap) if !kept.contains(&cap) => kept.push(cap),
            Some(_) => {}
            None => {
                let hint = did_you_mean(&token.text.to_ascii_uppercase(), Capability::all_names())
                    .unwrap_or_default();
                let message = if token.is_bare("none") {
                    "`none` stands alone: it keeps no capability at all".to_string()
                } else {
                    format!("unknown capability `{}`{hint}", token.text)
                };
                errors.push(LineError::new(token.column, message));
                return;
            }
        }
    }
    kept.sort();
    draft.settings.exec.sandbox.capabilities = Some(kept);
}

/// A syscall name as the kernel headers spell them. Whether this machine
/// has it is checked where the machine is known.
fn is_syscall_name(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

const SYSCALLS_EXPECTED: &str =
    "`allow` or `deny` and syscall names, as in `syscalls deny mount umount2`";

pub(super) fn syscalls(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let Some((mode_token, names)) = line.args.split_first() else {
        errors.push(line.missing(SYSCALLS_EXPECTED));
        return;
    };
    let mode = match mode_token.text.as_ref() {
        "allow" => FilterMode::Allow,
        "deny" => FilterMode::Deny,
        other => {
            errors.push(LineError::new(
                mode_token.column,
                format!("`{other}` is neither `allow` nor `deny`: `syscalls` expects {SYSCALLS_EXPECTED}"),
            ));
            return;
        }
    };
    if names.is_empty() {
        errors.push(line.missing(SYSCALLS_EXPECTED));
        return;
    }
    if let Some(bad) = names.iter().find(|t| !is_syscall_name(&t.text)) {
        errors.push(LineError::new(
            bad.column,
            format!(
                "`{}` is not a syscall name: expected lower-case letters, digits and `_`",
                bad.text
            ),
        ));
        return;
    }
    let filter = draft
        .settings
        .exec
        .sandbox
        .syscalls
        .get_or_insert_with(|| SyscallFilter {
            mode,
            names: Vec::new(),
        });
    if filter.mode != mode {
        errors.push(LineError::new(
            mode_token.column,
            format!(
                "`syscalls {}` after `syscalls {}`: a service's filter either allows or denies",
                mode.as_str(),
                filter.mode.as_str()
            ),
        ));
        return;
    }
    for token in names {
        if !filter.names.iter().any(|known| *known == *token.text) {
            filter.names.push(token.text.to_string());
        }
    }
}

pub(super) fn syscall_action(draft: &mut Draft, line: &Line<'_>, errors: &mut Vec<LineError>) {
    let expected = "`kill` or `errno(N)` with a number or a name such as EPERM, \
                    as in `syscall-action errno(EACCES)`";
    let Some(token) = single_argument(line, expected, errors) else {
        return;
    };
    let action = if token.text == "kill" {
        Some(SyscallAction::Kill)
    } else {
        token
            .text
            .strip_prefix("errno(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|inner| {
                let number = match inner.parse::<u32>() {
                    Ok(number) if inner.bytes().all(|b| b.is_ascii_digit()) => Some(number),
                    _ => errno_number(inner),
                };
                number.filter(|n| (1..=ERRNO_MAX).contains(n))
            })
            .map(SyscallAction::Errno)
    };
    match action {
        Some(action) => draft.settings.exec.sandbox.syscall_action = Some(action),
        None => {
            let names: Vec<&str> = errno_names().collect();
            errors.push(LineError::new(
                token.column,
                format!(
                    "`{}` is not a syscall action: expected {expected} \
                     (a number from 1 to {ERRNO_MAX}, or one of {})",
                    token.text,
                    names.join(", ")
                ),
            ));
        }
    }
}

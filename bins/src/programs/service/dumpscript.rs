//! `service dumpscript`: one service's commands as a `/bin/sh` script.
//!
//! Owns the shape of the script (header, `set -e`, tty redirection, one
//! quoted line per command). Quoting itself lives in `script`.

use std::fmt::Write as _;

use init_core::ServiceDef;

use super::names::{enabled_name, load_service};
use super::report::{one_line, print_stdout_bytes};
use super::script::{shell_join, shell_quote};
use crate::cli::service::Cli;

pub fn dumpscript(cli: &Cli, name: &str, arg: Option<&str>) -> Result<(), String> {
    let name = enabled_name(name, arg)?;
    let service = load_service(cli, &name)?;
    // The script holds an argument's bytes that are not UTF-8 as they are
    // (`init_core::rawbytes`): the shell then runs what init would run.
    print_stdout_bytes(&init_core::rawbytes::to_bytes(&script(&service)));
    Ok(())
}

/// The script runs the commands in order and stops at the first that fails,
/// as the init does (`set -e`; every line is a simple command, so `set -e`
/// applies to each).
///
/// With a `tty`, stdin is opened read-write (as the init opens the tty) and
/// stdout and stderr append to it; `tty truncate` empties the file once,
/// before the first command, not before each. (The original writes through
/// its one read-write descriptor from the start of the file, overwriting a
/// log in place; appending is the behaviour a reader of the script expects.)
pub fn script(service: &ServiceDef) -> String {
    let mut text = String::from("#!/bin/sh\n");
    let _ = writeln!(
        text,
        "# {}: {}",
        service.name,
        one_line(&service.description)
    );
    let _ = write!(text, "# type {}", service.kind);
    if let Some(limit) = service.respawn_limit {
        let _ = write!(text, " limit {limit}");
    }
    let _ = writeln!(text, ", target {}", service.target);
    text.push_str("set -e\n");
    if service.exec.is_empty() {
        // Like the original, a milestone does not even open its tty.
        text.push_str("# a milestone: nothing to run\n");
        return text;
    }
    if let Some(tty) = &service.tty {
        let path = shell_quote(&tty.path);
        if tty.truncate {
            let _ = writeln!(text, ": >{path}");
        }
        let _ = writeln!(text, "exec 0<>{path} 1>>{path} 2>&1");
    }
    for command in &service.exec {
        text.push_str(&shell_join(command));
        text.push('\n');
    }
    text
}

//! `service`: enable, disable, list, show, dumpscript and verify services
//! offline; status, start, stop, restart, reload, analyze, reexec and
//! switch-root through the control socket of a running init.
//!
//! Exit status: 0 ok, 1 errors found or the operation failed, 2 usage
//! errors. Each command lives in its own module here.

mod analyze;
mod dumpscript;
mod enable;
mod names;
mod online;
mod report;
mod script;
mod style;
mod verify;
mod verify_sandbox;
mod view;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use init_core::protocol::Command as Request;

use crate::cli::service::{Cli, Command};

/// Runs `service` with `args` (the program name first).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = Cli::parse_from(args);
    let outcome = match &cli.command {
        Command::Enable { name, arg } => enable::enable(&cli, name, arg.as_deref()),
        Command::Disable { name, arg } => enable::disable(&cli, name, arg.as_deref()),
        Command::List { target, json } => view::list(&cli, *target, *json),
        Command::Show { name, json } => view::show(&cli, name, *json),
        Command::Dumpscript { name, arg } => dumpscript::dumpscript(&cli, name, arg.as_deref()),
        Command::Status {
            patterns,
            json,
            details,
        } => online::status(&cli, patterns, *json, *details),
        Command::Start { patterns } => online::act(&cli, "start", patterns),
        Command::Stop { patterns } => online::act(&cli, "stop", patterns),
        Command::Restart { patterns } => online::act(&cli, "restart", patterns),
        Command::Reload => online::ask_quietly(&cli, Request::Reload),
        Command::Analyze { view } => analyze::analyze(&cli, view),
        Command::SwitchRoot { new_root, init } => online::ask_quietly(
            &cli,
            Request::SwitchRoot {
                new_root: new_root.clone(),
                init: init.clone(),
            },
        ),
        Command::Reexec { path } => {
            online::ask_quietly(&cli, Request::Reexec { path: path.clone() })
        }
        Command::Verify {
            files,
            env_file,
            json,
        } => {
            let verdict = verify::verify(&cli, files, env_file, *json);
            return if verdict.errors == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            report::print_error(&message);
            ExitCode::FAILURE
        }
    }
}

//! `service`: enable, disable, list, show, dumpscript and verify services
//! offline; talking to a running init comes with the init itself.
//!
//! Exit status: 0 ok, 1 errors found or the operation failed, 2 usage
//! errors. Each command lives in its own module under `bins/src/service/`.

#[path = "../service/cli.rs"]
mod cli;
#[path = "../service/dumpscript.rs"]
mod dumpscript;
#[path = "../service/enable.rs"]
mod enable;
#[path = "../service/names.rs"]
mod names;
#[path = "../service/report.rs"]
mod report;
#[path = "../service/verify.rs"]
mod verify;
#[path = "../service/view.rs"]
mod view;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Enable { name, arg } => enable::enable(&cli, name, arg.as_deref()),
        Command::Disable { name, arg } => enable::disable(&cli, name, arg.as_deref()),
        Command::List { target, json } => view::list(&cli, *target, *json),
        Command::Show { name, json } => view::show(&cli, name, *json),
        Command::Dumpscript { name, arg } => dumpscript::dumpscript(&cli, name, arg.as_deref()),
        Command::Verify { files } => {
            let verdict = verify::verify(&cli, files);
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

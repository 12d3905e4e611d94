//! The shipped programs, one module each, and the dispatch that makes them
//! one binary (busybox-style): `init` is installed once, and `service`,
//! `shutdown`, `reboot`, `poweroff`, `halt`, `killall5` and `waitfile` are
//! links to it. Each program parses its own command line (`crate::cli`).
//!
//! Owns which program a name runs, nothing else. `init-sim`, a developer's
//! tool, stays a binary of its own.

pub mod init;
pub mod killall5;
pub mod service;
pub mod shutdown;
pub mod waitfile;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

/// The programs one binary holds, by the names they are called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Init,
    Service,
    Shutdown,
    Killall5,
    Waitfile,
}

impl Program {
    /// The program a name runs: a link's name, or what follows `init`.
    pub fn named(name: &str) -> Option<Program> {
        match name {
            "init" => Some(Program::Init),
            "service" => Some(Program::Service),
            "shutdown" | "reboot" | "poweroff" | "halt" => Some(Program::Shutdown),
            "killall5" => Some(Program::Killall5),
            "waitfile" => Some(Program::Waitfile),
            _ => None,
        }
    }
}

/// The file name of `argv0`, the name a program was called by.
pub fn program_name(argv0: Option<&OsString>) -> String {
    argv0
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs the program `args[0]` names. A name it does not know is init (a
/// kernel may start it as `/init` or `linuxrc`). Not as PID 1, `init NAME
/// ARGS...` runs NAME as if called by that name, for a system with only
/// the one file; PID 1 never does, since the kernel hands it the boot
/// parameters it does not know, and one of them could be called `service`.
pub fn multicall(args: Vec<OsString>) -> ExitCode {
    let called = program_name(args.first());
    let mut program = Program::named(&called).unwrap_or(Program::Init);
    let mut args = args;
    if program == Program::Init && std::process::id() != 1 {
        let asked = args
            .get(1)
            .and_then(|a| a.to_str())
            .and_then(Program::named);
        if let Some(asked) = asked.filter(|p| *p != Program::Init) {
            program = asked;
            args.remove(0);
        }
    }
    match program {
        Program::Init => init::main(args),
        Program::Service => service::main(args),
        Program::Shutdown => shutdown::main(args),
        Program::Killall5 => killall5::main(args),
        Program::Waitfile => waitfile::main(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_installed_name_runs_its_program() {
        for (name, program) in [
            ("init", Program::Init),
            ("service", Program::Service),
            ("shutdown", Program::Shutdown),
            ("reboot", Program::Shutdown),
            ("poweroff", Program::Shutdown),
            ("halt", Program::Shutdown),
            ("killall5", Program::Killall5),
            ("waitfile", Program::Waitfile),
        ] {
            assert_eq!(Program::named(name), Some(program), "{name}");
        }
        assert_eq!(Program::named("linuxrc"), None);
        assert_eq!(
            program_name(Some(&"/usr/libexec/init/killall5".into())),
            "killall5"
        );
        assert_eq!(program_name(None), "");
    }
}

//! Man pages and shell completions, rendered from the clap definitions in
//! `cli`, plus the exit statuses every program documents, and the text of
//! `init --help`.
//!
//! Owns what the generated files under `man/` and `completions/` hold and
//! where they go; it writes nothing itself (the `generate-manuals` example
//! writes them, a test compares them). The hand-written `man/services.5` is
//! not generated and not listed here.

use std::path::PathBuf;

use clap::{Command, CommandFactory};
use clap_complete::Shell;
use clap_mangen::Man;

use crate::cli;

/// The command that brings the committed files up to date.
pub const REGENERATE: &str = "cargo run -p init-bins --example generate-manuals";

/// One program as it is installed.
pub struct Program {
    pub command: Command,
    /// The man section: 8 for what runs as or talks to the system, 1 for
    /// the simulator anyone may run.
    pub section: &'static str,
    /// Other names it is installed under (`reboot` for `shutdown`).
    pub aliases: &'static [&'static str],
    /// The exit statuses: status, meaning. docs/cmdline.md has the same
    /// table (a test checks).
    pub exit_statuses: &'static [(u8, &'static str)],
    /// Sections after EXIT STATUS: a heading, then `(term, text)` entries.
    pub sections: &'static [Section],
}

/// A man page section of terms and what they mean.
pub type Section = (&'static str, &'static [(&'static str, &'static str)]);

pub fn programs() -> Vec<Program> {
    vec![
        Program {
            command: cli::init::Args::command(),
            section: "8",
            aliases: &[],
            exit_statuses: &[
                (
                    0,
                    "as a container's init or with --supervise: powered off, \
                     and no main service ended it",
                ),
                (
                    1,
                    "not PID 1 and no --supervise, or no signalfd: init cannot run",
                ),
                (
                    2,
                    "usage error (not as PID 1, which ignores a bad command line)",
                ),
                (129, "as a container's init or with --supervise: rebooted"),
            ],
            sections: &[
                (
                    "SIGNALS",
                    &[
                        ("SIGTERM", "run the shutdown target, then power off"),
                        (
                            "SIGINT",
                            "(and Ctrl-Alt-Del) run the reboot target, then reboot",
                        ),
                        (
                            "SIGHUP",
                            "read the configuration directory and the env file again",
                        ),
                        ("SIGUSR1", "bind the control socket again"),
                    ],
                ),
                (
                    "CONSOLE",
                    &[
                        (
                            "[ OK ], [FAIL], [ UP ]",
                            "a wait or once service exited 0; one failed or was given up on; \
                             a respawn service started. Coloured on a terminal.",
                        ),
                        (
                            "boot: N pending (NAMES) TIME",
                            "on a terminal only, once the boot has taken 2 s: the services \
                             it still waits for, redrawn in place each second and cleared \
                             when the boot target completes",
                        ),
                    ],
                ),
                (
                    "FILES",
                    &[
                        ("/etc/init.d", "the enabled services, see services(5)"),
                        (
                            "/etc/initd.env",
                            "KEY=VALUE lines: the environment of every service",
                        ),
                        ("/run/init.sock", "the control socket service(8) talks to"),
                    ],
                ),
            ],
        },
        Program {
            command: cli::service::Cli::command(),
            section: "8",
            aliases: &[],
            exit_statuses: &[
                (0, "done; for verify: no errors (warnings allowed)"),
                (
                    1,
                    "the operation failed, verify found errors, no such service, \
                     init not running, or permission denied",
                ),
                (
                    2,
                    "usage error: unknown command or flag, missing argument, bad target name",
                ),
            ],
            sections: &[
                (
                    "ENVIRONMENT",
                    &[(
                        "NO_COLOR",
                        "when set and not empty, status is never coloured; without it, \
                         status is coloured only when stdout is a terminal",
                    )],
                ),
                (
                    "FILES",
                    &[
                        ("/etc/init.d", "the enabled services (--config-dir)"),
                        ("/usr/share/init", "the templates (--template-dir)"),
                        (
                            "/run/init.sock",
                            "the running init's control socket (--socket)",
                        ),
                    ],
                ),
            ],
        },
        Program {
            command: cli::shutdown::Args::command(),
            section: "8",
            aliases: &["reboot", "poweroff"],
            exit_statuses: &[
                (
                    0,
                    "init was signalled (it powers off or reboots after its target)",
                ),
                (
                    1,
                    "PID 1 could not be signalled (not root), or reboot(2) failed with -f",
                ),
                (2, "usage error"),
            ],
            sections: &[],
        },
        Program {
            command: cli::killall5::Args::command(),
            section: "8",
            aliases: &[],
            exit_statuses: &[
                (
                    0,
                    "the signal was sent to every process outside its session",
                ),
                (
                    1,
                    "/proc cannot be listed, or a process could not be signalled",
                ),
                (2, "usage error or unknown signal"),
            ],
            sections: &[],
        },
        Program {
            command: cli::waitfile::Args::command(),
            section: "8",
            aliases: &[],
            exit_statuses: &[
                (0, "every file exists"),
                (1, "the timeout passed first"),
                (2, "usage error, or a negative timeout"),
            ],
            sections: &[],
        },
        Program {
            command: cli::init_sim::Cli::command(),
            section: "1",
            aliases: &[],
            exit_statuses: &[
                (0, "no invariant broke (fuzz: no seed failed)"),
                (1, "an invariant broke, or a fuzz seed failed"),
                (
                    2,
                    "usage error, or the scenario, trace or profile cannot be read or parsed",
                ),
            ],
            sections: &[],
        },
    ]
}

/// A generated file: its path relative to the repository root and its text.
pub struct Generated {
    pub path: PathBuf,
    pub text: String,
}

/// Every generated file, in a fixed order.
pub fn generated_files() -> Vec<Generated> {
    let mut files = Vec::new();
    for program in programs() {
        man_pages(&program, &mut files);
        completions(&program, &mut files);
    }
    // init parses its command line without clap and prints this text for
    // --help (see `cli::init::parse`).
    files.push(Generated {
        path: PathBuf::from(cli::init::HELP_FILE),
        text: cli::init::Args::command().render_long_help().to_string(),
    });
    files
}

fn man_pages(program: &Program, files: &mut Vec<Generated>) {
    let mut command = program.command.clone().disable_help_subcommand(true);
    command.build();
    let name = command.get_name().to_string();
    let section = program.section;
    files.push(Generated {
        path: PathBuf::from(format!("man/{name}.{section}")),
        text: page(&command, program, true),
    });
    for alias in program.aliases {
        // `.so` makes man show the same page under the other name.
        files.push(Generated {
            path: PathBuf::from(format!("man/{alias}.{section}")),
            text: format!(".so man{section}/{name}.{section}\n"),
        });
    }
    subcommand_pages(&command, program, files);
}

/// A page per subcommand, `service-status.8`, and so on down
/// (`service-analyze-blame.8`): clap names each `PARENT-SUB` once built.
fn subcommand_pages(command: &Command, program: &Program, files: &mut Vec<Generated>) {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let full = sub.get_display_name().unwrap_or(sub.get_name()).to_string();
        files.push(Generated {
            path: PathBuf::from(format!("man/{full}.{}", program.section)),
            text: page(sub, program, false),
        });
        subcommand_pages(sub, program, files);
    }
}

/// One page: clap_mangen's sections, then the exit statuses (on the
/// program's own page) and the pages to see also.
fn page(command: &Command, program: &Program, top: bool) -> String {
    let man = Man::new(command.clone())
        .section(program.section)
        .manual("Pygos init")
        .source(format!("init {}", env!("CARGO_PKG_VERSION")));
    let mut out: Vec<u8> = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut out);
    }
    if command.has_subcommands() {
        let _ = man.render_subcommands_section(&mut out);
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if top {
        text.push_str(".SH \"EXIT STATUS\"\n");
        for (status, meaning) in program.exit_statuses {
            text.push_str(&format!(".TP\n{status}\n{}\n", roff_text(meaning)));
        }
        for (heading, entries) in program.sections {
            text.push_str(&format!(".SH {heading}\n"));
            for (term, meaning) in *entries {
                text.push_str(&format!(
                    ".TP\n{}\n{}\n",
                    roff_text(term),
                    roff_text(meaning)
                ));
            }
        }
    }
    text.push_str(".SH \"SEE ALSO\"\n");
    text.push_str(&roff_text(&see_also(command.get_name())));
    text.push('\n');
    text
}

fn see_also(name: &str) -> String {
    let all = [
        "init(8)",
        "service(8)",
        "services(5)",
        "shutdown(8)",
        "killall5(8)",
        "waitfile(8)",
        "init-sim(1)",
    ];
    all.iter()
        .filter(|page| !page.starts_with(&format!("{name}(")))
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plain text as one roff text line: a backslash is `\e`, and a line that
/// would start with `.` or `'` (a request) is guarded by `\&`.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn completions(program: &Program, files: &mut Vec<Generated>) {
    let name = program.command.get_name().to_string();
    let mut names = vec![name.as_str()];
    names.extend(program.aliases);
    for bin in names {
        for (shell, path) in [
            (Shell::Bash, format!("completions/bash/{bin}")),
            (Shell::Zsh, format!("completions/zsh/_{bin}")),
            (Shell::Fish, format!("completions/fish/{bin}.fish")),
        ] {
            let mut command = program.command.clone();
            let mut out: Vec<u8> = Vec::new();
            clap_complete::generate(shell, &mut command, bin, &mut out);
            files.push(Generated {
                path: PathBuf::from(path),
                text: String::from_utf8_lossy(&out).into_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_text_guards_requests_and_escapes() {
        assert_eq!(roff_text(".hidden"), "\\&.hidden");
        assert_eq!(roff_text("a\\b"), "a\\eb");
        assert_eq!(roff_text("--json"), "\\-\\-json");
    }

    #[test]
    fn nested_subcommands_get_pages_of_their_own() {
        let program = Program {
            command: Command::new("service")
                .subcommand(Command::new("analyze").subcommand(Command::new("blame"))),
            section: "8",
            aliases: &[],
            exit_statuses: &[],
            sections: &[],
        };
        let mut files = Vec::new();
        man_pages(&program, &mut files);
        let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "man/service.8",
                "man/service-analyze.8",
                "man/service-analyze-blame.8"
            ]
        );
    }

    #[test]
    fn every_program_has_its_usage_status() {
        for program in programs() {
            assert!(
                program.exit_statuses.iter().any(|(s, _)| *s == 2),
                "{} documents no usage status",
                program.command.get_name()
            );
        }
    }
}

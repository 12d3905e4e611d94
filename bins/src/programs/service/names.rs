//! Turning `NAME [ARG]` from the command line into an enabled name, and
//! finding the file that holds it.
//!
//! Owns the shape of the command line (`NAME ARG` or `NAME@ARG`); which
//! names are valid is the core's rule (`EnabledName::parse`), the one init
//! loads by, so that a name enable refuses is one init would skip, with the
//! same reason.

use std::fs;
use std::path::PathBuf;

use init_core::{EnabledName, ServiceDef};
use init_os_adapter::loader::load_file_as;

use super::report::print_diagnostics;
use crate::cli::service::Cli;

/// Validates `NAME` and `ARG` and joins them. `NAME@ARG` in the first
/// argument is accepted as well, as long as no second argument is given.
pub fn enabled_name(name: &str, arg: Option<&str>) -> Result<EnabledName, String> {
    let full = match (name.contains('@'), arg) {
        (true, Some(_)) => {
            return Err(format!(
                "{name:?} already holds an argument; give either NAME@ARG or NAME ARG"
            ))
        }
        (false, Some(arg)) => format!("{name}@{arg}"),
        (_, None) => name.to_string(),
    };
    EnabledName::parse(&full).map_err(|error| format!("invalid service name {full:?}: {error}"))
}

/// Where `name` would be read from: its entry in the config dir when it is
/// enabled, else its template.
pub fn service_file(cli: &Cli, name: &EnabledName) -> Result<PathBuf, String> {
    let enabled = cli.config_dir.join(name.to_string());
    if fs::symlink_metadata(&enabled).is_ok() {
        return Ok(enabled);
    }
    let template = cli.template_dir.join(&name.base);
    if fs::symlink_metadata(&template).is_ok() {
        return Ok(template);
    }
    Err(format!(
        "{name} is not enabled in {} and there is no template {} in {}",
        cli.config_dir.display(),
        name.base,
        cli.template_dir.display()
    ))
}

/// Reads and parses one service for `show` and `dumpscript`, printing its
/// diagnostics to stderr.
pub fn load_service(cli: &Cli, name: &EnabledName) -> Result<ServiceDef, String> {
    let path = service_file(cli, name)?;
    let loaded = load_file_as(&path, name);
    print_diagnostics(&loaded.diagnostics);
    loaded
        .services
        .into_iter()
        .next()
        .ok_or_else(|| format!("{name}: {} has errors", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_name_and_argument() {
        let name = enabled_name("agetty", Some("tty1")).unwrap();
        assert_eq!(name.to_string(), "agetty@tty1");
        assert_eq!(enabled_name("agetty@tty1", None).unwrap(), name);
        assert_eq!(enabled_name("sshd", None).unwrap().arg, None);
    }

    #[test]
    fn refuses_names_that_could_leave_the_directory() {
        for (name, arg) in [
            ("../etc", None),
            ("a", Some("..")),
            ("a", Some("x/y")),
            ("a", Some("x\ny")),
            ("a-b", None),
            ("a@b", Some("c")),
            ("", None),
            ("a", Some("")),
            ("x@..", None),
            ("a", Some("tty\x7f")),
        ] {
            assert!(enabled_name(name, arg).is_err(), "{name:?} {arg:?}");
        }
    }
}

//! `service enable` and `service disable`: the symlinks in the config dir.
//!
//! Owns creating and removing `CONFIG_DIR/NAME[@ARG] -> TEMPLATE_DIR/NAME`,
//! refusing anything it did not make. It never edits a file and never
//! removes anything that is not a symlink.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{self, Path};

use init_os_adapter::loader::load_file_as;

use super::names::enabled_name;
use super::report::print_diagnostics;
use crate::cli::service::Cli;

pub fn enable(cli: &Cli, name: &str, arg: Option<&str>) -> Result<(), String> {
    let name = enabled_name(name, arg)?;
    require_config_dir(&cli.config_dir)?;
    let template = cli.template_dir.join(&name.base);
    match fs::metadata(&template) {
        Ok(metadata) if metadata.is_file() => {}
        Ok(_) => return Err(format!("{} is not a file", template.display())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(format!(
                "no template {}: {} does not exist",
                name.base,
                template.display()
            ))
        }
        Err(error) => return Err(format!("cannot read {}: {error}", template.display())),
    }
    let link = cli.config_dir.join(name.to_string());
    if let Ok(metadata) = fs::symlink_metadata(&link) {
        return Err(if metadata.file_type().is_symlink() {
            format!("{name} is already enabled ({} exists)", link.display())
        } else {
            format!(
                "{} exists and is not a symlink; not touching it",
                link.display()
            )
        });
    }

    // Parse the template exactly as the init would read it once enabled,
    // so a broken template is refused now rather than at the next boot.
    let loaded = load_file_as(&template, &name);
    print_diagnostics(&loaded.diagnostics);
    if loaded.services.is_empty() {
        return Err(format!("not enabling {name}: the template has errors"));
    }

    // The link must work from inside the config dir whatever the current
    // directory was, so a relative template dir is made absolute.
    let link_target = path::absolute(&template)
        .map_err(|error| format!("cannot make {} absolute: {error}", template.display()))?;
    symlink(&link_target, &link)
        .map_err(|error| format!("cannot create {}: {error}", link.display()))?;

    super::online::reload_after_change(cli);
    Ok(())
}

pub fn disable(cli: &Cli, name: &str, arg: Option<&str>) -> Result<(), String> {
    let name = enabled_name(name, arg)?;
    require_config_dir(&cli.config_dir)?;
    let link = cli.config_dir.join(name.to_string());
    match fs::symlink_metadata(&link) {
        Ok(metadata) if metadata.file_type().is_symlink() => {}
        Ok(_) => {
            return Err(format!(
                "{} is not a symlink; not removing it (delete it by hand if you mean it)",
                link.display()
            ))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(format!(
                "{name} is not enabled ({} does not exist)",
                link.display()
            ))
        }
        Err(error) => return Err(format!("cannot read {}: {error}", link.display())),
    }
    fs::remove_file(&link).map_err(|error| format!("cannot remove {}: {error}", link.display()))?;

    super::online::reload_after_change(cli);
    Ok(())
}

fn require_config_dir(dir: &Path) -> Result<(), String> {
    match fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(format!("{} is not a directory", dir.display())),
        Err(_) => Err(format!(
            "the config directory {} does not exist",
            dir.display()
        )),
    }
}

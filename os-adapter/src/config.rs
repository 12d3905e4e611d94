//! Loading what init runs: the configuration directory and the env file.
//!
//! Owns reading both from disk at start and on every reload, and telling a
//! configuration from an I/O failure. The services come from
//! [`crate::loader`], the env file's meaning from `init_core::envfile`.

use std::path::Path;

use init_core::diag::{summary_of, Diagnostic};
use init_core::envfile::{parse_env_file, EnvFile};
use init_core::service::ServiceDef;

use crate::bounded_read::{self, ReadError};

/// Everything one (re)load produced.
pub struct LoadedConfig {
    pub services: Vec<ServiceDef>,
    /// `None` when the env file exists but could not be read: that is not
    /// an empty environment, so a reload keeps the one it had.
    pub env: Option<EnvFile>,
    /// False when the directory itself could not be listed: then
    /// `services` is empty because of an I/O failure, not a configuration,
    /// and a reload must not take it (it would stop every service).
    pub dir_readable: bool,
    /// Errors and warnings from both, for the console.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the env file. A missing file is an empty environment, as in the
/// original; one that cannot be read is `None`, with a diagnostic: that is
/// also what a FIFO, a device, a directory or a file over
/// [`MAX_FILE_BYTES`](crate::bounded_read::MAX_FILE_BYTES) is, since
/// init never waits on a file nor reads past the cap.
fn load_env_file(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<EnvFile> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    match bounded_read::read_file(path, &mut bytes) {
        Ok(_) => {
            let env = parse_env_file(&name, &bytes);
            // One line for the file on the console, as for a service file.
            diagnostics.extend(summary_of(&env.diagnostics));
            Some(env)
        }
        Err(ReadError::Missing) => Some(EnvFile::default()),
        Err(error) => {
            let message = match error {
                ReadError::Io(_) => format!("cannot read: {error}"),
                _ => error.to_string(),
            };
            diagnostics.push(Diagnostic::error(&name, 0, message));
            None
        }
    }
}

/// Reads the services of `config_dir` and the env file.
pub fn load_config(config_dir: &Path, env_file: &Path) -> LoadedConfig {
    let dir_readable = std::fs::read_dir(config_dir).is_ok();
    let loaded = crate::loader::load_dir_services(config_dir);
    let mut diagnostics = loaded.diagnostics;
    let env = load_env_file(env_file, &mut diagnostics);
    LoadedConfig {
        services: loaded.services,
        env,
        dir_readable,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    #[test]
    fn a_missing_directory_is_not_an_empty_configuration() {
        let dir = ScratchDir::new("config-missing");
        let config = load_config(&dir.join("nope"), &dir.join("initd.env"));
        assert!(!config.dir_readable);
        assert!(config.services.is_empty());
        assert_eq!(config.env, Some(EnvFile::default()));

        let empty = load_config(&dir, &dir.join("initd.env"));
        assert!(empty.dir_readable);
    }

    #[test]
    fn an_unreadable_env_file_is_not_an_empty_environment() {
        let dir = ScratchDir::new("config-env");
        // A directory is not a regular file: refused like a file root
        // cannot read, and it works as root too.
        let config = load_config(&dir, &dir);
        assert_eq!(config.env, None);
        assert_eq!(config.diagnostics.len(), 1);
        std::fs::write(dir.join("initd.env"), "A=1\nbad line\n").unwrap();
        let config = load_config(&dir, &dir.join("initd.env"));
        assert_eq!(config.env.map(|e| e.vars.len()), Some(1));
        assert_eq!(config.diagnostics.len(), 1);
    }
}

//! Loading what init runs: the configuration directory and the env file.
//!
//! Owns reading both from disk at start and on every reload, and nothing
//! else: the services come from [`crate::loader`], the env file's meaning
//! from `init_core::envfile`.

use std::path::Path;

use init_core::diag::Diagnostic;
use init_core::envfile::{parse_env_file, EnvFile};
use init_core::service::ServiceDef;

/// Everything one (re)load produced.
pub struct LoadedConfig {
    pub services: Vec<ServiceDef>,
    pub env: EnvFile,
    /// Errors and warnings from both, for the console.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the env file. A missing file is an empty environment, as in the
/// original; an unreadable one is reported.
pub fn load_env_file(path: &Path) -> EnvFile {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => parse_env_file(&name, &bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => EnvFile::default(),
        Err(e) => EnvFile {
            vars: Vec::new(),
            diagnostics: vec![Diagnostic::error(&name, 0, format!("cannot read: {e}"))],
        },
    }
}

/// Reads the services of `config_dir` and the env file.
pub fn load_config(config_dir: &Path, env_file: &Path) -> LoadedConfig {
    let env = load_env_file(env_file);
    let (services, mut diagnostics) = load_services(config_dir);
    diagnostics.extend(env.diagnostics.iter().cloned());
    LoadedConfig {
        services,
        env,
        diagnostics,
    }
}

fn load_services(config_dir: &Path) -> (Vec<ServiceDef>, Vec<Diagnostic>) {
    let loaded = crate::loader::load_dir(config_dir);
    (loaded.services, loaded.diagnostics)
}

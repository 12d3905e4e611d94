//! Test support for the `service` binary: a throwaway root with a config
//! dir and a template dir, and a way to run the real binary inside it.
//!
//! The binary runs with the root as its current directory and relative
//! `--config-dir config --template-dir templates`, so every path it prints
//! is the same on every machine and snapshots need no redaction.

#![allow(dead_code)] // each test file uses its own part of this

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const CONFIG: &str = "config";
pub const TEMPLATES: &str = "templates";

/// A fresh directory under the system temp dir, removed on drop.
pub struct Sandbox {
    pub root: PathBuf,
}

/// What one run of `service` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Sandbox {
    /// An empty config dir and an empty template dir.
    pub fn new(test: &str) -> Sandbox {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "init-service-{test}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join(CONFIG)).expect("create config dir");
        fs::create_dir_all(root.join(TEMPLATES)).expect("create template dir");
        Sandbox { root }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.join(CONFIG)
    }

    pub fn template_dir(&self) -> PathBuf {
        self.root.join(TEMPLATES)
    }

    pub fn template(&self, name: &str, text: &str) -> PathBuf {
        let path = self.template_dir().join(name);
        fs::write(&path, text).expect("write template");
        path
    }

    /// A plain file in the config dir (enabled without a template).
    pub fn config_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.config_dir().join(name);
        fs::write(&path, text).expect("write config file");
        path
    }

    /// A symlink in the config dir, pointing wherever `target` says.
    pub fn config_link(&self, name: &str, target: &str) {
        symlink(target, self.config_dir().join(name)).expect("create symlink");
    }

    /// Runs `service --config-dir config --template-dir templates ARGS...`
    /// in the sandbox root. The socket is one no init listens on, so that
    /// enable/disable never ask this machine's init to reload.
    pub fn service(&self, args: &[&str]) -> Run {
        let mut all = vec![
            "--config-dir",
            CONFIG,
            "--template-dir",
            TEMPLATES,
            "--socket",
            "no-init.sock",
        ];
        all.extend_from_slice(args);
        self.raw(&all)
    }

    /// Runs `service ARGS...` in the sandbox root, with no flags added.
    pub fn raw(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_service"))
            .current_dir(&self.root)
            .args(args)
            .output()
            .expect("run service");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Runs `service` and insists that it succeeded.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.service(args);
        assert_eq!(run.code, 0, "service {args:?} failed: {run:#?}");
        run
    }

    /// Installs the Pygos corpus as templates and enables it as its README
    /// says: the `target %0` services for shutdown and reboot, the
    /// parameterised ones with an argument, the rest plainly.
    pub fn enable_corpus(&self) {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/corpus/pygos-init-scripts/services");
        let mut names = Vec::new();
        for entry in fs::read_dir(&corpus).expect("read corpus") {
            let path = entry.expect("corpus entry").path();
            let file_name = path.file_name().unwrap().to_str().unwrap().to_string();
            let name = file_name.trim_end_matches(".in").to_string();
            let text = fs::read_to_string(&path)
                .expect("read corpus file")
                .replace("@SCRIPTDIR@", "/usr/libexec/init")
                .replace("@ETCPATH@", "/etc")
                .replace("@SBINPATH@", "/usr/sbin")
                .replace("@STATEFILESPATH@", "/var/lib");
            self.template(&name, &text);
            names.push(name);
        }
        names.sort();
        for name in &names {
            match name.as_str() {
                "sigterm" | "sigkill" | "sync" | "ifdown" | "unmount" | "swclocksave" => {
                    self.ok(&["enable", name, "shutdown"]);
                    self.ok(&["enable", name, "reboot"]);
                }
                "agetty" => _ = self.ok(&["enable", "agetty", "tty1"]),
                "consolefont" => _ = self.ok(&["enable", "consolefont", "ter-v16n"]),
                "dhcpcd" => _ = self.ok(&["enable", "dhcpcd", "eth0"]),
                _ => _ = self.ok(&["enable", name]),
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// A small service in the file language.
pub fn service_text(kind: &str, target: &str, exec: &str) -> String {
    format!("description test service\ntype {kind}\ntarget {target}\nexec {exec}\n")
}

//! The committed man pages and completions are what the clap definitions
//! give today; and every program's exit statuses are in docs/cmdline.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use init_bins::manual::{generated_files, programs, REGENERATE};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_man_pages_and_completions_are_up_to_date() {
    let root = repo_root();
    let mut stale = Vec::new();
    let mut expected = BTreeSet::new();
    for file in generated_files() {
        let on_disk = std::fs::read_to_string(root.join(&file.path)).unwrap_or_default();
        if on_disk != file.text {
            stale.push(file.path.display().to_string());
        }
        expected.insert(file.path);
    }
    // A file left behind by a renamed command is stale too. services.5 is
    // written by hand.
    for dir in [
        "man",
        "completions/bash",
        "completions/zsh",
        "completions/fish",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = Path::new(dir).join(entry.file_name());
            if entry.path().is_file()
                && !expected.contains(&path)
                && path != Path::new("man/services.5")
            {
                stale.push(format!(
                    "{} (no longer generated; delete it)",
                    path.display()
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files:\n  {}\nregenerate them with: {REGENERATE}",
        stale.join("\n  ")
    );
}

#[test]
fn every_exit_status_is_documented_in_cmdline_md() {
    let docs = std::fs::read_to_string(repo_root().join("docs/cmdline.md"))
        .expect("docs/cmdline.md is readable");
    for program in programs() {
        for (status, meaning) in program.exit_statuses {
            let row = format!("| {status} | {meaning} |");
            assert!(
                docs.contains(&row),
                "docs/cmdline.md lacks this row for {}:\n{row}",
                program.command.get_name()
            );
        }
    }
}

#[test]
fn bash_completes_service_subcommands_and_flags() {
    let script = repo_root().join("completions/bash/service");
    let complete = |words: &str, cword: usize| -> String {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; \
                 _service service \"${{COMP_WORDS[$COMP_CWORD]}}\"; echo \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .expect("bash runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(complete("service st", 1), "status start stop");
    assert!(complete("service status --d", 2).contains("--details"));
}

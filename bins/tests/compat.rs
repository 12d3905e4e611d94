//! The compatibility suite: every service file in `compat/cases/` is read by
//! our parser and compared with how the original Pygos init read it
//! (`compat/original/NAME.txt`, recorded by `ci/compat-record` from the
//! original's own line reader). A file where we differ on purpose is listed
//! in `compat/differences.txt` with the reason, and `service verify` must
//! then flag it at its line. docs/migrating.md gives the list in words.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use init_core::parse::parse_service;
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::EnabledName;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat")
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(suite().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The bytes as the harness prints them: printable ASCII as it is, the
/// rest (and `\`, `[`, `]`) as `\xHH`.
fn put(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &byte in bytes {
        if !(0x20..0x7f).contains(&byte) || matches!(byte, b'\\' | b'[' | b']') {
            out.push_str(&format!("\\x{byte:02x}"));
        } else {
            out.push(byte as char);
        }
    }
    out
}

fn put_list<T: AsRef<[u8]>>(items: &[T]) -> String {
    items
        .iter()
        .map(|item| format!(" [{}]", put(item.as_ref())))
        .collect()
}

/// Our reading of a file, in the harness's words.
fn our_reading(name: &str) -> String {
    let bytes = fs::read(suite().join("cases").join(name)).unwrap();
    let enabled = EnabledName::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let parsed = parse_service(name, &bytes, &enabled);
    match parsed.service {
        Some(service) => render(&service),
        None => "error\n".to_string(),
    }
}

/// The original's reading as recorded, without the line of an error: where
/// both refuse a file, which line each blames is not a difference.
fn original_reading(name: &str) -> String {
    let recorded = fs::read_to_string(suite().join("original").join(format!("{name}.txt")))
        .unwrap_or_else(|_| panic!("{name}: not recorded; run ci/compat-record"));
    match recorded.strip_prefix("error ") {
        Some(_) => "error\n".to_string(),
        None => recorded,
    }
}

fn render(service: &ServiceDef) -> String {
    let kind = match service.kind {
        ServiceType::Once => "once",
        ServiceType::Wait => "wait",
        ServiceType::Respawn => "respawn",
    };
    let target = match service.target {
        Target::Boot => "boot",
        Target::Shutdown => "shutdown",
        Target::Reboot => "reboot",
    };
    let mut out = format!(
        "type {kind}\nlimit {}\ntarget {target}\ndescription {}\n",
        service.respawn_limit.unwrap_or(0),
        put(&service.description_bytes()),
    );
    let (tty, truncate) = match &service.tty {
        Some(tty) => (tty.path_bytes().into_owned(), tty.truncate),
        None => (Vec::new(), false),
    };
    out.push_str(&format!(
        "tty {}\ntruncate {}\n",
        put(&tty),
        u8::from(truncate)
    ));
    out.push_str(&format!("after{}\n", put_list(&service.after)));
    out.push_str(&format!("before{}\n", put_list(&service.before)));
    for argv in service.exec_bytes() {
        out.push_str(&format!("exec{}\n", put_list(&argv)));
    }
    out
}

/// A file we read differently on purpose.
struct Difference {
    /// `(extension)`: the original refused the file, and our language
    /// takes it; nothing written for the original can hold it, so nothing
    /// is flagged.
    extension: bool,
}

/// The `NAME: why` and `NAME (extension): why` lines of differences.txt.
fn differences() -> BTreeMap<String, Difference> {
    let text = fs::read_to_string(suite().join("differences.txt")).unwrap();
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter(|line| !line.starts_with("$ "))
        .map(|line| {
            let (name, _why) = line.split_once(": ").expect("NAME: why");
            match name.strip_suffix(" (extension)") {
                Some(name) => (name.to_string(), Difference { extension: true }),
                None => (name.to_string(), Difference { extension: false }),
            }
        })
        .collect()
}

#[test]
fn every_file_reads_as_the_original_read_it_or_differs_on_purpose() {
    let differences = differences();
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    let mut same = 0;
    for name in cases() {
        let original = original_reading(&name);
        let ours = our_reading(&name);
        match (ours == original, differences.contains_key(&name)) {
            (true, false) => same += 1,
            (false, true) => {}
            (false, false) => {
                unexpected.push(format!("{name}:\n--- original\n{original}--- ours\n{ours}"))
            }
            (true, true) => stale.push(name),
        }
    }
    println!(
        "{} files: {same} read as the original read them, {} differ on purpose",
        cases().len(),
        differences.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} files read differently:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed as different, but the same: {stale:?}"
    );
    for (name, difference) in &differences {
        assert!(
            cases().contains(name),
            "differences.txt names no case {name}"
        );
        assert!(
            difference.extension || flagged_at_a_line(name),
            "{name} differs from the original, and verify does not say where"
        );
        if difference.extension {
            assert_eq!(
                original_reading(name),
                "error\n",
                "{name}: not an extension"
            );
        }
    }
}

/// Whether our parser (what `service verify` prints) has a warning or an
/// error at a line of the file.
fn flagged_at_a_line(name: &str) -> bool {
    let bytes = fs::read(suite().join("cases").join(name)).unwrap();
    let enabled = EnabledName::parse(name).unwrap();
    parse_service(name, &bytes, &enabled)
        .diagnostics
        .iter()
        .any(|d| d.line > 0)
}

#[test]
fn the_recorded_readings_are_the_originals() {
    // The reference copy of the original, gcc and root are needed to
    // record; CI has them all, so there a failure to record fails the test.
    let scratch = std::env::temp_dir().join(format!("init-compat-{}", std::process::id()));
    let status = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/compat-record"))
        .arg("--to")
        .arg(&scratch)
        .status()
        .unwrap();
    if status.code() == Some(3) && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("SKIPPED (not under CI): cannot build the original's reader");
        return;
    }
    assert!(status.success(), "ci/compat-record failed: {status}");
    let files = cases().into_iter().map(|name| format!("{name}.txt"));
    for file in files.chain(["commands.txt".to_string()]) {
        let recorded = fs::read_to_string(suite().join("original").join(&file)).unwrap();
        let fresh = fs::read_to_string(scratch.join(&file)).unwrap();
        assert_eq!(recorded, fresh, "{file}: the committed reading is stale");
    }
    let _ = fs::remove_dir_all(&scratch);
}

/// The `$ LINE: why` lines of differences.txt: command lines whose
/// outcome differs on purpose.
fn command_differences() -> Vec<String> {
    let text = fs::read_to_string(suite().join("differences.txt")).unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("$ "))
        .map(|line| line.split_once(": ").expect("$ LINE: why").0.to_string())
        .collect()
}

#[test]
fn every_command_line_of_the_original_tools_does_what_it_did() {
    if !nix::unistd::geteuid().is_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "needs root under CI"
        );
        eprintln!("SKIPPED (not under CI): the commands run in PID namespaces, as root");
        return;
    }
    // Our programs under the names the original installed: links to the
    // one binary that is shipped, as ci/install lays it out.
    let bin = std::env::temp_dir().join(format!("init-compat-bin-{}", std::process::id()));
    let _ = fs::remove_dir_all(&bin);
    fs::create_dir_all(&bin).unwrap();
    for name in ["shutdown", "reboot", "killall5", "waitfile"] {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_init"), bin.join(name)).unwrap();
    }
    let ran = Command::new(suite().join("run-commands"))
        .arg(&bin)
        .output()
        .unwrap();
    assert!(ran.status.success(), "{ran:?}");
    let ours = String::from_utf8(ran.stdout).unwrap();
    let original = fs::read_to_string(suite().join("original/commands.txt")).unwrap();
    let different = command_differences();
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    let pairs: Vec<(&str, &str)> = original.lines().zip(ours.lines()).collect();
    assert_eq!(pairs.len(), original.lines().count(), "ours:\n{ours}");
    for (theirs, mine) in &pairs {
        let line = theirs.split(" => ").next().unwrap_or_default();
        match (theirs == mine, different.iter().any(|d| d == line)) {
            (false, false) => unexpected.push(format!("original: {theirs}\nours:     {mine}")),
            (true, true) => stale.push(line.to_string()),
            _ => {}
        }
    }
    println!(
        "{} command lines: {} as the original, {} differ on purpose",
        pairs.len(),
        pairs.len() - different.len(),
        different.len()
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    assert!(
        stale.is_empty(),
        "listed as different, but the same: {stale:?}"
    );
    let _ = fs::remove_dir_all(&bin);
}

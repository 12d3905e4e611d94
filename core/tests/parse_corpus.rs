//! The real Pygos default service files parse without a single diagnostic,
//! enabled the way the corpus README says, and a few of them give exactly
//! the values the original would.

use std::path::PathBuf;

use init_core::parse::parse_service;
use init_core::{EnabledName, ServiceDef, ServiceType, Target, Tty};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/corpus/pygos-init-scripts/services")
}

/// What the Pygos build substitutes into the `.in` templates at install time.
fn install(text: &str) -> String {
    text.replace("@SCRIPTDIR@", "/usr/libexec/init")
        .replace("@ETCPATH@", "/etc")
        .replace("@SBINPATH@", "/usr/sbin")
        .replace("@STATEFILESPATH@", "/var/lib")
}

/// The names each installed file is enabled under.
fn enabled_names(base: &str) -> Vec<String> {
    match base {
        "agetty" => vec!["agetty@tty1".into(), "agetty@ttyS0".into()],
        "consolefont" => vec!["consolefont@lat9w-16".into()],
        "dhcpcd" => vec!["dhcpcd@eth0".into()],
        "sigterm" | "sigkill" | "sync" | "ifdown" | "unmount" | "swclocksave" => {
            vec![format!("{base}@shutdown"), format!("{base}@reboot")]
        }
        _ => vec![base.to_string()],
    }
}

/// Every installed file of the corpus as (installed name, text), sorted.
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory is readable")
        .map(|entry| {
            let path = entry.expect("a readable directory entry").path();
            let file_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("corpus file names are UTF-8")
                .to_string();
            let installed = file_name.trim_end_matches(".in").to_string();
            let text = std::fs::read_to_string(&path).expect("corpus files are UTF-8");
            (installed, install(&text))
        })
        .collect();
    files.sort();
    files
}

fn parse_enabled(enabled: &str) -> ServiceDef {
    let base = enabled.split('@').next().unwrap_or(enabled);
    let (_, text) = corpus()
        .into_iter()
        .find(|(installed, _)| installed == base)
        .unwrap_or_else(|| panic!("{base} is in the corpus"));
    let name = EnabledName::parse(enabled).expect("a valid enabled name");
    let parsed = parse_service(base, text.as_bytes(), &name);
    assert_eq!(parsed.diagnostics, vec![], "{enabled}");
    parsed.service.expect("no errors, so a service")
}

#[test]
fn every_corpus_file_parses_without_diagnostics() {
    let files = corpus();
    assert_eq!(files.len(), 38, "the corpus has 38 service files");
    let mut parsed_count = 0;
    for (installed, text) in &files {
        for enabled in enabled_names(installed) {
            let name = EnabledName::parse(&enabled).expect("a valid enabled name");
            let parsed = parse_service(installed, text.as_bytes(), &name);
            let rendered: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
            assert_eq!(rendered, Vec::<String>::new(), "{enabled}");
            let service = parsed.service.expect("no errors, so a service");
            assert_eq!(service.name, enabled);
            assert_eq!(service.base(), installed);
            parsed_count += 1;
        }
    }
    // 38 files, agetty twice, and six shutdown steps for both targets.
    assert_eq!(parsed_count, 45);
}

#[test]
fn agetty_takes_its_tty_from_the_name() {
    let agetty = parse_enabled("agetty@tty1");
    assert_eq!(agetty.description, "agetty on tty1");
    assert_eq!(agetty.kind, ServiceType::Respawn);
    assert_eq!(agetty.respawn_limit, None);
    assert_eq!(agetty.target, Target::Boot);
    assert_eq!(agetty.after[..], ["network"]);
    assert_eq!(agetty.arg(), Some("tty1"));
    assert_eq!(
        agetty.tty.as_deref(),
        Some(&Tty {
            path: "/dev/tty1".into(),
            truncate: false
        })
    );
    assert_eq!(agetty.exec, [["agetty", "tty1", "linux"]]);
}

#[test]
fn swclocksave_keeps_its_percent_signs_and_truncates() {
    let save = parse_enabled("swclocksave@shutdown");
    assert_eq!(save.target, Target::Shutdown);
    assert_eq!(save.exec, [["date", "--utc", "+%m%d%H%M%Y.%S"]]);
    assert_eq!(
        save.tty.as_deref(),
        Some(&Tty {
            path: "/var/lib/swclock".into(),
            truncate: true
        })
    );
    assert_eq!(parse_enabled("swclocksave@reboot").target, Target::Reboot);
}

#[test]
fn devfs_runs_its_block_of_twelve_commands() {
    let devfs = parse_enabled("devfs");
    assert_eq!(devfs.description, "mount /dev");
    assert_eq!(devfs.kind, ServiceType::Wait);
    assert_eq!(devfs.after[..], ["procfs", "sysfs"]);
    assert_eq!(devfs.before[..], ["vfs"]);
    assert_eq!(devfs.exec.len(), 12);
    assert_eq!(
        devfs.exec.to_vecs()[0],
        ["mount", "-t", "devtmpfs", "none", "/dev"]
    );
    assert_eq!(
        devfs.exec.to_vecs()[11],
        [
            "/usr/libexec/init/trymount.sh",
            "/dev/shm",
            "tmpfs",
            "noexec,nosuid,nodev,mode=1777"
        ]
    );
}

#[test]
fn milestones_have_no_commands() {
    for milestone in ["vfs", "sysinit", "network"] {
        let service = parse_enabled(milestone);
        assert!(service.is_milestone(), "{milestone}");
        assert_eq!(service.kind, ServiceType::Wait, "{milestone}");
    }
    assert_eq!(parse_enabled("vfs").before[..], ["sysinit"]);
}

#[test]
fn quoted_arguments_keep_their_spaces_and_empty_strings() {
    let nginx = parse_enabled("nginx");
    assert_eq!(nginx.exec, [["nginx", "-g", "daemon off;"]]);
    assert_eq!(nginx.respawn_limit, Some(10));
    let keygen = parse_enabled("sshd_keygen");
    assert_eq!(
        keygen.exec.to_vecs()[1],
        [
            "ssh-keygen",
            "-f",
            "/etc/ssh/host_rsa_key",
            "-N",
            "",
            "-t",
            "rsa"
        ]
    );
    assert_eq!(keygen.exec.len(), 5);
    let dhcpcd = parse_enabled("dhcpcd@eth0");
    assert_eq!(dhcpcd.description, "DHCP client on eth0");
    assert_eq!(dhcpcd.exec.to_vecs()[1], ["dhcpcd", "-n", "eth0"]);
    assert_eq!(dhcpcd.after[..], ["dhcpcdmaster", "network"]);
}

//! What-if on the real Pygos default configuration: it boots, and the
//! prediction (boot time and critical chain) is the reviewed snapshot.

use std::path::Path;

use init_core::name::EnabledName;
use init_core::parse::parse_service;
use init_core::service::ServiceDef;
use init_sim::whatif::{predict_boot, render_text, Assumptions};

/// The corpus enabled as its README says: `.in` tokens substituted,
/// `target %0` services for both final targets, parameterised ones once.
fn pygos_services() -> Vec<ServiceDef> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/corpus/pygos-init-scripts/services");
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus is readable") {
        let file = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        let base = file.trim_end_matches(".in").to_string();
        match base.as_str() {
            "sigterm" | "sigkill" | "sync" | "ifdown" | "unmount" | "swclocksave" => {
                names.push(format!("{base}@shutdown"));
                names.push(format!("{base}@reboot"));
            }
            "agetty" => names.push("agetty@tty1".into()),
            "consolefont" => names.push("consolefont@lat9w-16".into()),
            "dhcpcd" => names.push("dhcpcd@eth0".into()),
            _ => names.push(base),
        }
    }
    names.sort();
    names
        .iter()
        .map(|enabled| {
            let name = EnabledName::parse(enabled).expect("valid name");
            let plain = dir.join(&name.base);
            let path = if plain.exists() {
                plain
            } else {
                dir.join(format!("{}.in", name.base))
            };
            let text = std::fs::read_to_string(&path)
                .expect("readable")
                .replace("@SCRIPTDIR@", "/usr/libexec/init")
                .replace("@ETCPATH@", "/etc")
                .replace("@SBINPATH@", "/usr/sbin")
                .replace("@STATEFILESPATH@", "/var/lib");
            let parsed = parse_service(enabled, text.as_bytes(), &name);
            parsed
                .service
                .unwrap_or_else(|| panic!("{enabled}: {:?}", parsed.diagnostics))
        })
        .collect()
}

#[test]
fn the_pygos_configuration_boots_and_shows_its_critical_chain() {
    // Rough costs of the programs that do real work at boot.
    let command_ms = [
        ("mount", 50),
        ("trymount.sh", 20),
        ("overlay.sh", 100),
        ("modules_load.sh", 200),
        ("hwclock", 300),
        ("sysctl", 20),
        ("ifrename.sh", 50),
        ("nft", 50),
        ("waitfile", 200),
        ("ssh-keygen", 1500),
    ]
    .into_iter()
    .map(|(p, ms)| (p.to_string(), ms))
    .collect();
    let mut assumptions = Assumptions {
        sequential: false,
        command_ms,
    };
    let parallel = predict_boot(pygos_services(), &assumptions);
    assert!(parallel.violations.is_empty(), "{:?}", parallel.violations);
    assert!(parallel.boot_ms.is_some(), "boot completes");
    assumptions.sequential = true;
    let sequential = predict_boot(pygos_services(), &assumptions);
    assert!(
        sequential.violations.is_empty(),
        "{:?}",
        sequential.violations
    );
    assert!(sequential.boot_ms >= parallel.boot_ms);
    let text = format!("{}\n{}", render_text(&parallel), render_text(&sequential));
    insta::assert_snapshot!(text);
}

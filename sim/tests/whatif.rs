//! What-if on the real Pygos default configuration: it boots, and the
//! prediction (boot time and critical chain) is the reviewed snapshot.

use std::path::Path;

use init_core::name::EnabledName;
use init_core::parse::parse_service;
use init_core::service::ServiceDef;
use init_sim::profile::Profile;
use init_sim::whatif::{measured_timeline, predict_boot, render_text, Assumptions};

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
        ..Assumptions::default()
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

/// Services from `(name, body)` pairs, as a directory of files holds them.
fn services(files: &[(&str, &str)]) -> Vec<ServiceDef> {
    let mut files = files.to_vec();
    files.sort();
    files
        .iter()
        .map(|(enabled, body)| {
            let name = EnabledName::parse(enabled).expect("valid name");
            let parsed = parse_service(enabled, body.as_bytes(), &name);
            parsed
                .service
                .unwrap_or_else(|| panic!("{enabled}: {:?}", parsed.diagnostics))
        })
        .collect()
}

/// A real boot's trace, as init writes it: a mount, two services after
/// it (keys the slower), a daemon after both that says when it is ready,
/// and init's own few milliseconds before each spawn.
const TRACE: &str = r#"{"dir":"in","event":"boot","service":null,"t_ms":12}
{"dir":"out","event":"spawn","exec":[["mount","-a"]],"service":"mounts","t_ms":17,"tty":null}
{"dir":"in","event":"spawned","pid":2,"service":"mounts","t_ms":17}
{"dir":"in","event":"exit","pid":2,"service":"mounts","signal":null,"status":0,"t_ms":117}
{"dir":"out","event":"report","report":"OK","service":"mounts","t_ms":118}
{"dir":"out","event":"spawn","exec":[["ssh-keygen","-A"]],"service":"keys","t_ms":122,"tty":null}
{"dir":"out","event":"spawn","exec":[["ip","link","set","up","eth0"]],"service":"net","t_ms":124,"tty":null}
{"dir":"in","event":"spawned","pid":3,"service":"keys","t_ms":124}
{"dir":"in","event":"spawned","pid":4,"service":"net","t_ms":124}
{"dir":"in","event":"exit","pid":4,"service":"net","signal":null,"status":0,"t_ms":324}
{"dir":"out","event":"report","report":"OK","service":"net","t_ms":325}
{"dir":"in","event":"exit","pid":3,"service":"keys","signal":null,"status":0,"t_ms":622}
{"dir":"out","event":"report","report":"OK","service":"keys","t_ms":623}
{"dir":"out","event":"spawn","exec":[["sshd","-D"]],"service":"sshd","t_ms":627,"tty":null}
{"dir":"in","event":"spawned","pid":5,"service":"sshd","t_ms":627}
{"dir":"in","event":"ready","service":"sshd","t_ms":667}
{"dir":"out","event":"report","report":"UP","service":"sshd","t_ms":668}
{"dir":"out","event":"target-complete","service":null,"t_ms":668,"target":"boot"}
"#;

const MOUNTS: &str = "type wait\ntarget boot\nexec mount -a\n";
const KEYS: &str = "type wait\ntarget boot\nafter mounts\nexec ssh-keygen -A\n";
const NET: &str = "type wait\ntarget boot\nafter mounts\nexec ip link set up eth0\n";
const SSHD: &str = "type respawn\ntarget boot\nafter keys net\nready-fd 3\nexec sshd -D\n";

#[test]
fn a_profile_predicts_its_own_boot_and_changed_ones() {
    let profile = Profile::from_trace("boot.trace", TRACE).expect("a trace");
    let read_back = Profile::parse("boot.profile", &profile.render()).expect("a profile");
    assert_eq!(read_back, profile);
    let predict = |files: &[(&str, &str)], sequential: bool| {
        let defs = services(files);
        let assumptions = Assumptions {
            sequential,
            ..Assumptions::default()
        }
        .with_profile(&profile, &defs);
        let prediction = predict_boot(defs, &assumptions);
        assert!(
            prediction.violations.is_empty(),
            "{:?}",
            prediction.violations
        );
        render_text(&prediction)
    };
    let same = predict(
        &[
            ("mounts", MOUNTS),
            ("keys", KEYS),
            ("net", NET),
            ("sshd", SSHD),
        ],
        false,
    );
    // The same configuration comes out within a few milliseconds: init's
    // overhead per spawn varied from 2 to 5 ms and the prediction takes
    // the mean, and the real init said boot complete 1 ms after sshd's
    // ready word.
    assert!(
        same.starts_with(
            "boot complete at 0.652s (4 services, parallel)\n\
             profiled boot 0.656s: -0.004s (-0.6%)\n"
        ),
        "{same}"
    );
    // A slow service that sshd now waits for, not in the profile.
    let slow = "type wait\ntarget boot\nafter mounts\nexec sleep 1\n";
    let sshd_after_slow = SSHD.replace("after keys net", "after keys net slow");
    let added = predict(
        &[
            ("mounts", MOUNTS),
            ("keys", KEYS),
            ("net", NET),
            ("slow", slow),
            ("sshd", &sshd_after_slow),
        ],
        false,
    );
    // keys no longer waits for mounts; net is gone.
    let keys_first = KEYS.replace("after mounts\n", "");
    let edge_removed = predict(
        &[("mounts", MOUNTS), ("keys", &keys_first), ("sshd", SSHD)],
        false,
    );
    let sequential = predict(
        &[
            ("mounts", MOUNTS),
            ("keys", KEYS),
            ("net", NET),
            ("sshd", SSHD),
        ],
        true,
    );
    insta::assert_snapshot!(format!(
        "{read_back_text}\n{same}\n{added}\n{edge_removed}\n{sequential}",
        read_back_text = profile.render()
    ));
}

#[test]
fn the_measured_boot_is_drawn_as_the_core_counts_readiness() {
    let profile = Profile::from_trace("boot.trace", TRACE).expect("a trace");
    // net is gone from this configuration: it keeps its row, as a `wait`
    // service (it ran to its exit).
    let defs = services(&[("mounts", MOUNTS), ("keys", KEYS), ("sshd", SSHD)]);
    let timeline = measured_timeline(&profile, &defs);
    let row = |name: &str| {
        timeline
            .services
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    assert_eq!(row("keys").satisfied_at, row("keys").exited_at);
    assert_eq!(row("net").satisfied_at.map(|t| t.0), Some(312));
    assert_eq!(row("sshd").spawned_at.map(|t| t.0), Some(615));
    assert_eq!(row("sshd").satisfied_at.map(|t| t.0), Some(655));
    assert_eq!(timeline.now.map(|t| t.0), Some(656));
}

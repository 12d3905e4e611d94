//! The real Pygos default configuration, parsed by the real parser, booted
//! and shut down by the supervisor with processes that each take 10 ms:
//! every `after`/`before` edge is honoured, parallel mode finishes sooner
//! than the original's sequential mode, and the machine powers off.

mod supervisor_driver;

use std::path::PathBuf;

use init_core::events::{Event, Output, ServiceState};
use init_core::parse::parse_service;
use init_core::resolve::resolve;
use init_core::service::{ServiceDef, ServiceType, Target};
use init_core::supervisor::Options;
use init_core::trace;
use init_core::EnabledName;
use supervisor_driver::Driver;

/// Every service of the corpus, enabled as its README says, parsed.
fn pygos_services() -> Vec<ServiceDef> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/corpus/pygos-init-scripts/services");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("the corpus directory is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let file_name = path.file_name()?.to_str()?.to_string();
            let text = std::fs::read_to_string(&path).ok()?;
            // What the Pygos build substitutes at install time.
            let text = text
                .replace("@SCRIPTDIR@", "/usr/libexec/init")
                .replace("@ETCPATH@", "/etc")
                .replace("@SBINPATH@", "/usr/sbin")
                .replace("@STATEFILESPATH@", "/var/lib");
            Some((file_name.trim_end_matches(".in").to_string(), text))
        })
        .collect();
    files.sort();
    let mut services = Vec::new();
    for (base, text) in files {
        let enabled: Vec<String> = match base.as_str() {
            "agetty" => vec!["agetty@tty1".into()],
            "consolefont" => vec!["consolefont@lat9w-16".into()],
            "dhcpcd" => vec!["dhcpcd@eth0".into()],
            "sigterm" | "sigkill" | "sync" | "ifdown" | "unmount" | "swclocksave" => {
                vec![format!("{base}@reboot"), format!("{base}@shutdown")]
            }
            _ => vec![base.clone()],
        };
        for name in enabled {
            let parsed_name = EnabledName::parse(&name).expect("a valid enabled name");
            let parsed = parse_service(&base, text.as_bytes(), &parsed_name);
            services.push(parsed.service.expect("every corpus file parses"));
        }
    }
    services.sort_by(|a, b| a.name.cmp(&b.name));
    services
}

/// Lets every wait and once process run for 10 ms, until nothing but
/// respawn services is left running and no timer is due.
fn run_until_quiet(d: &mut Driver) {
    for _ in 0..1000 {
        let short_lived: Vec<String> = d
            .sup
            .services()
            .filter(|s| s.state == ServiceState::Running && s.def.kind != ServiceType::Respawn)
            .map(|s| s.def.name.clone())
            .collect();
        if short_lived.is_empty() {
            return;
        }
        d.advance_by(10);
        for name in short_lived {
            d.exit(&name, 0);
        }
    }
}

fn boot_with(sequential: bool) -> Driver {
    let options = Options {
        sequential,
        ..Options::default()
    };
    let mut d = Driver::with_options(pygos_services(), options);
    d.boot();
    run_until_quiet(&mut d);
    d
}

fn boot_complete_at(d: &Driver) -> Option<u64> {
    d.outputs.iter().find_map(|(t, o)| match o {
        Output::TargetComplete {
            target: Target::Boot,
        } => Some(t.0),
        _ => None,
    })
}

#[test]
fn the_pygos_boot_honours_every_edge_and_starts_everything() {
    let d = boot_with(false);
    let defs = pygos_services();
    let order = resolve(&defs, Target::Boot);
    assert_eq!(order.cycles, Vec::<Vec<usize>>::new());
    for &i in &order.order {
        let service = d.sup.service_by_name(&defs[i].name).expect("known");
        match service.def.kind {
            _ if service.def.is_milestone() => assert_eq!(service.state, ServiceState::Done),
            ServiceType::Respawn => assert_eq!(service.state, ServiceState::Running),
            _ => assert_eq!(service.state, ServiceState::Done, "{}", service.def.name),
        }
        let Some(spawned_at) = service.spawned_at else {
            continue;
        };
        for &p in &order.predecessors[i] {
            let pred = d.sup.service_by_name(&defs[p].name).expect("known");
            let ready_at = match pred.def.kind {
                ServiceType::Wait => pred.exited_at,
                _ => pred.spawned_at,
            };
            if let Some(ready_at) = ready_at {
                assert!(
                    ready_at <= spawned_at,
                    "{} started before {} was satisfied",
                    service.def.name,
                    pred.def.name
                );
            }
        }
    }
    assert_eq!(d.count(|o| matches!(o, Output::TargetComplete { .. })), 1);
}

#[test]
fn parallel_boot_of_pygos_is_faster_than_the_original_sequential_one() {
    let parallel = boot_with(false);
    let sequential = boot_with(true);
    let (Some(parallel_ms), Some(sequential_ms)) =
        (boot_complete_at(&parallel), boot_complete_at(&sequential))
    else {
        panic!("both boots complete");
    };
    assert!(
        parallel_ms < sequential_ms,
        "{parallel_ms} ms vs {sequential_ms} ms"
    );
    // Same services started, whatever the mode.
    let mut a = parallel.spawned_names();
    let mut b = sequential.spawned_names();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let timeline: Vec<String> = parallel
        .outputs
        .iter()
        .filter_map(|(t, o)| match o {
            Output::Spawn { service, .. } => parallel
                .sup
                .service(*service)
                .map(|s| format!("{:>7} {}", t.to_string(), s.def.name)),
            _ => None,
        })
        .collect();
    insta::assert_snapshot!(format!(
        "boot complete: parallel {parallel_ms} ms, sequential {sequential_ms} ms\n\n{}\n",
        timeline.join("\n")
    ));
}

#[test]
fn the_pygos_shutdown_runs_its_target_and_powers_off() {
    let mut d = boot_with(false);
    let boot_outputs = d.trace.len();
    d.advance_to(10_000);
    d.event(Event::Shutdown);
    // Here every process does as it is told: a stopped one exits on its
    // TERM, a short-lived one after 10 ms.
    for _ in 0..1000 {
        if d.powers() > 0 {
            break;
        }
        let stopping: Vec<String> = d
            .sup
            .services()
            .filter(|s| s.state == ServiceState::Stopping && s.pid.is_some())
            .map(|s| s.def.name.clone())
            .collect();
        for name in stopping {
            d.killed(&name, 15);
        }
        run_until_quiet(&mut d);
        d.advance_by(10);
    }
    assert_eq!(
        d.powers(),
        1,
        "{}",
        trace::render_text(&d.trace[boot_outputs..])
    );
    insta::assert_snapshot!(trace::render_text(&d.trace[boot_outputs..]));
}

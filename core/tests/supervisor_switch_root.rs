//! Switch-root: every service of the initramfs is stopped in reverse
//! dependency order, no final target runs, and the end is
//! `Power { SwitchRoot }` after the safety net.

mod supervisor_driver;

use init_core::events::{Event, Output, PowerAction};
use init_core::service::ServiceType::{Respawn, Wait};
use init_core::service::Target::{Boot, Shutdown};
use supervisor_driver::{svc, DefExt, Driver};

#[test]
fn a_switch_stops_everything_in_order_then_ends_without_a_final_target() {
    let mut d = Driver::new(vec![
        svc("udev", Respawn, Boot),
        svc("mount_root", Wait, Boot).after(&["udev"]),
        svc("log", Respawn, Boot).after(&["mount_root"]),
        svc("save", Wait, Shutdown),
    ]);
    d.boot();
    d.exit("mount_root", 0);
    assert_eq!(d.state("log"), "running");
    d.event(Event::SwitchRoot);
    assert_eq!(d.state("log"), "stopping", "the last started goes first");
    assert_eq!(d.state("udev"), "running");
    d.exit("log", 0);
    assert_eq!(d.state("udev"), "stopping");
    // Later requests lose: the first way down wins.
    d.event(Event::Shutdown);
    d.exit("udev", 0);
    assert_eq!(d.state("save"), "inactive", "no final target runs");
    let ends: Vec<&Output> = d
        .outputs
        .iter()
        .map(|(_, o)| o)
        .filter(|o| {
            matches!(
                o,
                Output::KillAll { .. } | Output::Sync | Output::Power { .. }
            )
        })
        .collect();
    assert_eq!(ends.len(), 4, "{}", d.trace_text());
    assert_eq!(
        ends.last(),
        Some(&&Output::Power {
            action: PowerAction::SwitchRoot,
            exit_code: 0,
        })
    );
    assert!(d.sup.is_finished());
}

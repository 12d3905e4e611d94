//! The table of a service's state changes: the one in docs/services.md
//! ("How a service's state changes") is the one the supervisor checks
//! every change against, pair by pair, and the states it names are the
//! supervisor's, shown as `status` shows them.
//!
//! That the supervisor never makes a change the table refuses is checked
//! by `supervisor_proptest.rs` and the simulator's checker (invariant 14).

mod supervisor_driver;

use std::collections::BTreeMap;

use init_core::events::{Event, Millis, Pid, ServiceState};
use init_core::service::{OutOfLine, ReadyNotice, ServiceSettings, ServiceType, Target};
use init_core::supervisor::{AdoptedService, LifecycleKind, Options, Supervisor};
use rstest::rstest;
use supervisor_driver::{svc, Driver};

const SERVICES_MD: &str = include_str!("../../docs/services.md");

/// The rows of the markdown table whose header row begins with `header`,
/// each as its cells, header row first.
fn table(header: &str) -> Vec<Vec<String>> {
    let mut lines = SERVICES_MD.lines().skip_while(|l| !l.starts_with(header));
    let mut rows = Vec::new();
    if let Some(head) = lines.next() {
        rows.push(cells(head));
    }
    // The separator row.
    lines.next();
    rows.extend(
        lines
            .take_while(|l| l.starts_with('|'))
            .map(cells)
            .collect::<Vec<_>>(),
    );
    rows
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| cell.trim().trim_matches('`').to_string())
        .collect()
}

/// The docs' table of changes, by (from, to) name: whether it is allowed.
fn documented_changes() -> BTreeMap<(String, String), bool> {
    let rows = table("| from \\ to |");
    let Some((head, body)) = rows.split_first() else {
        return BTreeMap::new();
    };
    let mut changes = BTreeMap::new();
    for row in body {
        let Some((from, marks)) = row.split_first() else {
            continue;
        };
        for (to, mark) in head.iter().skip(1).zip(marks) {
            let allowed = match mark.as_str() {
                "✓" => true,
                "·" => false,
                other => panic!("{from} → {to}: a cell is ✓ or ·, not {other:?}"),
            };
            changes.insert((from.clone(), to.clone()), allowed);
        }
    }
    changes
}

fn kinds() -> [LifecycleKind; 10] {
    LifecycleKind::ALL
}

#[test]
fn the_docs_table_names_every_state_once_in_the_code_order() {
    let rows = table("| from \\ to |");
    let names: Vec<&str> = kinds().iter().map(|k| k.name()).collect();
    let head: Vec<&str> = rows[0].iter().skip(1).map(String::as_str).collect();
    assert_eq!(head, names, "columns");
    let firsts: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(firsts, names, "rows");
    assert_eq!(documented_changes().len(), names.len() * names.len());
}

/// Every pair of states, one case each: the docs and the code agree.
#[rstest]
fn the_docs_and_the_code_allow_the_same_change(
    #[values(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)] from: usize,
    #[values(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)] to: usize,
) {
    let (from, to) = (kinds()[from], kinds()[to]);
    let documented = documented_changes()
        .get(&(from.name().to_string(), to.name().to_string()))
        .copied();
    assert_eq!(
        documented,
        Some(from.may_become(to)),
        "{} → {}: docs/services.md says {:?}, the code {}",
        from.name(),
        to.name(),
        documented,
        from.may_become(to)
    );
}

#[test]
fn every_state_is_shown_as_the_docs_say_and_every_shown_state_is_reached() {
    let rows = table("| state | shown as |");
    let shown: BTreeMap<&str, &str> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    for kind in kinds() {
        assert_eq!(
            shown.get(kind.name()).copied(),
            Some(kind.public().as_str()),
            "{}",
            kind.name()
        );
    }
    assert_eq!(shown.len(), kinds().len());
    // Every state of the protocol is the view of some state.
    for state in [
        "inactive",
        "waiting",
        "starting",
        "running",
        "restarting",
        "stopping",
        "done",
        "failed",
        "stopped",
    ] {
        assert!(
            kinds().iter().any(|k| k.public().as_str() == state),
            "{state}"
        );
    }
}

/// No state is a trap and none is unreachable.
#[test]
fn every_state_can_be_left_and_reached() {
    for kind in kinds() {
        let leaves = kinds().iter().any(|&to| to != kind && kind.may_become(to));
        assert!(leaves, "{} is a dead end", kind.name());
        let reached = kinds()
            .iter()
            .any(|&from| from != kind && from.may_become(kind));
        assert!(reached, "{} is never reached", kind.name());
    }
}

/// The table is worth reading only if nothing changes a state around it:
/// the public state is written in one place, the entry's `set_state`.
#[test]
fn only_set_state_writes_a_service_state() {
    let sources = [
        ("admin.rs", include_str!("../src/supervisor/admin.rs")),
        ("adopt.rs", include_str!("../src/supervisor/adopt.rs")),
        ("backoff.rs", include_str!("../src/supervisor/backoff.rs")),
        (
            "leftovers.rs",
            include_str!("../src/supervisor/leftovers.rs"),
        ),
        (
            "lifecycle.rs",
            include_str!("../src/supervisor/lifecycle.rs"),
        ),
        ("process.rs", include_str!("../src/supervisor/process.rs")),
        (
            "predecessors.rs",
            include_str!("../src/supervisor/predecessors.rs"),
        ),
        ("ready.rs", include_str!("../src/supervisor/ready.rs")),
        ("reload.rs", include_str!("../src/supervisor/reload.rs")),
        ("run.rs", include_str!("../src/supervisor/run.rs")),
        ("saved.rs", include_str!("../src/supervisor/saved.rs")),
        ("stop.rs", include_str!("../src/supervisor/stop.rs")),
        ("table.rs", include_str!("../src/supervisor/table.rs")),
        ("timers.rs", include_str!("../src/supervisor/timers.rs")),
        (
            "wind_down.rs",
            include_str!("../src/supervisor/wind_down.rs"),
        ),
        ("supervisor.rs", include_str!("../src/supervisor.rs")),
    ];
    for (file, text) in sources {
        for needle in ["status.state =", "lifecycle ="] {
            assert!(
                !text.contains(needle),
                "{file} writes a state without set_state: `{needle}`"
            );
        }
    }
    let entry = include_str!("../src/supervisor/entry.rs");
    let writes = entry.matches("status.state =").count();
    assert_eq!(writes, 2, "entry.rs: set_state and new, nowhere else");
}

/// The changes the proptest and the simulator reach least, each once by
/// a story: a service a timeout gave up on ends Failed, and an admin
/// start while what it left is still being ended backs off.
#[test]
fn a_failed_service_with_leftovers_backs_off_when_started() {
    let mut web = svc("web", ServiceType::Respawn, Target::Boot);
    web.settings = OutOfLine::new(ServiceSettings {
        ready: Some(ReadyNotice::Fd(3)),
        ready_timeout_ms: Some(100),
        ..Default::default()
    });
    let mut d = Driver::new(vec![web]);
    let kind = |d: &Driver| d.sup.lifecycle_kind(d.id("web"));
    d.boot();
    assert_eq!(kind(&d), Some(LifecycleKind::AwaitingReady));
    d.advance_to(100);
    assert_eq!(kind(&d), Some(LifecycleKind::Stopping));
    d.killed_leaving("web", 15);
    assert_eq!(kind(&d), Some(LifecycleKind::Failed));
    d.start("web");
    assert_eq!(kind(&d), Some(LifecycleKind::BackingOff));
    assert_eq!(d.state("web"), "restarting");
    let id = d.id("web");
    d.event(Event::LeftoversGone(id));
    assert_eq!(kind(&d), Some(LifecycleKind::AwaitingReady));
    assert_eq!(d.sup.refused_transitions(), 0);
}

/// A new init that adopts what the old one ran, without its state, takes
/// each service straight from inactive to what the old one said.
#[test]
fn adoption_takes_services_straight_to_their_listed_state() {
    let services = vec![
        svc("gone", ServiceType::Respawn, Target::Boot),
        svc("web", ServiceType::Once, Target::Boot),
        svc("halt", ServiceType::Wait, Target::Shutdown),
    ];
    let listed = [
        AdoptedService {
            name: "gone".into(),
            pid: None,
            state: ServiceState::Failed,
        },
        AdoptedService {
            name: "web".into(),
            pid: Some(Pid(7)),
            state: ServiceState::Running,
        },
    ];
    let sup = Supervisor::adopting(services, Options::default(), Millis(0), &listed);
    let kind = |name: &str| {
        sup.service_by_name(name)
            .and_then(|s| sup.lifecycle_kind(s.id))
    };
    assert_eq!(kind("gone"), Some(LifecycleKind::Failed));
    assert_eq!(kind("web"), Some(LifecycleKind::Up));
    assert_eq!(kind("halt"), Some(LifecycleKind::Inactive));
    assert_eq!(sup.refused_transitions(), 0);
}

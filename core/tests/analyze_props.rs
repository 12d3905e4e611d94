//! The analysis views on arbitrary status replies: whatever times, states
//! and dependencies a reply holds (consistent or not, cycles included),
//! every view is produced without a panic, the chart is well-formed SVG
//! with no negative sizes, blame is sorted and each chain ends where its
//! target completed.

use init_core::analyze::{blame, critical_chains, dependency_dot, plot_svg, Timeline};
use init_core::events::{ExitStatus, ServiceState};
use init_core::protocol::ServiceEntry;
use init_core::{ServiceType, Target};
use proptest::prelude::*;

const STATES: [ServiceState; 9] = [
    ServiceState::Inactive,
    ServiceState::Waiting,
    ServiceState::Starting,
    ServiceState::Running,
    ServiceState::Restarting,
    ServiceState::Stopping,
    ServiceState::Done,
    ServiceState::Failed,
    ServiceState::Stopped,
];

fn time() -> impl Strategy<Value = Option<u64>> {
    prop::option::of(0u64..20_000)
}

prop_compose! {
    fn entry(count: usize)(
        kind in prop::sample::select(vec![ServiceType::Wait, ServiceType::Once, ServiceType::Respawn]),
        target in prop::sample::select(Target::ALL.to_vec()),
        state in prop::sample::select(STATES.to_vec()),
        milestone in any::<bool>(),
        times in (time(), time(), time(), time()),
        exit in prop::option::of(-1i32..3),
        after in prop::collection::vec(0..count, 0..3),
    ) -> (ServiceEntry, Vec<usize>) {
        let entry = ServiceEntry {
            name: String::new(),
            base: String::new(),
            description: String::new(),
            kind,
            target,
            state,
            pid: None,
            exit_status: exit.map(|code| if code < 0 {
                ExitStatus::Signaled(9)
            } else {
                ExitStatus::Exited(code)
            }),
            runs: 1,
            queued_at_ms: times.0,
            spawned_at_ms: times.1,
            exited_at_ms: times.2,
            error: None,
            ready: None,
            stop_scope: None,
            processes: None,
            ready_at_ms: times.3,
            after: Vec::new(),
            before: Vec::new(),
            milestone,
        };
        (entry, after)
    }
}

fn entries() -> impl Strategy<Value = Vec<ServiceEntry>> {
    (1usize..30).prop_flat_map(|count| {
        prop::collection::vec(entry(count), count).prop_map(|drawn| {
            drawn
                .into_iter()
                .enumerate()
                .map(|(i, (mut entry, after))| {
                    entry.name = format!("s{i}");
                    entry.base = entry.name.clone();
                    entry.after = after.iter().map(|a| format!("s{a}")).collect();
                    entry
                })
                .collect()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_view_of_any_reply_is_whole(entries in entries()) {
        let timeline = Timeline::from_entries(&entries);

        let svg = plot_svg(&timeline);
        prop_assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        prop_assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
        prop_assert!(!svg.contains("=\"-"), "a negative coordinate or size: {}", svg);
        prop_assert!(!svg.contains("NaN") && !svg.contains("inf"), "{}", svg);
        prop_assert!(svg.matches("<g class=\"row").count() <= entries.len());

        let blame = blame(&timeline);
        for pair in blame.services.windows(2) {
            prop_assert!(pair[0].total_ms >= pair[1].total_ms);
        }
        for line in &blame.services {
            prop_assert!(line.waiting_ms <= line.total_ms, "{:?}", line);
        }

        for chain in critical_chains(&timeline) {
            prop_assert!(!chain.chain.is_empty());
            prop_assert!(chain.chain.len() <= entries.len());
            prop_assert_eq!(chain.chain[0].ready_at_ms, chain.completed_at_ms);
            for link in &chain.chain {
                prop_assert!(link.ready_at_ms <= chain.completed_at_ms);
            }
        }

        let dot = dependency_dot(&timeline.graph);
        let nodes = dot.lines().filter(|l| l.contains("tooltip=")).count();
        prop_assert_eq!(nodes, entries.len());
    }
}

//! The boot analysis views on one small boot, driven through the real
//! supervisor so that every time in them is one the supervisor recorded:
//! `satisfied_at` by the ordering rules, then blame, the critical chains, the
//! SVG chart and the dot graph as reviewed snapshots.

mod supervisor_driver;

use init_core::analyze::{
    blame, critical_chains, dependency_dot, plot_svg, render_blame_text, render_chains_text,
    Timeline, READY_FILL, WAITING_FILL,
};
use init_core::events::{Event, Millis, SpawnError};
use init_core::service::ReadyNotice;
use init_core::service::ServiceType::{Once, Respawn, Wait};
use init_core::service::Target::{Boot, Shutdown};
use init_core::service::{ServiceDef, ServiceType};
use rstest::rstest;
use supervisor_driver::{svc, Answer, DefExt, Driver};

fn with_ready_fd(mut def: ServiceDef) -> ServiceDef {
    def.settings.ready = Some(ReadyNotice::Fd(3));
    def
}

/// A small boot with one of everything the chart draws:
///
/// ```text
///   0 ms  mount (wait) runs; syslog (respawn) is up at once
///  40 ms  mount exits 0: vfs (milestone) reached, modules and hwclock start
/// 250 ms  modules exits 0: network reached; dhcpcd (ready-fd) and sshd start
/// 300 ms  hwclock (once) exits 1: failed
/// 900 ms  dhcpcd says it is ready; agetty starts
/// ```
///
/// plus a shutdown service that never ran.
fn small_boot() -> Driver {
    let mut d = Driver::new(vec![
        svc("agetty@tty1", Respawn, Boot).after(&["dhcpcd"]),
        with_ready_fd(svc("dhcpcd@eth0", Respawn, Boot).after(&["network"])),
        svc("hwclock", Once, Boot).after(&["vfs"]),
        svc("modules", Wait, Boot).after(&["vfs"]),
        svc("mount", Wait, Boot),
        svc("network", Wait, Boot).milestone().after(&["modules"]),
        svc("sshd", Respawn, Boot).after(&["network"]),
        svc("sync@shutdown", Wait, Shutdown),
        svc("syslog", Respawn, Boot),
        svc("vfs", Wait, Boot).milestone().after(&["mount"]),
    ]);
    d.boot();
    d.advance_to(40);
    d.exit("mount", 0);
    d.advance_to(250);
    d.exit("modules", 0);
    d.advance_to(300);
    d.exit("hwclock", 1);
    d.advance_to(900);
    let dhcpcd = d.id("dhcpcd@eth0");
    d.event(Event::Ready(dhcpcd));
    d
}

fn timeline(d: &Driver) -> Timeline {
    Timeline::from_statuses(d.sup.services())
}

fn ready_at(d: &Driver, name: &str) -> Option<u64> {
    d.sup.service_by_name(name)?.satisfied_at.map(|t| t.0)
}

#[rstest]
#[case::a_wait_service_when_it_exits("mount", Some(40))]
#[case::a_milestone_with_its_last_predecessor("network", Some(250))]
#[case::a_once_service_when_spawned("hwclock", Some(40))]
#[case::a_respawn_service_when_spawned("sshd", Some(250))]
#[case::a_ready_fd_service_when_it_says_so("dhcpcd@eth0", Some(900))]
#[case::a_service_after_it_when_it_was_spawned("agetty@tty1", Some(900))]
#[case::a_service_whose_target_never_ran("sync@shutdown", None)]
fn the_supervisor_records_when_a_service_became_ready(
    #[case] name: &str,
    #[case] expected_ms: Option<u64>,
) {
    assert_eq!(ready_at(&small_boot(), name), expected_ms);
}

#[test]
fn a_failed_spawn_is_ready_when_it_failed_and_queueing_again_clears_it() {
    let mut d = Driver::new(vec![svc("gone", Wait, Boot)]);
    d.answer("gone", Answer::Never);
    d.boot();
    d.advance_to(7);
    let gone = d.id("gone");
    d.event(Event::SpawnFailed {
        service: gone,
        error: SpawnError {
            errno: "ENOENT".into(),
            message: "no such file".into(),
        },
    });
    assert_eq!(ready_at(&d, "gone"), Some(7));
    let line = &blame(&timeline(&d)).services[0];
    assert!(line.failed, "{line:?}");
}

#[test]
fn blame_ranks_by_time_from_queued_to_ready() {
    let d = small_boot();
    let blame = blame(&timeline(&d));
    let order: Vec<&str> = blame.services.iter().map(|l| l.service.as_str()).collect();
    assert_eq!(order[..2], ["agetty@tty1", "dhcpcd@eth0"]);
    assert!(blame.not_ready.is_empty());
    insta::assert_snapshot!("blame_text", render_blame_text(&blame));
    insta::assert_json_snapshot!("blame_json", blame.services[..3]);
}

#[test]
fn the_critical_chain_follows_the_predecessor_ready_last() {
    let d = small_boot();
    let chains = critical_chains(&timeline(&d));
    assert_eq!(chains.len(), 1, "only boot ran");
    let names: Vec<&str> = chains[0].chain.iter().map(|l| l.service.as_str()).collect();
    assert_eq!(
        names,
        [
            "agetty@tty1",
            "dhcpcd@eth0",
            "network",
            "modules",
            "vfs",
            "mount"
        ]
    );
    insta::assert_snapshot!("chain_text", render_chains_text(&chains));
    insta::assert_json_snapshot!("chain_json", chains);
}

#[test]
fn a_target_still_running_has_no_chain() {
    let mut d = Driver::new(vec![svc("slow", Wait, Boot)]);
    d.boot();
    assert!(critical_chains(&timeline(&d)).is_empty());
    assert_eq!(blame(&timeline(&d)).not_ready, ["slow"]);
    // Its chart runs to when the statuses were taken.
    let svg = plot_svg(&timeline(&d).at(Some(Millis(5000))));
    assert!(svg.contains(">1 services, 5.000s</text>"), "{svg}");
}

#[test]
fn the_chain_of_shutdown_starts_when_shutdown_began() {
    let mut d = Driver::new(vec![
        svc("web", Respawn, Boot),
        svc("save", Wait, Shutdown),
        svc("sync", Wait, Shutdown).after(&["save"]),
    ]);
    d.boot();
    d.advance_to(1000);
    d.event(Event::Shutdown);
    d.exit("web", 0);
    d.advance_to(1100);
    d.exit("save", 0);
    d.advance_to(1150);
    d.exit("sync", 0);
    let chains = critical_chains(&timeline(&d));
    let shutdown = chains.iter().find(|c| c.target == Shutdown).expect("chain");
    assert_eq!(shutdown.began_at_ms, 1000);
    assert_eq!(shutdown.completed_at_ms, 1150);
    let names: Vec<&str> = shutdown.chain.iter().map(|l| l.service.as_str()).collect();
    assert_eq!(names, ["sync", "save"]);
    assert_eq!(shutdown.chain[0].ready_after_ms, 150);
}

#[test]
fn the_plot_draws_a_row_per_service_that_ran() {
    let d = small_boot();
    let svg = plot_svg(&timeline(&d));
    assert_eq!(
        svg.matches("<g class=\"row").count(),
        9,
        "sync@shutdown never ran"
    );
    assert_eq!(svg.matches("<g class=\"row failed\"").count(), 1);
    assert_eq!(svg.matches("class=\"milestone\"").count(), 2);
    insta::assert_snapshot!("plot_svg", svg);
}

#[test]
fn a_respawn_a_day_later_does_not_squeeze_the_boot() {
    let mut d = Driver::new(vec![
        svc("mount", Wait, Boot),
        svc("web", Respawn, Boot).after(&["mount"]),
    ]);
    d.boot();
    d.advance_to(40);
    d.exit("mount", 0);
    d.advance_to(86_400_000);
    d.exit("web", 1);
    d.advance_by(1000);
    assert_eq!(d.spawns("web"), 2, "web respawned a day later");
    let svg = plot_svg(&timeline(&d));
    assert!(svg.contains(">2 services, 0.040s</text>"), "{svg}");
    // web: waiting until mount exited, then ready to the end of the chart.
    let web = &svg[svg.find("<title>web").expect("web's row")..];
    assert!(
        web.contains(&format!("fill=\"{WAITING_FILL}\""))
            && web.contains(&format!("fill=\"{READY_FILL}\"")),
        "{web}"
    );
    assert!(
        !web.contains("class=\"exit\""),
        "the exit is past the chart: {web}"
    );
    // Blame counts the start its target waited for, not the respawn.
    let blame = blame(&timeline(&d));
    let web = blame.services.iter().find(|l| l.service == "web").unwrap();
    assert_eq!((web.total_ms, web.waiting_ms, web.starting_ms), (40, 40, 0));
    assert_eq!(web.spawned_at_ms, None);
}

#[test]
fn the_plot_of_nothing_is_still_a_document() {
    let d = Driver::new(vec![svc("idle", Once, Boot)]);
    let svg = plot_svg(&timeline(&d));
    assert!(
        svg.starts_with("<svg ") && svg.ends_with("</svg>\n"),
        "{svg}"
    );
}

#[test]
fn long_names_are_cut_and_kept_whole_in_the_title() {
    let long = "a-service-with-a-name-far-longer-than-any-label-column-should-be";
    let mut d = Driver::new(vec![svc(long, Once, Boot)]);
    d.boot();
    let svg = plot_svg(&timeline(&d));
    assert!(
        svg.contains(&format!("<title>{long} (once, boot)")),
        "{svg}"
    );
    assert!(!svg.contains(&format!(">{long}</text>")), "{svg}");
    assert!(svg.contains("…</text>"), "{svg}");
}

#[test]
fn the_dot_graph_colours_types_marks_milestones_and_cycles() {
    let d = small_boot();
    insta::assert_snapshot!("dot_small_boot", dependency_dot(&timeline(&d).graph));

    let cyclic = Driver::new(vec![
        svc("a", Wait, Boot).after(&["c"]),
        svc("b", Once, Boot).after(&["a"]),
        svc("c", Respawn, Boot).after(&["b"]),
    ]);
    let dot = dependency_dot(&timeline(&cyclic).graph);
    assert!(
        dot.contains("\"a\" -> \"b\" [color=\"#d03a3a\", penwidth=2];"),
        "{dot}"
    );
    assert!(dot.contains("\"c\" -> \"a\" [color=\"#d03a3a\""), "{dot}");
    assert!(
        dot.contains("style=dashed, label=\"cycle broken here\""),
        "{dot}"
    );
}

#[test]
fn times_print_in_seconds_with_milliseconds() {
    // The views share the trace's time format.
    assert_eq!(Millis(1234).to_string(), "1.234s");
    let _: ServiceType = Wait;
}

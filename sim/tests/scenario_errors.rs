//! Mistakes in a scenario are reported as `FILE:LINE: message` before
//! anything runs.

use init_sim::scenario::{Action, Scenario};
use rstest::rstest;

const WEB: &str = "service web\n  type respawn\n  target boot\n  exec httpd\nend\n";

#[rstest]
#[case::unknown_event(&format!("{WEB}at 1s crash\n"), 6, "unknown event 'crash'")]
#[case::unknown_option("option fast\n", 1, "unknown option 'fast'")]
#[case::unclosed_block("service web\n  type respawn\n", 1, "block is never closed with 'end'")]
#[case::bad_service_body("service web\n  typo x\nend\n", 2, "service web: ")]
#[case::time_backwards(&format!("{WEB}at 2s signal TERM\nat 1s signal INT\n"), 7, "time goes backwards")]
#[case::enable_without_template("enable ghost\n", 1, "no template 'ghost'")]
#[case::process_of_nothing(&format!("{WEB}process ghost hangs\n"), 6, "no service 'ghost'")]
#[case::template_twice(
    "service a\nend\nservice a@x\nend\n",
    3,
    "template 'a' is already defined at line 1"
)]
#[case::signal_init_ignores(&format!("{WEB}at 1s signal USR1\n"), 6, "init reacts to TERM, INT and HUP")]
#[case::boot_twice(&format!("{WEB}at 1s boot\n"), 6, "boot is implicit at 0s")]
#[case::unknown_errno(&format!("{WEB}process web spawn-fails EBADF\n"), 6, "unknown errno 'EBADF'")]
#[case::disable_what_is_not_enabled(&format!("{WEB}at 1s disable nope\n"), 6, "nope is not enabled")]
#[case::declaration_in_timeline(&format!("{WEB}at 1s reload\nprocess web hangs\n"), 7, "must come before the timeline")]
#[case::bad_duration(&format!("{WEB}at soon reload\n"), 6, "bad duration 'soon'")]
#[case::broken_edit(&format!("{WEB}at 1s edit web\n  type sometimes\nend\nat 1s reload\n"), 7, "service web: ")]
fn mistakes_are_reported_at_their_line(
    #[case] text: &str,
    #[case] line: u32,
    #[case] message: &str,
) {
    let error = Scenario::parse("story.scn", text).expect_err("the scenario is wrong");
    assert_eq!(error.line, line, "{error}");
    assert!(error.message.contains(message), "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("story.scn:{line}: ")),
        "{error}"
    );
}

#[test]
fn a_story_reads_into_services_settings_and_steps() {
    let text = format!(
        "{WEB}process web hangs\ncommand httpd takes 1s\n\n\
         at 1s crash web KILL\nat 2s control restart web\n\
         at 3s edit web\n  type once\n  target boot\n  exec httpd -X\nend\n\
         at 3s reload\nat 4s signal INT\n"
    );
    let scenario = Scenario::parse("story.scn", &text).expect("parses");
    assert_eq!(scenario.services.len(), 1);
    assert!(scenario.model.services["web"].hangs);
    assert_eq!(scenario.model.commands["httpd"].takes_ms, Some(1000));
    let actions: Vec<&Action> = scenario.timeline.iter().map(|s| &s.action).collect();
    assert!(matches!(actions[0], Action::Crash { signal: 9, .. }));
    assert!(matches!(actions[2], Action::ConfigChange));
    match actions[3] {
        Action::Reload(services) => assert_eq!(
            services[0].exec,
            vec![vec!["httpd".to_string(), "-X".to_string()]]
        ),
        other => panic!("expected a reload, got {other:?}"),
    }
    assert_eq!(actions[4], &Action::Reboot);
    // The reproducer writer keeps the preamble and the chosen steps.
    let only_reboot = scenario.render_with(&[4]);
    assert!(only_reboot.starts_with(WEB) && only_reboot.ends_with("at 4s signal INT\n"));
}

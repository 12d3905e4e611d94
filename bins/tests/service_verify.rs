//! `service verify`: every diagnostic of a configuration with its place,
//! a one-line summary on stderr, and exit 1 exactly when there are errors.

mod service_support;

use service_support::{service_text, Sandbox};

fn transcript(run: &service_support::Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[test]
fn a_good_config_verifies_clean() {
    let sandbox = Sandbox::new("verify-good");
    sandbox.config_file("mounts", &service_text("wait", "boot", "mount -a"));
    sandbox.config_file(
        "syslog",
        "description logs\ntype respawn\ntarget boot\nafter mounts\nexec syslogd -n\n",
    );
    let run = sandbox.service(&["verify"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "2 services, 0 errors, 0 warnings\n");
}

#[test]
fn a_broken_config_reports_every_problem() {
    let sandbox = Sandbox::new("verify-broken");
    // A cycle of three in boot, and one service outside it that is fine.
    sandbox.config_file(
        "alpha",
        "description a\ntype wait\ntarget boot\nafter gamma\nexec a\n",
    );
    sandbox.config_file(
        "beta",
        "description b\ntype wait\ntarget boot\nafter alpha\nexec b\n",
    );
    sandbox.config_file(
        "gamma",
        "description c\ntype wait\ntarget boot\nafter beta\nexec c\n",
    );
    sandbox.config_file(
        "delta",
        "description d\ntype once\ntarget boot\nafter alpha\nexec d\n",
    );
    // Dependencies on names that are not there, for different reasons.
    sandbox.template("sshd", &service_text("respawn", "boot", "sshd -D"));
    sandbox.config_file(
        "web",
        "description web\ntype respawn\ntarget boot\nafter network sshd halt\n\
         before shutdown\nexec httpd\n",
    );
    sandbox.config_file("halt", &service_text("wait", "shutdown", "halt"));
    // Errors in files: a parse error and a dangling symlink.
    sandbox.config_file(
        "typo",
        "description typo\ntype once\ntarget boot\nexce true\n",
    );
    sandbox.config_link("dangling", "../templates/gone");
    // The same file twice under two names.
    sandbox.template("getty", &service_text("respawn", "boot", "getty"));
    sandbox.config_link("getty", "../templates/getty");
    sandbox.config_link("getty2", "../templates/getty");
    // Not services at all: skipped without a word.
    sandbox.config_file(".hidden", "junk");
    sandbox.config_file("alpha.bak", "junk");
    sandbox.config_file("notes.txt", "junk");

    let run = sandbox.service(&["verify"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("verify_broken_dir", transcript(&run));
}

#[test]
fn verify_files_checks_them_as_one_configuration() {
    let sandbox = Sandbox::new("verify-files");
    let first = sandbox.template("first", &service_text("wait", "boot", "one"));
    sandbox.template(
        "second",
        "description second\ntype wait\ntarget boot\nafter first\nexec two\n",
    );
    let run = sandbox.service(&["verify", "templates/first", "templates/second"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(run.stderr, "2 services, 0 errors, 0 warnings\n");

    // Alone, `second` depends on a service that is not there: a warning.
    let run = sandbox.service(&["verify", "templates/second"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        run.stdout,
        "templates/second: warning: after first: no service first in target boot \
         (not enabled; `service enable first` would enable it)\n"
    );
    assert_eq!(run.stderr, "1 service, 0 errors, 1 warning\n");

    // The same name twice is an error, as is a file that is no service name.
    std::fs::create_dir(sandbox.root.join("copy")).unwrap();
    std::fs::copy(&first, sandbox.root.join("copy/first")).unwrap();
    std::fs::copy(&first, sandbox.root.join("copy/first.in")).unwrap();
    let run = sandbox.service(&[
        "verify",
        "templates/first",
        "copy/first",
        "copy/first.in",
        "copy/missing",
    ]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("verify_files_errors", transcript(&run));
}

#[test]
fn verify_of_a_missing_config_dir_is_an_error() {
    let sandbox = Sandbox::new("verify-missing");
    let run = sandbox.raw(&["--config-dir", "nowhere", "verify"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "nowhere: the config directory does not exist\n");
    assert_eq!(run.stderr, "0 services, 1 error, 0 warnings\n");
}

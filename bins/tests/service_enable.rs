//! `service enable` and `service disable`: the symlinks they make and
//! remove, and every way they refuse.

mod service_support;

use std::fs;

use service_support::{service_text, Sandbox};

const AGETTY: &str =
    "description agetty on %0\ntype respawn\ntarget boot\nexec agetty %0 linux\ntty /dev/%0\n";

#[test]
fn enable_links_the_template_and_disable_removes_the_link() {
    let sandbox = Sandbox::new("enable-disable");
    let template = sandbox.template("agetty", AGETTY);
    let run = sandbox.ok(&["enable", "agetty", "tty1"]);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");

    let link = sandbox.config_dir().join("agetty@tty1");
    let target = fs::read_link(&link).expect("a symlink");
    assert!(target.is_absolute(), "{target:?}");
    assert_eq!(target, fs::canonicalize(&template).unwrap());

    sandbox.ok(&["disable", "agetty", "tty1"]);
    assert!(fs::symlink_metadata(&link).is_err());
    assert!(template.exists(), "disable never touches the template");
}

#[test]
fn name_at_arg_is_accepted_in_one_word() {
    let sandbox = Sandbox::new("one-word");
    sandbox.template("agetty", AGETTY);
    sandbox.ok(&["enable", "agetty@tty2"]);
    assert!(fs::symlink_metadata(sandbox.config_dir().join("agetty@tty2")).is_ok());
    sandbox.ok(&["disable", "agetty@tty2"]);
}

#[test]
fn enable_refuses_bad_names_and_arguments() {
    let sandbox = Sandbox::new("bad-names");
    sandbox.template("agetty", AGETTY);
    for args in [
        &["enable", "../agetty"][..],
        &["enable", "agetty", "../../etc/passwd"],
        &["enable", "agetty", "a/b"],
        &["enable", "agetty", ".."],
        &["enable", "agetty", "tty\n1"],
        &["enable", "age-tty"],
        &["enable", "agetty@tty1", "tty2"],
        &["enable", "agetty", ""],
    ] {
        let run = sandbox.service(args);
        assert_eq!(run.code, 1, "{args:?}: {run:#?}");
        assert!(
            run.stderr.starts_with("service: invalid service")
                || run.stderr.contains("already holds an argument"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(fs::read_dir(sandbox.config_dir()).unwrap().count(), 0);
}

#[test]
fn enable_refuses_a_missing_template() {
    let sandbox = Sandbox::new("missing-template");
    let run = sandbox.service(&["enable", "sshd"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: no template sshd: templates/sshd does not exist\n"
    );
}

#[test]
fn enable_refuses_what_is_already_there() {
    let sandbox = Sandbox::new("already");
    sandbox.template("sshd", &service_text("respawn", "boot", "sshd -D"));
    sandbox.ok(&["enable", "sshd"]);
    let run = sandbox.service(&["enable", "sshd"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: sshd is already enabled (config/sshd exists)\n"
    );

    sandbox.template("local", &service_text("once", "boot", "true"));
    sandbox.config_file("local", "description hand-written\nexec true\n");
    let run = sandbox.service(&["enable", "local"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: config/local exists and is not a symlink; not touching it\n"
    );
}

#[test]
fn enable_refuses_a_template_with_errors_and_warns_on_warnings() {
    let sandbox = Sandbox::new("template-errors");
    sandbox.template(
        "broken",
        "description broken\ntype once\ntarget boot\nexce true\n",
    );
    let run = sandbox.service(&["enable", "broken"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("templates/broken:4:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("service: not enabling broken: the template has errors\n"),
        "{}",
        run.stderr
    );
    assert!(fs::symlink_metadata(sandbox.config_dir().join("broken")).is_err());

    // %0 without an argument is an error of the file as enabled.
    sandbox.template("agetty", AGETTY);
    let run = sandbox.service(&["enable", "agetty"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr.starts_with("templates/agetty:1"),
        "{}",
        run.stderr
    );

    // No type and no target are warnings only: enabled, and told.
    sandbox.template("defaults", "description defaults\nexec true\n");
    let run = sandbox.ok(&["enable", "defaults"]);
    assert!(run.stderr.contains("templates/defaults"), "{}", run.stderr);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(fs::symlink_metadata(sandbox.config_dir().join("defaults")).is_ok());
}

#[test]
fn enable_refuses_a_missing_config_dir() {
    let sandbox = Sandbox::new("no-config");
    sandbox.template("sshd", &service_text("respawn", "boot", "sshd -D"));
    fs::remove_dir(sandbox.config_dir()).unwrap();
    let run = sandbox.service(&["enable", "sshd"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: the config directory config does not exist\n"
    );
}

#[test]
fn disable_refuses_what_is_not_enabled_or_not_a_symlink() {
    let sandbox = Sandbox::new("disable-errors");
    let run = sandbox.service(&["disable", "sshd"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: sshd is not enabled (config/sshd does not exist)\n"
    );

    sandbox.config_file("local", "description hand-written\nexec true\n");
    let run = sandbox.service(&["disable", "local"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "service: config/local is not a symlink; not removing it (delete it by hand if you mean it)\n"
    );
    assert!(sandbox.config_dir().join("local").exists());

    let run = sandbox.service(&["disable", "../templates/x"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("service: invalid service name"));
}

#[test]
fn usage_errors_exit_2() {
    let sandbox = Sandbox::new("usage");
    assert_eq!(sandbox.service(&["enable"]).code, 2);
    assert_eq!(sandbox.service(&["frobnicate"]).code, 2);
    assert_eq!(sandbox.service(&["list", "weekend"]).code, 2);
}

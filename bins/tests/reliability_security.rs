//! Hostile local users: what a non-root client may do over the control
//! socket (ask, never change), what init does when the socket path holds
//! something else (leave it alone), and what the `service` tool refuses or
//! warns about (bad names, files a non-root user could write).
//!
//! The init tests need root for the namespaces; see reliability_support.

mod pid1_support;
mod reliability_support;
mod service_support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome};
use reliability_support::{Config, Ready};
use service_support::{service_text, Sandbox};

/// The issue asks for the refusals to be tested as nobody.
const NOBODY_UID: u32 = 65534;

/// Not a test of its own: the client that runs under another uid (see
/// `Config::request_as_nobody`).
#[test]
fn client_helper_for_other_users() {
    pid1_support::run_client_helper();
}

#[test]
fn nobody_may_ask_but_every_change_is_refused() {
    let cfg = Config::new("nonroot");
    cfg.enable(
        "sleeper",
        "description sleeper\ntype respawn\ntarget boot\nexec sleep 100\n",
    );
    let helper = cfg.install_client_helper();
    let Some(mut ns) = cfg.boot() else { return };
    let before = ns.wait_for_state("sleeper", ServiceState::Running);

    let patterns = vec!["sleeper".to_string()];
    for request in [
        Request::Start {
            patterns: patterns.clone(),
        },
        Request::Stop {
            patterns: patterns.clone(),
        },
        Request::Restart {
            patterns: patterns.clone(),
        },
        Request::Reload,
        Request::Shutdown,
        Request::Reboot,
    ] {
        let reply = cfg.request_as_nobody(&helper, &request);
        assert_eq!(
            reply.outcome,
            Outcome::Error {
                message: format!(
                    "permission denied: only root may change services (you are uid {NOBODY_UID})"
                )
            },
            "{request:?}"
        );
    }
    let status = cfg.request_as_nobody(&helper, &Request::Status { patterns });
    assert!(
        matches!(&status.outcome, Outcome::Ok { services, .. } if services.len() == 1),
        "{status:?}"
    );
    // Nothing changed: the same process, and init still up.
    assert_eq!(ns.service("sleeper").pid, before.pid);
    assert!(ns.init_alive());
}

#[test]
fn init_never_replaces_or_follows_what_is_not_a_socket_at_its_path() {
    const PRECIOUS: &str = "precious data\n";
    for (case, plant) in [
        (
            "file",
            (|at: &Path, _: &Path| fs::write(at, PRECIOUS).unwrap()) as fn(&Path, &Path),
        ),
        ("symlink", |at: &Path, target: &Path| {
            fs::write(target, PRECIOUS).unwrap();
            symlink(target, at).unwrap();
        }),
        ("dangling-symlink", |at: &Path, target: &Path| {
            symlink(target, at).unwrap()
        }),
        ("directory", |at: &Path, _: &Path| {
            fs::create_dir(at).unwrap()
        }),
    ] {
        let cfg = Config::new(&format!("notsocket-{case}"));
        cfg.enable(
            "talker",
            "type respawn\ntarget boot\nexec sh -c \"echo ran >> LOG; exec sleep 100\"\n",
        );
        let target = cfg.path("elsewhere");
        plant(&cfg.socket(), &target);
        let mut command = Command::new("unshare");
        command
            .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(cfg.init_argv());
        let ready = Ready::Console("exists and is not a socket".to_string());
        let Some(mut ns) = cfg.boot_command(command, ready) else {
            return;
        };
        ns.wait_until("the service to run", || cfg.log_lines() == ["ran"]);
        let console = ns.console();
        assert!(
            console.contains("exists and is not a socket; not replacing it"),
            "{case}: {console}"
        );
        let meta = fs::symlink_metadata(cfg.socket()).unwrap();
        match case {
            "file" => assert_eq!(fs::read_to_string(cfg.socket()).unwrap(), PRECIOUS),
            "directory" => assert!(meta.is_dir()),
            _ => {
                assert!(meta.file_type().is_symlink(), "{case}");
                assert_eq!(fs::read_link(cfg.socket()).unwrap(), target);
                if case == "symlink" {
                    assert_eq!(fs::read_to_string(&target).unwrap(), PRECIOUS);
                } else {
                    assert!(!target.exists(), "a socket was created through the link");
                }
            }
        }
        assert!(ns.init_alive());
    }
}

#[test]
fn enable_refuses_names_with_slashes_dots_or_control_characters() {
    let sandbox = Sandbox::new("rel-names");
    sandbox.template("agetty", &service_text("respawn", "boot", "agetty %0"));
    for args in [
        &["enable", "a/b"][..],
        &["enable", "/etc/passwd"],
        &["enable", ".."],
        &["enable", "agetty", "x/../../y"],
        &["enable", "agetty", "tty\t1"],
        &["enable", "agetty", "tty\x1b[2J"],
        &["enable", "agetty", "tty\x7f"],
        &["enable", "agetty", "tty\r"],
        &["enable", "agetty\x01"],
    ] {
        let run = sandbox.service(args);
        assert_eq!(run.code, 1, "{args:?}: {run:#?}");
        assert!(
            run.stderr.starts_with("service: invalid service"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(fs::read_dir(sandbox.config_dir()).unwrap().count(), 0);
}

/// The names enable refuses, with the reason the core gives for each;
/// init, `list` and `verify` skip an entry so named with the same reason.
const BAD_ARGS: [(&str, &str, &str); 2] = [
    (
        "..",
        "agetty@..",
        "'..' is not allowed in a service argument",
    ),
    (
        "tty\x01",
        "agetty@tty\\u{1}",
        "'\\u{1}' is not allowed in a service argument",
    ),
];

#[test]
fn enable_list_and_verify_refuse_a_name_with_the_same_reason() {
    let sandbox = Sandbox::new("rel-names-same");
    let template = sandbox.template("agetty", &service_text("respawn", "boot", "agetty %0"));
    sandbox.config_link("agetty@tty1", &template.display().to_string());
    for (arg, _, why) in BAD_ARGS {
        let run = sandbox.service(&["enable", "agetty", arg]);
        assert_eq!(run.code, 1, "{arg:?}: {run:#?}");
        let full = format!("agetty@{arg}");
        assert_eq!(
            run.stderr,
            format!("service: invalid service name {full:?}: {why}\n")
        );
        // The link enable refused, made by hand.
        sandbox.config_link(&full, &template.display().to_string());
    }
    for command in ["list", "verify"] {
        let run = sandbox.service(&[command]);
        // verify reports on stdout, list on stderr.
        let said = format!("{}{}", run.stdout, run.stderr);
        for (_, shown, why) in BAD_ARGS {
            let warning = format!("config/{shown}: warning: not a service name, skipped: {why}\n");
            assert_eq!(said.matches(&warning).count(), 1, "{command}: {run:#?}");
        }
    }
    let listed = sandbox.service(&["list"]).stdout;
    assert_eq!(listed.matches("agetty@").count(), 1, "{listed}");
}

#[test]
fn init_skips_entries_named_as_enable_refuses_with_one_warning_each() {
    let cfg = Config::new("badnames");
    cfg.enable(
        "agetty@tty1",
        "description getty on %0\ntype respawn\ntarget boot\n\
         exec sh -c \"echo %0 >> LOG; exec sleep 100\"\n",
    );
    let template = cfg.path("share").join("agetty");
    for (arg, _, _) in BAD_ARGS {
        symlink(&template, cfg.path("init.d").join(format!("agetty@{arg}"))).unwrap();
    }
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("agetty@tty1", ServiceState::Running);
    let names: Vec<String> = ns.status().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["agetty@tty1"]);
    ns.wait_until("the good service to run", || !cfg.log_lines().is_empty());
    assert_eq!(cfg.log_lines(), ["tty1"]);
    let console = ns.console();
    for (_, shown, why) in BAD_ARGS {
        let place = cfg.path("init.d").join(shown);
        let warning = format!(
            "{}: warning: not a service name, skipped: {why}\n",
            place.display()
        );
        assert_eq!(console.matches(&warning).count(), 1, "{console}");
    }
    assert!(!console.contains('\x01'), "{console:?}");
}

#[test]
fn verify_warns_about_files_a_non_root_user_could_write() {
    let sandbox = Sandbox::new("rel-writable");
    let text = service_text("wait", "boot", "true");
    let fine = sandbox.config_file("fine", &text);
    let open = sandbox.config_file("open", &text);
    fs::set_permissions(&open, fs::Permissions::from_mode(0o666)).unwrap();
    let owned = sandbox.config_file("owned", &text);
    nix::unistd::chown(&owned, Some(nix::unistd::Uid::from_raw(54322)), None).unwrap();
    // Enabled through a symlink: the template's own permissions count.
    let template = sandbox.template("linked", &text);
    fs::set_permissions(&template, fs::Permissions::from_mode(0o646)).unwrap();
    sandbox.config_link("linked", &template.display().to_string());
    let env: PathBuf = sandbox.root.join("initd.env");
    fs::write(&env, "PATH=/bin\n").unwrap();
    fs::set_permissions(&env, fs::Permissions::from_mode(0o622)).unwrap();

    let run = sandbox.service(&["verify", "--env-file", &env.display().to_string()]);
    assert_eq!(run.code, 0, "warnings only: {run:#?}");
    // `service` runs in the sandbox root with `--config-dir config`.
    let config = "config";
    let expected = [
        format!("{config}/linked: warning: writable by everyone (mode 0646): a non-root user could change what init runs as root"),
        format!("{config}/open: warning: writable by everyone (mode 0666): a non-root user could change what init runs as root"),
        format!("{config}/owned: warning: owned by uid 54322 (mode 0644): a non-root user could change what init runs as root"),
        format!("{}: warning: writable by everyone (mode 0622): a non-root user could change every service's environment", env.display()),
    ];
    for line in &expected {
        assert!(
            run.stdout.contains(line.as_str()),
            "missing {line}\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("/fine:"), "{}", run.stdout);
    assert_eq!(run.stdout.lines().count(), expected.len(), "{}", run.stdout);
    let _ = fine;
}

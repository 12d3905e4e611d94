//! What the original Pygos init did with a service, ours must do too: the
//! real `init` as PID 1 of a PID namespace, run on files and in ways the
//! original accepted (docs/migrating.md lists what differs on purpose).
//!
//! Needs root for the namespaces; see reliability_support.

mod pid1_support;
mod reliability_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use init_core::events::{ExitStatus, ServiceState};
use reliability_support::{Config, Ready};

#[test]
fn an_executable_script_without_a_shebang_runs_through_bin_sh() {
    // Many Pygos helper scripts start with a comment, not `#!`: the
    // original ran them with execvp, which hands such a file to /bin/sh.
    let cfg = Config::new("noshebang");
    let script = cfg.path("helper");
    fs::write(
        &script,
        format!(
            "# a Pygos-style helper, no interpreter line\necho \"helper $1\" >> {}\n",
            cfg.log().display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    cfg.enable(
        "helper",
        &format!("type wait\ntarget boot\nexec {} ran\n", script.display()),
    );
    let Some(ns) = cfg.boot() else { return };
    let helper = ns.wait_for_state("helper", ServiceState::Done);
    assert_eq!(helper.exit_status, Some(ExitStatus::Exited(0)));
    assert_eq!(cfg.log_lines(), ["helper ran"]);
}

#[test]
fn services_start_in_root_whatever_directory_init_was_started_in() {
    let cfg = Config::new("cwd");
    cfg.enable(
        "where",
        "type wait\ntarget boot\nexec sh -c \"echo where:$(pwd) >> LOG\"\n",
    );
    cfg.enable(
        "there",
        "type wait\ntarget boot\nworking-dir /tmp\nexec sh -c \"echo there:$(pwd) >> LOG\"\n",
    );
    // Started in the test's directory, as a container's WORKDIR would
    // start it, and given its paths relative to there.
    let mut command = Command::new("unshare");
    command
        .current_dir(cfg.path(""))
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .arg(env!("CARGO_BIN_EXE_init"))
        .args(["--config-dir", "init.d", "--env-file", "initd.env"])
        .args(["--socket", "run/init.sock"]);
    let Some(ns) = cfg.boot_command(command, Ready::Socket) else {
        return;
    };
    ns.wait_for_state("where", ServiceState::Done);
    ns.wait_for_state("there", ServiceState::Done);
    let mut lines = cfg.log_lines();
    lines.sort();
    assert_eq!(lines, ["there:/tmp", "where:/"]);
    // The paths were taken where init was started: a reload finds the
    // same directory, and the environment file still gave PATH.
    let reply = ns.request(init_core::protocol::Command::Reload);
    assert!(
        matches!(reply.outcome, init_core::protocol::Outcome::Ok { .. }),
        "{reply:?}"
    );
    assert_eq!(ns.status().len(), 2);
}

#[test]
fn enable_then_start_runs_a_new_service_as_with_the_original() {
    // The Pygos way to add a service to a running system.
    let cfg = Config::new("enable-start");
    cfg.enable("keeper", "type respawn\ntarget boot\nexec sleep 100\n");
    fs::write(
        cfg.path("share/web"),
        format!(
            "description web\ntype respawn\ntarget boot\nexec sh -c \"echo web >> {}; exec sleep 100\"\n",
            cfg.log().display()
        ),
    )
    .unwrap();
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    let service = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_service"))
            .arg("--config-dir")
            .arg(cfg.path("init.d"))
            .arg("--template-dir")
            .arg(cfg.path("share"))
            .arg("--socket")
            .arg(cfg.socket())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "service {args:?}: {out:?}");
    };
    service(&["enable", "web"]);
    service(&["start", "web"]);
    ns.wait_for_state("web", ServiceState::Running);
    ns.wait_until("web to run", || cfg.log_lines() == ["web"]);
}

#[test]
fn every_tool_works_where_var_run_is_not_a_link_to_run() {
    // The original's socket was /var/run/init.sock; ours is
    // /run/init.sock, for init and every tool alike, so a system whose
    // /var/run is a directory of its own (not a link to /run) must work
    // with the defaults. init runs as PID 1 of a mount namespace with a
    // fresh /run and a /var whose run/ is a plain, empty directory; the
    // tools run inside it with no socket flag.
    let cfg = Config::new("var-run");
    cfg.enable("daemon", "type respawn\ntarget boot\nexec sleep 1000\n");
    let init = env!("CARGO_BIN_EXE_init");
    let set_up = format!(
        "mount --make-rprivate / && mkdir -p /run /var && mount -t tmpfs none /run \
         && mount -t tmpfs none /var && mkdir /var/run && test ! -L /var/run \
         && exec {init} --config-dir {} --env-file {}",
        cfg.path("init.d").display(),
        cfg.path("initd.env").display()
    );
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "--pid", "--fork", "--kill-child", "--mount-proc"])
        .args(["sh", "-c", &set_up]);
    let Some(mut ns) = cfg.boot_command(command, Ready::Console("daemon".to_string())) else {
        return;
    };
    let pid = ns.init_pid().as_raw().to_string();
    // A tool run inside init's namespaces, with its default paths.
    let tool = |program: &str, args: &[&str]| {
        Command::new("nsenter")
            .args(["-t", &pid, "-m", "-p", "--"])
            .arg(program)
            .args(args)
            .output()
            .unwrap()
    };
    let service = env!("CARGO_BIN_EXE_service");
    let until = |what: &str, args: &[&str], want: &str| {
        ns.wait_until(what, || {
            String::from_utf8_lossy(&tool(service, args).stdout).contains(want)
        })
    };
    until("service status to answer", &["status", "daemon"], "running");
    let stop = tool(service, &["stop", "daemon"]);
    assert!(stop.status.success(), "{stop:?}");
    until("daemon to stop", &["status", "daemon"], "stopped");
    let start = tool(service, &["start", "daemon"]);
    assert!(start.status.success(), "{start:?}");
    until("daemon to run again", &["status", "daemon"], "running");
    let waitfile = tool(
        env!("CARGO_BIN_EXE_waitfile"),
        &["5", "10", "/run/init.sock"],
    );
    assert!(waitfile.status.success(), "{waitfile:?}");
    // shutdown signals init and exits; init's final TERM to everything
    // left in the namespace may reach it first.
    let poweroff = tool(env!("CARGO_BIN_EXE_shutdown"), &["-p"]);
    assert!(
        poweroff.status.success()
            || poweroff.status.signal() == Some(nix::sys::signal::Signal::SIGTERM as i32),
        "{poweroff:?}"
    );
    ns.wait_for_end(pid1_support::patience());
}

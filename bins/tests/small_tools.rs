//! `waitfile`, `killall5` and `shutdown` run for real, and `init` checks its
//! command line. `killall5` and `shutdown` only ever run as, or under, PID 1
//! of a fresh PID namespace: on the host they would signal every process, or
//! the host's init.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("init-tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `sh -c SCRIPT` as PID 1 of a new PID namespace with its own /proc,
/// with the built tools first on PATH. Returns None (after saying why) where
/// namespaces are unavailable, and panics instead under CI, where they must
/// work.
fn in_pid_namespace(script: &str) -> Option<Output> {
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_killall5"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let result = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child", "--mount-proc"])
        .args(["sh", "-c", script])
        .env("PATH", path)
        .stdin(Stdio::null())
        .output();
    match result {
        Ok(out) if !String::from_utf8_lossy(&out.stderr).contains("unshare: ") => Some(out),
        other => {
            let why = format!("PID namespaces unavailable: {other:?}");
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("SKIPPED (not under CI): {why}");
            None
        }
    }
}

#[test]
fn waitfile_returns_at_once_when_files_exist() {
    let dir = temp_dir("exist");
    let f = dir.join("a");
    std::fs::write(&f, "").unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_waitfile"))
        .args(["5", "10"])
        .arg(&f)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn waitfile_times_out_with_status_1_and_names_the_file() {
    let dir = temp_dir("timeout");
    let out = Command::new(env!("CARGO_BIN_EXE_waitfile"))
        .args(["0.2", "20"])
        .arg(dir.join("never"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("timed out waiting for") && err.contains("never"),
        "{err}"
    );
}

#[test]
fn waitfile_sees_a_file_that_appears_later() {
    let dir = temp_dir("later");
    let f = dir.join("sock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_waitfile"))
        .args(["10", "10"])
        .arg(&f)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    std::fs::write(&f, "").unwrap();
    let start = Instant::now();
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn waitfile_takes_a_zero_timeout_as_for_ever_and_a_zero_probe() {
    // As the original: `alarm(0)` is no alarm, and a probe of 0 is taken.
    let dir = temp_dir("zeros");
    let f = dir.join("late");
    let mut child = Command::new(env!("CARGO_BIN_EXE_waitfile"))
        .args(["0", "0"])
        .arg(&f)
        .spawn()
        .unwrap();
    // Longer than any timeout a 0 could be mistaken for.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "waitfile 0 gave up");
    std::fs::write(&f, "").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}

#[test]
fn waitfile_rejects_bad_arguments() {
    for args in [
        &["x", "10", "f"][..],
        &["1", "x", "f"],
        &["1", "10"],
        &["-1", "10", "f"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_waitfile"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn killall5_signals_everything_but_init_and_its_own_session() {
    // Two sleepers in sessions of their own must die; PID 1, the shell
    // running killall5 and a sleeper in that shell's session survive, as
    // the original spares the caller's session. The sleepers are only
    // signalled once they run `sleep`: a child between fork and exec still
    // holds the parent's handlers, and a TERM then would be caught and
    // lost. The original's dashed number (`-15`) names the signal.
    let script = r#"
        setsid sleep 100 & s1=$!
        setsid sleep 100 & s2=$!
        sleep 100 & mine=$!
        for p in $s1 $s2 $mine; do
            until [ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ]; do sleep 0.01; done
        done
        sh -c 'killall5 -15; echo after'
        wait $s1; echo "s1 status $?"
        wait $s2; echo "s2 status $?"
        kill -0 $mine && echo "same session spared"
        kill $mine
    "#;
    let Some(out) = in_pid_namespace(script) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "after\ns1 status 143\ns2 status 143\nsame session spared\n"
    );
}

#[test]
fn killall5_stops_every_process_first_and_continues_them_after() {
    // A process of another session that catches HUP and CONT: the HUP
    // arrives while it is stopped, and the CONT at the end wakes it to
    // run both handlers. Without the stop and the continue it would see
    // the HUP alone (and give up its loop after 3 s).
    let script = r#"
        setsid sh -c 'trap "echo cont; exit" CONT; trap "echo hup" HUP; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done' > "$1" 2>/dev/null &
        t=$!
        until grep -q ready "$1" 2>/dev/null; do sleep 0.01; done
        killall5 1
        wait $t
        sort "$1"
    "#;
    let dir = temp_dir("killall5-stop");
    let log = dir.join("log");
    let Some(out) = in_pid_namespace(&format!("set -- {}; {script}", log.display())) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, "cont\nhup\nready\n", "{out:?}");
}

#[test]
fn killall5_rejects_an_unknown_signal() {
    let out = Command::new(env!("CARGO_BIN_EXE_killall5"))
        .arg("NOSUCH")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown signal 'NOSUCH'"));
}

#[test]
fn shutdown_and_reboot_signal_pid_1() {
    // Called as `shutdown` it sends SIGTERM, as `reboot` SIGINT, and
    // `reboot -p` powers off after all.
    let dir = temp_dir("reboot-name");
    let reboot = dir.join("reboot");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_shutdown"), &reboot).unwrap();
    let script = format!(
        r#"
        trap 'echo got TERM' TERM
        trap 'echo got INT' INT
        shutdown; sleep 0.2
        {reboot}; sleep 0.2
        {reboot} -p; sleep 0.2
        echo end
        "#,
        reboot = reboot.display()
    );
    let Some(out) = in_pid_namespace(&script) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, "got TERM\ngot INT\ngot TERM\nend\n");
}

#[test]
fn shutdown_takes_the_command_lines_the_original_took() {
    // The original (getopt) ignores operands, lets the last of -p and -r
    // win, and reads -n only with -f. PID 1 here is a shell that says
    // which signal came.
    let dir = temp_dir("shutdown-forms");
    let reboot = dir.join("reboot");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_shutdown"), &reboot).unwrap();
    let script = format!(
        r#"
        trap 'echo TERM' TERM
        trap 'echo INT' INT
        for args in "now" "-r now" "-n" "-rn" "-r -p" "-p -r"; do
            printf '%s: ' "$args"; shutdown $args; sleep 0.2
        done
        printf 'reboot -n: '; {reboot} -n; sleep 0.2
        echo end
        "#,
        reboot = reboot.display()
    );
    let Some(out) = in_pid_namespace(&script) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "now: TERM\n-r now: INT\n-n: TERM\n-rn: INT\n-r -p: TERM\n-p -r: INT\n\
         reboot -n: INT\nend\n",
        "{out:?}"
    );
}

#[test]
fn init_rejects_a_bad_timeout_and_says_which_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_init"))
        .args(["--supervise", "--kill-grace", "5 s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--kill-grace") && stderr.contains("bad duration '5 s'"),
        "{stderr}"
    );
}

#[test]
fn the_init_binary_runs_each_program_by_the_name_it_is_called() {
    // The shipped tree holds one binary; the others are links to it, or
    // `init NAME ...` names them.
    let dir = temp_dir("multicall");
    for name in ["service", "waitfile", "killall5", "shutdown", "poweroff"] {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_init"), dir.join(name)).unwrap();
    }
    let run = |program: &std::path::Path, args: &[&str]| -> (i32, String) {
        let out = Command::new(program).args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let init = std::path::Path::new(env!("CARGO_BIN_EXE_init"));
    let (code, help) = run(&dir.join("service"), &["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("Usage: service"), "{help}");
    assert_eq!(run(&dir.join("waitfile"), &["1", "10", "/"]).0, 0);
    assert_eq!(
        run(&dir.join("waitfile"), &["0.05", "10", "/nonexistent"]).0,
        1
    );
    // A usage error, refused before any signal is sent.
    assert_eq!(run(&dir.join("killall5"), &["NOPE"]).0, 2);
    let (code, help) = run(&dir.join("poweroff"), &["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("Usage: poweroff"), "{help}");
    // `init NAME ...` when not PID 1.
    assert_eq!(run(init, &["waitfile", "1", "10", "/"]).0, 0);
    let (code, help) = run(init, &["service", "--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("Usage: service"), "{help}");
    // And init itself, not PID 1 and without --supervise, still refuses.
    assert_eq!(run(init, &[]).0, 1);
}

//! The control socket against clients that push its limits, and the
//! `service` client against an init that cuts it off or says nothing: init
//! at its fd limit, requests too large, a flood of connections by another
//! user, a symlink swapped in as the socket is bound, and a client timeout
//! that must say what timed out.
//!
//! The tests with a running init need root for the namespaces (see
//! reliability_support); the client tests run a fake server and need
//! nothing. The figures printed here are the ones docs/reliability.md
//! reports.

mod reliability_support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome, MAX_REQUEST_BYTES};
use init_os_adapter::client;
use reliability_support::Config;

const KEEPER: &str = "description keeper\ntype respawn\ntarget boot\nexec sleep 100\n";

/// `service --socket SOCKET ARGS...`, run to its end.
fn service(socket: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_service"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether init answers a status request now.
fn status_answers(socket: &Path) -> bool {
    matches!(
        client::send(
            socket,
            Request::Status { patterns: vec![] },
            Duration::from_secs(5)
        )
        .map(|r| r.outcome),
        Ok(Outcome::Ok { .. })
    )
}

/// The reply to a request of `size` bytes (a newline at its end, or none),
/// read as a client that writes all of it first, as `service` does.
fn oversize_exchange(socket: &Path, size: usize, newline: bool) -> std::io::Result<String> {
    let mut request = vec![b'x'; size];
    if newline {
        request.push(b'\n');
    }
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&request)?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

#[test]
fn a_request_too_large_is_answered_so_and_closed_without_a_reset() {
    let cfg = Config::new("oversize");
    cfg.enable("keeper", KEEPER);
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("keeper", ServiceState::Running);
    let too_large = format!(
        "{{\"version\":1,\"result\":\"error\",\"message\":\"request too large: more than {MAX_REQUEST_BYTES} bytes\"}}\n"
    );
    // Just over the limit; larger than init reads at once; larger than a
    // socket's buffers, so that the client is still writing when init
    // answers.
    for (size, newline) in [(5_000, true), (100_000, false), (4_000_000, false)] {
        let reply = oversize_exchange(&cfg.socket(), size, newline);
        match reply {
            Ok(reply) => assert_eq!(reply, too_large, "{size} bytes"),
            Err(e) => panic!("a request of {size} bytes: {e}"),
        }
    }

    // `service` says so: 2,000 patterns are a request of about 12 KB.
    let patterns: Vec<String> = (0..2000).map(|n| format!("svc{n}")).collect();
    let mut args = vec!["status"];
    args.extend(patterns.iter().map(String::as_str));
    let run = service(&cfg.socket(), &args);
    assert_eq!(
        stderr(&run),
        format!("service: request too large: more than {MAX_REQUEST_BYTES} bytes\n")
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(status_answers(&cfg.socket()));
}

//! The client side of the control protocol, for `service` and the tests.
//!
//! Owns connecting to init's socket, sending one request and reading the
//! one reply, within a timeout. It does not format replies for people; the
//! caller does.

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use init_core::protocol::{decode_reply, encode_request, Command, Reply, Request};

/// The socket `init` binds by default.
pub const DEFAULT_SOCKET: &str = "/run/init.sock";

/// How long a client waits for each step of an exchange by default. init
/// answers at once (it never blocks on anything), so this only ends the
/// wait for an init that is stuck or gone.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A reply larger than this is not read to its end (a status of thousands
/// of services is a few MiB).
const MAX_REPLY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug)]
pub enum ClientError {
    /// No init listens there (or no permission to connect).
    Connect {
        socket: PathBuf,
        error: std::io::Error,
    },
    /// The exchange broke off or timed out.
    Io {
        socket: PathBuf,
        error: std::io::Error,
    },
    /// Init answered something this client cannot read.
    BadReply { socket: PathBuf, why: String },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect { socket, error } => write!(
                f,
                "cannot connect to init at {}: {error} (is init running?)",
                socket.display()
            ),
            ClientError::Io { socket, error } => {
                write!(f, "talking to init at {}: {error}", socket.display())
            }
            ClientError::BadReply { socket, why } => {
                write!(f, "init at {} sent a bad reply: {why}", socket.display())
            }
        }
    }
}

impl std::error::Error for ClientError {}

/// Sends `command` and waits at most `timeout` for each step of the
/// exchange. The reply may itself be an error (refused, no such service):
/// that is init's answer, not a client failure.
pub fn send(socket: &Path, command: Command, timeout: Duration) -> Result<Reply, ClientError> {
    let io = |error| ClientError::Io {
        socket: socket.to_path_buf(),
        error,
    };
    let mut stream = UnixStream::connect(socket).map_err(|error| ClientError::Connect {
        socket: socket.to_path_buf(),
        error,
    })?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    stream
        .write_all(&encode_request(&Request::new(command)))
        .map_err(io)?;
    let mut reply = Vec::new();
    stream
        .take(MAX_REPLY_BYTES)
        .read_to_end(&mut reply)
        .map_err(io)?;
    let line = reply.strip_suffix(b"\n").unwrap_or(&reply);
    decode_reply(line).map_err(|e| ClientError::BadReply {
        socket: socket.to_path_buf(),
        why: e.to_string(),
    })
}

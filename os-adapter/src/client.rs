//! The client side of the control protocol, for `service` and the tests.
//!
//! Owns connecting to init's socket, sending one request and reading the
//! one reply, within a timeout, and the one retry of an exchange that init
//! cut off before it read the request. It does not format replies for
//! people; the caller does.

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use init_core::duration::format_duration_ms;
use init_core::protocol::{decode_reply, encode_request, Command, Reply, Request};

/// The socket `init` binds by default.
pub const DEFAULT_SOCKET: &str = "/run/init.sock";

/// How long a client waits for each step of an exchange by default. init
/// answers at once (it never blocks on anything), so this only ends the
/// wait for an init that is stuck or gone.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A reply larger than this is not read to its end (a status of thousands
/// of services is a few MiB).
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug)]
pub enum ClientError {
    /// No init listens there (or no permission to connect).
    Connect {
        socket: PathBuf,
        error: std::io::Error,
    },
    /// A step of the exchange took longer than the timeout.
    TimedOut {
        socket: PathBuf,
        waiting_for: Awaiting,
        timeout: Duration,
    },
    /// The exchange broke off.
    Io {
        socket: PathBuf,
        error: std::io::Error,
    },
    /// Init answered something this client cannot read.
    BadReply { socket: PathBuf, why: String },
}

/// What a client waits for from init, in the order of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    /// To accept the connection (its listen backlog is full).
    Accept,
    /// To take the request (its side of the connection is full).
    Request,
    /// The first byte of the reply.
    Reply,
    /// The rest of a reply of which this many bytes came.
    RestOfReply { received: usize },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect { socket, error } => write!(
                f,
                "cannot connect to init at {}: {error} (is init running?)",
                socket.display()
            ),
            ClientError::TimedOut {
                socket,
                waiting_for,
                timeout,
            } => {
                let socket = socket.display();
                let within = format_duration_ms(timeout.as_millis().try_into().unwrap_or(u64::MAX));
                match waiting_for {
                    Awaiting::Accept => write!(
                        f,
                        "init at {socket} did not accept the connection within {within}"
                    ),
                    Awaiting::Request => {
                        write!(f, "init at {socket} did not take the request within {within}")
                    }
                    Awaiting::Reply => write!(f, "no reply from init at {socket} within {within}"),
                    Awaiting::RestOfReply { received } => write!(
                        f,
                        "init at {socket} stopped replying for {within}, {received} bytes into its reply"
                    ),
                }
            }
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
///
/// An exchange that init resets before any byte of its reply is tried once
/// more: init acts on a request only once it has read all of it, and then
/// answers before it closes, so a reset means it never took the request
/// (a connection it had no slot for, say).
pub fn send(socket: &Path, command: Command, timeout: Duration) -> Result<Reply, ClientError> {
    let request = encode_request(&Request::new(command));
    match exchange(socket, &request, timeout) {
        Err(Failure::Reset(_)) => exchange(socket, &request, timeout),
        other => other,
    }
    .map_err(|failure| failure.into_error(socket, timeout))
}

/// How one exchange failed.
enum Failure {
    Connect(std::io::Error),
    TimedOut(Awaiting),
    /// Reset or hung up on before any byte of the reply: worth a retry.
    Reset(std::io::Error),
    Io(std::io::Error),
    BadReply(String),
}

impl Failure {
    fn into_error(self, socket: &Path, timeout: Duration) -> ClientError {
        let socket = socket.to_path_buf();
        match self {
            Failure::Connect(error) => ClientError::Connect { socket, error },
            Failure::TimedOut(waiting_for) => ClientError::TimedOut {
                socket,
                waiting_for,
                timeout,
            },
            Failure::Reset(error) | Failure::Io(error) => ClientError::Io { socket, error },
            Failure::BadReply(why) => ClientError::BadReply { socket, why },
        }
    }
}

fn is_reset(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
    )
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn exchange(socket: &Path, request: &[u8], timeout: Duration) -> Result<Reply, Failure> {
    let mut stream = connect(socket, timeout)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(Failure::Io)?;
    let reply = match stream.write_all(request) {
        Ok(()) => read_reply(&mut stream)?,
        Err(e) if is_timeout(&e) => return Err(Failure::TimedOut(Awaiting::Request)),
        // init hung up before it took all of the request; it may have said
        // why first (busy; too large, from an init that did not read the
        // rest).
        Err(e) => match read_reply(&mut stream) {
            Ok(reply) if !reply.is_empty() => reply,
            _ if is_reset(&e) => return Err(Failure::Reset(e)),
            _ => return Err(Failure::Io(e)),
        },
    };
    let line = reply.split(|&b| b == b'\n').next().unwrap_or_default();
    decode_reply(line).map_err(|e| Failure::BadReply(e.to_string()))
}

/// A stream connected to `socket`. The send timeout is set before the
/// connect: on a Unix socket, connect(2) waits for room in a full listen
/// backlog that long, and for ever without it.
fn connect(socket: &Path, timeout: Duration) -> Result<UnixStream, Failure> {
    use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, UnixAddr};
    let errno = |e: nix::errno::Errno| Failure::Connect(std::io::Error::from(e));
    let address = UnixAddr::new(socket).map_err(errno)?;
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(errno)?;
    let stream = UnixStream::from(fd);
    stream
        .set_write_timeout(Some(timeout))
        .map_err(Failure::Connect)?;
    match socket::connect(stream.as_raw_fd(), &address) {
        Ok(()) => Ok(stream),
        Err(nix::errno::Errno::EAGAIN) => Err(Failure::TimedOut(Awaiting::Accept)),
        Err(e) => Err(errno(e)),
    }
}

/// Reads the reply line: up to its newline, or to the end of the
/// connection. Stopping at the newline, it never sees a reset that follows
/// a whole reply; a reset before any byte is a [`Failure::Reset`].
fn read_reply(stream: &mut UnixStream) -> Result<Vec<u8>, Failure> {
    let mut reply = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    while reply.len() < MAX_REPLY_BYTES {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                reply.extend_from_slice(&chunk[..n]);
                if chunk[..n].contains(&b'\n') {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => {
                return Err(Failure::TimedOut(match reply.len() {
                    0 => Awaiting::Reply,
                    received => Awaiting::RestOfReply { received },
                }))
            }
            Err(e) if reply.is_empty() && is_reset(&e) => return Err(Failure::Reset(e)),
            Err(e) => return Err(Failure::Io(e)),
        }
    }
    Ok(reply)
}

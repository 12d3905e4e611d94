//! The control socket: where `service` talks to the running init.
//!
//! Owns the listening socket's life (bind as soon as its directory exists,
//! notice when a mount hides it, bind again) and the connections: bounded
//! buffers, non-blocking I/O, SO_PEERCRED access control, a deadline per
//! connection. It decides nothing about services: each well-formed and
//! permitted request goes to the driver's handler, whose reply goes back.
//!
//! One request per connection: the client writes one line, init answers
//! with one line and closes. A slow or dead client costs a slot and a
//! buffer until its deadline, never init's time.
//!
//! A status reply is written a few services at a time as the client reads
//! it (see [`Answer::Status`]): the whole reply for thousands of services
//! would be the largest thing init ever holds.
//!
//! Linux quirks this file works around: closing a Unix socket with unread
//! data resets the connection (the client loses the reply), and a listener
//! whose accept(2) fails for want of fds stays readable (poll would spin).

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use init_core::events::ServiceId;
use init_core::protocol::{
    decode_request, encode_reply, Reply, Request, ServiceEntry, StatusReplyWriter,
    MAX_REQUEST_BYTES,
};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

/// Connections served at once; more are answered "busy" and closed.
pub const MAX_CONNECTIONS: usize = 16;

/// Of [`MAX_CONNECTIONS`], the slots only root's connections may take: a
/// flood of connections by other users fills the rest at most, so that
/// root's commands always find a slot.
pub const ROOT_ONLY_SLOTS: usize = 4;

/// A connection that has not sent its request and taken its reply by then
/// is dropped.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(5);

/// Connections accepted per turn of the event loop: a flood waits in the
/// listen backlog instead of keeping init from its signals and timers.
pub const MAX_ACCEPTS_PER_TURN: usize = 64;

/// Connections waiting to be accepted, at most: what a request can find
/// ahead of it in the queue.
const LISTEN_BACKLOG: i32 = 32;

/// The uid allowed to change things.
const ROOT_UID: u32 = 0;

/// The socket file's mode: everyone may connect (status is public);
/// SO_PEERCRED decides what they may do.
const SOCKET_MODE: u32 = 0o666;

/// How long init leaves the listener alone after an accept(2) failure it
/// could do nothing about (no spare fd, no kernel memory): the connection
/// stays in the backlog, so polling the listener at once would spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The most an oversize request's remainder costs init per turn, read and
/// dropped (see [`Connection::drain`]).
const DRAIN_BYTES_PER_TURN: usize = 64 * 1024;

/// How much of a status reply is made ready at a time: the bound on a
/// connection's output buffer, give or take one service.
const STATUS_PIECE_BYTES: usize = 16 * 1024;

/// The answer to one permitted request.
#[derive(Debug)]
pub enum Answer {
    /// The whole reply at once.
    Reply(Reply),
    /// A status reply for these services, in this order, written a piece
    /// at a time as the client reads: each service as
    /// [`Handler::status_entry`] tells it when its piece is made, and the
    /// clock ([`Handler::now_ms`]) at the end, so that no time in the
    /// reply is later than `now_ms`. A service gone by then is left out.
    Status(Vec<ServiceId>),
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Answer {
        Answer::Reply(reply)
    }
}

/// What the socket asks of the rest of init.
pub trait Handler {
    /// Answers one permitted request.
    fn handle(&mut self, request: Request) -> Answer;
    /// One service as `status` shows it now; `None` once it is gone.
    fn status_entry(&mut self, id: ServiceId) -> Option<ServiceEntry>;
    /// Init's clock, in the milliseconds of the status times.
    fn now_ms(&mut self) -> u64;
}

/// A function from request to reply answers every request whole.
impl<F: FnMut(Request) -> Reply> Handler for F {
    fn handle(&mut self, request: Request) -> Answer {
        Answer::Reply(self(request))
    }

    fn status_entry(&mut self, _id: ServiceId) -> Option<ServiceEntry> {
        None
    }

    fn now_ms(&mut self) -> u64 {
        0
    }
}

/// The part of a status reply not yet made ready.
struct StatusInProgress {
    ids: std::vec::IntoIter<ServiceId>,
    writer: StatusReplyWriter,
}

struct Listener {
    socket: UnixListener,
    /// Identity of the socket file, to notice it was removed or hidden.
    dev: u64,
    ino: u64,
}

struct Connection {
    stream: UnixStream,
    /// From SO_PEERCRED at accept; `None` if the kernel would not say,
    /// which is then treated as an unprivileged peer.
    uid: Option<u32>,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
    /// The services of a status reply still to go into `output`.
    status: Option<StatusInProgress>,
    answered: bool,
    /// The request was too large: what the client still sends is read
    /// and dropped, after the reply, until it hangs up.
    draining: bool,
    deadline: Instant,
}

/// What became of a bind attempt, for the console.
#[derive(Debug, PartialEq, Eq)]
pub enum BindOutcome {
    /// Already bound and still reachable at its path.
    Unchanged,
    /// Newly bound (first time, or after the path stopped leading to it).
    Bound,
    /// The directory does not exist yet; try again later.
    NoDirectory,
    /// Something failed; the text says what.
    Failed(String),
}

pub struct ControlSocket {
    path: PathBuf,
    listener: Option<Listener>,
    connections: Vec<Connection>,
    /// An fd kept for the moment init reaches its fd limit: closed to
    /// accept one connection, which is refused, then opened again (the
    /// trick of libev and libuv). Without it, a connection that cannot be
    /// accepted stays in the backlog, and poll reports the listener
    /// readable at once, every turn: init would spin until an fd frees.
    spare_fd: Option<OwnedFd>,
    /// After an accept(2) failure nothing could help: the listener is left
    /// alone until then.
    accept_paused_until: Option<Instant>,
}

impl ControlSocket {
    pub fn new(path: &Path) -> ControlSocket {
        ControlSocket {
            path: path.to_path_buf(),
            listener: None,
            connections: Vec::new(),
            spare_fd: open_spare_fd(),
            accept_paused_until: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_bound(&self) -> bool {
        self.listener.is_some()
    }

    /// Binds the socket unless the path still leads to it. Cheap enough to
    /// call after every service exit: one stat when nothing changed.
    pub fn ensure_bound(&mut self) -> BindOutcome {
        if let Some(listener) = &self.listener {
            match std::fs::symlink_metadata(&self.path) {
                Ok(meta) if meta.dev() == listener.dev && meta.ino() == listener.ino => {
                    return BindOutcome::Unchanged
                }
                // Gone or replaced (a tmpfs mounted over /run): the old
                // socket is unreachable; bind a new one below.
                _ => self.listener = None,
            }
        }
        self.bind()
    }

    /// Binds again even if the old socket looks fine (SIGUSR1).
    pub fn rebind(&mut self) -> BindOutcome {
        self.listener = None;
        self.bind()
    }

    fn bind(&mut self) -> BindOutcome {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
                return BindOutcome::NoDirectory
            }
            _ => {}
        }
        match std::fs::symlink_metadata(&self.path) {
            // Someone answers there: another init (say, `--supervise` run
            // with the default path on a machine whose PID 1 is ours).
            // Taking its socket over would cut its admin off.
            Ok(meta) if meta.file_type().is_socket() && someone_listens(&self.path) => {
                return BindOutcome::Failed(format!(
                    "another process listens on {}; not taking it over",
                    self.path.display()
                ));
            }
            Ok(meta) if meta.file_type().is_socket() => {
                if let Err(e) = std::fs::remove_file(&self.path) {
                    return BindOutcome::Failed(format!(
                        "cannot remove the old socket {}: {e}",
                        self.path.display()
                    ));
                }
            }
            // Never remove something that is not a socket: a mistyped
            // --socket must not delete a file.
            Ok(_) => {
                return BindOutcome::Failed(format!(
                    "{} exists and is not a socket; not replacing it",
                    self.path.display()
                ))
            }
            Err(_) => {}
        }
        let socket = match listen_at(&self.path) {
            Ok(socket) => socket,
            Err(e) => {
                return BindOutcome::Failed(format!(
                    "cannot bind {}: {}",
                    self.path.display(),
                    e.desc()
                ))
            }
        };
        match std::fs::symlink_metadata(&self.path) {
            // Replaced between bind and here by someone who may write to
            // the directory: whatever it is, it is not ours to serve.
            Ok(meta) if !meta.file_type().is_socket() => BindOutcome::Failed(format!(
                "{} was replaced as init bound it; not using it",
                self.path.display()
            )),
            Ok(meta) => {
                self.listener = Some(Listener {
                    socket,
                    dev: meta.dev(),
                    ino: meta.ino(),
                });
                BindOutcome::Bound
            }
            Err(e) => BindOutcome::Failed(format!("cannot stat {}: {e}", self.path.display())),
        }
    }

    /// The fds to poll and whether each wants to write.
    pub fn poll_fds(&self) -> Vec<(BorrowedFd<'_>, bool)> {
        let mut fds = Vec::with_capacity(self.connections.len() + 1);
        if let Some(listener) = &self.listener {
            if self.accept_paused_until.is_none() {
                fds.push((listener.socket.as_fd(), false));
            }
        }
        for connection in &self.connections {
            fds.push((connection.stream.as_fd(), connection.wants_to_write()));
        }
        fds
    }

    /// The earliest connection deadline (or the end of a pause in
    /// accepting), to bound the poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.connections
            .iter()
            .map(|c| c.deadline)
            .chain(self.accept_paused_until)
            .min()
    }

    /// Accepts, reads, answers and writes whatever can be done without
    /// blocking. `handle` gets each permitted request and returns its reply.
    pub fn serve(&mut self, now: Instant, mut handle: impl Handler) {
        for connection in &mut self.connections {
            connection.progress(&mut handle);
        }
        self.connections
            .retain(|c| !c.is_finished() && now < c.deadline);
        self.accept_some(now, &mut handle);
    }

    /// Before a re-exec: serves the connections already accepted until
    /// each has its reply or `until` passes, accepting none (those wait in
    /// the listen backlog, which outlives the exec, for the next init).
    pub fn finish_connections(&mut self, until: Instant, mut handle: impl Handler) {
        loop {
            for connection in &mut self.connections {
                connection.progress(&mut handle);
            }
            self.connections.retain(|c| !c.is_finished());
            if self.connections.is_empty() || Instant::now() >= until {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The listening socket to keep across a re-exec: its fd and the
    /// identity of its file.
    pub fn listener_for_handover(&self) -> Option<(RawFd, u64, u64)> {
        self.listener
            .as_ref()
            .map(|l| (l.socket.as_raw_fd(), l.dev, l.ino))
    }

    /// Takes over the listening socket a previous init kept open across
    /// its exec; `dev` and `ino` are its file's identity as that init saw
    /// it, so that a socket hidden in the meantime is noticed and bound
    /// again as usual.
    pub fn adopt_listener(&mut self, fd: OwnedFd, dev: u64, ino: u64) {
        let socket = UnixListener::from(fd);
        // The exec kept it open, not its flags' meaning for us: close it
        // at the next exec (a service's) and never block on accept.
        let _ = socket.set_nonblocking(true);
        let _ = nix::fcntl::fcntl(
            socket.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        );
        self.listener = Some(Listener { socket, dev, ino });
    }

    /// Accepts at most [`MAX_ACCEPTS_PER_TURN`] connections. Each is served
    /// at once: a client has usually written its whole request by the time
    /// init accepts it, so a burst of short exchanges (a flood of garbage,
    /// a status in the middle of it) never fills the slots; only the
    /// connections still waiting for their client take one.
    ///
    /// Root's connections may take every slot, others all but
    /// [`ROOT_ONLY_SLOTS`].
    fn accept_some(&mut self, now: Instant, handle: &mut impl Handler) {
        if self.accept_paused_until.is_some_and(|until| now < until) {
            return;
        }
        self.accept_paused_until = None;
        if self.spare_fd.is_none() {
            self.spare_fd = open_spare_fd();
        }
        for _ in 0..MAX_ACCEPTS_PER_TURN {
            let Some(listener) = &self.listener else {
                return;
            };
            let stream = match listener.socket.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                Err(e) if is_out_of_fds(&e) && self.refuse_with_spare_fd(now, handle) => continue,
                // Out of fds with no spare, or out of kernel memory: the
                // connection waits in the backlog while init does not
                // look.
                Err(_) => {
                    self.accept_paused_until = Some(now + ACCEPT_PAUSE);
                    return;
                }
            };
            let Some(mut connection) = Connection::accepted(stream, now) else {
                continue;
            };
            connection.progress(handle);
            if connection.is_finished() {
                continue;
            }
            if self.connections.len() >= slots_for(connection.uid) {
                connection.refuse(BUSY, handle);
                continue;
            }
            self.connections.push(connection);
        }
    }

    /// At the fd limit: closes the spare fd, accepts one connection with
    /// it and refuses that, then opens the spare again. Whether a
    /// connection was taken off the backlog.
    fn refuse_with_spare_fd(&mut self, now: Instant, handle: &mut impl Handler) -> bool {
        let (Some(listener), Some(spare)) = (&self.listener, self.spare_fd.take()) else {
            return false;
        };
        drop(spare);
        let taken = match listener.socket.accept() {
            Ok((stream, _)) => {
                if let Some(mut connection) = Connection::accepted(stream, now) {
                    connection.refuse(OUT_OF_FDS, handle);
                }
                // Closed here, before the spare is opened again with the
                // fd it gives back.
                true
            }
            Err(_) => false,
        };
        self.spare_fd = open_spare_fd();
        taken
    }
}

/// The slots a peer of this uid may take: root's commands must get
/// through whatever other users do.
fn slots_for(uid: Option<u32>) -> usize {
    match uid == Some(ROOT_UID) {
        true => MAX_CONNECTIONS,
        false => MAX_CONNECTIONS - ROOT_ONLY_SLOTS,
    }
}

/// The refusal of a connection that finds every slot taken.
const BUSY: &str = "init is busy; try again";

/// The refusal of a connection accepted with the spare fd.
const OUT_OF_FDS: &str = "init is busy: out of file descriptors; try again";

/// An fd that costs nothing and needs no file system (there may be no
/// /dev yet): an empty memfd.
fn open_spare_fd() -> Option<OwnedFd> {
    use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
    memfd_create(c"init-spare-fd", MemFdCreateFlag::MFD_CLOEXEC).ok()
}

/// EMFILE (init's own limit) or ENFILE (the system's).
fn is_out_of_fds(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(nix::libc::EMFILE) | Some(nix::libc::ENFILE)
    )
}

/// A non-blocking listening socket at `path` with a short backlog. The
/// standard library's listener asks for the kernel's maximum (4096 on
/// current kernels): under a flood, a status request would then queue
/// behind thousands of garbage connections (measured: 120 ms) instead of a
/// few dozen.
///
/// The file gets its mode from the socket as bind(2) makes it: the
/// socket's own mode less the umask, which is cleared for that one call
/// (init has no other thread). A chmod by path after bind would follow
/// whatever the path leads to by then: a symlink swapped in by someone who
/// may write to the directory would hand mode 0666 to its target. (An
/// fchmod of the socket after bind changes the socket, not the file.)
fn listen_at(path: &Path) -> nix::Result<UnixListener> {
    use nix::sys::socket::{
        bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType, UnixAddr,
    };
    use nix::sys::stat::{fchmod, umask, Mode};
    let fd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let address = UnixAddr::new(path)?;
    fchmod(fd.as_raw_fd(), Mode::from_bits_truncate(SOCKET_MODE))?;
    let umask_before = umask(Mode::empty());
    let bound = bind(fd.as_raw_fd(), &address);
    umask(umask_before);
    bound?;
    listen(&fd, Backlog::new(LISTEN_BACKLOG)?)?;
    Ok(UnixListener::from(fd))
}

/// Whether a server accepts connections at `path`. Non-blocking: a
/// listener with a full backlog (EAGAIN) counts as alive, and init never
/// waits on it.
fn someone_listens(path: &Path) -> bool {
    use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
    let Ok(fd) = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    ) else {
        return false;
    };
    let Ok(address) = UnixAddr::new(path) else {
        return false;
    };
    match connect(fd.as_raw_fd(), &address) {
        Ok(()) => true,
        Err(e) => e == nix::errno::Errno::EAGAIN || e == nix::errno::Errno::EINPROGRESS,
    }
}

impl Connection {
    /// A connection just accepted, with its peer's uid; `None` if it
    /// cannot be made non-blocking (it is then closed).
    fn accepted(stream: UnixStream, now: Instant) -> Option<Connection> {
        stream.set_nonblocking(true).ok()?;
        let uid = getsockopt(&stream, PeerCredentials).ok().map(|c| c.uid());
        Some(Connection {
            stream,
            uid,
            input: Vec::new(),
            output: Vec::new(),
            written: 0,
            status: None,
            answered: false,
            draining: false,
            deadline: now + CONNECTION_DEADLINE,
        })
    }

    /// Reads, answers and writes as far as it goes without blocking.
    fn progress(&mut self, handle: &mut impl Handler) {
        if !self.answered {
            self.read_request(handle);
        }
        if self.answered {
            self.write_reply(handle);
        }
        if self.draining && self.reply_written() {
            self.drain();
        }
    }

    fn reply_written(&self) -> bool {
        self.written >= self.output.len() && self.status.is_none()
    }

    fn is_finished(&self) -> bool {
        self.answered && self.reply_written() && !self.draining
    }

    /// Whether to poll for room to write (else for input).
    fn wants_to_write(&self) -> bool {
        self.answered && !self.reply_written()
    }

    /// Says why (one non-blocking write) and closes. What the client
    /// already sent is read first: closing a Unix socket with unread data
    /// resets the connection, and the client would see "connection reset"
    /// instead of the reason. A connection already answered keeps its
    /// answer, as far as it got.
    fn refuse(&mut self, why: &str, handle: &mut impl Handler) {
        let mut sink = [0u8; 1024];
        let mut drained = 0;
        while drained <= MAX_REQUEST_BYTES {
            match self.stream.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
        if !self.answered {
            self.answer(Reply::error(why).into());
        }
        self.write_reply(handle);
    }

    /// After the reply to a request too large to take: reads and drops
    /// what the client still sends, until it hangs up (or the deadline).
    /// Closing earlier, with its data unread, would reset the connection,
    /// and a client still writing its request would never read why. init
    /// shuts its own side first, so that a client reading the reply sees
    /// its end at once and hangs up.
    fn drain(&mut self) {
        // Again on every call, harmlessly: one syscall, and no flag.
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < DRAIN_BYTES_PER_TURN {
            match self.stream.read(&mut sink) {
                Ok(n @ 1..) => drained += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // The client hung up (or broke the connection): done.
                Ok(0) | Err(_) => {
                    self.draining = false;
                    return;
                }
            }
        }
    }

    fn answer(&mut self, answer: Answer) {
        match answer {
            Answer::Reply(reply) => self.output = encode_reply(&reply),
            Answer::Status(ids) => {
                self.status = Some(StatusInProgress {
                    ids: ids.into_iter(),
                    writer: StatusReplyWriter::new(),
                })
            }
        }
        self.answered = true;
    }

    fn read_request(&mut self, handle: &mut impl Handler) {
        let mut chunk = [0u8; 1024];
        loop {
            // Never hold more than one request and its newline.
            let room = (MAX_REQUEST_BYTES + 1).saturating_sub(self.input.len());
            if room == 0 {
                break;
            }
            let take = room.min(chunk.len());
            match self.stream.read(&mut chunk[..take]) {
                Ok(0) => {
                    // The client closed its side: what came is the request.
                    if self.input.is_empty() {
                        self.answered = true;
                    } else {
                        let line = std::mem::take(&mut self.input);
                        self.decide(&line, handle);
                    }
                    return;
                }
                Ok(n) => {
                    self.input.extend_from_slice(&chunk[..n]);
                    if let Some(end) = self.input.iter().position(|&b| b == b'\n') {
                        let line = self.input[..end].to_vec();
                        self.decide(&line, handle);
                        return;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    // A broken connection: nothing to answer.
                    self.answered = true;
                    return;
                }
            }
        }
        // The buffer is full and holds no newline: too large. The rest is
        // likely still on its way.
        let line = std::mem::take(&mut self.input);
        self.decide(&line, handle);
        self.draining = true;
    }

    fn decide(&mut self, line: &[u8], handle: &mut impl Handler) {
        let answer = match decode_request(line) {
            Err(e) => Reply::error(e.to_string()).into(),
            Ok(request) if !request.command.is_read_only() && self.uid != Some(ROOT_UID) => {
                Reply::error(format!(
                    "permission denied: only root may change services (you are uid {})",
                    self.uid
                        .map(|u| u.to_string())
                        .unwrap_or_else(|| "unknown".to_string())
                ))
                .into()
            }
            Ok(request) => handle.handle(request),
        };
        self.answer(answer);
    }

    fn write_reply(&mut self, handle: &mut impl Handler) {
        loop {
            if self.written >= self.output.len() && !self.make_status_piece(handle) {
                return;
            }
            match self.stream.write(&self.output[self.written..]) {
                Ok(0) => return,
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    // The client went away: count the reply as delivered.
                    self.written = self.output.len();
                    self.status = None;
                    return;
                }
            }
        }
    }

    /// Refills the written-out buffer with the next piece of a status
    /// reply, up to [`STATUS_PIECE_BYTES`]; false when nothing is left.
    fn make_status_piece(&mut self, handle: &mut impl Handler) -> bool {
        let Some(status) = &mut self.status else {
            return false;
        };
        self.output.clear();
        self.written = 0;
        while self.output.len() < STATUS_PIECE_BYTES {
            match status.ids.next() {
                Some(id) => {
                    if let Some(entry) = handle.status_entry(id) {
                        status.writer.entry(&mut self.output, &entry);
                    }
                }
                None => {
                    if let Some(done) = self.status.take() {
                        done.writer.finish(&mut self.output, handle.now_ms());
                    }
                    break;
                }
            }
        }
        !self.output.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;
    use init_core::protocol::{decode_reply, encode_request, Command, Outcome};

    /// A control socket bound in a fresh directory (which must outlive
    /// it), and its path.
    fn bound(name: &str) -> (ScratchDir, PathBuf, ControlSocket) {
        let dir = ScratchDir::new(name);
        let path = dir.join("init.sock");
        let mut control = ControlSocket::new(&path);
        assert_eq!(control.ensure_bound(), BindOutcome::Bound);
        (dir, path, control)
    }

    fn exchange(control: &mut ControlSocket, path: &Path, bytes: &[u8]) -> Reply {
        let mut client = UnixStream::connect(path).unwrap();
        client.write_all(bytes).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        client.set_nonblocking(true).unwrap();
        let mut reply = Vec::new();
        for _ in 0..100 {
            control.serve(Instant::now(), |_| {
                Reply::affected(vec!["handled".to_string()])
            });
            let mut chunk = [0u8; 4096];
            match client.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => reply.extend_from_slice(&chunk[..n]),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        decode_reply(reply.strip_suffix(b"\n").unwrap_or(&reply)).unwrap()
    }

    #[test]
    fn binds_only_where_the_directory_exists_and_rebinds_when_the_file_goes() {
        let dir = ScratchDir::new("control-bind");
        let path = dir.join("init.sock");
        let mut control = ControlSocket::new(&path.parent().unwrap().join("missing/init.sock"));
        assert_eq!(control.ensure_bound(), BindOutcome::NoDirectory);

        let mut control = ControlSocket::new(&path);
        assert_eq!(control.ensure_bound(), BindOutcome::Bound);
        let mode = std::fs::symlink_metadata(&path).unwrap().mode() & 0o7777;
        assert_eq!(mode, SOCKET_MODE, "{mode:o}");
        assert_eq!(control.ensure_bound(), BindOutcome::Unchanged);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(control.ensure_bound(), BindOutcome::Bound);
        assert_eq!(control.rebind(), BindOutcome::Bound);
        assert_eq!(control.ensure_bound(), BindOutcome::Unchanged);
    }

    #[test]
    fn never_takes_over_a_socket_someone_listens_on() {
        let dir = ScratchDir::new("control-taken");
        let path = dir.join("init.sock");
        let mut first = ControlSocket::new(&path);
        assert_eq!(first.ensure_bound(), BindOutcome::Bound);
        let mut second = ControlSocket::new(&path);
        assert!(
            matches!(second.ensure_bound(), BindOutcome::Failed(ref why) if why.starts_with("another process listens"))
        );
        assert_eq!(first.ensure_bound(), BindOutcome::Unchanged);
        // A dead socket (its listener gone) is fair game.
        drop(first);
        assert_eq!(second.ensure_bound(), BindOutcome::Bound);
    }

    #[test]
    fn never_replaces_a_file_that_is_not_a_socket() {
        let dir = ScratchDir::new("control-file");
        let path = dir.join("init.sock");
        std::fs::write(&path, "precious").unwrap();
        let mut control = ControlSocket::new(&path);
        assert!(matches!(control.ensure_bound(), BindOutcome::Failed(_)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    }

    #[test]
    fn answers_requests_and_refuses_garbage() {
        let (_dir, path, mut control) = bound("control-serve");

        let status = encode_request(&Request::new(Command::Status { patterns: vec![] }));
        let reply = exchange(&mut control, &path, &status);
        assert_eq!(reply, Reply::affected(vec!["handled".to_string()]));

        let reply = exchange(&mut control, &path, b"not json\n");
        assert!(
            matches!(reply.outcome, Outcome::Error { ref message } if message.starts_with("malformed request"))
        );

        let huge = vec![b'x'; MAX_REQUEST_BYTES * 3];
        let reply = exchange(&mut control, &path, &huge);
        assert!(
            matches!(reply.outcome, Outcome::Error { ref message } if message.starts_with("request too large"))
        );
        assert!(control.connections.is_empty());
    }

    fn read_reply(control: &mut ControlSocket, client: &mut UnixStream) -> Reply {
        client.set_nonblocking(true).unwrap();
        let mut reply = Vec::new();
        for _ in 0..200 {
            control.serve(Instant::now(), |_| {
                Reply::affected(vec!["handled".to_string()])
            });
            if !read_some(client, &mut reply) {
                break;
            }
        }
        decode_reply(reply.strip_suffix(b"\n").unwrap_or(&reply)).unwrap()
    }

    /// Reads what a non-blocking client has, into `reply`; false once init
    /// has closed the connection.
    fn read_some(client: &mut UnixStream, reply: &mut Vec<u8>) -> bool {
        let mut chunk = [0u8; 4096];
        match client.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                reply.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
                true
            }
            Err(e) => panic!("the client saw {e}"),
        }
    }

    #[test]
    fn a_burst_of_complete_requests_never_fills_the_slots() {
        let (_dir, path, mut control) = bound("control-burst");
        let status = encode_request(&Request::new(Command::Status { patterns: vec![] }));
        // All connected and written before init accepts any of them: more
        // than the slots, fewer than the backlog (a connect beyond it
        // would block this very thread).
        let clients = MAX_CONNECTIONS + 8;
        assert!(clients < LISTEN_BACKLOG as usize);
        let mut clients: Vec<UnixStream> = (0..clients)
            .map(|_| {
                let mut client = UnixStream::connect(&path).unwrap();
                client.write_all(&status).unwrap();
                client
            })
            .collect();
        for client in &mut clients {
            let reply = read_reply(&mut control, client);
            assert_eq!(reply, Reply::affected(vec!["handled".to_string()]));
        }
    }

    /// A handler with `count` services, of which those `gone` says have
    /// left by the time their piece is written.
    struct Fleet {
        count: u32,
        gone: fn(u32) -> bool,
    }

    fn fleet_entry(id: u32) -> ServiceEntry {
        ServiceEntry {
            name: format!("getty@tty{id}"),
            base: "getty".to_string(),
            description: "a description long enough to fill a socket's buffer soon".to_string(),
            kind: init_core::service::ServiceType::Respawn,
            target: init_core::service::Target::Boot,
            state: init_core::events::ServiceState::Running,
            pid: Some(100 + id as i32),
            exit_status: None,
            runs: 1,
            queued_at_ms: Some(3),
            spawned_at_ms: Some(5),
            exited_at_ms: None,
            error: None,
            ready: None,
            stop_scope: Some("cgroup".to_string()),
            processes: Some(1),
            ready_at_ms: Some(5),
            after: vec![],
            before: vec![],
            milestone: false,
        }
    }

    impl Handler for &mut Fleet {
        fn handle(&mut self, _request: Request) -> Answer {
            Answer::Status((0..self.count).map(ServiceId).collect())
        }

        fn status_entry(&mut self, id: ServiceId) -> Option<ServiceEntry> {
            (!(self.gone)(id.0)).then(|| fleet_entry(id.0))
        }

        fn now_ms(&mut self) -> u64 {
            99
        }
    }

    /// A bound control socket, and a client that has asked it for the
    /// status of every service (the directory must outlive both).
    fn status_asked(name: &str) -> (ScratchDir, ControlSocket, UnixStream) {
        let (dir, path, control) = bound(name);
        let mut client = UnixStream::connect(&path).unwrap();
        client
            .write_all(&encode_request(&Request::new(Command::Status {
                patterns: vec![],
            })))
            .unwrap();
        (dir, control, client)
    }

    #[test]
    fn a_large_status_goes_out_in_bounded_pieces_as_the_client_reads() {
        let (_dir, mut control, mut client) = status_asked("control-status-pieces");
        let mut fleet = Fleet {
            count: 3000,
            gone: |id| id % 1000 == 7,
        };
        client.set_nonblocking(true).unwrap();
        let mut reply = Vec::new();
        let mut largest_buffer = 0;
        for _ in 0..10_000 {
            control.serve(Instant::now(), &mut fleet);
            largest_buffer = control
                .connections
                .iter()
                .map(|c| c.output.capacity())
                .fold(largest_buffer, usize::max);
            if !read_some(&mut client, &mut reply) {
                break;
            }
        }
        let kept: Vec<ServiceEntry> = (0..3000)
            .filter(|id| id % 1000 != 7)
            .map(fleet_entry)
            .collect();
        // Byte for byte the reply made at once, less the services gone.
        assert_eq!(reply, encode_reply(&Reply::status_at(kept, 99)));
        assert!(reply.len() > 500_000, "{} bytes", reply.len());
        assert!(
            largest_buffer < 2 * STATUS_PIECE_BYTES,
            "a buffer of {largest_buffer} bytes"
        );
        assert!(control.connections.is_empty());
    }

    #[test]
    fn a_status_of_no_services_is_the_short_reply() {
        let (_dir, mut control, mut client) = status_asked("control-status-empty");
        let mut fleet = Fleet {
            count: 0,
            gone: |_| false,
        };
        control.serve(Instant::now(), &mut fleet);
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, b"{\"version\":1,\"result\":\"ok\",\"now_ms\":99}\n");
    }

    #[test]
    fn a_request_too_large_is_answered_while_the_client_still_writes() {
        let (_dir, path, mut control) = bound("control-oversize");
        // Far more than a socket's buffers: the client is still writing
        // when init answers, and reads only once it is done.
        let client = std::thread::spawn({
            let path = path.clone();
            move || -> std::io::Result<Vec<u8>> {
                let mut client = UnixStream::connect(path)?;
                client.set_read_timeout(Some(Duration::from_secs(10)))?;
                client.write_all(&vec![b'x'; 4 << 20])?;
                let mut reply = Vec::new();
                client.read_to_end(&mut reply)?;
                Ok(reply)
            }
        });
        while !client.is_finished() {
            control.serve(Instant::now(), |_| Reply::ok());
            std::thread::sleep(Duration::from_millis(1));
        }
        let reply = client.join().unwrap().expect("no reset, no broken pipe");
        assert_eq!(
            reply,
            encode_reply(&Reply::error(format!(
                "request too large: more than {MAX_REQUEST_BYTES} bytes"
            )))
        );
        // init is done with it once it has read the rest (a turn takes
        // 64 KiB of it) and seen the client hang up.
        for _ in 0..100 {
            control.serve(Instant::now(), |_| Reply::ok());
        }
        assert!(control.connections.is_empty());
    }

    #[test]
    fn a_client_refused_as_busy_reads_why_rather_than_a_reset() {
        let (_dir, path, mut control) = bound("control-busy");
        // As many as this test's user may hold (root holds more).
        let slots = slots_for(Some(nix::unistd::geteuid().as_raw()));
        let silent: Vec<UnixStream> = (0..slots)
            .map(|_| UnixStream::connect(&path).unwrap())
            .collect();
        control.serve(Instant::now(), |_| Reply::ok());
        assert_eq!(control.connections.len(), slots);

        let mut late = UnixStream::connect(&path).unwrap();
        // Half a request: it waits for the rest, so it needs a slot.
        late.write_all(b"{\"version\":1,").unwrap();
        let reply = read_reply(&mut control, &mut late);
        assert_eq!(reply, Reply::error("init is busy; try again"));
        drop(silent);
    }
}

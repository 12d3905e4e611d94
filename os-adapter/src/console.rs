//! The console: status lines in the original's style, never blocking init.
//!
//! Owns formatting the `[ OK ]`/`[FAIL]`/`[ UP ]` lines and getting them
//! out. A PID 1 that writes straight to a slow serial console can stall, so
//! lines go into a bounded buffer that is written only as far as the
//! console takes without blocking; when it is full, new lines are dropped
//! and a count of them is printed once there is room again (as dinit does).
//!
//! On a terminal, init keeps one line of its own below the status lines,
//! rewritten in place: the boot progress line, or `[ .. ] description`
//! while a `wait` service runs, which its `[ OK ]` then replaces, as the
//! original did. It never rewrites (`\r`, clear to the end of the line)
//! a line that may not be its own: `console_watch.rs` tells it when
//! anyone else wrote to the console, and then it draws such a line only
//! after a whole line of its own has ended whatever was there.
//!
//! Non-blocking without touching the file description services inherit:
//! setting O_NONBLOCK on fd 1 would make their writes fail with EAGAIN. So
//! a terminal or pipe is reopened through `/proc/self/fd/1` (a description
//! of its own) when that works; otherwise (before /proc is mounted, or a
//! socket) fd 1 is used with a zero-timeout poll before each small write.

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use init_core::events::Report;

use crate::console_watch::ConsoleWatch;
use nix::fcntl::{open, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;

/// How much unwritten console text is kept before lines are dropped.
pub const CONSOLE_BUFFER_BYTES: usize = 64 * 1024;

/// The most written per write(2) on the shared, blocking fd: small enough
/// that a console that polled writable takes it whole.
const SHARED_FD_CHUNK_BYTES: usize = 256;

enum Sink {
    /// A description of its own, opened O_NONBLOCK.
    Own(OwnedFd),
    /// Init's fd 1, shared with services: poll before each write.
    Shared,
}

/// Where the cursor is, as far as init can know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// At the start of a line: init's last byte was a newline, and no one
    /// has written since.
    LineStart,
    /// At the end of init's status line (no newline), and no one has
    /// written since: the line may be rewritten.
    AfterStatus,
    /// Someone else may have written since init last did: a partial line
    /// of theirs may be there, which must not be rewritten.
    Unknown,
}

pub struct Console {
    sink: Sink,
    /// fd 1 is a terminal: colour, and a status line rewritten in place.
    terminal: bool,
    pending: VecDeque<u8>,
    dropped_lines: u64,
    position: Position,
    /// `pending` begins with a `\r` that rewrites the status line, not yet
    /// written: if someone writes first, it becomes a newline.
    rewrite_queued: bool,
    /// Writes by others, on a terminal. `None` off one, and in unit tests,
    /// where no one else writes.
    watch: Option<ConsoleWatch>,
}

impl Console {
    pub fn open() -> Console {
        let terminal = nix::unistd::isatty(std::io::stdout().as_raw_fd()).unwrap_or(false);
        let mut console = Console {
            sink: Sink::Shared,
            terminal,
            pending: VecDeque::new(),
            dropped_lines: 0,
            position: Position::LineStart,
            rewrite_queued: false,
            watch: None,
        };
        console.reopen();
        if terminal {
            console.watch = Some(ConsoleWatch::open(console.as_fd()));
        }
        console
    }

    /// Tries to get a non-blocking description of the console (needs /proc).
    ///
    /// Not for a regular file: writing one never blocks, and a second
    /// description would have an offset of its own, so init's lines and
    /// those of services (which share fd 1's offset) would overwrite each
    /// other.
    pub fn reopen(&mut self) {
        if matches!(self.sink, Sink::Own(_)) {
            return;
        }
        let is_regular_file = nix::sys::stat::fstat(1)
            .map(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG)
            .unwrap_or(false);
        if is_regular_file {
            return;
        }
        let flags = OFlag::O_WRONLY
            | OFlag::O_NONBLOCK
            | OFlag::O_CLOEXEC
            | OFlag::O_APPEND
            | OFlag::O_NOCTTY;
        if let Ok(fd) = open("/proc/self/fd/1", flags, Mode::empty()) {
            // SAFETY: open just returned this fd and nothing else owns it.
            self.sink = Sink::Own(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        }
    }

    /// `[ OK ] TEXT`: the description, or the name without one (the core
    /// chose which). It takes the place of the status line, so a `[ .. ]`
    /// line of the same service reads as rewritten.
    pub fn report(&mut self, report: &Report, what: &str) {
        let (tag, colour) = match report {
            Report::Ok => ("[ OK ]", "\x1b[32m"),
            Report::Fail => ("[FAIL]", "\x1b[31m"),
            Report::Up => ("[ UP ]", "\x1b[36m"),
        };
        let line = format!("{} {what}\n", self.tag(tag, colour));
        // A description's bytes that are not UTF-8 go out as the file held
        // them, as the original wrote them (`init_core::rawbytes`).
        self.push_line(&init_core::rawbytes::to_bytes(&line));
    }

    /// `[ .. ] TEXT` as the status line: a `wait` service runs (terminals
    /// only; see `show_status`).
    pub fn show_running(&mut self, what: &str) -> bool {
        let line = format!("{} {what}", self.tag("[ .. ]", "\x1b[33m"));
        self.show_status(&line)
    }

    fn tag(&self, tag: &str, colour: &str) -> String {
        if self.terminal {
            format!("{colour}{tag}\x1b[0m")
        } else {
            tag.to_string()
        }
    }

    /// Also watches `path` for writes by others if it is this console
    /// under another name (a service's `tty`).
    pub fn watch_if_console(&mut self, path: &std::path::Path) {
        if let Some(watch) = &mut self.watch {
            watch.watch_if_console(path);
        }
    }

    /// A message from init itself: `init: TEXT`.
    pub fn message(&mut self, text: &str) {
        self.push_line(format!("init: {text}\n").as_bytes());
    }

    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The terminal's width in columns, if it says (a serial console
    /// often says 0, which counts as not saying).
    pub fn width(&self) -> Option<usize> {
        let mut size = nix::libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes one winsize into the struct given.
        let done =
            unsafe { nix::libc::ioctl(self.as_fd().as_raw_fd(), nix::libc::TIOCGWINSZ, &mut size) };
        (done == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
    }

    /// Shows `text` as the status line, in place of the one shown (on a
    /// terminal only). The cursor stays at its end, so that what a service
    /// writes meanwhile is kept whole, after it. False when it is not
    /// drawn: off a terminal; when someone else may have written since
    /// init's last line (their partial line would be rewritten next); or,
    /// to replace a line, while earlier text still waits for a slow
    /// console.
    pub fn show_status(&mut self, text: &str) -> bool {
        if !self.terminal {
            return false;
        }
        self.notice_others();
        // A description's raw bytes go out as they are, as in `report`.
        let text = init_core::rawbytes::to_bytes(text);
        let bytes = match self.position {
            Position::AfterStatus if self.pending.is_empty() => {
                [b"\r", &text[..], b"\x1b[K"].concat()
            }
            Position::LineStart => text.into_owned(),
            Position::AfterStatus | Position::Unknown => return false,
        };
        self.rewrite_queued = bytes.first() == Some(&b'\r');
        self.push(&bytes);
        self.position = Position::AfterStatus;
        true
    }

    /// Whether init's status line is the last thing on the console.
    pub fn is_status_shown(&self) -> bool {
        self.position == Position::AfterStatus
    }

    /// Whether `show_status` would draw now: a terminal where no one else
    /// wrote since init's last line, and where a line to replace is out.
    pub fn can_show_status(&mut self) -> bool {
        self.notice_others();
        self.terminal
            && match self.position {
                Position::LineStart => true,
                Position::AfterStatus => self.pending.is_empty(),
                Position::Unknown => false,
            }
    }

    /// Removes the status line, if it is shown and may be rewritten; a
    /// line someone wrote after it stays, and so does the status line.
    pub fn clear_status(&mut self) {
        self.notice_others();
        if self.position == Position::AfterStatus && self.pending.is_empty() {
            self.rewrite_queued = true;
            self.push(b"\r\x1b[K");
            self.position = Position::LineStart;
        }
    }

    /// A whole line, in place of the status line if one is shown: what it
    /// said may be stale after this line (a service reported done). After
    /// someone else's text it goes on after that text, never over it.
    fn push_line(&mut self, line: &[u8]) {
        self.notice_others();
        if self.position == Position::AfterStatus {
            if self.pending.is_empty() {
                self.rewrite_queued = true;
                self.push(b"\r\x1b[K");
            } else {
                // Our own line, but the console is behind: end it.
                self.push(b"\n");
            }
        }
        self.push(line);
        self.position = Position::LineStart;
    }

    /// Takes note of writes by others since init last looked.
    fn notice_others(&mut self) {
        if self.watch.as_mut().is_some_and(ConsoleWatch::written_since) {
            self.position = Position::Unknown;
        }
    }

    fn push(&mut self, line: &[u8]) {
        if self.pending.len() + line.len() > CONSOLE_BUFFER_BYTES {
            self.dropped_lines += 1;
            self.rewrite_queued = false;
            return;
        }
        self.pending.extend(line);
        self.flush();
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.sink {
            Sink::Own(fd) => fd.as_fd(),
            // SAFETY: fd 1 stays open for init's whole life.
            Sink::Shared => unsafe { BorrowedFd::borrow_raw(1) },
        }
    }

    /// Writes as much as the console takes now; never blocks. Before each
    /// write it looks for writes by others; after it, it takes what the
    /// watch saw for init's own.
    pub fn flush(&mut self) {
        while !self.pending.is_empty() {
            if self.watch.as_mut().is_some_and(ConsoleWatch::written_since) {
                self.position = Position::Unknown;
                if std::mem::take(&mut self.rewrite_queued) {
                    // Someone wrote after the line this `\r` would rewrite.
                    if let Some(first) = self.pending.front_mut() {
                        *first = b'\n';
                    }
                }
            }
            let limit = match self.sink {
                Sink::Own(_) => self.pending.len(),
                Sink::Shared => {
                    let mut fds = [PollFd::new(self.as_fd(), PollFlags::POLLOUT)];
                    let ready = poll(&mut fds, PollTimeout::ZERO).unwrap_or(0);
                    if ready == 0 {
                        return;
                    }
                    SHARED_FD_CHUNK_BYTES
                }
            };
            let (front, _) = self.pending.as_slices();
            let chunk = &front[..front.len().min(limit)];
            match nix::unistd::write(self.as_fd(), chunk) {
                Ok(written) => {
                    self.pending.drain(..written);
                    if written > 0 {
                        self.rewrite_queued = false;
                    }
                    if let Some(watch) = &mut self.watch {
                        // Init's own write; see console_watch.rs for what
                        // this cannot tell apart.
                        watch.written_since();
                    }
                }
                Err(nix::errno::Errno::EINTR) => continue,
                // EAGAIN: full for now. Anything else (a hung-up console):
                // keep the text and try later; the bound caps the loss.
                Err(_) => return,
            }
            if self.pending.is_empty() && self.dropped_lines > 0 {
                let note = format!(
                    "init: console overflow: {} lines dropped\n",
                    self.dropped_lines
                );
                self.dropped_lines = 0;
                self.pending.extend(note.as_bytes());
            }
        }
    }
}

/// Makes sure fds 0, 1 and 2 are open, on `/dev/null` if need be.
///
/// The kernel starts PID 1 without them when it cannot open
/// `/dev/console`. Left closed, the first fds init opens (the signalfd, the
/// socket) would take their numbers, and services would inherit them as
/// their stdio.
pub fn ensure_standard_fds() {
    for fd in 0..3 {
        if nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).is_err() {
            // open(2) takes the lowest free number: this one. Without
            // /dev/null there is nothing better to do.
            let _ = open("/dev/null", OFlag::O_RDWR, Mode::empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A console writing into a pipe nobody reads yet.
    fn console_on_pipe() -> (Console, std::fs::File) {
        let (read_end, write_end) = nix::unistd::pipe().unwrap();
        nix::fcntl::fcntl(
            write_end.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK),
        )
        .unwrap();
        let console = Console {
            sink: Sink::Own(write_end),
            terminal: false,
            pending: VecDeque::new(),
            dropped_lines: 0,
            position: Position::LineStart,
            rewrite_queued: false,
            watch: None,
        };
        (console, std::fs::File::from(read_end))
    }

    fn read_all(console: Console, mut reader: std::fs::File) -> String {
        drop(console);
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn a_status_line_is_drawn_in_place_and_a_line_takes_its_place() {
        let (mut console, reader) = console_on_pipe();
        console.terminal = true;
        console.show_status("boot: 1 pending (a) 2.0s");
        console.show_status("boot: 1 pending (a) 3.0s");
        assert!(console.is_status_shown());
        console.message("hello");
        assert!(!console.is_status_shown());
        console.clear_status();
        assert_eq!(
            read_all(console, reader),
            "boot: 1 pending (a) 2.0s\rboot: 1 pending (a) 3.0s\x1b[K\
             \r\x1b[Kinit: hello\n"
        );
    }

    #[test]
    fn no_status_line_off_a_terminal() {
        let (mut console, reader) = console_on_pipe();
        console.show_status("boot: 1 pending (a) 2.0s");
        console.message("hello");
        console.clear_status();
        assert_eq!(read_all(console, reader), "init: hello\n");
    }

    #[test]
    fn lines_read_like_the_original() {
        let (mut console, mut reader) = console_on_pipe();
        console.report(&Report::Ok, "OpenSSH server");
        console.report(&Report::Fail, "flaky");
        console.report(&Report::Up, "agetty on tty1");
        console.message("listening on /run/init.sock");
        drop(console);
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(
            text,
            "[ OK ] OpenSSH server\n[FAIL] flaky\n[ UP ] agetty on tty1\n\
             init: listening on /run/init.sock\n"
        );
    }

    #[test]
    fn a_stuck_console_never_blocks_and_drops_lines_it_then_counts() {
        let (mut console, mut reader) = console_on_pipe();
        // Far more than the pipe (64 KiB) and the buffer (64 KiB) hold.
        for n in 0..10_000 {
            console.message(&format!("line {n:05} of a console nobody reads"));
        }
        assert!(console.pending.len() <= CONSOLE_BUFFER_BYTES);
        assert!(console.dropped_lines > 0);

        let mut text = Vec::new();
        let mut chunk = vec![0u8; 1 << 16];
        while console.has_pending() {
            let n = reader.read(&mut chunk).unwrap();
            text.extend_from_slice(&chunk[..n]);
            console.flush();
        }
        drop(console);
        reader.read_to_end(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("init: line 00000 "));
        assert!(
            text.ends_with(" lines dropped\n"),
            "{}",
            &text[text.len() - 80..]
        );
        // Whole lines only: dropping never cuts one in the middle.
        assert!(text.lines().all(|l| l.starts_with("init: ")));
    }
}

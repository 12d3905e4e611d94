//! The console: status lines in the original's style, never blocking init.
//!
//! Owns formatting the `[ OK ]`/`[FAIL]`/`[ UP ]` lines and getting them
//! out. A PID 1 that writes straight to a slow serial console can stall, so
//! lines go into a bounded buffer that is written only as far as the
//! console takes without blocking; when it is full, new lines are dropped
//! and a count of them is printed once there is room again (as dinit does).
//!
//! Non-blocking without touching the file description services inherit:
//! setting O_NONBLOCK on fd 1 would make their writes fail with EAGAIN. So
//! a terminal or pipe is reopened through `/proc/self/fd/1` (a description
//! of its own) when that works; otherwise (before /proc is mounted, or a
//! socket) fd 1 is used with a zero-timeout poll before each small write.

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use init_core::events::Report;
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

pub struct Console {
    sink: Sink,
    /// fd 1 is a terminal: colour, and a status line rewritten in place.
    terminal: bool,
    pending: VecDeque<u8>,
    dropped_lines: u64,
    /// Whether a status line (the boot progress) is on screen. Another
    /// line takes it down; its owner draws it again, with fresh content.
    status_shown: bool,
}

impl Console {
    pub fn open() -> Console {
        let terminal = nix::unistd::isatty(std::io::stdout().as_raw_fd()).unwrap_or(false);
        let mut console = Console {
            sink: Sink::Shared,
            terminal,
            pending: VecDeque::new(),
            dropped_lines: 0,
            status_shown: false,
        };
        console.reopen();
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
    /// chose which).
    pub fn report(&mut self, report: &Report, what: &str) {
        let (tag, colour) = match report {
            Report::Ok => ("[ OK ]", "\x1b[32m"),
            Report::Fail => ("[FAIL]", "\x1b[31m"),
            Report::Up => ("[ UP ]", "\x1b[36m"),
        };
        let line = if self.terminal {
            format!("{colour}{tag}\x1b[0m {what}\n")
        } else {
            format!("{tag} {what}\n")
        };
        self.push_line(line.as_bytes());
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
    /// writes meanwhile is kept whole, after it.
    pub fn show_status(&mut self, text: &str) {
        if !self.terminal {
            return;
        }
        self.push(format!("\r{text}\x1b[K").as_bytes());
        self.status_shown = true;
    }

    pub fn is_status_shown(&self) -> bool {
        self.status_shown
    }

    /// Removes the status line, if one is shown.
    pub fn clear_status(&mut self) {
        if std::mem::take(&mut self.status_shown) {
            self.push(b"\r\x1b[K");
        }
    }

    /// A whole line, in place of the status line if one is shown: what it
    /// said may be stale after this line (a service reported done).
    fn push_line(&mut self, line: &[u8]) {
        self.clear_status();
        self.push(line);
    }

    fn push(&mut self, line: &[u8]) {
        if self.pending.len() + line.len() > CONSOLE_BUFFER_BYTES {
            self.dropped_lines += 1;
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

    /// Writes as much as the console takes now; never blocks.
    pub fn flush(&mut self) {
        while !self.pending.is_empty() {
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
            status_shown: false,
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
            "\rboot: 1 pending (a) 2.0s\x1b[K\rboot: 1 pending (a) 3.0s\x1b[K\
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

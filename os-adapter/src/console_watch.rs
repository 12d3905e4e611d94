//! Noticing what others write to the console, so that init never rewrites
//! a line that is not its own (a getty's `login: ` prompt).
//!
//! Owns an inotify watch on the console's device nodes: the kernel marks a
//! file modified at every write(2) through it, a terminal's node included.
//! It answers one question, "has anyone written since init last looked",
//! and decides nothing about what init then draws (`console.rs` does).
//!
//! What it cannot see: a write through a node it does not watch (another
//! name of the same terminal, such as `/dev/tty` or `/dev/tty0`, or a
//! node made elsewhere), kernel messages (printk writes to the console
//! driver, not through a file), and a write that lands between one of
//! init's own writes and the look right after it, which takes that write
//! for init's own.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::stat::{fstat, stat, SFlag};

/// The watch. Without one (no inotify, or no name for init's console
/// yet), init cannot know, and says so: every look reports a write.
pub struct ConsoleWatch {
    inotify: Option<Inotify>,
    /// The node of init's own console (its fd 1) is watched.
    watching_own: bool,
    /// The device numbers that are this console: fd 1's, and the real
    /// terminal behind `/dev/console` (TIOCGDEV).
    devices: Vec<u64>,
}

impl ConsoleWatch {
    /// A watch on init's console (fd 1), for a console that is a terminal.
    pub fn open(console: BorrowedFd<'_>) -> ConsoleWatch {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok();
        let mut devices = Vec::new();
        if let Ok(st) = fstat(console.as_raw_fd()) {
            if SFlag::from_bits_truncate(st.st_mode).contains(SFlag::S_IFCHR) {
                devices.push(st.st_rdev);
            }
        }
        if let Some(real) = real_device(console) {
            if !devices.contains(&real) {
                devices.push(real);
            }
        }
        let mut watch = ConsoleWatch {
            inotify,
            watching_own: false,
            devices,
        };
        watch.watch_own();
        watch
    }

    /// Watches init's own console node: through `/proc/self/fd/1`, or,
    /// before /proc is mounted (a machine's init starts before), through
    /// `/dev/console` when that is the same file, as it is when the
    /// kernel opened it for init.
    fn watch_own(&mut self) {
        let Some(inotify) = &self.inotify else {
            return;
        };
        if inotify
            .add_watch("/proc/self/fd/1", AddWatchFlags::IN_MODIFY)
            .is_ok()
        {
            self.watching_own = true;
            return;
        }
        let same = match (fstat(1), stat("/dev/console")) {
            (Ok(own), Ok(console)) => own.st_dev == console.st_dev && own.st_ino == console.st_ino,
            _ => false,
        };
        self.watching_own = same
            && inotify
                .add_watch("/dev/console", AddWatchFlags::IN_MODIFY)
                .is_ok();
    }

    /// Also watches `path` if it is this console under another name (a
    /// service's `tty /dev/ttyS0` on a serial console), since what the
    /// service writes there lands on init's screen.
    pub fn watch_if_console(&mut self, path: &Path) {
        let Some(inotify) = &self.inotify else {
            return;
        };
        let Ok(st) = stat(path) else {
            return;
        };
        let is_char = SFlag::from_bits_truncate(st.st_mode).contains(SFlag::S_IFCHR);
        if is_char && self.devices.contains(&st.st_rdev) {
            // The same node twice is one watch: the kernel dedupes.
            let _ = inotify.add_watch(path, AddWatchFlags::IN_MODIFY);
        }
    }

    /// Whether anyone may have written to the console since the last look:
    /// true when a watched node was written, and whenever init cannot
    /// watch its console at all. Each look drains what it saw.
    pub fn written_since(&mut self) -> bool {
        if !self.watching_own {
            self.watch_own();
        }
        let Some(inotify) = &self.inotify else {
            return true;
        };
        let mut seen = false;
        let mut buffer = [0u8; 1024];
        loop {
            match nix::unistd::read(inotify.as_fd().as_raw_fd(), &mut buffer) {
                Ok(n) if n > 0 => seen = true,
                Err(nix::errno::Errno::EINTR) => continue,
                // EAGAIN: nothing more; anything else: nothing to read.
                _ => break,
            }
        }
        seen || !self.watching_own
    }
}

/// The terminal behind `fd` when it is `/dev/console` (TIOCGDEV), as a
/// device number.
fn real_device(fd: BorrowedFd<'_>) -> Option<u64> {
    let mut device: nix::libc::c_uint = 0;
    // SAFETY: TIOCGDEV writes one unsigned int into the pointer given.
    let done = unsafe { nix::libc::ioctl(fd.as_raw_fd(), nix::libc::TIOCGDEV, &mut device) };
    // The kernel answers in the encoding `st_rdev` uses (new_encode_dev).
    (done == 0).then_some(u64::from(device))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_write_through_a_watched_terminal_is_seen_and_looked_at_once() {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        let name = nix::unistd::ttyname(pty.slave.as_fd()).expect("ttyname");
        let mut watch = ConsoleWatch {
            inotify: Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok(),
            watching_own: true,
            devices: vec![fstat(pty.slave.as_raw_fd()).unwrap().st_rdev],
        };
        watch.watch_if_console(&name);
        assert!(!watch.written_since());
        let other = std::fs::OpenOptions::new().write(true).open(&name).unwrap();
        nix::unistd::write(&other, b"mybox login: ").unwrap();
        assert!(watch.written_since());
        assert!(!watch.written_since(), "a look drains what it saw");
        // A node that is not this console is not watched.
        watch.watch_if_console(Path::new("/dev/null"));
        nix::unistd::write(std::fs::File::create("/dev/null").unwrap(), b"x").unwrap();
        assert!(!watch.written_since());
    }
}

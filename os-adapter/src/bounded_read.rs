//! Reading a file init was pointed at (a service file, the env file, a
//! service's `env-file`) without ever blocking and within a bound.
//!
//! Owns the open, the regular-file check and the size cap; it returns bytes
//! and knows nothing of what they mean. Everything here runs inside PID 1,
//! so a file that is not what it should be is an error for that file, never
//! a wait or an allocation init cannot make.
//!
//! The rules, and why:
//! - **Only regular files.** A FIFO blocks its opener until a writer comes,
//!   and a device may act on being opened (`/dev/watchdog` starts its timer,
//!   a serial line waits for carrier). So a path is stat'ed before it is
//!   opened, and opened only if it is a regular file. The open itself adds
//!   `O_NONBLOCK` and `O_NOCTTY`, and the open file is stat'ed again and
//!   must be the file first seen: a FIFO swapped in between the two then
//!   costs an error, not a hang.
//! - **No waiting on a read.** `O_NONBLOCK` also covers the files of /proc
//!   and /sys that call themselves regular but wait for data (`/proc/kmsg`):
//!   such a read fails with EAGAIN, reported as an error.
//! - **At most [`MAX_FILE_BYTES`].** A larger size in the stat is refused
//!   before anything is read; a file whose stat says nothing of its size
//!   (`/proc/self/pagemap` says 0 and holds terabytes) is read only to one
//!   byte past the cap. A 3 GB sparse file then costs a stat, not an
//!   allocation that fails and aborts init.
//!
//! What this cannot prevent: a regular file on a file system that does not
//! answer (a FUSE daemon that hangs, a hard-mounted NFS server gone) blocks
//! the read, as it would block any reader. docs/reliability.md lists it.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

/// The most bytes init takes from any one service file or env file: a
/// thousand times the largest file of the Pygos default configuration, and
/// small enough that reading one never strains a board with 64 MB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The identity of a file on disk, to notice the same file enabled twice
/// or a file replaced between its stat and its open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId {
    pub device: u64,
    pub inode: u64,
}

impl FileId {
    fn of(metadata: &std::fs::Metadata) -> FileId {
        FileId {
            device: metadata.dev(),
            inode: metadata.ino(),
        }
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing at the path (or a symlink to nothing).
    Missing,
    /// Something that is not a regular file; the words say what it is.
    NotRegular(&'static str),
    /// Larger than [`MAX_FILE_BYTES`]; the size, when the stat told it.
    TooLarge(Option<u64>),
    /// The open, the stat or a read failed.
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Missing => f.write_str("no such file or directory"),
            ReadError::NotRegular(what) => write!(f, "not a regular file ({what})"),
            ReadError::TooLarge(size) => {
                write!(f, "larger than {} KiB", MAX_FILE_BYTES / 1024)?;
                match size {
                    Some(size) => write!(f, " ({size} bytes); not read"),
                    None => f.write_str("; not read"),
                }
            }
            ReadError::Io(error) => f.write_str(&describe(error)),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> ReadError {
        match error.kind() {
            io::ErrorKind::NotFound => ReadError::Missing,
            _ => ReadError::Io(error),
        }
    }
}

/// Reads the regular file at `path` (following symlinks) into `bytes`:
/// a stat, an open, a stat of the open file and, for a file of a few KiB,
/// one read.
pub fn read_file(path: &Path, bytes: &mut Vec<u8>) -> Result<FileId, ReadError> {
    let seen = std::fs::metadata(path)?;
    check_regular(&seen)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblocking().bits())
        .open(path)?;
    read_opened(&mut file, Some(FileId::of(&seen)), bytes)
}

/// Reads `name` of the directory open at `dir` into `bytes`, when the
/// directory listing already said it is a regular file: an open and a stat
/// of the open file, no lookup before (with 100,000 services a second
/// lookup per file was a sixth of the time of listing them). The open
/// still cannot block or take a terminal should the entry have changed
/// since the listing, and the stat after it still refuses anything but a
/// regular file.
pub fn read_listed_file(
    dir: BorrowedFd<'_>,
    name: &Path,
    bytes: &mut Vec<u8>,
) -> Result<FileId, ReadError> {
    let fd = openat(Some(dir.as_raw_fd()), name, nonblocking(), Mode::empty())
        .map_err(io::Error::from)?;
    // SAFETY: a fresh fd that nothing else owns.
    let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    read_opened(&mut file, None, bytes)
}

/// The flags of every open here: read-only, closed at exec, never waiting
/// for a FIFO's writer or a line's carrier, never a controlling terminal.
fn nonblocking() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK | OFlag::O_NOCTTY
}

/// Checks the open `file` (against `expected`, what the path was before the
/// open, when there was a look) and reads it whole into `bytes`.
fn read_opened(
    file: &mut File,
    expected: Option<FileId>,
    bytes: &mut Vec<u8>,
) -> Result<FileId, ReadError> {
    let metadata = file.metadata()?;
    check_regular(&metadata)?;
    let id = FileId::of(&metadata);
    if expected.is_some_and(|expected| expected != id) {
        return Err(ReadError::Io(io::Error::other(
            "the file was replaced while being opened",
        )));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(Some(metadata.len())));
    }
    read_whole(file, metadata.len(), bytes)?;
    Ok(id)
}

/// Refuses anything but a regular file, saying what it is instead.
fn check_regular(metadata: &std::fs::Metadata) -> Result<(), ReadError> {
    let kind = metadata.file_type();
    let what = if kind.is_file() {
        return Ok(());
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "an unknown kind of file"
    };
    Err(ReadError::NotRegular(what))
}

/// Reads `file` to its end into `bytes`, expecting `size` bytes, and never
/// much more than [`MAX_FILE_BYTES`]: a file that turns out larger (grown
/// since its stat, or a /proc file whose stat says 0) is
/// [`ReadError::TooLarge`].
///
/// `read_to_end` would stat the file again for a size hint and read once
/// more to see the end. Here the first read asks for one byte more than
/// the stat said: getting exactly `size` back, short of what was asked, is
/// the end of a regular file. A file that grew or shrank since the stat
/// is read on until a read returns nothing. Past the cap it reads one
/// page more rather than one byte: some files of /proc refuse reads that
/// are not a multiple of 8 bytes (`pagemap`).
pub fn read_whole(file: &mut impl Read, size: u64, bytes: &mut Vec<u8>) -> Result<(), ReadError> {
    const CAP: usize = MAX_FILE_BYTES as usize;
    const BUFFER_MAX: usize = CAP + 4096;
    let expected = usize::try_from(size).unwrap_or(CAP).min(CAP);
    bytes.clear();
    bytes.resize(expected.saturating_add(1).clamp(64, BUFFER_MAX), 0);
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            if filled >= BUFFER_MAX {
                break;
            }
            bytes.resize(filled.saturating_mul(2).min(BUFFER_MAX), 0);
        }
        let Some(free) = bytes.get_mut(filled..) else {
            break;
        };
        match file.read(free) {
            Ok(0) => break,
            Ok(count) => {
                filled += count;
                if filled == expected && filled < bytes.len() {
                    break;
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                *bytes = Vec::new();
                return Err(ReadError::Io(error));
            }
        }
    }
    if filled > CAP {
        // Given back, not kept for the next file: the buffer is a
        // megabyte.
        *bytes = Vec::new();
        return Err(ReadError::TooLarge(None));
    }
    bytes.truncate(filled);
    Ok(())
}

/// An I/O error in words, without the `(os error N)` tail that means
/// nothing to the person fixing their config.
pub fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::WouldBlock => "the read would wait for data".to_string(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(end) => text[..end].to_lowercase(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;
    use crate::scratch::ScratchDir;

    /// A reader that hands out at most `step` bytes a call, as a pipe or a
    /// file changing under the reader might.
    struct Trickle<'a> {
        rest: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let count = self.rest.len().min(self.step).min(out.len());
            out[..count].copy_from_slice(&self.rest[..count]);
            self.rest = &self.rest[count..];
            Ok(count)
        }
    }

    #[test]
    fn a_file_is_read_whole_whatever_its_stat_said() {
        let text = b"description grows\ntype wait\nexec true\n".repeat(10);
        let mut bytes = b"left over from the last file".to_vec();
        // (size the stat said, bytes per read): exact, grown since, shrunk
        // since, and read in pieces.
        for (size, step) in [
            (text.len(), usize::MAX),
            (3, usize::MAX),
            (10_000, 7),
            (0, 1),
        ] {
            let mut file = Trickle { rest: &text, step };
            read_whole(&mut file, size as u64, &mut bytes).unwrap();
            assert_eq!(bytes, text, "size {size}, step {step}");
        }
        read_whole(&mut Trickle { rest: b"", step: 1 }, 0, &mut bytes).unwrap();
        assert!(bytes.is_empty());
    }

    #[test]
    fn a_file_is_read_up_to_the_cap_and_not_a_byte_past_it() {
        let cap = MAX_FILE_BYTES as usize;
        let mut bytes = Vec::new();
        for (len, stat_said) in [(cap, cap as u64), (cap, 0), (cap, u64::MAX)] {
            let text = vec![b'#'; len];
            let mut file = Trickle {
                rest: &text,
                step: 4096,
            };
            read_whole(&mut file, stat_said, &mut bytes).unwrap();
            assert_eq!(bytes.len(), cap);
        }
        // One byte more, whatever the stat said: refused, and what was read
        // is given back.
        let text = vec![b'#'; cap + 1];
        for stat_said in [0, 1, cap as u64, u64::MAX] {
            let mut file = Trickle {
                rest: &text,
                step: usize::MAX,
            };
            let error = read_whole(&mut file, stat_said, &mut bytes).unwrap_err();
            assert!(matches!(error, ReadError::TooLarge(None)), "{error:?}");
            assert_eq!(bytes.capacity(), 0);
        }
    }

    #[test]
    fn only_regular_files_are_opened_and_none_larger_than_the_cap() {
        let dir = ScratchDir::new("bounded-read");
        let mut bytes = Vec::new();
        std::fs::write(dir.join("plain"), "A=1\n").unwrap();
        symlink("plain", dir.join("link")).unwrap();
        for name in ["plain", "link"] {
            read_file(&dir.join(name), &mut bytes).unwrap();
            assert_eq!(bytes, b"A=1\n");
        }
        // A FIFO with no writer: refused at once, never opened.
        nix::unistd::mkfifo(&dir.join("fifo"), Mode::from_bits_truncate(0o600)).unwrap();
        symlink("fifo", dir.join("to-fifo")).unwrap();
        // A sparse file far over the cap: refused from its stat.
        let big = File::create(dir.join("big")).unwrap();
        big.set_len(3 << 30).unwrap();
        symlink("/proc/self/pagemap", dir.join("pagemap")).unwrap();
        symlink("nowhere", dir.join("dangling")).unwrap();
        let cases: [(&str, &str); 7] = [
            ("fifo", "not a regular file (a FIFO)"),
            ("to-fifo", "not a regular file (a FIFO)"),
            ("big", "larger than 1024 KiB (3221225472 bytes); not read"),
            // Its stat says 0 bytes: read to one byte past the cap.
            ("pagemap", "larger than 1024 KiB; not read"),
            ("dangling", "no such file or directory"),
            (".", "not a regular file (a directory)"),
            ("missing", "no such file or directory"),
        ];
        for (name, expected) in cases {
            let error = read_file(&dir.join(name), &mut bytes).unwrap_err();
            assert_eq!(error.to_string(), expected, "{name}");
        }
        let devnull = read_file(Path::new("/dev/null"), &mut bytes).unwrap_err();
        assert_eq!(devnull.to_string(), "not a regular file (a device)");
    }

    #[test]
    fn a_listed_file_that_became_a_fifo_is_refused_without_waiting() {
        let dir = ScratchDir::new("bounded-listed");
        nix::unistd::mkfifo(&dir.join("was-a-file"), Mode::from_bits_truncate(0o600)).unwrap();
        let dir_fd = File::open(&*dir).unwrap();
        let mut bytes = Vec::new();
        let error = read_listed_file(
            std::os::fd::AsFd::as_fd(&dir_fd),
            Path::new("was-a-file"),
            &mut bytes,
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "not a regular file (a FIFO)");
    }
}

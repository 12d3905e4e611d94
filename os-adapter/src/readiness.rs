//! Watching for a service's word that it is ready: a newline on its
//! `ready-fd` pipe, or its `ready-file` appearing.
//!
//! Owns the read ends and the file checks. It decides nothing: what a ready
//! service means, and how long one may take, is the core's business; this
//! only turns what it sees into `Event::Ready`.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::time::Duration;

use init_core::events::ServiceId;
use nix::errno::Errno;

/// How often a `ready-file` is looked for. There is no inotify here, and a
/// stat every 50 ms per waiting service costs next to nothing.
pub const FILE_CHECK_INTERVAL: Duration = Duration::from_millis(50);

enum Source {
    Fd(OwnedFd),
    File(PathBuf),
}

/// The services whose live process has yet to say it is ready.
#[derive(Default)]
pub struct ReadinessWatch {
    waiting: BTreeMap<ServiceId, Source>,
}

impl ReadinessWatch {
    /// Watches the read end of a `ready-fd` pipe (non-blocking).
    pub fn watch_fd(&mut self, service: ServiceId, fd: OwnedFd) {
        self.waiting.insert(service, Source::Fd(fd));
    }

    pub fn watch_file(&mut self, service: ServiceId, path: PathBuf) {
        self.waiting.insert(service, Source::File(path));
    }

    /// Stops watching (a new spawn, or the process is gone).
    pub fn forget(&mut self, service: ServiceId) {
        self.waiting.remove(&service);
    }

    /// The pipes to wait on.
    pub fn poll_fds(&self) -> Vec<BorrowedFd<'_>> {
        self.waiting
            .values()
            .filter_map(|source| match source {
                Source::Fd(fd) => Some(fd.as_fd()),
                Source::File(_) => None,
            })
            .collect()
    }

    /// Whether the loop must wake up to look at files.
    pub fn watches_files(&self) -> bool {
        self.waiting
            .values()
            .any(|source| matches!(source, Source::File(_)))
    }

    /// The services that said they are ready since the last look; they are
    /// watched no more. A pipe whose write end closed without a newline
    /// (the process exited or closed it) is dropped: its exit says the rest.
    pub fn take_ready(&mut self) -> Vec<ServiceId> {
        let mut ready = Vec::new();
        let mut dropped = Vec::new();
        for (&service, source) in &self.waiting {
            match source {
                Source::File(path) => {
                    if path.exists() {
                        ready.push(service);
                    }
                }
                Source::Fd(fd) => match read_for_newline(fd) {
                    Some(true) => ready.push(service),
                    Some(false) => {}
                    None => dropped.push(service),
                },
            }
        }
        for service in ready.iter().chain(&dropped) {
            self.waiting.remove(service);
        }
        ready
    }
}

/// A watch as a re-exec hands it over: the pipe's fd number (kept open
/// across the exec) or the file's path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HandedOverWatch {
    Fd(RawFd),
    File(PathBuf),
}

impl ReadinessWatch {
    /// Every watch, for a re-exec. The caller keeps the fds open across
    /// the exec.
    pub fn for_handover(&self) -> Vec<(ServiceId, HandedOverWatch)> {
        self.waiting
            .iter()
            .map(|(&service, source)| {
                let watch = match source {
                    Source::Fd(fd) => HandedOverWatch::Fd(fd.as_raw_fd()),
                    Source::File(path) => HandedOverWatch::File(path.clone()),
                };
                (service, watch)
            })
            .collect()
    }

    /// Watches again what a previous init handed over. `take_fd` turns a
    /// kept fd number into the fd, once.
    pub fn restore(
        &mut self,
        watches: Vec<(ServiceId, HandedOverWatch)>,
        mut take_fd: impl FnMut(RawFd) -> Option<OwnedFd>,
    ) {
        for (service, watch) in watches {
            match watch {
                HandedOverWatch::Fd(raw) => {
                    if let Some(fd) = take_fd(raw) {
                        self.watch_fd(service, fd);
                    }
                }
                HandedOverWatch::File(path) => self.watch_file(service, path),
            }
        }
    }
}

/// Reads what is there: `Some(true)` once a newline came, `Some(false)`
/// for nothing yet, `None` at end of file or on an error.
fn read_for_newline(fd: &OwnedFd) -> Option<bool> {
    let mut buffer = [0u8; 64];
    loop {
        match nix::unistd::read(fd.as_raw_fd(), &mut buffer) {
            Ok(0) => return None,
            Ok(n) => {
                if buffer[..n].contains(&b'\n') {
                    return Some(true);
                }
            }
            Err(Errno::EAGAIN) => return Some(false),
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}

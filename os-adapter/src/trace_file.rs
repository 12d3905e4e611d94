//! `init --trace FILE`: the core's inputs and outputs written to a file
//! as JSON lines, the same lines as `init-sim run --json`
//! (`init_core::trace`), so a real boot can be read, profiled and
//! compared with a simulated one.
//!
//! Owns opening and writing the file, and nothing of what a line says.
//!
//! PID 1 must never wait on it:
//! - the file is opened `O_NONBLOCK|O_NOCTTY` and must be a regular file:
//!   a FIFO with no reader or a terminal would block a write, so they are
//!   refused with one console line;
//! - a machine's init often starts before the file's file system is
//!   writable (a read-only root, `/run` not mounted yet): the lines are
//!   kept in memory, at most [`MAX_PENDING_BYTES`], and the open is tried
//!   again after every exit of a service's process (a mount service may have made
//!   the place) until it works;
//! - a write that fails (a full disk) ends the trace with one console
//!   line; init goes on;
//! - lines are written once a turn of init's loop (or every 64 KiB within
//!   a long one), not one syscall each.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use init_core::events::{Event, Millis, Output};
use init_core::supervisor::Supervisor;
use init_core::trace::{TraceLine, Tracer};
use nix::fcntl::OFlag;

/// The most trace kept in memory while the file cannot be opened: a boot
/// of a thousand services writes about 400 kB.
pub const MAX_PENDING_BYTES: usize = 4 << 20;

/// Once the file is open, lines are written when this much is pending, or
/// at the end of the turn.
const WRITE_CHUNK_BYTES: usize = 64 << 10;

/// Where the trace stands.
enum Sink {
    /// Not open yet: lines wait in `pending`.
    Waiting,
    Open(File),
    /// Given up (refused file, failed write, too much pending): nothing
    /// more is written.
    Off,
}

/// The trace of this init's run.
pub struct TraceFile {
    path: PathBuf,
    tracer: Tracer,
    sink: Sink,
    /// Lines rendered and not yet written.
    pending: Vec<u8>,
    /// Why the trace stopped, for the console, once.
    stopped: Option<String>,
}

impl TraceFile {
    /// A trace to `path` of `core`'s run. Tries the open at once.
    pub fn new(path: &Path, core: &Supervisor) -> TraceFile {
        let mut trace = TraceFile {
            path: path.to_path_buf(),
            tracer: Tracer::new(core),
            sink: Sink::Waiting,
            pending: Vec::new(),
            stopped: None,
        };
        trace.try_open();
        trace
    }

    /// Writes the line of an input, before the core handles it.
    pub fn input(&mut self, now: Millis, event: &Event) {
        if self.is_off() {
            return;
        }
        let line = self.tracer.input(now, event);
        self.push(&line);
    }

    /// Call after the core handled an input; `service_ended`: it was the
    /// exit of a service's process, after which the file may be tried
    /// again.
    pub fn after_input(&mut self, core: &Supervisor, service_ended: bool) {
        self.tracer.after_input(core);
        if service_ended && matches!(self.sink, Sink::Waiting) {
            self.try_open();
        }
    }

    /// Writes the lines of the timers `handle_timeout(now)` fires.
    pub fn timeouts(&mut self, now: Millis, core: &Supervisor) {
        if self.is_off() {
            return;
        }
        for line in self.tracer.timeouts(now, core) {
            self.push(&line);
        }
    }

    /// Writes the line of an output, as it is carried out.
    pub fn output(&mut self, now: Millis, output: &Output) {
        if self.is_off() {
            return;
        }
        let line = self.tracer.output(now, output);
        self.push(&line);
    }

    /// Writes what is pending, if the file is open. Returns why the trace
    /// stopped, once, for the console.
    pub fn flush(&mut self) -> Option<String> {
        self.write_pending();
        self.stopped
            .take()
            .map(|why| format!("trace {}: {why}; tracing stopped", self.path.display()))
    }

    fn is_off(&self) -> bool {
        matches!(self.sink, Sink::Off)
    }

    fn push(&mut self, line: &TraceLine) {
        self.pending
            .extend_from_slice(line.render_json().as_bytes());
        self.pending.push(b'\n');
        match self.sink {
            Sink::Waiting if self.pending.len() > MAX_PENDING_BYTES => self.stop(format!(
                "still not writable after {} kB of trace",
                MAX_PENDING_BYTES >> 10
            )),
            // One turn may hold a whole boot (thousands of spawns): the
            // lines go out as they fill a chunk, not all at the turn's end.
            Sink::Open(_) if self.pending.len() >= WRITE_CHUNK_BYTES => self.write_pending(),
            _ => {}
        }
    }

    /// Writes what is pending to the open file; a failure stops the trace.
    fn write_pending(&mut self) {
        if let Sink::Open(file) = &mut self.sink {
            if !self.pending.is_empty() {
                match file.write_all(&self.pending) {
                    Ok(()) => self.pending.clear(),
                    Err(e) => self.stop(format!("cannot write to it: {e}")),
                }
            }
        }
    }

    fn stop(&mut self, why: String) {
        self.sink = Sink::Off;
        self.pending = Vec::new();
        self.stopped = Some(why);
    }

    /// Opens the file for appending, without waiting on it; a file that
    /// is not a regular one stops the trace. Any other failure leaves it
    /// waiting for the next try.
    fn try_open(&mut self) {
        // A FIFO with no reader fails the open (ENXIO) rather than block;
        // it must not be tried again forever.
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if !meta.file_type().is_file() {
                self.stop("not a regular file".to_string());
                return;
            }
        }
        let flags = OFlag::O_NONBLOCK | OFlag::O_NOCTTY;
        let opened = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o644)
            .custom_flags(flags.bits())
            .open(&self.path);
        let Ok(file) = opened else {
            return;
        };
        match file.metadata() {
            Ok(meta) if meta.file_type().is_file() => self.sink = Sink::Open(file),
            Ok(_) => self.stop("not a regular file".to_string()),
            Err(e) => self.stop(format!("cannot stat it: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Supervisor {
        Supervisor::new(Vec::new(), Default::default())
    }

    #[test]
    fn lines_wait_until_the_file_can_be_opened() {
        let dir = crate::scratch::ScratchDir::new("trace-file");
        let path = dir.join("later/init.trace");
        let core = core();
        let mut trace = TraceFile::new(&path, &core);
        trace.input(Millis(0), &Event::Boot);
        assert_eq!(trace.flush(), None);
        assert!(!path.exists());
        std::fs::create_dir(dir.join("later")).expect("mkdir");
        trace.after_input(&core, true);
        trace.input(Millis(5), &Event::Shutdown);
        assert_eq!(trace.flush(), None);
        let text = std::fs::read_to_string(&path).expect("the trace");
        assert_eq!(
            text,
            "{\"dir\":\"in\",\"event\":\"boot\",\"service\":null,\"t_ms\":0}\n\
             {\"dir\":\"in\",\"event\":\"shutdown\",\"service\":null,\"t_ms\":5}\n"
        );
    }

    #[test]
    fn a_long_turn_writes_as_it_goes() {
        let dir = crate::scratch::ScratchDir::new("trace-chunks");
        let path = dir.join("init.trace");
        let core = core();
        let mut trace = TraceFile::new(&path, &core);
        for ms in 0..2_000 {
            trace.input(Millis(ms), &Event::Boot);
        }
        let written = std::fs::metadata(&path).expect("the trace").len();
        assert!(
            written >= WRITE_CHUNK_BYTES as u64,
            "{written} bytes before the flush"
        );
        assert!(trace.pending.len() < WRITE_CHUNK_BYTES);
        assert_eq!(trace.flush(), None);
        let text = std::fs::read_to_string(&path).expect("the trace");
        assert_eq!(text.lines().count(), 2_000);
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = crate::scratch::ScratchDir::new("trace-fifo");
        let path = dir.join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
        let core = core();
        let mut trace = TraceFile::new(&path, &core);
        trace.input(Millis(0), &Event::Boot);
        let said = trace.flush().expect("a word for the console");
        assert!(said.contains("not a regular file"), "{said}");
        assert_eq!(trace.flush(), None, "said once");
    }
}

//! Re-exec: writing init's state into a memfd, keeping the fds that must
//! survive, exec'ing the init binary, and reading the state back on the
//! other side.
//!
//! Owns the versioned state format and the exec. It decides nothing about
//! when a hand-over may happen (the core does) and nothing about what the
//! restored state means (the driver feeds it back).
//!
//! Linux details that bite:
//! - an fd survives execve(2) only without `FD_CLOEXEC`; the memfd is made
//!   without `MFD_CLOEXEC`, the listening socket and the readiness pipes
//!   have the flag cleared just before the exec;
//! - children stay children across execve(2): the pid does not change, so
//!   whatever exits during the exec is still init's to reap;
//! - the signal mask and pending signals survive execve(2), so a SIGCHLD
//!   that arrives during the exec is not lost (and init reaps every turn
//!   anyway).

use std::ffi::{CString, OsString};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use init_core::events::ServiceId;
use init_core::supervisor::{AdoptedService, Supervisor};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::driver::Settings;
use crate::readiness::HandedOverWatch;

/// What the state says it is, so that some other memfd is never misread.
pub const FORMAT: &str = "pygos-init-handover";

/// The version of [`SavedState`]'s shape. A binary reads only its own;
/// any other falls back to adopting the processes (see [`Received`]).
pub const VERSION: u32 = 2;

/// The largest state a new init reads: far beyond any real configuration,
/// small enough that a corrupt size cannot take PID 1's memory.
const MAX_STATE_BYTES: u64 = 256 << 20;

/// The memfd's content. `services`, `listener` and `fds` are written the
/// same way by every version: they are what a fallback needs.
///
/// Generic in the state, so that one type writes it (`&SavedState`), reads
/// only the envelope (`IgnoredAny`) and reads it whole (`SavedState`)
/// straight from the bytes: a `serde_json::Value` between them held the
/// whole state a second time, as a tree, while it was written or read.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<S> {
    format: String,
    version: u32,
    services: Vec<AdoptedService>,
    listener: Option<HandedOverListener>,
    /// Every fd kept open across the exec; a fallback closes the ones it
    /// does not use.
    fds: Vec<RawFd>,
    /// [`SavedState`], in the shape of `version`.
    state: S,
}

/// The control socket's listening fd and its file's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedOverListener {
    pub fd: RawFd,
    pub dev: u64,
    pub ino: u64,
}

/// Everything this version hands over beyond the envelope.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedState {
    pub supervisor: Supervisor,
    /// The core's clock when the state was written, and CLOCK_MONOTONIC
    /// then (nanoseconds), so that the new clock goes on without a jump.
    pub clock_ms: u64,
    pub monotonic_ns: u64,
    /// The environment every service gets, as last loaded.
    pub env_vars: Vec<(String, String)>,
    pub readiness: Vec<(ServiceId, HandedOverWatch)>,
}

/// What a new init finds in the memfd it was given.
#[derive(Debug)]
pub enum Received {
    /// The whole state, in this binary's version.
    Full {
        state: Box<SavedState>,
        listener: Option<HandedOverListener>,
        fds: Vec<RawFd>,
    },
    /// Another version (or a state this binary cannot read): only the
    /// part every version writes. `why` is for the console.
    Adopt {
        services: Vec<AdoptedService>,
        listener: Option<HandedOverListener>,
        fds: Vec<RawFd>,
        why: String,
    },
}

/// CLOCK_MONOTONIC in nanoseconds: the clock `Instant` reads, but as a
/// number that means the same in the next process.
pub fn monotonic_ns() -> u64 {
    let mut now = nix::libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let _ = unsafe { nix::libc::clock_gettime(nix::libc::CLOCK_MONOTONIC, &mut now) };
    (now.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(now.tv_nsec as u64)
}

/// How long ago `monotonic_ns()` read `then`.
pub fn since_monotonic(then_ns: u64) -> Duration {
    Duration::from_nanos(monotonic_ns().saturating_sub(then_ns))
}

/// The version written: [`VERSION`], or in test builds what
/// `INIT_TEST_HANDOVER_VERSION` says, to exercise the fallback.
fn version_to_write() -> u32 {
    #[cfg(feature = "test-handover-version")]
    if let Some(version) = std::env::var("INIT_TEST_HANDOVER_VERSION")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return version;
    }
    VERSION
}

/// The memfd's bytes for `state`.
pub fn encode(
    state: &SavedState,
    listener: Option<HandedOverListener>,
    fds: Vec<RawFd>,
) -> Result<Vec<u8>, String> {
    let envelope = Envelope {
        format: FORMAT.to_string(),
        version: version_to_write(),
        services: state.supervisor.adoption_list(),
        listener,
        fds,
        state,
    };
    serde_json::to_vec(&envelope).map_err(|e| format!("cannot save the state: {e}"))
}

/// Reads the memfd's bytes. `Err` when not even the envelope can be read:
/// then there is nothing to go on from.
pub fn decode(bytes: &[u8]) -> Result<Received, String> {
    let envelope: Envelope<IgnoredAny> =
        serde_json::from_slice(bytes).map_err(|e| format!("unreadable hand-over: {e}"))?;
    if envelope.format != FORMAT {
        return Err(format!("not a hand-over: format {:?}", envelope.format));
    }
    let why = if envelope.version == VERSION {
        match serde_json::from_slice::<Envelope<SavedState>>(bytes) {
            Ok(whole) => {
                return Ok(Received::Full {
                    state: Box::new(whole.state),
                    listener: whole.listener,
                    fds: whole.fds,
                })
            }
            Err(e) => format!("cannot read the state of version {VERSION}: {e}"),
        }
    } else {
        format!(
            "the state is version {}, this init reads version {VERSION}",
            envelope.version
        )
    };
    Ok(Received::Adopt {
        services: envelope.services,
        listener: envelope.listener,
        fds: envelope.fds,
        why,
    })
}

/// The command line of the new init: `binary`, then the same settings
/// and the memfd, as the program's own command-line definition writes
/// them ([`Settings::reexec_args`]). The full state carries the options
/// too; the command line is for a fallback.
pub fn command_line(binary: &Path, settings: &Settings, memfd: RawFd) -> Vec<OsString> {
    let mut args = vec![binary.as_os_str().to_owned()];
    args.extend((settings.reexec_args)(settings, memfd));
    args
}

/// Writes `bytes` into a memfd that survives exec, rewound for reading.
pub fn write_memfd(bytes: &[u8]) -> Result<OwnedFd, String> {
    use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
    let name = c"init-handover";
    let fd = memfd_create(name, MemFdCreateFlag::empty())
        .map_err(|e| format!("memfd_create: {}", e.desc()))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)
        .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
        .map_err(|e| format!("cannot write the memfd: {e}"))?;
    Ok(OwnedFd::from(file))
}

/// Reads and closes the memfd a previous init left at `fd`.
pub fn read_memfd(fd: RawFd) -> Result<Vec<u8>, String> {
    if fd <= 2 {
        return Err(format!("fd {fd} is not a hand-over"));
    }
    // SAFETY: the previous init passed this fd number for us to own; it is
    // closed when the file drops, and nothing else here knows of it.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the hand-over at fd {fd}: {e}"))?;
    Ok(bytes)
}

/// Takes ownership of a kept fd (a listening socket, a readiness pipe).
pub fn take_fd(fd: RawFd) -> Option<OwnedFd> {
    // Only fds the previous init listed come here; 0 to 2 are stdio.
    if fd <= 2 || nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).is_err() {
        return None;
    }
    // SAFETY: the fd is open (F_GETFD said so) and was handed to us alone.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Lets `fd` survive the coming exec.
pub fn keep_across_exec(fd: RawFd) -> Result<(), String> {
    nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .map(|_| ())
    .map_err(|e| format!("cannot keep fd {fd} open: {}", e.desc()))
}

/// Makes `fd` close on exec again, after an exec that failed.
pub fn close_on_exec(fd: RawFd) {
    let _ = nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
}

/// Execs `args[0]` with `args`. Returns only on failure, with the reason.
pub fn exec(args: &[OsString]) -> String {
    let argv: Vec<CString> = args
        .iter()
        .filter_map(|a| CString::new(a.as_bytes()).ok())
        .collect();
    let Some(program) = argv.first() else {
        return "nothing to exec".to_string();
    };
    match nix::unistd::execv(program, &argv) {
        Ok(never) => match never {},
        Err(e) => format!("cannot exec {}: {}", args[0].to_string_lossy(), e.desc()),
    }
}

/// The binary a re-exec runs when the request names none: the path init
/// was started as, when absolute (the kernel starts PID 1 that way), else
/// what `/proc/self/exe` names. Read at start, before a newer build can be
/// moved over it.
pub fn own_binary(argv0: Option<&str>) -> Option<PathBuf> {
    match argv0 {
        Some(path) if path.starts_with('/') => Some(PathBuf::from(path)),
        _ => std::fs::read_link("/proc/self/exe").ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use init_core::events::{Event, Millis, Pid, ServiceState};
    use init_core::service::{ServiceDef, ServiceType, Target};
    use init_core::supervisor::Options;
    use std::os::fd::AsRawFd;

    fn running_supervisor() -> Supervisor {
        let def = ServiceDef {
            name: "db".to_string(),
            description: String::new(),
            kind: ServiceType::Respawn,
            respawn_limit: None,
            target: Target::Boot,
            tty: None,
            after: Box::default(),
            before: Box::default(),
            exec: vec![vec!["dbd".to_string()]].into(),
            settings: Default::default(),
        };
        let mut supervisor = Supervisor::new(vec![def], Options::default());
        supervisor.handle_event(Millis(0), Event::Boot);
        while supervisor.poll_output().is_some() {}
        let id = supervisor.services().next().map(|s| s.id).unwrap();
        supervisor.handle_event(
            Millis(1),
            Event::Spawned {
                service: id,
                pid: Pid(42),
            },
        );
        while supervisor.poll_output().is_some() {}
        supervisor
    }

    fn state() -> SavedState {
        SavedState {
            supervisor: running_supervisor(),
            clock_ms: 1234,
            monotonic_ns: 5,
            env_vars: vec![("PATH".to_string(), "/bin".to_string())],
            readiness: vec![],
        }
    }

    #[test]
    fn this_version_reads_its_own_state_whole() {
        let listener = Some(HandedOverListener {
            fd: 7,
            dev: 1,
            ino: 2,
        });
        let bytes = encode(&state(), listener, vec![7]).unwrap();
        match decode(&bytes).unwrap() {
            Received::Full {
                state,
                listener: got,
                fds,
            } => {
                assert_eq!(state.clock_ms, 1234);
                assert_eq!(got, listener);
                assert_eq!(fds, [7]);
                let db = state.supervisor.service_by_name("db").unwrap();
                assert_eq!((db.state, db.pid), (ServiceState::Running, Some(Pid(42))));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_version_falls_back_to_the_adoption_list() {
        let bytes = encode(&state(), None, vec![]).unwrap();
        let mut envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        envelope["version"] = serde_json::json!(VERSION + 1);
        envelope["state"] = serde_json::json!({"a shape": "from the future"});
        let bytes = serde_json::to_vec(&envelope).unwrap();
        match decode(&bytes).unwrap() {
            Received::Adopt { services, why, .. } => {
                assert_eq!(
                    services,
                    [AdoptedService {
                        name: "db".to_string(),
                        pid: Some(Pid(42)),
                        state: ServiceState::Running,
                    }]
                );
                assert!(why.contains("version 2"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"").is_err());
        assert!(decode(b"{\"format\":\"other\"}").is_err());
        assert!(decode(&[0xff; 64]).is_err());
    }

    #[test]
    fn the_memfd_reads_back_what_was_written() {
        let fd = write_memfd(b"hello").unwrap();
        let raw = fd.as_raw_fd();
        std::mem::forget(fd);
        assert_eq!(read_memfd(raw).unwrap(), b"hello");
    }
}

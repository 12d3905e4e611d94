//! The control protocol between a running init and its clients.
//!
//! Owns the wire vocabulary (requests, replies, the status of a service),
//! its bounded encoding (one JSON object per line) and the glob patterns
//! that select services. It does no I/O: the adapter moves the bytes and
//! decides nothing that is not written here. See `docs/protocol.md`.

use serde::{Deserialize, Serialize};

use crate::events::{ExitStatus, ServiceId, ServiceState, ServiceStatus};
use crate::service::{ServiceType, Target};

/// The version this build speaks. A request with another version is refused
/// with an error reply, so an old client never misreads a new init.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest request, newline included. Anything longer is refused without
/// being parsed: a fixed receive buffer per connection, as in dinit.
pub const MAX_REQUEST_BYTES: usize = 4096;

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "lowercase")]
pub enum Command {
    /// Every service whose name matches one of the patterns; all of them
    /// when there is no pattern. Anyone may ask.
    Status {
        #[serde(default)]
        patterns: Vec<String>,
    },
    /// Start the matching services (from done, failed or stopped).
    Start { patterns: Vec<String> },
    /// Stop the matching services; they stay stopped until started.
    Stop { patterns: Vec<String> },
    /// Stop, then start again once exited.
    Restart { patterns: Vec<String> },
    /// Read the configuration directory and the env file again.
    Reload,
    /// Run the `shutdown` target and power off.
    Shutdown,
    /// Run the `reboot` target and reboot.
    Reboot,
    /// Hand the running services over to the init binary at `path` (the
    /// one init was started from when absent), which goes on supervising
    /// them: a live upgrade of PID 1.
    Reexec {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// Stop every service and hand the machine to `init` (a path inside
    /// the new root; the one init was started as when absent) on the root
    /// file system mounted at `new_root`: the end of an initramfs.
    #[serde(rename = "switch-root")]
    SwitchRoot {
        new_root: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init: Option<String>,
    },
}

impl Command {
    /// Only `status` is open to every user; everything else changes the
    /// system and needs uid 0.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Command::Status { .. })
    }
}

/// One request: a version and a command, on one line.
///
/// On the wire: `{"version":1,"request":"stop","patterns":["sshd"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub version: u32,
    #[serde(flatten)]
    pub command: Command,
}

impl Request {
    pub fn new(command: Command) -> Request {
        Request {
            version: PROTOCOL_VERSION,
            command,
        }
    }
}

/// One service as `status` shows it. Times are milliseconds since init
/// started (its monotonic clock), absent until the thing happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEntry {
    /// The name as enabled, e.g. `agetty@tty1`.
    pub name: String,
    /// The canonical name, e.g. `agetty`.
    pub base: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: ServiceType,
    pub target: Target,
    /// `running` for a live process, `failed` for one given up on.
    pub state: ServiceState,
    pub pid: Option<i32>,
    pub exit_status: Option<ExitStatus>,
    pub runs: u32,
    pub queued_at_ms: Option<u64>,
    pub spawned_at_ms: Option<u64>,
    pub exited_at_ms: Option<u64>,
    /// Why the last spawn failed, until one succeeds.
    #[serde(default)]
    pub error: Option<String>,
    /// For a service with `ready-fd` or `ready-file`: whether its process
    /// said it is ready; null for the others.
    #[serde(default)]
    pub ready: Option<bool>,
    /// What a stop reaches: `cgroup` (every process of the service) or
    /// `process group` (no writable cgroup v2). Filled in by the driver.
    #[serde(default)]
    pub stop_scope: Option<String>,
    /// The processes in the service's cgroup, where it has one.
    #[serde(default)]
    pub processes: Option<u32>,
    /// When it last stopped holding up the services after it (see
    /// [`ServiceStatus::satisfied_at`]); what `service analyze` reads.
    #[serde(default)]
    pub ready_at_ms: Option<u64>,
    /// `after` and `before` as the file says them, so that a client can
    /// draw the dependency graph init runs with.
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub before: Vec<String>,
    /// No `exec`: it only orders other services.
    #[serde(default)]
    pub milestone: bool,
}

impl ServiceEntry {
    pub fn from_status(status: &ServiceStatus) -> ServiceEntry {
        ServiceEntry {
            name: status.def.name.clone(),
            base: status.def.base().to_string(),
            description: status.def.description.clone(),
            kind: status.def.kind,
            target: status.def.target,
            state: status.state,
            pid: status.pid.map(|pid| pid.0),
            exit_status: status.exit_status,
            runs: status.runs,
            queued_at_ms: status.queued_at.map(|t| t.0),
            spawned_at_ms: status.spawned_at.map(|t| t.0),
            exited_at_ms: status.exited_at.map(|t| t.0),
            error: status.error.clone(),
            ready: status.ready,
            stop_scope: None,
            processes: None,
            ready_at_ms: status.satisfied_at.map(|t| t.0),
            after: status.def.after.to_vec(),
            before: status.def.before.to_vec(),
            milestone: status.def.is_milestone(),
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Outcome {
    /// Done (or, for start/stop/restart/shutdown/reboot, accepted: the
    /// services change state afterwards; ask `status` to follow them).
    Ok {
        /// The names acted on (start, stop, restart), in id order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        affected: Vec<String>,
        /// The services shown (status), in id order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        services: Vec<ServiceEntry>,
        /// Init's clock when it answered a status request, in the same
        /// milliseconds as the `*_at_ms` times, so that a client can tell
        /// how long ago they were (uptime). Absent in other replies and
        /// from an init before it was added.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        now_ms: Option<u64>,
    },
    /// Refused or failed; init is unchanged.
    Error { message: String },
}

/// One reply, on one line, after which init closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub version: u32,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::from(Outcome::Ok {
            affected: Vec::new(),
            services: Vec::new(),
            now_ms: None,
        })
    }

    pub fn affected(names: Vec<String>) -> Reply {
        Reply::from(Outcome::Ok {
            affected: names,
            services: Vec::new(),
            now_ms: None,
        })
    }

    pub fn status(services: Vec<ServiceEntry>) -> Reply {
        Reply::from(Outcome::Ok {
            affected: Vec::new(),
            services,
            now_ms: None,
        })
    }

    /// A status reply that says what time it is on init's clock.
    pub fn status_at(services: Vec<ServiceEntry>, now_ms: u64) -> Reply {
        Reply::from(Outcome::Ok {
            affected: Vec::new(),
            services,
            now_ms: Some(now_ms),
        })
    }

    pub fn error(message: impl Into<String>) -> Reply {
        Reply::from(Outcome::Error {
            message: message.into(),
        })
    }
}

impl From<Outcome> for Reply {
    fn from(outcome: Outcome) -> Reply {
        Reply {
            version: PROTOCOL_VERSION,
            outcome,
        }
    }
}

/// Why a request could not be taken. The text goes back in the error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    TooLarge,
    NotUtf8,
    Malformed(String),
    WrongVersion(u32),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge => {
                write!(f, "request too large: more than {MAX_REQUEST_BYTES} bytes")
            }
            DecodeError::NotUtf8 => write!(f, "request is not UTF-8"),
            DecodeError::Malformed(why) => write!(f, "malformed request: {why}"),
            DecodeError::WrongVersion(v) => write!(
                f,
                "protocol version {v} is not supported (this init speaks {PROTOCOL_VERSION})"
            ),
        }
    }
}

/// Decodes one request line (the newline is optional). Bounded and total:
/// any bytes give a request or an error, never a panic.
pub fn decode_request(line: &[u8]) -> Result<Request, DecodeError> {
    if line.len() > MAX_REQUEST_BYTES {
        return Err(DecodeError::TooLarge);
    }
    let text = std::str::from_utf8(line).map_err(|_| DecodeError::NotUtf8)?;
    // The version is checked on its own first, so that a newer client gets
    // "wrong version" rather than "unknown request" for a command it added.
    #[derive(Deserialize)]
    struct VersionOnly {
        version: u32,
    }
    let version: VersionOnly =
        serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if version.version != PROTOCOL_VERSION {
        return Err(DecodeError::WrongVersion(version.version));
    }
    serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// One line: the JSON of `value` and a newline.
fn encode_line<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising these plain structs cannot fail (string keys, no maps
    // with non-string keys); an empty line would still end the exchange.
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub fn encode_request(request: &Request) -> Vec<u8> {
    encode_line(request)
}

pub fn encode_reply(reply: &Reply) -> Vec<u8> {
    encode_line(reply)
}

/// A status reply written a few services at a time, so that init never
/// holds the whole reply (some 320 bytes a service) nor every entry at
/// once: [`StatusReplyWriter::entry`] for each service in turn, then
/// [`StatusReplyWriter::finish`]. The bytes are those of
/// `encode_reply(&Reply::status_at(entries, now_ms))` for the same entries.
#[derive(Debug, Default)]
pub struct StatusReplyWriter {
    entries_written: usize,
}

impl StatusReplyWriter {
    pub fn new() -> StatusReplyWriter {
        StatusReplyWriter::default()
    }

    /// Appends one service (after the reply's head, for the first).
    pub fn entry(&mut self, out: &mut Vec<u8>, entry: &ServiceEntry) {
        if self.entries_written == 0 {
            out.extend_from_slice(
                format!("{{\"version\":{PROTOCOL_VERSION},\"result\":\"ok\",\"services\":[")
                    .as_bytes(),
            );
        } else {
            out.push(b',');
        }
        // As in `encode_line`: a plain struct with string keys cannot fail
        // to serialise.
        let _ = serde_json::to_writer(&mut *out, entry);
        self.entries_written += 1;
    }

    /// Appends the end of the reply: the clock, and the newline.
    pub fn finish(self, out: &mut Vec<u8>, now_ms: u64) {
        if self.entries_written == 0 {
            // An empty list is left out of the object altogether.
            out.extend_from_slice(&encode_reply(&Reply::status_at(Vec::new(), now_ms)));
        } else {
            out.extend_from_slice(format!("],\"now_ms\":{now_ms}}}\n").as_bytes());
        }
    }
}

pub fn decode_reply(line: &[u8]) -> Result<Reply, DecodeError> {
    let text = std::str::from_utf8(line).map_err(|_| DecodeError::NotUtf8)?;
    serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// Shell-style glob: `*` any run of characters, `?` one character, anything
/// else itself. No brackets and no escapes: service names hold no glob
/// characters. Iterative with one backtrack point, so linear-ish and never
/// recursive, whatever the pattern.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((star_pi, star_ti)) = star {
            pi = star_pi + 1;
            ti = star_ti + 1;
            star = Some((star_pi, star_ti + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Whether `pattern` selects `status`: it matches the enabled name
/// (`agetty@tty1`) or the canonical name, so `agetty` selects every
/// instance of the template.
pub fn pattern_selects(pattern: &str, status: &ServiceStatus) -> bool {
    glob_matches(pattern, &status.def.name) || glob_matches(pattern, status.def.base())
}

/// The services the patterns select, in id order and each once. With no
/// pattern, every service (what `status` wants; the adapter refuses an
/// empty pattern list for commands that change things).
pub fn select<'a>(
    patterns: &[String],
    services: impl Iterator<Item = &'a ServiceStatus>,
) -> Vec<ServiceId> {
    services
        .filter(|s| patterns.is_empty() || patterns.iter().any(|p| pattern_selects(p, s)))
        .map(|s| s.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Millis, Pid};
    use crate::service::ServiceDef;

    fn status(id: u32, name: &str) -> ServiceStatus {
        ServiceStatus {
            id: ServiceId(id),
            def: ServiceDef {
                name: name.to_string(),
                description: format!("the {name} service"),
                kind: ServiceType::Respawn,
                respawn_limit: None,
                target: Target::Boot,
                tty: None,
                after: Box::default(),
                before: Box::default(),
                exec: [["/bin/true"]].into_iter().collect(),
                settings: Default::default(),
            },
            state: ServiceState::Running,
            pid: Some(Pid(42)),
            exit_status: None,
            runs: 1,
            queued_at: Some(Millis(3)),
            spawned_at: Some(Millis(5)),
            exited_at: None,
            error: None,
            ready: None,
            satisfied_at: None,
        }
    }

    #[test]
    fn a_request_is_one_flat_json_line() {
        let request = Request::new(Command::Stop {
            patterns: vec!["sshd".to_string()],
        });
        let line = encode_request(&request);
        assert_eq!(
            String::from_utf8(line.clone()).unwrap(),
            "{\"version\":1,\"request\":\"stop\",\"patterns\":[\"sshd\"]}\n"
        );
        assert_eq!(decode_request(&line), Ok(request));
        assert_eq!(
            decode_request(b"{\"version\":1,\"request\":\"status\"}"),
            Ok(Request::new(Command::Status { patterns: vec![] }))
        );
        assert_eq!(
            decode_request(b"{\"version\":1,\"request\":\"reload\"}"),
            Ok(Request::new(Command::Reload))
        );
    }

    #[test]
    fn bad_requests_are_errors_not_panics() {
        assert_eq!(
            decode_request(&vec![b' '; MAX_REQUEST_BYTES + 1]),
            Err(DecodeError::TooLarge)
        );
        assert_eq!(decode_request(b"\xff\xfe"), Err(DecodeError::NotUtf8));
        assert_eq!(
            decode_request(b"{\"version\":2,\"request\":\"status\"}"),
            Err(DecodeError::WrongVersion(2))
        );
        assert!(matches!(
            decode_request(b"{\"version\":1,\"request\":\"format-disk\"}"),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            decode_request(b"{\"version\":1,\"request\":\"stop\"}"),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            decode_request(b"[[[[["),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn status_reply_names_states_as_the_docs_do() {
        let reply = Reply::status(vec![ServiceEntry::from_status(&status(0, "sshd"))]);
        let line = String::from_utf8(encode_reply(&reply)).unwrap();
        assert_eq!(
            line,
            "{\"version\":1,\"result\":\"ok\",\"services\":[{\"name\":\"sshd\",\"base\":\"sshd\",\
             \"description\":\"the sshd service\",\"type\":\"respawn\",\"target\":\"boot\",\
             \"state\":\"running\",\"pid\":42,\"exit_status\":null,\"runs\":1,\
             \"queued_at_ms\":3,\"spawned_at_ms\":5,\"exited_at_ms\":null,\"error\":null,\"ready\":null,\"stop_scope\":null,\"processes\":null,\
             \"ready_at_ms\":null,\"after\":[],\"before\":[],\"milestone\":false}]}\n"
        );
        assert_eq!(decode_reply(line.as_bytes()), Ok(reply));
        let refused = Reply::error("permission denied");
        assert_eq!(
            String::from_utf8(encode_reply(&refused)).unwrap(),
            "{\"version\":1,\"result\":\"error\",\"message\":\"permission denied\"}\n"
        );
    }

    #[test]
    fn a_status_reply_may_say_the_time_and_an_older_one_need_not() {
        let reply = Reply::status_at(vec![ServiceEntry::from_status(&status(0, "sshd"))], 7);
        let line = String::from_utf8(encode_reply(&reply)).unwrap();
        assert!(line.ends_with(",\"now_ms\":7}\n"), "{line}");
        assert_eq!(decode_reply(line.as_bytes()), Ok(reply));
        let older = "{\"version\":1,\"result\":\"ok\"}";
        assert!(matches!(
            decode_reply(older.as_bytes()),
            Ok(Reply {
                outcome: Outcome::Ok { now_ms: None, .. },
                ..
            })
        ));
    }

    #[test]
    fn a_status_reply_written_in_pieces_is_the_reply_written_at_once() {
        for count in 0..4 {
            let entries: Vec<ServiceEntry> = (0..count)
                .map(|id| ServiceEntry::from_status(&status(id, &format!("getty@tty{id}"))))
                .collect();
            let mut pieces = Vec::new();
            let mut writer = StatusReplyWriter::new();
            for entry in &entries {
                writer.entry(&mut pieces, entry);
            }
            writer.finish(&mut pieces, 1234);
            let whole = encode_reply(&Reply::status_at(entries, 1234));
            assert_eq!(
                String::from_utf8(pieces).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("agetty@*", "agetty@tty1"));
        assert!(glob_matches("a?c", "abc"));
        assert!(glob_matches("*d*", "sshd_keygen"));
        assert!(!glob_matches("ssh", "sshd"));
        assert!(!glob_matches("?", ""));
        assert!(glob_matches("a*b*c", "aXbYbZc"));
        assert!(!glob_matches("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn patterns_select_instances_by_base_name() {
        let all = [
            status(0, "agetty@tty1"),
            status(1, "agetty@tty2"),
            status(2, "sshd"),
        ];
        assert_eq!(
            select(&["agetty".to_string()], all.iter()),
            vec![ServiceId(0), ServiceId(1)]
        );
        assert_eq!(
            select(&["*tty2".to_string(), "sshd".to_string()], all.iter()),
            vec![ServiceId(1), ServiceId(2)]
        );
        assert_eq!(select(&[], all.iter()).len(), 3);
        assert!(select(&["nope".to_string()], all.iter()).is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = decode_request(&bytes);
            let _ = decode_reply(&bytes);
        }

        #[test]
        fn star_matches_everything(text in ".{0,40}") {
            proptest::prop_assert!(glob_matches("*", &text));
            proptest::prop_assert!(glob_matches(&text.replace(['*', '?'], ""), &text.replace(['*', '?'], "")));
        }
    }
}

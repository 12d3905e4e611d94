//! Reads a configuration directory (`/etc/init.d`) into services.
//!
//! Owns the file-system side of loading: listing the directory, following
//! the enable symlinks, skipping entries that are not services, and turning
//! I/O failures into diagnostics. It hands the bytes to `init_core::parse`
//! and decides nothing about their meaning (no ordering, no policy).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use init_core::diag::{summary_of, FileDiagnostics};
use init_core::name::printable;
use init_core::parse::parse_service;
use init_core::{Diagnostic, EnabledName, ServiceDef};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

pub use crate::bounded_read::FileId;
use crate::bounded_read::{self, describe, ReadError};

/// Everything one load produced. One bad file never stops the others: it
/// leaves a diagnostic and no service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The services that parsed without error, in load order (sorted by
    /// enabled name for a directory, as given for a list of files).
    pub services: Vec<ServiceDef>,
    /// Where each service came from, index for index with `services`.
    pub sources: Vec<Source>,
    /// Errors and warnings, file by file in load order, each file's in line
    /// order.
    pub diagnostics: Vec<Diagnostic>,
    /// How many entries were taken for service files, whether they loaded or
    /// not.
    pub files_seen: usize,
}

/// Where a loaded service came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The path as the user knows it: the config dir joined with the entry
    /// name (not the symlink's target), or the path as given.
    pub path: String,
    /// The file that was actually read, after following symlinks.
    pub file_id: FileId,
    /// Where the entry points when it is a symlink (as written in the
    /// link), to notice a template enabled under another name.
    pub link_target: Option<PathBuf>,
}

/// Loads every enabled service of `dir`.
///
/// Entries that are not regular files or symlinks are skipped silently, and
/// so are names that are not valid enabled names but look deliberately
/// kept out (`.hidden`, `foo.bak`, `foo~`); any other invalid name (`x-y`)
/// is skipped with a warning.
/// The rest are read in sorted name order, following symlinks. A name that
/// is valid is a service whatever it looks like: a `README` is read, and
/// its parse errors reported, as the original does. A missing or
/// unreadable directory is one error diagnostic.
pub fn load_dir(dir: &Path) -> Loaded {
    load_listed(dir, 1, Reader::Tool)
}

/// What init reads: [`load_dir`] bounded for PID 1.
/// - At most [`MAX_SERVICES`] services, the first by name; past that, one
///   error says where the cut is.
/// - One diagnostic per file ([`summary_of`]), and at most
///   [`MAX_DIAGNOSTICS_PER_FILE`](init_core::diag::MAX_DIAGNOSTICS_PER_FILE)
///   for the directory's own entries (names
///   skipped), so that a directory of garbage neither fills init's memory
///   nor scrolls its console for minutes.
/// - No `sources` (left empty): init has no use for where each service
///   came from once loaded, and a path string made per file and dropped
///   after the load leaves a hole in its heap per service among the
///   definitions it keeps.
pub fn load_dir_services(dir: &Path) -> Loaded {
    load_listed(dir, 1, Reader::Init)
}

/// The most services init loads from its directory: a few hundred times
/// what a board runs, and at about a kilobyte each, all of them fit in
/// the RAM of a small board with room to spare. The tools read every
/// service of a larger directory, with a warning that init will not.
pub const MAX_SERVICES: usize = 65_536;

/// Who a load is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A tool (`service list`, `verify`, `init-sim`): everything, with
    /// every diagnostic and where each service came from.
    Tool,
    /// Init: bounded, see [`load_dir_services`].
    Init,
}

/// As [`load_dir`], with the files read and parsed on up to `threads`
/// threads at once, for the tools that read a large directory (`service
/// list`, `verify`, `analyze`, `init-sim`): with 100,000 services more than
/// half the time is the kernel's opening and reading the files. Each
/// thread takes a run of the sorted names and the runs are joined in order,
/// so the result is the one `load_dir` gives, diagnostics included. Init
/// itself reads its directory on one thread: it forks without exec'ing
/// straight away, which other live threads would make unsafe.
pub fn load_dir_on_threads(dir: &Path, threads: usize) -> Loaded {
    load_listed(dir, threads, Reader::Tool)
}

fn load_listed(dir: &Path, threads: usize, reader: Reader) -> Loaded {
    load_listed_up_to(dir, threads, reader, MAX_SERVICES)
}

/// As [`load_listed`], with init's cap at `max_services` (a test's).
fn load_listed_up_to(dir: &Path, threads: usize, reader: Reader, max_services: usize) -> Loaded {
    let mut loaded = Loaded::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            let message = match error.kind() {
                io::ErrorKind::NotFound => "the config directory does not exist".to_string(),
                _ => format!("cannot read the config directory: {}", describe(&error)),
            };
            let place = dir.display().to_string();
            loaded
                .diagnostics
                .push(Diagnostic::error(&place, 0, message));
            return loaded;
        }
    };

    let mut services: Vec<(String, EnabledName, Link)> = Vec::new();
    // Names counted, kept or not, to say where init's cut falls.
    let mut named = 0usize;
    // The directory's own problems (entries skipped, a failed listing).
    let mut listing = FileDiagnostics::default();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let place = dir.display().to_string();
                let message = format!("cannot list the config directory: {}", describe(&error));
                listing.push(Diagnostic::error(&place, 0, message));
                continue;
            }
        };
        // A name that is not UTF-8 cannot be a valid enabled name.
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        // `file_type` comes from the directory entry itself on most file
        // systems, so skipping sockets, fifos and subdirectories costs no
        // extra stat.
        let link = match entry.file_type() {
            Ok(kind) if kind.is_file() => Link::Not,
            Ok(kind) if kind.is_symlink() => Link::Is,
            _ => continue,
        };
        match EnabledName::parse(&file_name) {
            Ok(name) => {
                named += 1;
                services.push((file_name, name, link));
                // Init keeps the first `max_services` names in sorted order
                // whatever the directory holds, in at most twice that room.
                if reader == Reader::Init && services.len() >= 2 * max_services {
                    sort_and_cut(&mut services, reader, max_services);
                }
            }
            // Hidden files and names with a dot before any `@` (`sshd.bak`,
            // `x.dpkg-old`, `sshd.disabled`) are the usual ways to keep a
            // file out of a directory like this one; anything else
            // (`zz-last`, `x@..`) was most likely meant as a service, so it
            // is skipped with a word.
            Err(error) if !is_kept_out(&file_name) => {
                let place = dir.join(printable(&file_name)).display().to_string();
                let message = format!("not a service name, skipped: {error}");
                listing.push(Diagnostic::warning(&place, 0, message));
            }
            Err(_) => {}
        }
    }
    let cut = sort_and_cut(&mut services, reader, max_services);
    let place = dir.display().to_string();
    loaded.diagnostics = listing.finish(&place);
    if named > max_services {
        let message = match reader {
            Reader::Init => format!(
                "{named} services, more than the {max_services} init loads: \
                 loaded those up to {cut}, the first by name"
            ),
            Reader::Tool => format!(
                "{named} services, more than the {max_services} init loads: \
                 init would load those up to {cut}, the first by name"
            ),
        };
        let diagnostic = match reader {
            Reader::Init => Diagnostic::error(&place, 0, message),
            Reader::Tool => Diagnostic::warning(&place, 0, message),
        };
        loaded.diagnostics.push(diagnostic);
    }

    // `dir.join(name)` and its display for each file cost more than all
    // the parsing of a line or two: the directory part is made once.
    let prefix = dir.join("");
    let place_prefix = prefix.display().to_string();
    let dir_fd = open_dir(dir);
    let listed = Listed {
        prefix: &prefix,
        place_prefix: &place_prefix,
        dir_fd: dir_fd.as_ref().map(OwnedFd::as_fd),
        reader,
    };
    let run = match threads {
        // Below a few hundred files a thread costs more than it saves.
        2.. if services.len() >= 512 => services.len().div_ceil(threads),
        _ => services.len().max(1),
    };
    let mut runs = services.chunks(run);
    let first = runs.next().unwrap_or_default();
    let others: Vec<Loaded> = std::thread::scope(|scope| {
        let started: Vec<_> = runs
            .map(|part| {
                let spawned =
                    std::thread::Builder::new().spawn_scoped(scope, move || listed.load(part));
                // No thread to be had: this one reads the run itself.
                (part, spawned.ok())
            })
            .collect();
        listed.load_into(&mut loaded, first);
        started
            .into_iter()
            .map(|(part, thread)| match thread {
                Some(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => listed.load(part),
            })
            .collect()
    });
    for part in others {
        loaded.services.extend(part.services);
        loaded.sources.extend(part.sources);
        loaded.diagnostics.extend(part.diagnostics);
        loaded.files_seen += part.files_seen;
    }
    loaded
}

/// Sorts `services` by name and says where init's cut falls: the name of
/// the last of the first `max` ([`MAX_SERVICES`]). For [`Reader::Init`]
/// those are all that is kept; a tool keeps every service.
fn sort_and_cut(
    services: &mut Vec<(String, EnabledName, Link)>,
    reader: Reader,
    max: usize,
) -> String {
    services.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if reader == Reader::Init {
        services.truncate(max);
    }
    services
        .get(..max.min(services.len()))
        .and_then(<[_]>::last)
        .map(|last| last.0.clone())
        .unwrap_or_default()
}

/// How many threads [`load_dir_on_threads`] is worth giving on this
/// machine: one per core, at most 8.
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// What every file of a listed directory shares: its path's directory
/// part, as a path and as diagnostics show it, and the directory open.
#[derive(Clone, Copy)]
struct Listed<'a> {
    prefix: &'a Path,
    place_prefix: &'a str,
    dir_fd: Option<BorrowedFd<'a>>,
    reader: Reader,
}

impl Listed<'_> {
    fn load(&self, part: &[(String, EnabledName, Link)]) -> Loaded {
        let mut loaded = Loaded::default();
        self.load_into(&mut loaded, part);
        loaded
    }

    /// Loads the files of `part` in turn, after what `loaded` holds.
    fn load_into(&self, loaded: &mut Loaded, part: &[(String, EnabledName, Link)]) {
        loaded.services.reserve(part.len());
        if self.reader == Reader::Tool {
            loaded.sources.reserve(part.len());
        }
        let mut buffer = Vec::new();
        // The path and its displayed form, remade in place for each file.
        let mut path = OsString::new();
        let mut place = String::new();
        for (file_name, name, link) in part {
            path.clear();
            path.push(self.prefix);
            path.push(file_name);
            place.clear();
            place.push_str(self.place_prefix);
            place.push_str(file_name);
            load_one(
                loaded,
                (Path::new(&path), &place),
                name,
                (*link, self.dir_fd),
                &mut buffer,
                self.reader,
            );
        }
    }
}

/// A name that keeps its file out of the configuration on purpose: a
/// hidden file, a dot in the service's own name, an editor's backup.
fn is_kept_out(file_name: &str) -> bool {
    let base = file_name.split('@').next().unwrap_or(file_name);
    base.contains('.') || file_name.ends_with('~')
}

/// Whether a service's path is a symlink, as far as the caller knows: the
/// directory listing says so for free, which spares a `readlink` per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Is,
    Not,
    Unknown,
}

/// Loads the given files as one configuration, in the order given, each
/// named after its file name (`verify ./agetty@tty1`). A file name that is
/// not a valid enabled name is an error here: the user named the file.
pub fn load_files(paths: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    for path in paths {
        let place = path.display().to_string();
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match EnabledName::parse(file_name) {
            Ok(name) => load_one(
                &mut loaded,
                (path, &place),
                &name,
                (Link::Unknown, None),
                &mut Vec::new(),
                Reader::Tool,
            ),
            Err(error) => {
                loaded.files_seen += 1;
                let message = format!(
                    "{file_name:?} is not a service name: {error}; \
                     name the file NAME or NAME@ARG"
                );
                loaded
                    .diagnostics
                    .push(Diagnostic::error(&place, 0, message));
            }
        }
    }
    loaded
}

/// Loads one file under a name of the caller's choosing: a template read
/// from the template dir with the argument it would be enabled with.
pub fn load_file_as(path: &Path, name: &EnabledName) -> Loaded {
    let mut loaded = Loaded::default();
    let place = path.display().to_string();
    load_one(
        &mut loaded,
        (path, &place),
        name,
        (Link::Unknown, None),
        &mut Vec::new(),
        Reader::Tool,
    );
    loaded
}

/// `file` is the path, and the path as diagnostics show it; `entry` says
/// whether it is a symlink and, for a file of a listed directory, the
/// directory open. `buffer` holds the file's bytes while it is parsed; a
/// caller loading many files hands in the same one each time.
fn load_one(
    loaded: &mut Loaded,
    file: (&Path, &str),
    name: &EnabledName,
    entry: (Link, Option<BorrowedFd<'_>>),
    buffer: &mut Vec<u8>,
    reader: Reader,
) {
    let (path, place) = file;
    loaded.files_seen += 1;
    let (link, within) = entry;
    match read_service_file(path, link, within, buffer) {
        Ok(file_id) => {
            let parsed = parse_service(place, buffer, name);
            match reader {
                Reader::Tool => loaded.diagnostics.extend(parsed.diagnostics),
                Reader::Init => loaded.diagnostics.extend(summary_of(&parsed.diagnostics)),
            }
            if let Some(service) = parsed.service {
                loaded.services.push(service);
                if reader == Reader::Init {
                    return;
                }
                loaded.sources.push(Source {
                    path: place.to_string(),
                    file_id,
                    // Only a symlink has a target; asking of a plain file
                    // fails (EINVAL), but costs a system call.
                    link_target: match link {
                        Link::Not => None,
                        Link::Is | Link::Unknown => fs::read_link(path).ok(),
                    },
                });
            }
        }
        Err(message) => loaded
            .diagnostics
            .push(Diagnostic::error(place, 0, message)),
    }
}

/// Reads the file `path` names into `bytes`, following symlinks, as
/// [`bounded_read`] reads every file init is given: never anything but a
/// regular file, never blocking, never more than
/// [`bounded_read::MAX_FILE_BYTES`]. This runs for every service of every
/// boot, so an entry the directory listing called a regular file is opened
/// at once relative to `within`, its directory open (the kernel then looks
/// up one name, not every directory of the path again), and checked after;
/// a symlink, or a path the caller knows nothing of, is stat'ed first.
fn read_service_file(
    path: &Path,
    link: Link,
    within: Option<BorrowedFd<'_>>,
    bytes: &mut Vec<u8>,
) -> Result<FileId, String> {
    let read = match (link, within, path.file_name()) {
        (Link::Not, Some(dir), Some(name)) => {
            bounded_read::read_listed_file(dir, Path::new(name), bytes)
        }
        _ => bounded_read::read_file(path, bytes),
    };
    read.map_err(|error| match error {
        ReadError::Missing => match fs::read_link(path) {
            Ok(target) => format!("broken symlink (-> {})", target.display()),
            Err(_) => "the file does not exist".to_string(),
        },
        ReadError::NotRegular(_) => {
            format!("{error}: a symlink must point to a service file")
        }
        ReadError::TooLarge(_) => error.to_string(),
        ReadError::Io(_) => format!("cannot read: {error}"),
    })
}

/// `dir` open for `read_listed_file`; `None` if it cannot be, and each
/// file is then opened by its whole path.
fn open_dir(dir: &Path) -> Option<OwnedFd> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(dir, flags, Mode::empty()).ok()?;
    // SAFETY: a fresh fd that nothing else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use init_core::diag::MAX_DIAGNOSTICS_PER_FILE;

    use super::*;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> TempDir {
            let path =
                std::env::temp_dir().join(format!("init-loader-{test}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            fs::write(&path, text).expect("write test file");
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const SIMPLE: &str = "description simple\ntype wait\ntarget boot\nexec true\n";

    fn names(loaded: &Loaded) -> Vec<&str> {
        loaded.services.iter().map(|s| s.name.as_str()).collect()
    }

    fn rendered(loaded: &Loaded, dir: &TempDir) -> Vec<String> {
        let prefix = format!("{}/", dir.0.display());
        loaded
            .diagnostics
            .iter()
            .map(|d| d.to_string().replace(&prefix, ""))
            .collect()
    }

    #[test]
    fn loads_services_in_sorted_name_order() {
        let dir = TempDir::new("sorted");
        dir.write("zeta", SIMPLE);
        dir.write("alpha", SIMPLE);
        dir.write("Mid_1", SIMPLE);
        let loaded = load_dir(&dir.0);
        assert_eq!(names(&loaded), ["Mid_1", "alpha", "zeta"]);
        assert_eq!(loaded.files_seen, 3);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(
            loaded.sources[1].path,
            dir.0.join("alpha").display().to_string()
        );
        assert_eq!(loaded.sources[1].link_target, None);
        // A directory named with a trailing slash names its files as
        // `Path::join` does, with one slash.
        assert_eq!(load_dir(&dir.0.join("")), loaded);
    }

    #[test]
    fn skips_entries_that_are_not_services() {
        let dir = TempDir::new("skips");
        dir.write("sshd", SIMPLE);
        dir.write("README", "not a service\n");
        dir.write("sshd.bak", "junk\n");
        dir.write(".hidden", "junk\n");
        dir.write("x@", "junk\n");
        dir.write("zz-last", SIMPLE);
        dir.write("sshd~", "junk\n");
        dir.write("x@..", SIMPLE);
        dir.write("x@tty\x1b[2J", SIMPLE);
        fs::create_dir(dir.0.join("subdir")).unwrap();
        let loaded = load_dir(&dir.0);
        // README is a valid name and a regular file, so it is read (and
        // fails); the others are not service names at all.
        assert_eq!(names(&loaded), ["sshd"]);
        assert_eq!(loaded.files_seen, 2);
        // A name that looks meant as a service is not skipped silently.
        let skipped: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("not a service name"))
            .map(|d| d.to_string())
            .collect();
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(
            skipped
                .iter()
                .any(|d| d.contains("zz-last") && d.contains("'-'")),
            "{skipped:?}"
        );
        assert!(skipped.iter().any(|d| d.contains("x@:")), "{skipped:?}");
        // The reason is the core's, the one `service enable` gives; a
        // control character in the name is shown escaped.
        for (shown, why) in [("x@..", "'..'"), ("x@tty\\u{1b}[2J", "'\\u{1b}'")] {
            let place = dir.0.join(shown).display().to_string();
            let warning = format!(
                "{place}: warning: not a service name, skipped: \
                 {why} is not allowed in a service argument"
            );
            assert!(skipped.contains(&warning), "{skipped:?}");
        }
    }

    #[test]
    fn follows_symlinks_and_passes_the_argument() {
        let templates = TempDir::new("follow-templates");
        let config = TempDir::new("follow-config");
        let template = templates.write(
            "agetty",
            "description agetty on %0\ntype respawn\nexec agetty %0 linux\ntty /dev/%0\n",
        );
        symlink(&template, config.0.join("agetty@tty1")).unwrap();
        symlink(&template, config.0.join("agetty@tty2")).unwrap();
        let loaded = load_dir(&config.0);
        assert_eq!(names(&loaded), ["agetty@tty1", "agetty@tty2"]);
        let tty1 = &loaded.services[0];
        assert_eq!(tty1.base(), "agetty");
        assert_eq!(tty1.arg(), Some("tty1"));
        assert_eq!(tty1.exec, [["agetty", "tty1", "linux"]]);
        // Both names read the same file.
        assert_eq!(loaded.sources[0].file_id, loaded.sources[1].file_id);
        assert_eq!(loaded.sources[0].link_target.as_ref(), Some(&template));
    }

    #[test]
    fn one_bad_file_never_stops_the_others() {
        let dir = TempDir::new("bad");
        dir.write("a", SIMPLE);
        dir.write("b", "exce true\n");
        symlink("../nowhere/c", dir.0.join("c")).unwrap();
        fs::create_dir(dir.0.join("dir_target")).unwrap();
        symlink("dir_target", dir.0.join("d")).unwrap();
        dir.write("e", SIMPLE);
        // A FIFO is skipped as an entry, and never opened (which would
        // block) when a symlink points to it.
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.0.join("fifo"))
            .status()
            .expect("run mkfifo");
        assert!(fifo.success());
        symlink("fifo", dir.0.join("f")).unwrap();
        let loaded = load_dir(&dir.0);
        assert_eq!(names(&loaded), ["a", "e"]);
        assert_eq!(loaded.files_seen, 6);
        let messages = rendered(&loaded, &dir);
        assert!(
            messages.iter().any(|m| m.starts_with("b:1")),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"c: broken symlink (-> ../nowhere/c)".to_string()),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("d: not a regular file")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("f: not a regular file")),
            "{messages:?}"
        );
    }

    #[test]
    fn threads_load_exactly_what_one_thread_loads() {
        // Enough files for the threads to share them, with errors,
        // warnings, symlinks and templates strewn across every thread's run.
        let dir = TempDir::new("threads");
        dir.write("tmpl", "description of %0\nexec echo %0\n");
        for i in 0..1500 {
            match i % 7 {
                0 => {
                    dir.write(&format!("s{i:04}"), "exce true\n");
                }
                1 => symlink("tmpl", dir.0.join(format!("t@{i:04}"))).unwrap(),
                2 => {
                    dir.write(&format!("bad-{i:04}"), SIMPLE);
                }
                3 => symlink("../nowhere", dir.0.join(format!("s{i:04}"))).unwrap(),
                _ => {
                    dir.write(
                        &format!("s{i:04}"),
                        &format!("after s{:04}\n{SIMPLE}", i / 2),
                    );
                }
            }
        }
        let alone = load_dir(&dir.0);
        assert!(alone.services.len() > 800 && alone.diagnostics.len() > 600);
        for threads in [2, 3, 8] {
            assert_eq!(
                load_dir_on_threads(&dir.0, threads),
                alone,
                "{threads} threads"
            );
        }
        // What init reads: the same services, not where each came from,
        // and one line for each file's diagnostics.
        let services_only = load_dir_services(&dir.0);
        assert!(services_only.sources.is_empty());
        let mut by_file: Vec<Vec<Diagnostic>> = Vec::new();
        for diagnostic in &alone.diagnostics {
            match by_file.last_mut() {
                Some(file) if file[0].file == diagnostic.file => file.push(diagnostic.clone()),
                _ => by_file.push(vec![diagnostic.clone()]),
            }
        }
        let summaries: Vec<Diagnostic> = by_file.iter().filter_map(|d| summary_of(d)).collect();
        assert!(summaries.len() < alone.diagnostics.len());
        assert_eq!(
            Loaded {
                sources: alone.sources.clone(),
                diagnostics: alone.diagnostics.clone(),
                ..services_only
            },
            alone
        );
        assert_eq!(services_only.diagnostics, summaries);
    }

    #[test]
    fn init_loads_the_first_services_by_name_up_to_its_cap_and_says_where() {
        let dir = TempDir::new("cap");
        for i in (0..25).rev() {
            dir.write(&format!("s{i:02}"), SIMPLE);
        }
        // Enough for init to cut twice while listing (at twice the cap).
        let init = load_listed_up_to(&dir.0, 1, Reader::Init, 4);
        assert_eq!(names(&init), ["s00", "s01", "s02", "s03"]);
        assert_eq!(
            rendered(&init, &dir),
            [format!(
                "{}: 25 services, more than the 4 init loads: \
                 loaded those up to s03, the first by name",
                dir.0.display()
            )]
        );
        assert!(init.diagnostics[0].is_error());
        // A tool reads them all, and warns that init will not.
        let tool = load_listed_up_to(&dir.0, 1, Reader::Tool, 4);
        assert_eq!(tool.services.len(), 25);
        assert!(!tool.diagnostics[0].is_error());
        assert!(
            tool.diagnostics[0]
                .message
                .contains("init would load those up to s03"),
            "{:?}",
            tool.diagnostics
        );
        assert_eq!(
            load_listed_up_to(&dir.0, 1, Reader::Init, 25).diagnostics,
            []
        );
    }

    #[test]
    fn init_says_one_line_per_broken_file_and_few_for_a_directory_of_junk() {
        let dir = TempDir::new("one-line");
        // Every line an error.
        dir.write("garbage", &"exce true\n".repeat(10_000));
        for i in 0..200 {
            dir.write(&format!("junk-{i:03}"), SIMPLE);
        }
        let init = load_dir_services(&dir.0);
        let lines = rendered(&init, &dir);
        assert_eq!(lines.len(), 1 + MAX_DIAGNOSTICS_PER_FILE + 1, "{lines:?}");
        assert!(
            lines.iter().any(|l| l.starts_with("garbage:1:")
                && l.ends_with("(and 50 more; `service verify` shows them all)")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with("150 more problems not shown (at most 50 are kept)")),
            "{lines:?}"
        );
        // A tool keeps what the parser keeps: the first 50 and a count.
        let tool = load_dir(&dir.0);
        assert_eq!(
            tool.diagnostics.len(),
            2 * (MAX_DIAGNOSTICS_PER_FILE + 1),
            "{:?}",
            tool.diagnostics
        );
    }

    #[test]
    fn a_missing_config_dir_is_one_error() {
        let dir = TempDir::new("missing");
        let loaded = load_dir(&dir.0.join("init.d"));
        assert!(loaded.services.is_empty());
        assert_eq!(
            rendered(&loaded, &dir),
            ["init.d: the config directory does not exist"]
        );
    }

    #[test]
    fn load_files_names_each_file_after_its_file_name() {
        let dir = TempDir::new("files");
        let good = dir.write("sshd", SIMPLE);
        let bad_name = dir.write("sshd.in", SIMPLE);
        let loaded = load_files(&[bad_name, good]);
        assert_eq!(names(&loaded), ["sshd"]);
        assert_eq!(loaded.files_seen, 2);
        let messages = rendered(&loaded, &dir);
        assert_eq!(messages.len(), 1);
        assert!(
            messages[0].starts_with("sshd.in: \"sshd.in\" is not a service name"),
            "{messages:?}"
        );
    }
}

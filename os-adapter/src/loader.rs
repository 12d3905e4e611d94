//! Reads a configuration directory (`/etc/init.d`) into services.
//!
//! Owns the file-system side of loading: listing the directory, following
//! the enable symlinks, skipping entries that are not services, and turning
//! I/O failures into diagnostics. It hands the bytes to `init_core::parse`
//! and decides nothing about their meaning (no ordering, no policy).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use init_core::name::printable;
use init_core::parse::parse_service;
use init_core::{Diagnostic, EnabledName, ServiceDef};
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

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

/// The identity of a file on disk, to notice the same file enabled twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId {
    pub device: u64,
    pub inode: u64,
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
    load_listed(dir, 1, Sources::Keep)
}

/// As [`load_dir`], without the `sources` (left empty): what init reads.
/// It has no use for where each service came from once loaded, and a
/// path string made per file and dropped after the load leaves a hole in
/// its heap per service among the definitions it keeps.
pub fn load_dir_services(dir: &Path) -> Loaded {
    load_listed(dir, 1, Sources::Drop)
}

/// Whether a load keeps each service's [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sources {
    Keep,
    Drop,
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
    load_listed(dir, threads, Sources::Keep)
}

fn load_listed(dir: &Path, threads: usize, sources: Sources) -> Loaded {
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
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let place = dir.display().to_string();
                let message = format!("cannot list the config directory: {}", describe(&error));
                loaded
                    .diagnostics
                    .push(Diagnostic::error(&place, 0, message));
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
            Ok(name) => services.push((file_name, name, link)),
            // Hidden files and names with a dot before any `@` (`sshd.bak`,
            // `x.dpkg-old`, `sshd.disabled`) are the usual ways to keep a
            // file out of a directory like this one; anything else
            // (`zz-last`, `x@..`) was most likely meant as a service, so it
            // is skipped with a word.
            Err(error) if !is_kept_out(&file_name) => {
                let place = dir.join(printable(&file_name)).display().to_string();
                let message = format!("not a service name, skipped: {error}");
                loaded
                    .diagnostics
                    .push(Diagnostic::warning(&place, 0, message));
            }
            Err(_) => {}
        }
    }
    services.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    // `dir.join(name)` and its display for each file cost more than all
    // the parsing of a line or two: the directory part is made once.
    let prefix = dir.join("");
    let place_prefix = prefix.display().to_string();
    let dir_fd = open_dir(dir);
    let listed = Listed {
        prefix: &prefix,
        place_prefix: &place_prefix,
        dir_fd: dir_fd.as_ref().map(OwnedFd::as_fd),
        sources,
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
    sources: Sources,
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
        if self.sources == Sources::Keep {
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
                self.sources,
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
                Sources::Keep,
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
        Sources::Keep,
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
    sources: Sources,
) {
    let (path, place) = file;
    loaded.files_seen += 1;
    let (link, within) = entry;
    match read_service_file(path, link, within, buffer) {
        Ok(file_id) => {
            let parsed = parse_service(place, buffer, name);
            loaded.diagnostics.extend(parsed.diagnostics);
            if let Some(service) = parsed.service {
                loaded.services.push(service);
                if sources == Sources::Drop {
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

/// Reads the file `path` names into `bytes`, following symlinks: in the
/// usual case one open, one stat of the open file and one read, since this
/// runs for every service of every boot.
///
/// Nothing but a regular file is ever opened in the blocking way: opening
/// a FIFO blocks until a writer appears, and an init blocked on a stray
/// symlink to one would never finish booting. A symlink, or a path the
/// caller knows nothing of, is stat'ed before it is opened. An entry the
/// directory listing called a regular file is opened at once, with
/// O_NONBLOCK and O_NOCTTY in case it changed since, and checked after:
/// a second lookup of the path per file was a sixth of the time of
/// listing 100,000 services.
///
/// Such a file is opened relative to `within`, its directory, where the
/// caller has it open: the kernel then looks up one name, not every
/// directory of the path again.
fn read_service_file(
    path: &Path,
    link: Link,
    within: Option<BorrowedFd<'_>>,
    bytes: &mut Vec<u8>,
) -> Result<FileId, String> {
    let (mut file, metadata) = match link {
        Link::Not => {
            let file = open_listed(path, within).map_err(|error| open_error(path, &error))?;
            let metadata = file.metadata().map_err(|error| open_error(path, &error))?;
            (file, metadata)
        }
        Link::Is | Link::Unknown => {
            let metadata = fs::metadata(path).map_err(|error| open_error(path, &error))?;
            if !metadata.is_file() {
                return Err(NOT_A_REGULAR_FILE.to_string());
            }
            let file =
                File::open(path).map_err(|error| format!("cannot open: {}", describe(&error)))?;
            (file, metadata)
        }
    };
    if !metadata.is_file() {
        return Err(NOT_A_REGULAR_FILE.to_string());
    }
    read_whole(&mut file, metadata.len(), bytes)
        .map_err(|error| format!("cannot read: {}", describe(&error)))?;
    Ok(FileId {
        device: metadata.dev(),
        inode: metadata.ino(),
    })
}

/// Opens a file the directory listing called regular, without blocking
/// or taking a terminal should it have become something else since.
fn open_listed(path: &Path, within: Option<BorrowedFd<'_>>) -> io::Result<File> {
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK | OFlag::O_NOCTTY;
    match (within, path.file_name()) {
        (Some(dir), Some(name)) => {
            let fd = openat(Some(dir.as_raw_fd()), name, flags, Mode::empty())?;
            // SAFETY: a fresh fd that nothing else owns.
            Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
        }
        _ => OpenOptions::new()
            .read(true)
            .custom_flags(flags.bits())
            .open(path),
    }
}

/// `dir` open for `open_listed`; `None` if it cannot be, and each file is
/// then opened by its whole path.
fn open_dir(dir: &Path) -> Option<OwnedFd> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::open(dir, flags, Mode::empty()).ok()?;
    // SAFETY: a fresh fd that nothing else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

const NOT_A_REGULAR_FILE: &str = "not a regular file (a symlink must point to a service file)";

/// Why `path` could not be opened or stat'ed: a broken symlink is worth
/// naming as one.
fn open_error(path: &Path, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => match fs::read_link(path) {
            Ok(target) => format!("broken symlink (-> {})", target.display()),
            Err(_) => "the file does not exist".to_string(),
        },
        _ => format!("cannot open: {}", describe(error)),
    }
}

/// Reads `file` to its end into `bytes`, expecting `size` bytes.
///
/// `read_to_end` would stat the file again for a size hint and read once
/// more to see the end. Here the first read asks for one byte more than
/// the stat said: getting exactly `size` back, short of what was asked, is
/// the end of a regular file. A file that grew or shrank since the stat
/// is read on until a read returns nothing.
fn read_whole(file: &mut impl Read, size: u64, bytes: &mut Vec<u8>) -> io::Result<()> {
    let expected = usize::try_from(size).unwrap_or(0);
    bytes.clear();
    bytes.resize(expected.saturating_add(1).max(64), 0);
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            bytes.resize(filled.saturating_mul(2), 0);
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
                bytes.clear();
                return Err(error);
            }
        }
    }
    bytes.truncate(filled);
    Ok(())
}

/// An I/O error in words, without the `(os error N)` tail that means
/// nothing to the person fixing their config.
fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
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
        // What init reads: the same, less where each service came from.
        let services_only = load_dir_services(&dir.0);
        assert!(services_only.sources.is_empty());
        assert_eq!(
            Loaded {
                sources: alone.sources.clone(),
                ..services_only
            },
            alone
        );
    }

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

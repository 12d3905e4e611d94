//! Test-only: a scratch directory under the system temp dir that is
//! removed when the test is done with it (and kept when it failed, for a
//! look), and a scratch cgroup beside the test's own. Nothing outside
//! tests uses them.

use std::ops::Deref;
use std::path::{Path, PathBuf};

pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A fresh, empty directory named after the test and this process.
    pub fn new(name: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("init-adapter-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create a scratch directory");
        ScratchDir(dir)
    }
}

impl Deref for ScratchDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// An empty cgroup v2 of the test's own, beside the test process's cgroup,
/// removed when dropped (the test must have ended its processes in it).
pub struct ScratchCgroup(PathBuf);

impl ScratchCgroup {
    /// `None` where there is no writable cgroup2 hierarchy: a note here,
    /// a failure under CI, whose machines have one (MACHINE-FACTS).
    pub fn new(name: &str) -> Option<ScratchCgroup> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let own = ScratchCgroup::of_process(std::process::id() as i32).unwrap_or_default();
        let why = match crate::cgroup::cgroup2_mount(&mountinfo) {
            None => "no cgroup2 hierarchy is mounted".to_string(),
            Some(mount) => {
                let dir = mount
                    .join(own.trim_start_matches('/'))
                    .join(format!("{name}.{}", std::process::id()));
                match std::fs::create_dir(&dir) {
                    Ok(()) => return Some(ScratchCgroup(dir)),
                    Err(e) => format!("cannot make {}: {e}", dir.display()),
                }
            }
        };
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("SKIPPED (not under CI): {why}");
        None
    }

    /// The cgroup v2 path of process `pid` (`/proc/PID/cgroup`).
    pub fn of_process(pid: i32) -> Option<String> {
        crate::cgroup::own_cgroup(&std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?)
    }

    /// Whether `pid` is in this cgroup.
    pub fn holds(&self, pid: i32) -> bool {
        let name = self.0.file_name().and_then(|n| n.to_str()).unwrap_or("");
        ScratchCgroup::of_process(pid).is_some_and(|path| path.ends_with(&format!("/{name}")))
    }
}

impl Deref for ScratchCgroup {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchCgroup {
    /// Removes the cgroup and any a test made in it. The kernel lets go of
    /// an exited process's cgroup a moment after the exit, so a removal
    /// right after a wait may fail: tried for up to a second.
    fn drop(&mut self) {
        for _ in 0..100 {
            if remove_cgroup_tree(&self.0) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Removes the cgroup at `dir` and those under it, deepest first. True
/// once it is gone.
fn remove_cgroup_tree(dir: &Path) -> bool {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup_tree(&entry.path());
            }
        }
    }
    std::fs::remove_dir(dir).is_ok() || !dir.exists()
}

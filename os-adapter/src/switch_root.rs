//! Switch-root: leaving the initramfs for the real root file system.
//!
//! Owns the checks made before anything stops (a refusal leaves the
//! initramfs running as it was) and the move itself once the core has
//! stopped every service: the pseudo file systems into the new root, the
//! initramfs freed, `mount --move NEWROOT /`, `chroot .`, exec the new
//! root's init. It decides nothing about services.
//!
//! Linux details that bite:
//! - pivot_root(2) does not work when `/` is the initial rootfs (it cannot
//!   be unmounted), hence the move-and-chroot dance of busybox and
//!   util-linux `switch_root`;
//! - the initramfs lives in memory that only deleting its files frees; it
//!   is deleted only when `/` is a ramfs or tmpfs, never on a disk root,
//!   and never across a mount point (the new root is one).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};

/// `statfs` magic numbers of the file systems an initramfs can be.
const RAMFS_MAGIC: i64 = 0x8584_58f6;
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The pseudo file systems moved into the new root.
const MOVED_MOUNTS: [&str; 4] = ["/proc", "/sys", "/dev", "/run"];

/// A switch that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchPlan {
    /// Where the real root is mounted, e.g. `/newroot`.
    pub new_root: PathBuf,
    /// The init to exec, as a path inside the new root, e.g. `/sbin/init`.
    pub init: PathBuf,
}

/// Checks a switch before anything stops. `init` defaults to
/// `default_init` (the path this init was started as). `root` is `/`
/// except in tests.
pub fn check(
    root: &Path,
    new_root: &str,
    init: Option<&str>,
    default_init: Option<&Path>,
) -> Result<SwitchPlan, String> {
    let new_root_path = Path::new(new_root);
    if !new_root_path.is_absolute() {
        return Err(format!("{new_root} is not an absolute path"));
    }
    let new_root_meta = std::fs::metadata(new_root_path)
        .map_err(|e| format!("cannot use {new_root} as the new root: {e}"))?;
    if !new_root_meta.is_dir() {
        return Err(format!("{new_root} is not a directory"));
    }
    let root_meta =
        std::fs::metadata(root).map_err(|e| format!("cannot stat {}: {e}", root.display()))?;
    if new_root_meta.dev() == root_meta.dev() {
        return Err(format!(
            "{new_root} is not a mount point: mount the real root there first"
        ));
    }
    let init = match (init, default_init) {
        (Some(init), _) => PathBuf::from(init),
        (None, Some(default)) => default.to_path_buf(),
        (None, None) => return Err("name the init to run in the new root".to_string()),
    };
    if !init.is_absolute() {
        return Err(format!("{} is not an absolute path", init.display()));
    }
    let inside = new_root_path.join(init.strip_prefix("/").unwrap_or(&init));
    match std::fs::metadata(&inside) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => {}
        Ok(_) => return Err(format!("{} is not an executable file", inside.display())),
        Err(e) => {
            return Err(format!(
                "no init in the new root: {}: {e}",
                inside.display()
            ))
        }
    }
    Ok(SwitchPlan {
        new_root: new_root_path.to_path_buf(),
        init,
    })
}

/// Whether the old root's files may be deleted: only an initramfs (a
/// ramfs or tmpfs) is, never a disk.
pub fn may_free_old_root(filesystem_magic: i64) -> bool {
    filesystem_magic == RAMFS_MAGIC || filesystem_magic == TMPFS_MAGIC
}

/// Moves to the new root and execs its init. Returns only on failure,
/// with the reason; by then every service has been stopped.
pub fn switch(plan: &SwitchPlan) -> String {
    let new_root = &plan.new_root;
    let mut warnings = Vec::new();
    let root_dev = match std::fs::metadata("/") {
        Ok(meta) => meta.dev(),
        Err(e) => return format!("cannot stat /: {e}"),
    };
    for mount_point in MOVED_MOUNTS {
        let is_mounted = std::fs::metadata(mount_point).is_ok_and(|m| m.dev() != root_dev);
        if !is_mounted {
            continue;
        }
        let target = new_root.join(mount_point.trim_start_matches('/'));
        let moved = target.is_dir()
            && mount(
                Some(mount_point),
                &target,
                None::<&str>,
                MsFlags::MS_MOVE,
                None::<&str>,
            )
            .is_ok();
        if !moved {
            // Left behind, it would pin the old root; detached, it goes
            // once nothing uses it.
            let _ = nix::mount::umount2(mount_point, nix::mount::MntFlags::MNT_DETACH);
            warnings.push(format!("{mount_point} not moved"));
        }
    }
    if let Err(e) = std::env::set_current_dir(new_root) {
        return format!("cannot enter {}: {e}", new_root.display());
    }
    // `f_type` is `__fsword_t`, whose width depends on the architecture.
    #[allow(clippy::unnecessary_cast)]
    let old_root_is_ram = nix::sys::statfs::statfs("/")
        .map(|fs| may_free_old_root(fs.filesystem_type().0 as i64))
        .unwrap_or(false);
    if old_root_is_ram {
        let removed = remove_tree_on_device(Path::new("/"), root_dev);
        // Straight to fd 2: the driver's console cannot be reached from
        // here, and this is the last word before the exec.
        eprintln!("init: freed the initramfs ({removed} files)");
    }
    if let Err(e) = mount(Some("."), "/", None::<&str>, MsFlags::MS_MOVE, None::<&str>) {
        return format!("cannot move {} to /: {}", new_root.display(), e.desc());
    }
    if let Err(e) = nix::unistd::chroot(".") {
        return format!("cannot chroot into the new root: {}", e.desc());
    }
    let _ = std::env::set_current_dir("/");
    let mut why = crate::handover::exec(&[plan.init.clone().into_os_string()]);
    if !warnings.is_empty() {
        why.push_str(&format!(" ({})", warnings.join(", ")));
    }
    why
}

/// Deletes everything under `dir` that is on `device`, depth first,
/// never following a symlink or entering another file system (the new
/// root and the moved mounts are others). Errors are skipped: what cannot
/// go only keeps some memory.
/// Returns how many entries went.
fn remove_tree_on_device(dir: &Path, device: u64) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.dev() != device {
            continue;
        }
        let gone = if meta.is_dir() {
            removed += remove_tree_on_device(&path, device);
            std::fs::remove_dir(&path).is_ok()
        } else {
            std::fs::remove_file(&path).is_ok()
        };
        removed += usize::from(gone);
    }
    removed
}

/// After a failed switch: a shell on the console for whoever is there,
/// again whenever it exits, and every orphan reaped meanwhile (init is
/// still PID 1). Never returns.
pub fn rescue_forever(console_message: impl Fn(&str)) -> ! {
    loop {
        console_message("starting a rescue shell (/bin/sh) on the console");
        let shell = match std::process::Command::new("/bin/sh").spawn() {
            // Reaped below with everything else, not through the handle.
            Ok(child) => Some(child.id() as i32),
            Err(e) => {
                console_message(&format!("no rescue shell: {e}"));
                None
            }
        };
        loop {
            // Signals are blocked (read from a signalfd that nothing reads
            // any more), so the wait is not interrupted by them.
            match nix::sys::wait::waitpid(None, None) {
                Ok(status) if status.pid().map(|p| p.as_raw()) == shell => break,
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                // No child at all: nothing to reap until a shell can start.
                Err(_) => break,
            }
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    #[test]
    fn a_directory_on_the_same_file_system_is_not_a_new_root() {
        let dir = ScratchDir::new("switch-same-fs");
        std::fs::create_dir_all(dir.join("newroot/sbin")).unwrap();
        let error = check(
            &dir,
            dir.join("newroot").to_str().unwrap(),
            Some("/sbin/init"),
            None,
        )
        .unwrap_err();
        assert!(error.ends_with("is not a mount point: mount the real root there first"));
    }

    #[test]
    fn the_new_root_must_be_an_absolute_directory_with_an_executable_init() {
        let dir = ScratchDir::new("switch-checks");
        assert_eq!(
            check(&dir, "newroot", None, None).unwrap_err(),
            "newroot is not an absolute path"
        );
        assert!(check(&dir, "/nonexistent/newroot", None, None)
            .unwrap_err()
            .starts_with("cannot use /nonexistent/newroot as the new root"));
        // /proc is a mount point of its own wherever tests run: the init
        // checks come after the mount check.
        let error = check(&dir, "/proc", Some("/sbin/no-such-init"), None).unwrap_err();
        assert!(error.starts_with("no init in the new root: /proc/sbin/no-such-init"));
        let error = check(&dir, "/proc", Some("/self/status"), None).unwrap_err();
        assert_eq!(error, "/proc/self/status is not an executable file");
        let error = check(&dir, "/proc", Some("sbin/init"), None).unwrap_err();
        assert_eq!(error, "sbin/init is not an absolute path");
        let error = check(&dir, "/proc", None, None).unwrap_err();
        assert_eq!(error, "name the init to run in the new root");
    }

    #[test]
    fn only_an_initramfs_is_ever_freed() {
        assert!(may_free_old_root(RAMFS_MAGIC));
        assert!(may_free_old_root(TMPFS_MAGIC));
        // ext4, btrfs, xfs, overlayfs, squashfs: a disk root stays whole.
        for magic in [0xEF53, 0x9123_683E, 0x5846_5342, 0x794C_7630, 0x7371_7368] {
            assert!(!may_free_old_root(magic), "{magic:#x}");
        }
    }

    #[test]
    fn removing_the_old_root_stays_on_its_file_system() {
        let dir = ScratchDir::new("switch-remove");
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/file"), "x").unwrap();
        std::os::unix::fs::symlink("/proc", dir.join("a/link")).unwrap();
        let device = std::fs::metadata(&*dir).unwrap().dev();
        assert_eq!(remove_tree_on_device(&dir, device), 4);
        assert_eq!(std::fs::read_dir(&*dir).unwrap().count(), 0);
        // The symlink was removed, not followed: /proc is still there.
        assert!(Path::new("/proc/self").exists());
    }
}

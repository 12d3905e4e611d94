//! Containers: telling whether init is the init of one.
//!
//! Owns the detection rule. It decides nothing about when the end comes
//! nor the status a container's init exits with
//! (`PowerAction::exit_code`, in the core), and runs no service.
//!
//! The rule, for a PID 1 given neither `--container` nor `--no-container`:
//! init runs in a container when its PID namespace is not the initial one.
//! The kernel gives the initial PID namespace a fixed inode number,
//! `PROC_PID_INIT_INO` (0xEFFFFFFC, since Linux 3.8), so one `stat` of
//! `/proc/self/ns/pid` tells. A machine's init starts before `/proc` is
//! mounted, so without `/proc` the answer is "machine", unless the
//! environment has `container` set (the convention podman, LXC and
//! systemd-nspawn follow; Docker mounts `/proc` anyway).

use std::path::Path;

/// The inode of the initial PID namespace (`PROC_PID_INIT_INO`).
pub const INITIAL_PID_NAMESPACE_INODE: u64 = 0xEFFF_FFFC;

/// What the detection rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clues {
    /// The inode of `/proc/self/ns/pid`; `None` without `/proc`.
    pub pid_namespace_inode: Option<u64>,
    /// The `container` environment variable, if set.
    pub container_variable: Option<String>,
}

impl Clues {
    /// Reads the clues of this process.
    pub fn of_this_process() -> Clues {
        Clues::read(Path::new("/proc/self/ns/pid"))
    }

    fn read(ns_pid: &Path) -> Clues {
        use std::os::unix::fs::MetadataExt;
        Clues {
            pid_namespace_inode: std::fs::metadata(ns_pid).ok().map(|m| m.ino()),
            container_variable: std::env::var("container").ok(),
        }
    }

    /// The rule of the module documentation.
    pub fn say_container(&self) -> bool {
        match self.pid_namespace_inode {
            Some(inode) => inode != INITIAL_PID_NAMESPACE_INODE,
            None => self
                .container_variable
                .as_deref()
                .is_some_and(|v| !v.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clues(inode: Option<u64>, variable: Option<&str>) -> Clues {
        Clues {
            pid_namespace_inode: inode,
            container_variable: variable.map(str::to_string),
        }
    }

    #[test]
    fn the_pid_namespace_decides_when_proc_is_there() {
        assert!(!clues(Some(INITIAL_PID_NAMESPACE_INODE), None).say_container());
        assert!(clues(Some(4026532501), None).say_container());
        // /proc is the better witness: the variable does not overrule it.
        assert!(!clues(Some(INITIAL_PID_NAMESPACE_INODE), Some("lxc")).say_container());
    }

    #[test]
    fn without_proc_only_the_container_variable_says_container() {
        assert!(!clues(None, None).say_container());
        assert!(!clues(None, Some("")).say_container());
        assert!(clues(None, Some("podman")).say_container());
    }

    #[test]
    fn this_test_reads_its_own_namespace() {
        let found = Clues::of_this_process();
        assert!(found.pid_namespace_inode.is_some());
        assert_eq!(
            Clues::read(Path::new("/nonexistent/ns/pid")).pid_namespace_inode,
            None
        );
    }
}

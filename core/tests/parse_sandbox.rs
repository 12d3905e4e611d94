//! The sandbox keywords (`private-tmp`, `bind`, `capabilities`,
//! `syscalls`, ...): what each accepts, and the `FILE:LINE:COL` error each
//! bad value gets.

use init_core::sandbox::{
    BindMount, Capability, FilterMode, Network, Sandbox, SyscallAction, SyscallFilter,
};
use keyword_support::{parse, service};
use rstest::rstest;

mod keyword_support;

fn sandbox(text: &str) -> Sandbox {
    service(text).settings.exec.sandbox.clone()
}

fn caps(names: &[&str]) -> Vec<Capability> {
    names
        .iter()
        .map(|n| Capability::from_name(n).expect("a known capability"))
        .collect()
}

#[test]
fn a_file_without_sandbox_keywords_has_no_sandbox() {
    assert!(sandbox("").is_empty());
}

#[test]
fn every_keyword_fills_its_part_of_the_sandbox() {
    let got = sandbox(
        "private-tmp\nbind /srv/data /var/lib/app\nbind read-only /etc/app/ /etc/app\n\
         read-only /usr /etc\ninaccessible /home\nnetwork loopback\nhostname box\n\
         private-ipc\nprivate-pid\nno-new-privileges\n\
         capabilities CAP_NET_BIND_SERVICE chown\nsyscalls deny mount umount2\n\
         syscalls deny reboot mount\nsyscall-action errno(EACCES)",
    );
    let want = Sandbox {
        private_tmp: true,
        binds: vec![
            BindMount {
                source: "/srv/data".to_string(),
                target: "/var/lib/app".to_string(),
                read_only: false,
            },
            BindMount {
                source: "/etc/app".to_string(),
                target: "/etc/app".to_string(),
                read_only: true,
            },
        ],
        read_only: vec!["/usr".to_string(), "/etc".to_string()],
        inaccessible: vec!["/home".to_string()],
        network: Some(Network::Loopback),
        hostname: Some("box".to_string()),
        private_ipc: true,
        private_pid: true,
        no_new_privileges: true,
        capabilities: Some(caps(&["CAP_CHOWN", "CAP_NET_BIND_SERVICE"])),
        syscalls: Some(SyscallFilter {
            mode: FilterMode::Deny,
            names: vec!["mount", "umount2", "reboot"]
                .into_iter()
                .map(String::from)
                .collect(),
        }),
        syscall_action: Some(SyscallAction::Errno(13)),
    };
    assert_eq!(got, want);
}

#[rstest]
#[case::kill("kill", SyscallAction::Kill)]
#[case::number("errno(38)", SyscallAction::Errno(38))]
#[case::name("errno(EPERM)", SyscallAction::Errno(1))]
fn syscall_action_is_kill_or_an_errno(#[case] value: &str, #[case] action: SyscallAction) {
    let text = format!("syscalls deny reboot\nsyscall-action {value}");
    assert_eq!(sandbox(&text).syscall_action, Some(action));
}

#[rstest]
#[case::none("capabilities none", &[])]
#[case::lower_case_without_prefix("capabilities net_raw", &["CAP_NET_RAW"])]
#[case::duplicates_once("capabilities CAP_KILL kill", &["CAP_KILL"])]
fn capabilities_name_what_is_kept(#[case] line: &str, #[case] kept: &[&str]) {
    assert_eq!(sandbox(line).capabilities, Some(caps(kept)));
}

#[test]
fn paths_are_normalised_so_that_spellings_conflict() {
    assert_eq!(sandbox("read-only //usr//lib/").read_only, ["/usr/lib"]);
}

#[rstest]
#[case::private_tmp_with_an_argument(
    "private-tmp yes",
    "svc:4:13: unexpected `yes`: `private-tmp` expects no argument"
)]
#[case::relative_read_only(
    "read-only etc",
    "svc:4:11: `etc` is not an absolute path: `read-only` needs an absolute path such as \
     `/var/lib/app`"
)]
#[case::dot_dot(
    "inaccessible /srv/../etc",
    "svc:4:14: `/srv/../etc` holds a `.` or `..` component: `inaccessible` needs an absolute \
     path such as `/var/lib/app`"
)]
#[case::inaccessible_root(
    "inaccessible /",
    "svc:4:14: `inaccessible /` would hide the service's own program"
)]
#[case::read_only_and_inaccessible(
    "read-only /etc\ninaccessible /etc/",
    "svc:5:14: `/etc` is already given to `read-only`"
)]
#[case::inside_an_inaccessible_path(
    "inaccessible /srv\nread-only /srv/www",
    "svc:5:11: `/srv/www` lies inside `/srv`, which `inaccessible` hides"
)]
#[case::hiding_a_bind(
    "bind /data /srv/data\ninaccessible /srv",
    "svc:5:14: `/srv` would hide `/srv/data`, given to `bind`"
)]
#[case::bind_with_one_path(
    "bind /data",
    "svc:4:6: `bind` expects a source and a target path, as in `bind /srv/data /var/lib/app` \
     or `bind read-only /etc/app /etc/app`"
)]
#[case::bind_with_three_paths(
    "bind /a /b /c",
    "svc:4:12: unexpected `/c`: `bind` expects a source and a target path, as in \
     `bind /srv/data /var/lib/app` or `bind read-only /etc/app /etc/app`"
)]
#[case::network_typo(
    "network off",
    "svc:4:9: `off` is not a network setting: expected `none` or `loopback`, as in \
     `network loopback`"
)]
#[case::hostname_with_a_space(
    "hostname \"a b\"",
    "svc:4:10: `a b` is not a host name: expected up to 64 letters, digits, `-` and `.`"
)]
#[case::unknown_capability(
    "capabilities CAP_NET_BIND_SERVIC",
    "svc:4:14: unknown capability `CAP_NET_BIND_SERVIC` (did you mean `CAP_NET_BIND_SERVICE`?)"
)]
#[case::none_with_others(
    "capabilities CAP_KILL none",
    "svc:4:23: `none` stands alone: it keeps no capability at all"
)]
#[case::syscalls_without_mode(
    "syscalls mount",
    "svc:4:10: `mount` is neither `allow` nor `deny`: `syscalls` expects `allow` or `deny` and \
     syscall names, as in `syscalls deny mount umount2`"
)]
#[case::syscall_name_with_upper_case(
    "syscalls deny Mount",
    "svc:4:15: `Mount` is not a syscall name: expected lower-case letters, digits and `_`"
)]
#[case::allow_after_deny(
    "syscalls deny mount\nsyscalls allow read",
    "svc:5:10: `syscalls allow` after `syscalls deny`: a service's filter either allows or \
     denies"
)]
#[case::errno_out_of_range(
    "syscall-action errno(5000)",
    "svc:4:16: `errno(5000)` is not a syscall action: expected `kill` or `errno(N)` with a \
     number or a name such as EPERM, as in `syscall-action errno(EACCES)` (a number from 1 to \
     4095, or one of EPERM, ENOENT, EIO, EACCES, EBUSY, EINVAL, ENOSYS, EAFNOSUPPORT)"
)]
#[case::hostname_twice(
    "hostname a\nhostname b",
    "svc:5:1: `hostname` given twice (first on line 4)"
)]
fn a_bad_value_is_an_error_at_its_column(#[case] text: &str, #[case] error: &str) {
    let (service, diagnostics) = parse(text);
    assert!(service.is_none());
    assert_eq!(diagnostics, [error]);
}

#[test]
fn an_action_without_a_filter_is_a_warning() {
    let (service, diagnostics) = parse("syscall-action kill");
    assert!(service.is_some());
    assert_eq!(
        diagnostics,
        ["svc:4: warning: `syscall-action` without a `syscalls` line filters nothing"]
    );
}

//! The sandbox in `service verify` (syscalls this machine lacks, deny-lists
//! that would stop a service from starting) and `service show` (the
//! effective sandbox, defaults filled in).

mod service_support;

use service_support::Sandbox;

const SANDBOXED: &str = "description web server\ntype respawn\ntarget boot\n\
    user www-data\nprivate-tmp\nread-only /usr /etc\ninaccessible /home\n\
    bind read-only /srv/www /var/www\nnetwork loopback\nhostname web\n\
    capabilities CAP_NET_BIND_SERVICE\nsyscalls deny mount umount2 reboot\n\
    exec httpd -f\n";

#[test]
fn show_json_lists_the_effective_sandbox() {
    let sandbox = Sandbox::new("sandbox-show");
    sandbox.config_file("web", SANDBOXED);
    let run = sandbox.ok(&["show", "web", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    insta::assert_json_snapshot!("show_sandbox_json", json["sandbox"]);
}

#[test]
fn show_names_the_namespaces_capabilities_and_filter() {
    let sandbox = Sandbox::new("sandbox-show-text");
    sandbox.config_file("web", SANDBOXED);
    let run = sandbox.ok(&["show", "web"]);
    let tail: Vec<&str> = run.stdout.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        [
            "syscalls:      mount umount2 reboot: errno(EPERM)",
            "capabilities:  CAP_NET_BIND_SERVICE",
            "namespaces:    mount network uts",
        ]
    );
}

#[test]
fn a_service_without_a_sandbox_has_no_sandbox_field() {
    let sandbox = Sandbox::new("sandbox-none");
    sandbox.config_file("plain", "type once\ntarget boot\nexec true\n");
    let run = sandbox.ok(&["show", "plain", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json.get("sandbox"), None);
}

/// A syscall of another architecture that this one lacks, and which
/// architectures have it.
const ELSEWHERE_ONLY: (&str, &str) = match cfg!(target_arch = "x86_64") {
    true => ("riscv_flush_icache", "riscv64"),
    false => ("mkdir", "x86_64"),
};

#[test]
fn verify_names_unknown_syscalls_and_deny_lists_that_stop_the_start() {
    let sandbox = Sandbox::new("sandbox-verify");
    let (elsewhere, which) = ELSEWHERE_ONLY;
    sandbox.config_file(
        "filtered",
        &format!(
            "type once\ntarget boot\nexec true\nsyscalls deny mount {elsewhere}\n\
             syscalls deny no_such_call execve\n"
        ),
    );
    let run = sandbox.service(&["verify"]);
    assert_eq!(run.code, 1, "{run:#?}");
    let arch = std::env::consts::ARCH;
    assert_eq!(
        run.stdout,
        format!(
            "config/filtered:4: warning: `{elsewhere}` is a syscall of {which} but not of \
             this {arch} machine: the filter leaves it out here\n\
             config/filtered:5: unknown syscall `no_such_call`: no architecture has one by \
             that name\n\
             config/filtered:5: warning: denying `execve` also stops init's own setup of the \
             service (tty, fds, exec): it may never start\n"
        )
    );
    assert_eq!(run.stderr, "1 service, 1 error, 2 warnings\n");
}

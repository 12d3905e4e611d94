//! Hostile files against the real init as PID 1 of a PID namespace: every
//! file init reads (the env file, a service file, a service's `env-file`,
//! the config directory), and the trace file it writes, made a FIFO, a symlink to one, a huge sparse
//! file, `/proc/self/pagemap`, a megabyte of garbage, a directory, a
//! dangling symlink, or replaced before a reload. Whatever it is, init must
//! answer, say one line naming the file, keep supervising, and not grow.
//!
//! One table, one boot per row; the test prints the table that
//! docs/reliability.md shows. Needs root for the namespaces; see
//! reliability_support.

mod pid1_support;
mod reliability_support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::time::Duration;

use init_core::events::ServiceState;
use init_core::protocol::{Command as Request, Outcome};
use reliability_support::{check_still_supervised, Config, Namespace};

const KEEPER: &str = "description keeper\ntype respawn\ntarget boot\nexec sleep 100\n";

/// Which file of the configuration a row makes hostile.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// `--env-file`, the environment of every service.
    Env,
    /// `init.d/hostile`, an enabled service.
    Service,
    /// `hostile.env`, the `env-file` of the service `hostile`.
    ServiceEnv,
    /// `init.trace`, given as `--trace`: written, not read, but opened.
    Trace,
}

impl Input {
    fn describe(self) -> &'static str {
        match self {
            Input::Env => "env file (`--env-file`)",
            Input::Service => "service file",
            Input::ServiceEnv => "a service's `env-file`",
            Input::Trace => "the trace file (`--trace`)",
        }
    }

    /// The path the row makes hostile, relative to the test dir.
    fn path(self) -> &'static str {
        match self {
            Input::Env => "initd.env",
            Input::Service => "init.d/hostile",
            Input::ServiceEnv => "hostile.env",
            Input::Trace => "init.trace",
        }
    }
}

/// What a row does to its file.
#[derive(Clone, Copy)]
enum Hazard {
    Fifo,
    SymlinkToFifo,
    /// 3 GB, sparse: a stat says 3 GB, reading it would be zeros.
    HugeSparse,
    /// A symlink to `/proc/self/pagemap`: a stat says 0 bytes; it holds
    /// terabytes.
    Pagemap,
    /// 50 MB of real text.
    Large,
    /// Just under the cap, every line an error.
    GarbageUnderCap,
    Directory,
    /// A symlink whose target was deleted.
    Dangling,
    /// Root may read it, the service's user may not (`user nobody`).
    RootOnly,
    /// Fine at boot, a FIFO by the time of a reload.
    FifoBeforeReload,
}

impl Hazard {
    fn describe(self) -> &'static str {
        match self {
            Hazard::Fifo => "a FIFO",
            Hazard::SymlinkToFifo => "a symlink to a FIFO",
            Hazard::HugeSparse => "3 GB sparse file",
            Hazard::Pagemap => "symlink to `/proc/self/pagemap`",
            Hazard::Large => "50 MB of text",
            Hazard::GarbageUnderCap => "1 MB, every line an error",
            Hazard::Directory => "a directory",
            Hazard::Dangling => "deleted (dangling symlink)",
            Hazard::RootOnly => "symlink to a root-only file, service runs as `nobody`",
            Hazard::FifoBeforeReload => "replaced by a FIFO, then `service reload`",
        }
    }

    /// Makes `path` what this hazard says.
    fn make(self, cfg: &Config, path: &std::path::Path) {
        let _ = fs::remove_file(path);
        match self {
            Hazard::Fifo => mkfifo(path),
            Hazard::SymlinkToFifo => {
                mkfifo(&cfg.path("a-fifo"));
                symlink(cfg.path("a-fifo"), path).unwrap();
            }
            Hazard::HugeSparse => {
                let target = cfg.path("sparse");
                fs::File::create(&target).unwrap().set_len(3 << 30).unwrap();
                symlink(target, path).unwrap();
            }
            Hazard::Pagemap => symlink("/proc/self/pagemap", path).unwrap(),
            Hazard::Large => {
                let target = cfg.path("large");
                fs::write(&target, "exce true\n".repeat(5 << 20)).unwrap();
                symlink(target, path).unwrap();
            }
            Hazard::GarbageUnderCap => {
                let target = cfg.path("garbage");
                fs::write(&target, "exce true\n".repeat(100_000)).unwrap();
                symlink(target, path).unwrap();
            }
            Hazard::Directory => {
                fs::create_dir_all(cfg.path("a-dir")).unwrap();
                symlink(cfg.path("a-dir"), path).unwrap();
            }
            Hazard::Dangling => symlink(cfg.path("deleted"), path).unwrap(),
            Hazard::RootOnly => {
                let target = cfg.path("secret");
                fs::write(&target, "SECRET=root-only\n").unwrap();
                fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
                symlink(target, path).unwrap();
            }
            Hazard::FifoBeforeReload => unreachable!("made after the boot"),
        }
    }
}

fn mkfifo(path: &std::path::Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}

struct Row {
    input: Input,
    hazard: Hazard,
    /// What init says of the file, on the one console line that names it
    /// (or, for a service's `env-file`, in the service's status error).
    says: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        input: Input::Env,
        hazard: Hazard::Fifo,
        says: "not a regular file (a FIFO)",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::SymlinkToFifo,
        says: "not a regular file (a FIFO)",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::HugeSparse,
        says: "larger than 1024 KiB (3221225472 bytes); not read",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::Pagemap,
        says: "larger than 1024 KiB; not read",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::Large,
        says: "larger than 1024 KiB (52428800 bytes); not read",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::GarbageUnderCap,
        says: ":1: expected KEY=VALUE (no '=' on the line) (and 50 more; ",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::Directory,
        says: "not a regular file (a directory)",
    },
    Row {
        input: Input::Env,
        hazard: Hazard::FifoBeforeReload,
        says: "not a regular file (a FIFO)",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::SymlinkToFifo,
        says: "not a regular file (a FIFO): a symlink must point to a service file",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::HugeSparse,
        says: "larger than 1024 KiB (3221225472 bytes); not read",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::Pagemap,
        says: "larger than 1024 KiB; not read",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::Large,
        says: "larger than 1024 KiB (52428800 bytes); not read",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::GarbageUnderCap,
        says: ":1:1: unknown keyword `exce`",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::Directory,
        says: "not a regular file (a directory): a symlink must point to a service file",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::Dangling,
        says: "broken symlink (-> ",
    },
    Row {
        input: Input::Service,
        hazard: Hazard::FifoBeforeReload,
        says: "not a regular file (a FIFO): a symlink must point to a service file",
    },
    Row {
        input: Input::ServiceEnv,
        hazard: Hazard::Fifo,
        says: "cannot read env-file DIR/hostile.env: not a regular file (a FIFO)",
    },
    Row {
        input: Input::ServiceEnv,
        hazard: Hazard::RootOnly,
        says: "cannot read env-file DIR/hostile.env: permission denied (read as uid 65534)",
    },
    Row {
        input: Input::ServiceEnv,
        hazard: Hazard::HugeSparse,
        says: "cannot read env-file DIR/hostile.env: larger than 1024 KiB (3221225472 bytes)",
    },
    Row {
        input: Input::ServiceEnv,
        hazard: Hazard::Pagemap,
        says: "cannot read env-file DIR/hostile.env: larger than 1024 KiB; not read",
    },
    Row {
        input: Input::ServiceEnv,
        hazard: Hazard::Directory,
        says: "cannot read env-file DIR/hostile.env: not a regular file (a directory)",
    },
    Row {
        input: Input::ServiceEnv,
        hazard: Hazard::Dangling,
        says: "cannot read env-file DIR/hostile.env: no such file or directory",
    },
    Row {
        input: Input::Trace,
        hazard: Hazard::Fifo,
        says: "not a regular file; tracing stopped",
    },
    Row {
        input: Input::Trace,
        hazard: Hazard::SymlinkToFifo,
        says: "not a regular file; tracing stopped",
    },
    Row {
        input: Input::Trace,
        hazard: Hazard::Directory,
        says: "not a regular file; tracing stopped",
    },
];

/// The hostile service of the `env-file` rows: it would write its
/// environment's SECRET to the log if it ever ran. USER is `user nobody`
/// where the row needs it.
const HOSTILE: &str = "description hostile\ntype once\ntarget boot\nUSER\n\
                       env-file DIR/hostile.env\nexec sh -c \"echo ran:$SECRET >> LOG\"\n";

/// Init's memory, from the parent namespace: its peak and its anonymous
/// pages now, in KiB.
fn memory_kib(ns: &Namespace) -> (u64, u64) {
    let status = fs::read_to_string(format!("/proc/{}/status", ns.init_pid())).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches(" kB").parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    (field("VmHWM:"), field("RssAnon:"))
}

/// A configuration with the keeper, a service that logs that it ran, and
/// (for the `env-file` rows) the hostile service with a readable env-file,
/// run as `nobody` for the rows about rights (`as_nobody`).
fn configuration(name: &str, input: Input, as_nobody: bool) -> Config {
    let cfg = Config::new(name);
    cfg.enable("keeper", KEEPER);
    cfg.enable(
        "talker",
        "type wait\ntarget boot\nexec sh -c \"echo talker >> LOG\"\n",
    );
    match input {
        Input::ServiceEnv => {
            fs::write(cfg.path("hostile.env"), "SECRET=fine\n").unwrap();
            fs::set_permissions(cfg.path("hostile.env"), fs::Permissions::from_mode(0o644))
                .unwrap();
            let user = if as_nobody { "user nobody" } else { "" };
            cfg.enable("hostile", &HOSTILE.replace("USER", user));
        }
        // A fine service until the row makes its file something else.
        Input::Service => cfg.enable("hostile", "type once\ntarget boot\nexec true\n"),
        Input::Env | Input::Trace => {}
    }
    cfg
}

/// Init is up and answering, every healthy service ran, and the keeper is
/// still supervised.
fn check_healthy(cfg: &Config, ns: &Namespace) {
    ns.wait_for_state("talker", ServiceState::Done);
    assert!(cfg.log_lines().contains(&"talker".to_string()));
    check_still_supervised(ns, "keeper");
}

#[test]
fn every_file_init_reads_can_be_hostile_and_init_goes_on() {
    // The same configuration with nothing hostile: what init holds anyway.
    let cfg = configuration("inputs-base", Input::ServiceEnv, true);
    let Some(ns) = cfg.boot() else { return };
    ns.wait_for_state("hostile", ServiceState::Done);
    check_healthy(&cfg, &ns);
    // The control row: a service running as nobody reads an env-file it
    // may read.
    assert!(cfg.log_lines().contains(&"ran:fine".to_string()));
    let (base_peak, base_anon) = memory_kib(&ns);
    drop(ns);

    let mut table = vec![
        "| input | made | what init says (one line) | init's peak, anon (KiB) |".to_string(),
        "|---|---|---|---|".to_string(),
        format!(
            "| (none) | the configuration as it should be | nothing | {base_peak}, {base_anon} |"
        ),
    ];
    // Every row runs, and the failures are told together: a row that
    // fails must not hide what the others do.
    let mut failed = Vec::new();
    for (index, row) in ROWS.iter().enumerate() {
        let run = std::panic::catch_unwind(|| run_row(index, row, (base_peak, base_anon)));
        match run {
            Ok(line) => table.push(line),
            Err(_) => failed.push(format!(
                "{} / {}",
                row.input.describe(),
                row.hazard.describe()
            )),
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        failed.is_empty(),
        "{} rows failed: {failed:#?}",
        failed.len()
    );
}

/// Boots the configuration of one row with its hazard, checks what init
/// does, and gives the row of the table.
fn run_row(index: usize, row: &Row, (base_peak, base_anon): (u64, u64)) -> String {
    let as_nobody = matches!(row.hazard, Hazard::RootOnly);
    let cfg = configuration(&format!("inputs-{index}"), row.input, as_nobody);
    let path = cfg.path(row.input.path());
    let reload = matches!(row.hazard, Hazard::FifoBeforeReload);
    if !reload {
        row.hazard.make(&cfg, &path);
    }
    let case = format!("{} / {}", row.input.describe(), row.hazard.describe());
    let trace = format!("--trace={}", path.display());
    let flags: &[&str] = match row.input {
        Input::Trace => &[&trace],
        _ => &[],
    };
    let ns = cfg
        .boot_with(flags)
        .unwrap_or_else(|| panic!("{case}: init never came up"));
    if reload {
        ns.wait_for_state("talker", ServiceState::Done);
        // An entry of init.d that is itself a FIFO is skipped unread;
        // one that leads to a FIFO is not.
        match row.input {
            Input::Service => Hazard::SymlinkToFifo.make(&cfg, &path),
            _ => Hazard::Fifo.make(&cfg, &path),
        }
        let reply = ns.request(Request::Reload);
        assert!(
            matches!(reply.outcome, Outcome::Ok { .. }),
            "{case}: {reply:?}"
        );
    }
    let dir = cfg.path("").display().to_string();
    let says = row.says.replace("DIR/", &dir);
    let shown = match row.input {
        Input::ServiceEnv => {
            let hostile = ns.wait_for_state("hostile", ServiceState::Failed);
            let error = hostile.error.unwrap_or_default();
            assert!(error.contains(&says), "{case}: {error}");
            assert!(
                !cfg.read_log().contains("ran:"),
                "{case}: the service ran: {}",
                cfg.read_log()
            );
            error
        }
        _ => {
            // The console line may come a moment after the socket.
            ns.wait_until(&format!("{case}: the line on the console"), || {
                ns.console().contains(&says)
            });
            String::new()
        }
    };
    check_healthy(&cfg, &ns);
    // One line about the file, whatever it held.
    let file = path.display().to_string();
    let console = ns.console();
    let lines: Vec<&str> = console.lines().filter(|l| l.contains(&file)).collect();
    assert_eq!(lines.len(), 1, "{case}: {lines:#?}");
    assert!(
        lines[0].contains(&says) || shown.contains(&says),
        "{case}: {lines:?}"
    );
    let (peak, anon) = memory_kib(&ns);
    assert!(
        peak < base_peak + 8 * 1024,
        "{case}: init peaked at {peak} KiB, {base_peak} KiB without the hazard"
    );
    assert!(
        anon < base_anon + 2 * 1024,
        "{case}: init holds {anon} KiB, {base_anon} KiB without the hazard"
    );
    let said = lines[0].replace(&dir, "").replace('|', "\\|");
    format!(
        "| {} | {} | `{said}` | {peak}, {anon} |",
        row.input.describe(),
        row.hazard.describe(),
    )
}

#[test]
fn a_directory_of_more_services_than_init_loads_is_cut_where_it_says() {
    let cfg = Config::new("inputs-many");
    cfg.enable("keeper", KEEPER);
    // Milestones of a target that never runs at boot: nothing to start.
    let template = cfg.path("share/filler");
    fs::write(&template, "type wait\ntarget reboot\n").unwrap();
    let total = 65_536 + 100;
    for i in 0..total {
        symlink(&template, cfg.path(&format!("init.d/z{i:05}"))).unwrap();
    }
    let Some(ns) = cfg.boot() else { return };
    // The keeper, and z00000 to z65534.
    let says = format!(
        "{} services, more than the 65536 init loads: loaded those up to z65534",
        total + 1
    );
    ns.wait_until("the cut on the console", || ns.console().contains(&says));
    let status = ns.status();
    assert_eq!(status.len(), 65_536);
    assert!(status.iter().any(|s| s.name == "z65534"));
    assert!(!status.iter().any(|s| s.name == "z65535"));
    check_still_supervised(&ns, "keeper");
    let (peak, anon) = memory_kib(&ns);
    println!("{says}\ninit: peak {peak} KiB, anonymous {anon} KiB");
    // Time for a status of all of them, which a slow one would show.
    let started = std::time::Instant::now();
    ns.status();
    println!("status of 65,536 services: {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(10));
}

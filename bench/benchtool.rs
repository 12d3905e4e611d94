//! The timing helper of `bench/run`, built by it with plain `rustc -O` (std
//! only, no crates): the fork+exec bound, wall times of a command, and a
//! cheap wait for a file. It measures and prints; `bench/run` judges.
//!
//!   benchtool forkloop N PROGRAM [ARGS...]
//!                                     fork, execve PROGRAM, waitpid, N times;
//!                                     prints the total in ms
//!   benchtool layers L W PROGRAM [ARGS...]
//!                                     L times: fork+exec W children at once,
//!                                     wait for all; prints the total in ms
//!   benchtool layers-cgroups DIR L W PROGRAM [ARGS...]
//!                                     as layers, each child born in a
//!                                     cgroup of its own (clone3 with
//!                                     CLONE_INTO_CGROUP), made under the
//!                                     cgroup2 directory DIR before the
//!                                     clock starts and removed after
//!   benchtool time RUNS CMD ARGS...   runs CMD RUNS times (stdout to
//!                                     /dev/null); prints per run the wall
//!                                     time and the CPU time (user + system)
//!                                     in ms
//!
//! The CPU time is there because the machines this runs on are shared: a
//! wall time counts the waits for a core, the CPU time only the work.
//!   benchtool wait-file FILE SECS     waits until FILE holds a line;
//!                                     exit 1 after SECS
//!   benchtool stamp-exec FILE PROGRAM [ARGS...]
//!                                     writes the wall clock in ns (as
//!                                     `date +%s%N`) to FILE, then execs
//!                                     PROGRAM in its place: when a boot
//!                                     starts, as PID 1 of the namespace

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

extern "C" {
    fn fork() -> c_int;
    fn execve(path: *const c_char, argv: *const *const c_char, envp: *const *const c_char)
        -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn _exit(code: c_int) -> !;
    fn getrusage(who: c_int, usage: *mut RUsage) -> c_int;
    fn syscall(number: i64, ...) -> i64;
}

/// `SYS_clone3` and `CLONE_INTO_CGROUP` on x86_64 and aarch64 (the same
/// number on both: clone3 came after the tables were unified).
const SYS_CLONE3: i64 = 435;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
const SIGCHLD: u64 = 17;

const RUSAGE_CHILDREN: c_int = -1;

/// struct rusage on 64-bit Linux: two timevals, then 14 longs.
#[repr(C)]
struct RUsage {
    user: [i64; 2],
    system: [i64; 2],
    rest: [i64; 14],
}

/// The CPU time of every child waited for so far, in ms.
fn children_cpu_ms() -> f64 {
    let mut usage = RUsage {
        user: [0; 2],
        system: [0; 2],
        rest: [0; 14],
    };
    // SAFETY: getrusage fills the struct, laid out as the kernel's.
    unsafe { getrusage(RUSAGE_CHILDREN, &mut usage) };
    let ms = |tv: [i64; 2]| tv[0] as f64 * 1000.0 + tv[1] as f64 / 1000.0;
    ms(usage.user) + ms(usage.system)
}

/// The plain loop the issue names as the bound for spawn500: nothing but
/// fork, exec and wait, every string built before the first fork.
fn forkloop(count: u32, command: &[String]) -> Result<f64, String> {
    layers(count, 1, command)
}

/// `layers` layers of `width` children each, a layer started once the one
/// before has ended: the layered configuration of dag50 run as directly
/// as a program can.
fn layers(layers: u32, width: u32, command: &[String]) -> Result<f64, String> {
    run_layers(layers, width, command, None)
}

/// As `layers`, each child born in a cgroup of its own under `parent`, as
/// init's services are: what the kernel's cgroups cost, without init.
/// The cgroups are made before the clock starts (init makes a waiting
/// service's cgroup ahead, while idle) and removed after it stops.
fn layers_in_cgroups(
    parent: &str,
    layers: u32,
    width: u32,
    command: &[String],
) -> Result<f64, String> {
    let dir = std::path::Path::new(parent).join(format!("benchtool.{}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cgroups: Vec<std::path::PathBuf> = (0..layers * width)
        .map(|i| dir.join(format!("c{i}")))
        .collect();
    let made = cgroups
        .iter()
        .try_for_each(|c| std::fs::create_dir(c).map_err(|e| format!("{}: {e}", c.display())));
    let result = made.and_then(|()| {
        let opened = cgroups
            .iter()
            .map(|c| std::fs::File::open(c).map_err(|e| format!("{}: {e}", c.display())))
            .collect::<Result<Vec<_>, _>>()?;
        run_layers(layers, width, command, Some(&opened))
    });
    for cgroup in &cgroups {
        let _ = std::fs::remove_dir(cgroup);
    }
    let _ = std::fs::remove_dir(&dir);
    result
}

/// The loop of `layers`; with `cgroups`, child N is born in cgroup N.
fn run_layers(
    layers: u32,
    width: u32,
    command: &[String],
    cgroups: Option<&[std::fs::File]>,
) -> Result<f64, String> {
    use std::os::fd::AsRawFd;
    let words = command
        .iter()
        .map(|w| CString::new(w.as_str()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let path = words.first().ok_or("forkloop: no program")?;
    let argv: Vec<*const c_char> = words
        .iter()
        .map(|w| w.as_ptr())
        .chain([std::ptr::null()])
        .collect();
    let envp = [std::ptr::null::<c_char>()];
    let started = Instant::now();
    let mut born = 0;
    for _ in 0..layers {
        let mut children = Vec::new();
        for _ in 0..width {
            let cgroup = cgroups.map(|all| all[born].as_raw_fd());
            born += 1;
            // SAFETY: the child only calls execve and _exit. clone3 with
            // no stack is fork into the cgroup (struct clone_args: flags,
            // pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
            // tls, set_tid, set_tid_size, cgroup).
            let pid = match cgroup {
                None => unsafe { fork() },
                Some(fd) => {
                    let args: [u64; 11] = [
                        CLONE_INTO_CGROUP,
                        0,
                        0,
                        0,
                        SIGCHLD,
                        0,
                        0,
                        0,
                        0,
                        0,
                        fd as u64,
                    ];
                    let pid =
                        unsafe { syscall(SYS_CLONE3, args.as_ptr(), std::mem::size_of_val(&args)) };
                    pid as c_int
                }
            };
            if pid < 0 {
                return Err("fork failed".to_string());
            }
            if pid == 0 {
                unsafe {
                    execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
                    _exit(127);
                }
            }
            children.push(pid);
        }
        for pid in children {
            let mut status = 0;
            // SAFETY: our own child.
            if unsafe { waitpid(pid, &mut status, 0) } != pid {
                return Err("waitpid failed".to_string());
            }
        }
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn time(runs: u32, command: &[String]) -> Result<Vec<(f64, f64)>, String> {
    let (program, args) = command.split_first().ok_or("time: no command")?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let cpu_before = children_cpu_ms();
        let started = Instant::now();
        let status = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("{program}: {e}"))?;
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        times.push((wall, children_cpu_ms() - cpu_before));
        if !status.success() {
            return Err(format!("{program} failed: {status}"));
        }
    }
    Ok(times)
}

/// Only returns on failure: on success PROGRAM has taken this process's
/// place (and pid) with the stamp written.
fn stamp_exec(stamp: &str, command: &[String]) -> Result<(), String> {
    let (program, args) = command.split_first().ok_or("stamp-exec: no program")?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|e| e.to_string())?;
    std::fs::write(stamp, format!("{}\n", now.as_nanos())).map_err(|e| format!("{stamp}: {e}"))?;
    Err(format!(
        "{program}: {}",
        Command::new(program).args(args).exec()
    ))
}

/// Polls every millisecond: the stamp is written by the service itself, so
/// the poll only has to be cheap, not quick.
fn wait_file(path: &str, patience: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < patience {
        if std::fs::read_to_string(path).is_ok_and(|text| text.ends_with('\n')) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| args.get(i).and_then(|a| a.parse::<u32>().ok());
    let result = match args.first().map(String::as_str) {
        Some("forkloop") => match number(1) {
            Some(count) => forkloop(count, &args[2..]).map(|ms| println!("{ms:.2}")),
            None => Err("usage: forkloop N PROGRAM [ARGS...]".to_string()),
        },
        Some("layers") => match (number(1), number(2)) {
            (Some(count), Some(width)) => {
                layers(count, width, &args[3..]).map(|ms| println!("{ms:.2}"))
            }
            _ => Err("usage: layers L W PROGRAM [ARGS...]".to_string()),
        },
        Some("layers-cgroups") => match (args.get(1), number(2), number(3)) {
            (Some(dir), Some(count), Some(width)) => {
                layers_in_cgroups(dir, count, width, &args[4..]).map(|ms| println!("{ms:.2}"))
            }
            _ => Err("usage: layers-cgroups DIR L W PROGRAM [ARGS...]".to_string()),
        },
        Some("time") => match number(1) {
            Some(runs) => time(runs, &args[2..]).map(|times| {
                for (wall, cpu) in times {
                    println!("{wall:.2} {cpu:.2}");
                }
            }),
            None => Err("usage: time RUNS CMD ARGS...".to_string()),
        },
        Some("wait-file") => match (args.get(1), number(2)) {
            (Some(path), Some(secs)) => {
                if wait_file(path, Duration::from_secs(secs.into())) {
                    Ok(())
                } else {
                    Err(format!("{path}: nothing written within {secs} s"))
                }
            }
            _ => Err("usage: wait-file FILE SECS".to_string()),
        },
        Some("stamp-exec") => match args.get(1) {
            Some(stamp) => stamp_exec(stamp, &args[2..]),
            None => Err("usage: stamp-exec FILE PROGRAM [ARGS...]".to_string()),
        },
        _ => Err(
            "usage: benchtool forkloop|layers|layers-cgroups|time|wait-file|stamp-exec ..."
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("benchtool: {why}");
            ExitCode::FAILURE
        }
    }
}

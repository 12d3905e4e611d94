//! `init`: the init daemon. As PID 1 it boots the machine (or a container,
//! which it ends by exiting with a status) from `/etc/init.d`; with
//! `--supervise` it runs under another init as a child subreaper, for tests
//! and demos.
//!
//! This module only reads the command line and hands over to
//! `init_os_adapter::driver`; the signals are blocked before anything else
//! happens, because a PID-namespace init drops any signal it neither
//! handles nor blocks.

use std::ffi::OsString;

use crate::cli;
use crate::cli::init::{Args, Parsed};
use init_os_adapter::allocator;
use init_os_adapter::clock::Clock;
use init_os_adapter::console::ensure_standard_fds;
use init_os_adapter::container::Clues;
use init_os_adapter::driver::{reap_forever, Driver, Settings};
use init_os_adapter::handover;
use init_os_adapter::power::Mode;
use init_os_adapter::signals::{block_handled_signals, SignalReader};

/// Runs init with `args` (the program name first). As PID 1 it never
/// returns.
pub fn main(args: Vec<OsString>) -> ! {
    // First, before anything can fail or take time.
    let blocked = block_handled_signals();
    let clock = Clock::start();
    allocator::keep_large_blocks_apart();
    allocator::merge_freed_small_blocks();
    ensure_standard_fds();
    let is_pid1 = std::process::id() == 1;

    let argv0 = args.first().and_then(|a| a.to_str()).map(str::to_string);
    let args = match cli::init::parse(args.into_iter().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) if !is_pid1 => {
            print!("{}", cli::init::HELP);
            std::process::exit(0);
        }
        // The kernel passes boot parameters it does not know to init as
        // arguments; PID 1 must not exit over them, so they are ignored.
        Ok(Parsed::Help) => defaults("-h or --help"),
        Err(why) if is_pid1 => defaults(&why),
        Err(why) => {
            eprintln!("init: {why}\nUsage: init [OPTIONS] (init --help lists them)");
            std::process::exit(2);
        }
    };

    let mode = if args.supervise {
        Mode::Supervise
    } else if is_pid1 {
        let container =
            args.container || (!args.no_container && Clues::of_this_process().say_container());
        if container {
            Mode::Container
        } else {
            Mode::Pid1
        }
    } else {
        eprintln!("init: must run as PID 1 (or pass --supervise to run under another init)");
        std::process::exit(1);
    };
    if let Err(e) = blocked {
        eprintln!("init: cannot block signals: {}", e.desc());
    }
    if mode == Mode::Supervise && !is_pid1 {
        // Orphans of services must come back to us, not to the real init.
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            eprintln!("init: cannot become a child subreaper: {}", e.desc());
            std::process::exit(1);
        }
    }
    let signals = match SignalReader::open() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("init: cannot open a signalfd: {}", e.desc());
            if mode != Mode::Supervise {
                reap_forever();
            }
            std::process::exit(1);
        }
    };
    // Services start in `/`, whatever directory init was started in (a
    // container's WORKDIR, a shell's): init goes there itself, as the
    // kernel starts it, once the paths it was given are made absolute.
    let absolute = |path: std::path::PathBuf| std::path::absolute(&path).unwrap_or(path);
    let binary = handover::own_binary(argv0.as_deref());
    let options = args.options();
    let (config_dir, env_file, socket) = (
        absolute(args.config_dir),
        absolute(args.env_file),
        absolute(args.socket),
    );
    if let Err(e) = nix::unistd::chdir("/") {
        eprintln!("init: cannot change to /: {}", e.desc());
    }
    let trace = args.trace.map(absolute);
    let settings = Settings {
        config_dir,
        env_file,
        socket,
        options,
        mode,
        binary,
        trace,
        reexec_args: cli::init::reexec_args,
    };
    let Some(fd) = args.handover_fd else {
        Driver::new(settings, signals, clock).run()
    };
    match handover::read_memfd(fd).and_then(|bytes| handover::decode(&bytes)) {
        Ok(received) => Driver::resume(settings, signals, received).run(),
        Err(why) => {
            // Nothing to go on from. Booting again would run the boot
            // services a second time; as PID 1 the least harm is to reap
            // and keep the machine as it is.
            eprintln!("init: {why}; cannot take over");
            if mode != Mode::Supervise {
                reap_forever();
            }
            std::process::exit(1);
        }
    }
}

/// PID 1's answer to a command line it cannot use: say so, and boot with
/// every option at its default.
fn defaults(why: &str) -> Args {
    eprintln!("init: ignoring the command line: {why}");
    Args::defaults()
}

//! `shutdown`, on its own: the same program as `init` called as `shutdown`
//! (bins/src/programs/shutdown.rs).

fn main() -> std::process::ExitCode {
    init_bins::programs::shutdown::main(std::env::args_os())
}

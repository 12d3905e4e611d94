//! `waitfile`, on its own: the same program as `init` called as `waitfile`
//! (bins/src/programs/waitfile.rs).

fn main() -> std::process::ExitCode {
    init_bins::programs::waitfile::main(std::env::args_os())
}

//! `killall5`, on its own: the same program as `init` called as `killall5`
//! (bins/src/programs/killall5.rs).

fn main() -> std::process::ExitCode {
    init_bins::programs::killall5::main(std::env::args_os())
}

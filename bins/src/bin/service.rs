//! `service`, on its own: the same program as `init` called as `service`
//! (bins/src/programs/service/).

fn main() -> std::process::ExitCode {
    init_bins::programs::service::main(std::env::args_os())
}

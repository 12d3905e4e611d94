//! `init`, the one program a system needs: the init daemon, and, called by
//! another name (a link named `service`, `shutdown`, `reboot`, `poweroff`,
//! `halt`, `killall5` or `waitfile`) or as `init NAME ARGS...`, that
//! program (bins/src/programs/).

fn main() -> std::process::ExitCode {
    init_bins::programs::multicall(std::env::args_os().collect())
}

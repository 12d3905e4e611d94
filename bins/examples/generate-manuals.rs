//! Writes the man pages and shell completions of every program into `man/`
//! and `completions/` at the repository root. Not shipped: packagers run it
//! (or take the committed files), and `tests/generated_files.rs` fails when
//! the committed files differ from what it would write.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut failed = false;
    for file in init_bins::manual::generated_files() {
        let path = root.join(&file.path);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &file.text));
        match written {
            Ok(()) => println!("{}", file.path.display()),
            Err(e) => {
                eprintln!("generate-manuals: {}: {e}", file.path.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

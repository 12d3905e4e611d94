//! The diagnostics of broken service files, one snapshot per file.
//!
//! Each file in `tests/data/broken/` is parsed as `NAME@tty1` (so `%0` is
//! `tty1`) and its diagnostics are rendered as the user sees them.

use init_core::parse::parse_service;
use init_core::EnabledName;

#[test]
fn broken_files_report_every_mistake() {
    insta::glob!("data/broken/*", |path| {
        let text = std::fs::read(path).expect("a readable test file");
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("test file names are UTF-8");
        let name = EnabledName::parse(&format!("{stem}@tty1")).expect("a valid enabled name");
        let parsed = parse_service(&format!("broken/{stem}"), &text, &name);
        let rendered: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
        insta::assert_snapshot!(rendered.join("\n"));
    });
}

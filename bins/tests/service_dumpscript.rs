//! `service dumpscript`: the script must give `/bin/sh` back exactly the
//! argv the service file holds, stop at the first failure, and redirect to
//! the tty as documented.

mod service_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use service_support::Sandbox;

/// Prints its arguments as `ARGC\0ARG\0ARG\0...`, so that any byte but NUL
/// survives and commands can be told apart.
const PRINTARGS: &str =
    "#!/bin/sh\nprintf '%s\\0' \"$#\"\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n";

/// Installs `printargs` under each of `names` in `bin/` of the sandbox.
fn install_printargs(sandbox: &Sandbox, names: &[&str]) {
    let bin = sandbox.root.join("bin");
    fs::create_dir_all(&bin).unwrap();
    for name in names {
        let path = bin.join(name);
        fs::write(&path, PRINTARGS).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Runs a script with `/bin/sh`, `bin/` of the sandbox first in PATH.
fn run_script(sandbox: &Sandbox, script: &str) -> (i32, Vec<u8>) {
    let path = sandbox.root.join("script.sh");
    fs::write(&path, script).unwrap();
    let search_path = format!(
        "{}:{}",
        sandbox.root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("/bin/sh")
        .arg(&path)
        .current_dir(&sandbox.root)
        .env("PATH", search_path)
        .output()
        .expect("run /bin/sh");
    (output.status.code().unwrap_or(-1), output.stdout)
}

/// Splits `printargs` output back into one argv (without argv[0]) per run.
fn decode(output: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(output.to_vec()).expect("UTF-8 output");
    let mut fields = text.split('\0');
    let mut runs = Vec::new();
    while let Some(count) = fields.next().filter(|f| !f.is_empty()) {
        let count: usize = count.parse().expect("an argument count");
        runs.push(fields.by_ref().take(count).map(str::to_string).collect());
    }
    runs
}

/// Writes `arg` as one quoted argument of the service-file language.
fn file_quote(arg: &str) -> String {
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '%' => quoted.push_str("%%"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_ascii_control() => quoted.push_str(&format!("\\x{:02x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Deterministic awkward arguments: every shell metacharacter, quotes of
/// both kinds, white space, control characters and non-ASCII text.
fn awkward_arguments(count: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "a", "Z", "0", "-", "--opt=", "x=1", " ", "  ", "\t", "\n", "'", "\"", "\\", "$", "$HOME",
        "${x}", "`id`", "$(id)", "*", "?", "[a]", "~", "#", "{", "}", ";", "&", "|", "<", ">", "(",
        ")", "!", "%", "%0", "é", "日本", "\u{1}", "\u{7f}", "if", "=", ",", "@", "\\'",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        // xorshift64: enough variety, the same on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|i| {
            if i % 17 == 0 {
                return String::new();
            }
            let length = (next() % 6) as usize;
            (0..length)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn the_script_gives_sh_back_the_same_argv() {
    let sandbox = Sandbox::new("dumpscript-argv");
    let commands = ["printargs", "if", "a=b", "print 'args\"", "~tilde"];
    install_printargs(&sandbox, &commands);
    let arguments = awkward_arguments(300);
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut text = String::from("description awkward arguments\ntype wait\ntarget boot\nexec {\n");
    for (i, chunk) in arguments.chunks(10).enumerate() {
        let command = commands[i % commands.len()];
        text.push('\t');
        text.push_str(&file_quote(command));
        for arg in chunk {
            text.push(' ');
            text.push_str(&file_quote(arg));
        }
        text.push('\n');
        expected.push(chunk.to_vec());
    }
    text.push_str("}\n");
    sandbox.config_file("awkward", &text);

    let script = sandbox.ok(&["dumpscript", "awkward"]).stdout;
    let (code, output) = run_script(&sandbox, &script);
    assert_eq!(code, 0, "script failed:\n{script}");
    let runs = decode(&output);
    assert_eq!(runs.len(), expected.len());
    for (run, want) in runs.iter().zip(&expected) {
        assert_eq!(run, want, "script:\n{script}");
    }
}

#[test]
fn the_script_stops_at_the_first_failing_command() {
    let sandbox = Sandbox::new("dumpscript-stop");
    install_printargs(&sandbox, &["printargs"]);
    sandbox.config_file(
        "steps",
        "description steps\ntype wait\nexec {\n\tprintargs one\n\tfalse\n\tprintargs two\n}\n",
    );
    let script = sandbox.ok(&["dumpscript", "steps"]).stdout;
    let (code, output) = run_script(&sandbox, &script);
    assert_ne!(code, 0);
    assert_eq!(decode(&output), [["one"]]);
}

#[test]
fn the_script_of_a_parameterised_service_reads_like_the_file() {
    let sandbox = Sandbox::new("dumpscript-shape");
    sandbox.template(
        "swclocksave",
        "description write current time\ntype wait\ntarget %0\n\
         tty truncate /var/lib/swclock\nexec date --utc +%%m%%d%%H%%M%%Y.%%S\n",
    );
    sandbox.template(
        "agetty",
        "description agetty on %0\ntype respawn limit 5\nexec agetty %0 linux\ntty \"/dev/%0\"\n",
    );
    sandbox.ok(&["enable", "agetty", "tty1"]);
    assert_eq!(
        sandbox
            .ok(&["dumpscript", "swclocksave", "shutdown"])
            .stdout,
        "\
#!/bin/sh
# swclocksave@shutdown: write current time
# type wait, target shutdown
set -e
: >/var/lib/swclock
exec 0<>/var/lib/swclock 1>>/var/lib/swclock 2>&1
date --utc +%m%d%H%M%Y.%S
"
    );
    assert_eq!(
        sandbox.ok(&["dumpscript", "agetty@tty1"]).stdout,
        "\
#!/bin/sh
# agetty@tty1: agetty on tty1
# type respawn limit 5, target boot
set -e
exec 0<>/dev/tty1 1>>/dev/tty1 2>&1
agetty tty1 linux
"
    );
}

#[test]
fn the_tty_is_appended_to_unless_truncated() {
    let sandbox = Sandbox::new("dumpscript-tty");
    install_printargs(&sandbox, &["printargs"]);
    let log = sandbox.root.join("log file");
    for (name, keyword) in [("appends", "tty"), ("truncates", "tty truncate")] {
        let text = format!(
            "description {name}\ntype wait\n{keyword} {}\nexec printargs {name}\n",
            file_quote(&log.display().to_string())
        );
        sandbox.config_file(name, &text);
    }
    fs::write(&log, "old\0").unwrap();

    let script = sandbox.ok(&["dumpscript", "appends"]).stdout;
    let (code, output) = run_script(&sandbox, &script);
    assert_eq!((code, output.len()), (0, 0), "output went to the tty file");
    assert_eq!(fs::read(&log).unwrap(), b"old\x001\0appends\0");

    let script = sandbox.ok(&["dumpscript", "truncates"]).stdout;
    run_script(&sandbox, &script);
    assert_eq!(fs::read(Path::new(&log)).unwrap(), b"1\0truncates\0");
}

#[test]
fn a_milestone_is_a_script_that_runs_nothing() {
    let sandbox = Sandbox::new("dumpscript-milestone");
    sandbox.config_file(
        "network",
        "description network is up\ntype wait\ntarget boot\nafter sysinit\n",
    );
    let script = sandbox.ok(&["dumpscript", "network"]).stdout;
    assert_eq!(
        script,
        "#!/bin/sh\n# network: network is up\n# type wait, target boot\nset -e\n# a milestone: nothing to run\n"
    );
    assert_eq!(run_script(&sandbox, &script), (0, Vec::new()));
}

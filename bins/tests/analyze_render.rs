//! The boot chart and the dependency graph, drawn for real: the SVG of a
//! simulated boot of 200 services and of the Pygos corpus is rendered in
//! headless Chromium, its screenshot must show a bar on every row, and no
//! two pieces of text may overlap; the dot output must lay out with
//! Graphviz with a node per service.
//!
//! Needs `chromium`, `dot` and `python3` (for the PNG decoder,
//! `analyze_render/png_colours.py`); `ci/setup` installs them. Without
//! them the tests skip loudly, or fail under `CI=true`.
//!
//! `UPDATE_DOCS_IMAGES=1` also writes the Pygos chart and its screenshot
//! to `docs/images/`, the example `docs/analyze.md` shows.

mod service_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use init_core::analyze::{FAILED_FILL, READY_FILL, STARTING_FILL, WAITING_FILL};
use serde_json::Value;
use service_support::Sandbox;

const CHROMIUM: &str = "/usr/bin/chromium";
const MILESTONE_FILL: &str = "#7048e8";

/// The programs the corpus runs that take time, as in sim/tests/whatif.rs.
const PYGOS_TAKES: [&str; 10] = [
    "mount=50ms",
    "trymount.sh=20ms",
    "overlay.sh=100ms",
    "modules_load.sh=200ms",
    "hwclock=300ms",
    "sysctl=20ms",
    "ifrename.sh=50ms",
    "nft=50ms",
    "waitfile=200ms",
    "ssh-keygen=1500ms",
];

/// Whether the outside programs are here; under CI they must be.
fn tools_present() -> bool {
    let missing: Vec<&str> = [
        (CHROMIUM, "chromium"),
        ("dot", "graphviz"),
        ("python3", "python3"),
    ]
    .into_iter()
    .filter(|(program, _)| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .map_or(true, |out| !out.status.success())
    })
    .map(|(_, package)| package)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("missing {} (ci/setup installs them)", missing.join(", "));
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("rendering tests cannot run under CI: {why}");
    }
    eprintln!("SKIPPED (not under CI): rendering tests need chromium, graphviz and python3: {why}");
    false
}

/// 200 services in layers: waits that take 10 to 90 ms, once and respawn
/// daemons, milestones, two failures and a few long names.
fn two_hundred_services(sandbox: &Sandbox) {
    let names: Vec<String> = (0..200)
        .map(|i| {
            if i % 50 == 7 {
                format!("svc{i:03}_with_a_name_too_long_for_the_label_column")
            } else {
                format!("svc{i:03}")
            }
        })
        .collect();
    for (i, name) in names.iter().enumerate() {
        let mut after = Vec::new();
        if i > 0 {
            after.push(names[(i * 37 + 11) % i].as_str());
        }
        if i % 3 == 0 && i > 0 {
            after.push(names[i / 2].as_str());
        }
        let (kind, exec) = match i {
            77 | 140 => ("wait", "exec sleep not-a-duration\n".to_string()),
            _ if i % 10 == 5 => ("wait", String::new()),
            _ if i % 4 == 1 => ("respawn", "exec sleep infinity\n".to_string()),
            _ if i % 4 == 2 => ("once", "exec sleep infinity\n".to_string()),
            _ => ("wait", format!("exec sleep 0.0{}\n", (i * 13) % 9 + 1)),
        };
        let after = if after.is_empty() {
            String::new()
        } else {
            format!("after {}\n", after.join(" "))
        };
        sandbox.config_file(
            name,
            &format!("description service {i}\ntype {kind}\ntarget boot\n{after}{exec}"),
        );
    }
}

fn init_sim(config_dir: &Path, view: &str, takes: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_init-sim"));
    command
        .arg("boot")
        .arg("--config-dir")
        .arg(config_dir)
        .arg(view);
    for take in takes {
        command.args(["--takes", take]);
    }
    let out = command.output().expect("init-sim runs");
    assert!(
        out.status.success(),
        "init-sim {view}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A configuration the loader complains about is not the one meant.
    assert!(
        out.stderr.is_empty(),
        "init-sim {view}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A number attribute of the first element that has it: `width="1208"`.
fn attribute(svg: &str, name: &str) -> f64 {
    let key = format!(" {name}=\"");
    let start = svg.find(&key).expect("attribute") + key.len();
    let end = start + svg[start..].find('"').expect("closing quote");
    svg[start..end].parse().expect("a number")
}

/// The middle of each row's bar: its label sits 4 px below it.
fn bar_middles(svg: &str) -> Vec<u64> {
    svg.split("<text class=\"label\"")
        .skip(1)
        .map(|rest| attribute(rest, "y") as u64 - 4)
        .collect()
}

struct Chromium {
    profile: PathBuf,
}

impl Chromium {
    fn new(dir: &Path) -> Chromium {
        let profile = dir.join("chromium-profile");
        fs::create_dir_all(&profile).expect("profile dir");
        Chromium { profile }
    }

    fn run(&self, args: &[String]) -> Vec<u8> {
        let out = Command::new("timeout")
            .arg("120")
            .arg(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
            ])
            .arg(format!("--user-data-dir={}", self.profile.display()))
            .args(args)
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// The page that measures every `<text>` of the inline SVG with getBBox
/// and writes what overlaps into `<pre id="result">`.
const MEASURE_SCRIPT: &str = r#"
<pre id="result"></pre>
<script>
const svg = document.querySelector('svg');
const width = svg.width.baseVal.value, height = svg.height.baseVal.value;
const zero = document.querySelector('g.axis line').x1.baseVal.value;
const boxes = [...svg.querySelectorAll('text')].map(t => {
  const b = t.getBBox();
  return {x: b.x, y: b.y, w: b.width, h: b.height, text: t.textContent,
          label: t.classList.contains('label')};
});
const overlaps = [], outside = [], into_chart = [];
for (let i = 0; i < boxes.length; i++) {
  const a = boxes[i];
  if (a.w === 0 || a.h === 0) outside.push('empty: ' + a.text);
  if (a.x < 0 || a.y < 0 || a.x + a.w > width || a.y + a.h > height) outside.push(a.text);
  if (a.label && a.x + a.w > zero) into_chart.push(a.text);
  for (let j = i + 1; j < boxes.length; j++) {
    const b = boxes[j];
    if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
      overlaps.push(a.text + ' / ' + b.text);
  }
}
document.getElementById('result').textContent =
  JSON.stringify({texts: boxes.length, overlaps, outside, into_chart});
</script>
"#;

/// Renders `svg` for real and checks it; returns the screenshot.
fn check_chart(name: &str, svg: &str, rows: usize, work: &Path) -> PathBuf {
    assert_eq!(svg.matches("<g class=\"row").count(), rows, "{name}");
    let chromium = Chromium::new(work);
    let svg_path = work.join(format!("{name}.svg"));
    fs::write(&svg_path, svg).expect("write svg");

    // Text: measured in the browser, never overlapping, never outside.
    let page = work.join(format!("{name}.html"));
    fs::write(
        &page,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0\">{svg}{MEASURE_SCRIPT}</body></html>"
        ),
    )
    .expect("write page");
    let dom = String::from_utf8(chromium.run(&[
        "--dump-dom".to_string(),
        format!("file://{}", page.display()),
    ]))
    .expect("UTF-8 DOM");
    let start = dom.find("<pre id=\"result\">").expect("result element") + 17;
    let end = start + dom[start..].find("</pre>").expect("end of result");
    let measured: Value = serde_json::from_str(&dom[start..end].replace("&amp;", "&"))
        .unwrap_or_else(|e| panic!("{e}: {}", &dom[start..end]));
    assert!(
        measured["texts"].as_u64().unwrap() as usize > rows,
        "{measured}"
    );
    for problem in ["overlaps", "outside", "into_chart"] {
        assert_eq!(measured[problem], Value::Array(vec![]), "{name}: {problem}");
    }

    // Bars: a screenshot at the chart's own size, every row with a bar.
    let (width, height) = (attribute(svg, "width"), attribute(svg, "height"));
    let png = work.join(format!("{name}.png"));
    chromium.run(&[
        format!("--window-size={width},{height}"),
        format!("--screenshot={}", png.display()),
        format!("file://{}", svg_path.display()),
    ]);
    let middles: Vec<String> = bar_middles(svg).iter().map(u64::to_string).collect();
    assert_eq!(middles.len(), rows);
    let colours = [
        WAITING_FILL,
        STARTING_FILL,
        READY_FILL,
        FAILED_FILL,
        MILESTONE_FILL,
    ];
    let out = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/analyze_render/png_colours.py"))
        .arg(&png)
        .arg(colours.join(","))
        .arg(middles.join(","))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pixels: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(pixels["width"].as_f64(), Some(width), "{pixels}");
    assert_eq!(pixels["height"].as_f64(), Some(height), "{pixels}");
    let empty_rows: Vec<usize> = pixels["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .enumerate()
        .filter(|(_, hit)| !hit.as_bool().unwrap_or(false))
        .map(|(row, _)| row)
        .collect();
    assert!(
        empty_rows.is_empty(),
        "{name}: rows without a bar: {empty_rows:?}"
    );
    for colour in [WAITING_FILL, READY_FILL] {
        let count = pixels["counts"][colour].as_u64().unwrap_or(0);
        // At least a bar of 12 px by 100 px's worth per ten rows.
        assert!(count as usize >= rows * 120, "{name}: {colour}: {pixels}");
    }
    png
}

/// `dot -Tsvg` lays the graph out, with one node per service.
fn check_graph(name: &str, dot: &str, services: usize, work: &Path) {
    let dot_path = work.join(format!("{name}.dot"));
    fs::write(&dot_path, dot).expect("write dot");
    let out = Command::new("dot")
        .arg("-Tsvg")
        .arg(&dot_path)
        .output()
        .expect("dot runs");
    assert!(
        out.status.success(),
        "dot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(svg.matches("class=\"node\"").count(), services, "{name}");
}

#[test]
fn two_hundred_services_render_readably() {
    if !tools_present() {
        return;
    }
    let sandbox = Sandbox::new("render-200");
    two_hundred_services(&sandbox);
    let svg = init_sim(&sandbox.config_dir(), "--plot", &[]);
    assert_eq!(svg.matches("<g class=\"row failed\"").count(), 2);
    assert!(svg.contains("<title>svc007_with_a_name_too_long_for_the_label_column ("));
    let png = check_chart("two-hundred", &svg, 200, &sandbox.root);
    assert!(fs::metadata(png).expect("screenshot").len() > 0);
    let dot = init_sim(&sandbox.config_dir(), "--dot", &[]);
    check_graph("two-hundred", &dot, 200, &sandbox.root);
}

#[test]
fn the_pygos_corpus_renders_readably() {
    if !tools_present() {
        return;
    }
    let sandbox = Sandbox::new("render-pygos");
    sandbox.enable_corpus();
    let services = fs::read_dir(sandbox.config_dir()).expect("config").count();
    let svg = init_sim(&sandbox.config_dir(), "--plot", &PYGOS_TAKES);
    // The boot's services; the shutdown and reboot ones never ran.
    let boot_rows = svg.matches("<g class=\"row").count();
    assert!(
        boot_rows > 20 && boot_rows < services,
        "{boot_rows} of {services}"
    );
    let png = check_chart("pygos", &svg, boot_rows, &sandbox.root);
    let dot = init_sim(&sandbox.config_dir(), "--dot", &[]);
    check_graph("pygos", &dot, services, &sandbox.root);

    if std::env::var("UPDATE_DOCS_IMAGES").as_deref() == Ok("1") {
        let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/images");
        fs::create_dir_all(&images).expect("docs/images");
        fs::write(images.join("analyze-pygos.svg"), &svg).expect("write svg");
        fs::copy(&png, images.join("analyze-pygos.png")).expect("copy png");
    }
}

//! The boot as an SVG Gantt chart: one row per service, time across.
//!
//! Owns the layout (label column, rows, time axis, legend) and the SVG
//! text. Sizes are fixed in pixels so that a chart of 200 services stays
//! readable: a row is 18 px whatever the count, long names are cut with
//! the full name in a `<title>`, and tick labels never come closer than
//! their own width. It measures no fonts: the labels use a monospace font
//! whose advance is known.

use std::fmt::Write;

use super::timeline::{ServiceTimeline, Timeline};
use crate::events::{Millis, ServiceState};

const ROW_PX: u64 = 18;
const BAR_PX: u64 = 12;
const FONT_PX: u64 = 12;
/// The advance of one character of DejaVu Sans Mono (and most monospace
/// fonts) at `FONT_PX`, rounded up: 0.602 em.
const CHAR_PX: f64 = 7.3;
/// Longer names are cut; the full name is in the row's `<title>`.
const LABEL_CHARS_MAX: usize = 36;
const MARGIN_PX: u64 = 10;
const CHART_PX: u64 = 1000;
/// Tick labels are at most `12.345s`: never closer than this.
const TICK_GAP_PX_MIN: f64 = 80.0;
const TITLE_Y_PX: u64 = 18;
const LEGEND_Y_PX: u64 = 40;
const AXIS_Y_PX: u64 = 66;
const ROWS_Y_PX: u64 = 74;

const FONT: &str = "DejaVu Sans Mono, monospace";
/// Queued, waiting for predecessors.
pub const WAITING_FILL: &str = "#b8c0cc";
/// Spawned, not ready yet: what the services after it wait for.
pub const STARTING_FILL: &str = "#f0a030";
/// Ready (or done, for a milestone) and, for a process, still running.
pub const READY_FILL: &str = "#3c9a5f";
/// The run that failed.
pub const FAILED_FILL: &str = "#d03a3a";
const MILESTONE_FILL: &str = "#7048e8";
const EXIT_STROKE: &str = "#1f2328";

/// The chart of `timeline`, a complete SVG document. Services nothing
/// happened to by the chart's end are left out; the others are in the
/// order they were first queued (or spawned), then by readiness, then load
/// order.
pub fn plot_svg(timeline: &Timeline) -> String {
    let last_ms = chart_end(timeline).0;
    let mut rows: Vec<&ServiceTimeline> = timeline
        .services
        .iter()
        .filter(|s| s.first_seen().is_some_and(|t| t.0 <= last_ms))
        .collect();
    rows.sort_by_key(|s| (s.first_seen(), s.spawned_at.or(s.satisfied_or_done())));
    // A little room past the last event, so that what happens last (a
    // spawn at the very end) still shows as a bar.
    let end_ms = last_ms.saturating_add((last_ms / 50).max(1));
    let label_chars = rows
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, LABEL_CHARS_MAX);
    let layout = Layout {
        chart_x: MARGIN_PX as f64 + (label_chars as f64 * CHAR_PX).ceil() + 12.0,
        px_per_ms: CHART_PX as f64 / end_ms as f64,
        end_ms,
    };
    let width = layout.chart_x.ceil() as u64 + CHART_PX + 4 * MARGIN_PX;
    let rows_bottom = ROWS_Y_PX + ROW_PX * rows.len() as u64;
    let height = rows_bottom + 24 + MARGIN_PX;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"{FONT}\" font-size=\"{FONT_PX}\">"
    );
    let _ = writeln!(
        svg,
        "<rect class=\"background\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let failed = rows.iter().filter(|s| s.failed).count();
    let mut title = format!("{} services, {}", rows.len(), Millis(last_ms));
    if failed > 0 {
        let _ = write!(title, ", {failed} failed");
    }
    let _ = writeln!(
        svg,
        "<text class=\"title\" x=\"{MARGIN_PX}\" y=\"{TITLE_Y_PX}\" font-weight=\"bold\">{}</text>",
        escape(&title)
    );
    write_legend(&mut svg);
    // Stripes under the grid, so that every grid line shows through.
    svg.push_str("<g class=\"stripes\">\n");
    for row in (1..rows.len()).step_by(2) {
        let _ = writeln!(
            svg,
            "<rect x=\"0\" y=\"{}\" width=\"{width}\" height=\"{ROW_PX}\" fill=\"#f3f5f7\"/>",
            ROWS_Y_PX + ROW_PX * row as u64
        );
    }
    svg.push_str("</g>\n");
    write_axis(&mut svg, &layout, rows_bottom);
    for (row, service) in rows.iter().enumerate() {
        let top = ROWS_Y_PX + ROW_PX * row as u64;
        write_row(&mut svg, &layout, service, top, label_chars);
    }
    svg.push_str("</svg>\n");
    svg
}

struct Layout {
    /// Where time 0 is drawn.
    chart_x: f64,
    px_per_ms: f64,
    end_ms: u64,
}

impl Layout {
    fn x(&self, at: Millis) -> f64 {
        self.chart_x + at.0.min(self.end_ms) as f64 * self.px_per_ms
    }
}

fn write_legend(svg: &mut String) {
    let items = [
        ("waiting", WAITING_FILL),
        ("starting (spawned, not ready)", STARTING_FILL),
        ("ready / running", READY_FILL),
        ("failed", FAILED_FILL),
        ("milestone", MILESTONE_FILL),
        ("exit", EXIT_STROKE),
    ];
    let mut x = MARGIN_PX as f64;
    svg.push_str("<g class=\"legend\">\n");
    for (label, colour) in items {
        let top = LEGEND_Y_PX - BAR_PX + 2;
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{top}\" width=\"{BAR_PX}\" height=\"{BAR_PX}\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{LEGEND_Y_PX}\">{label}</text>",
            x + BAR_PX as f64 + 4.0
        );
        x += BAR_PX as f64 + 4.0 + label.chars().count() as f64 * CHAR_PX + 18.0;
    }
    svg.push_str("</g>\n");
}

/// Ticks at 1, 2 or 5 times a power of ten milliseconds, as many as fit.
fn tick_step_ms(layout: &Layout) -> u64 {
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step_ms = power.saturating_mul(factor);
            if step_ms as f64 * layout.px_per_ms >= TICK_GAP_PX_MIN || step_ms >= layout.end_ms {
                return step_ms;
            }
        }
        power = power.saturating_mul(10);
    }
}

fn write_axis(svg: &mut String, layout: &Layout, rows_bottom: u64) {
    let step_ms = tick_step_ms(layout);
    svg.push_str("<g class=\"axis\">\n");
    let mut at_ms = 0u64;
    while at_ms <= layout.end_ms {
        let x = layout.x(Millis(at_ms));
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{rows_bottom}\" stroke=\"#d0d7de\"/>\
             <text x=\"{x:.1}\" y=\"{AXIS_Y_PX}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            ROWS_Y_PX - 4,
            Millis(at_ms),
            rows_bottom + 16,
            Millis(at_ms),
        );
        at_ms = match at_ms.checked_add(step_ms) {
            Some(next) => next,
            None => break,
        };
    }
    svg.push_str("</g>\n");
}

fn write_row(svg: &mut String, layout: &Layout, s: &ServiceTimeline, top: u64, label_chars: usize) {
    let class = if s.failed { "row failed" } else { "row" };
    let _ = writeln!(svg, "<g class=\"{class}\">");
    let _ = writeln!(svg, "<title>{}</title>", escape(&row_title(s)));
    let label = cut(&s.name, label_chars);
    let label_colour = if s.failed { FAILED_FILL } else { "#1f2328" };
    let _ = writeln!(
        svg,
        "<text class=\"label\" x=\"{MARGIN_PX}\" y=\"{}\" fill=\"{label_colour}\">{}</text>",
        top + ROW_PX - 5,
        escape(&label)
    );
    let bar_top = top + (ROW_PX - BAR_PX) / 2;
    for (from, to, fill) in segments(s, Millis(layout.end_ms)) {
        let x = layout.x(from);
        let w = (layout.x(to) - x).max(1.0);
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{bar_top}\" width=\"{w:.1}\" height=\"{BAR_PX}\" \
             fill=\"{fill}\" shape-rendering=\"crispEdges\"/>"
        );
    }
    let mid = top as f64 + ROW_PX as f64 / 2.0;
    if s.milestone {
        if let Some(at) = s.satisfied_at {
            let x = layout.x(at);
            let r = BAR_PX as f64 / 2.0;
            let _ = writeln!(
                svg,
                "<path class=\"milestone\" d=\"M{x:.1} {:.1} l{r} {r} l-{r} {r} l-{r} -{r} z\" \
                 fill=\"{MILESTONE_FILL}\"/>",
                mid - r
            );
        }
    }
    let on_chart = |at: &Millis| at.0 <= layout.end_ms;
    if let Some(at) = s.exited_at.filter(on_chart) {
        let x = layout.x(at);
        let _ = writeln!(
            svg,
            "<line class=\"exit\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" \
             stroke=\"{EXIT_STROKE}\" stroke-width=\"2\"/>",
            top + 1,
            top + ROW_PX - 1
        );
    }
    if s.failed {
        // A cross past the end of the failed run, so that a failure shows
        // even where the bar is too short to see its colour.
        let at = s
            .exited_at
            .or(s.satisfied_at)
            .filter(on_chart)
            .unwrap_or(Millis(layout.end_ms));
        let x = layout.x(at) + 4.0;
        let _ = writeln!(
            svg,
            "<path class=\"failure\" d=\"M{x:.1} {:.1} l8 8 m0 -8 l-8 8\" stroke=\"{FAILED_FILL}\" \
             stroke-width=\"2\" fill=\"none\"/>",
            mid - 4.0
        );
    }
    svg.push_str("</g>\n");
}

/// The bars of one row: waiting, starting, then ready (to the exit or the
/// end of the chart). The last bar of a failed service is red.
fn segments(s: &ServiceTimeline, end: Millis) -> Vec<(Millis, Millis, &'static str)> {
    let mut bars = Vec::new();
    let Some(queued) = s.queued_at.or(s.spawned_at) else {
        return bars;
    };
    let ready = s.satisfied_or_done();
    // Without the spawn of the run its target waited for (the latest is a
    // respawn), the row shows the service ready from its ready time on.
    let spawned = s.starting_spawn();
    let wait_end = spawned.or(ready).unwrap_or(end).min(end);
    bars.push((queued, wait_end, WAITING_FILL));
    if !s.milestone && s.spawned_at.is_some() {
        let run_start = spawned.or(ready).unwrap_or(end);
        // An exit before this run began belongs to an earlier run.
        let exited = s.exited_at.filter(|&e| e >= run_start);
        let alive = matches!(
            s.state,
            ServiceState::Starting | ServiceState::Running | ServiceState::Stopping
        );
        let run_end = if alive {
            end
        } else {
            exited.unwrap_or(run_start)
        }
        .min(end);
        // max then min, not clamp: clamp panics should the run end before
        // it starts, and no status, however odd, may panic the core.
        let ready_from = ready.unwrap_or(run_end).max(run_start).min(run_end);
        bars.push((run_start, ready_from, STARTING_FILL));
        bars.push((ready_from, run_end, READY_FILL));
    }
    bars.retain(|&(from, to, _)| to > from);
    if s.failed {
        if let Some(last) = bars.last_mut() {
            last.2 = FAILED_FILL;
        }
    }
    bars
}

/// Where the chart ends: when the last service its target queued became
/// ready, so that a respawn days after the boot does not squeeze the boot
/// into a sliver. While a target still runs, the latest time known.
fn chart_end(timeline: &Timeline) -> Millis {
    let queued = timeline.services.iter().filter(|s| s.queued_at.is_some());
    let mut settled = Millis::ZERO;
    for s in queued {
        match s.satisfied_or_done() {
            Some(ready) => settled = settled.max(ready),
            None => return timeline.end(),
        }
    }
    if settled == Millis::ZERO {
        timeline.end()
    } else {
        settled
    }
}

fn row_title(s: &ServiceTimeline) -> String {
    let mut title = format!("{} ({}, {})", s.name, s.kind_label(), s.target);
    for (what, at) in [
        ("queued", s.queued_at),
        ("spawned", s.spawned_at),
        ("ready", s.satisfied_at),
        ("exited", s.exited_at),
    ] {
        if let Some(at) = at {
            let _ = write!(title, "\n{what} at {at}");
        }
    }
    if let Some(status) = s.exit_status {
        let _ = write!(title, "\nexit status {status}");
    }
    if s.failed {
        title.push_str("\nfailed");
    }
    title
}

/// `name`, or its first `max - 1` characters and an ellipsis.
fn cut(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Two charts of [`plot_svg`] side by side in one
/// SVG document, each under a heading (`init-sim boot --profile --plot`:
/// the measured boot on the left, the predicted one on the right).
pub fn plot_beside(left: (&str, &str), right: (&str, &str)) -> String {
    const GAP_PX: u64 = 20;
    const HEADING_PX: u64 = 28;
    let size = |svg: &str| {
        let attribute = |name: &str| {
            svg.split_once(&format!(" {name}=\""))
                .and_then(|(_, rest)| rest.split_once('"'))
                .and_then(|(value, _)| value.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (attribute("width"), attribute("height"))
    };
    let (left_width, left_height) = size(left.1);
    let (right_width, right_height) = size(right.1);
    let width = left_width + GAP_PX + right_width;
    let height = HEADING_PX + left_height.max(right_height);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"14\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    );
    for (x, (heading, chart)) in [(0, left), (left_width + GAP_PX, right)] {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"20\" font-weight=\"bold\">{}</text>\n",
            x + 10,
            escape(heading)
        ));
        // A nested <svg> is its own viewport: the chart keeps its
        // coordinates, moved by x and y.
        svg.push_str(&chart.trim_end().replacen(
            "<svg ",
            &format!("<svg x=\"{x}\" y=\"{HEADING_PX}\" "),
            1,
        ));
        svg.push('\n');
    }
    svg.push_str("</svg>\n");
    svg
}

/// Text for XML content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_keep_their_distance() {
        for end_ms in [1, 7, 999, 1000, 1234, 60_000, 86_400_000] {
            let layout = Layout {
                chart_x: 0.0,
                px_per_ms: CHART_PX as f64 / end_ms as f64,
                end_ms,
            };
            let step = tick_step_ms(&layout);
            assert!(
                step as f64 * layout.px_per_ms >= TICK_GAP_PX_MIN || step >= end_ms,
                "{end_ms}: {step}"
            );
        }
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(cut("short", 8), "short");
        assert_eq!(cut("a-very-long-name", 8), "a-very-…");
    }
}

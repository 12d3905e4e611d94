//! Boot analysis: what `service analyze` and `init-sim --plot` show.
//!
//! Owns reading a boot out of service statuses (a [`Timeline`] and its
//! [`DependencyGraph`]) and the four views of it, each a pure function from
//! that value to text: [`blame`], [`critical_chains`], [`plot_svg`] and
//! [`dependency_dot`]. It reads no clock and no files; the live init and
//! the simulator both hand it statuses, so a real boot and a predicted one
//! are drawn by the same code.
//!
//! Not the supervisor, and nothing here decides: it lives in the core
//! because it is pure functions over the core's own types (statuses,
//! definitions, the resolver's order) that both `sim` (`init-sim --plot`,
//! the what-if boot) and the service tool (`service analyze`) use, and the
//! core is the one crate both depend on that does no I/O.

mod blame;
mod chain;
mod dot;
mod graph;
mod plot;
mod timeline;

pub use blame::{blame, render_blame_text, Blame, BlameLine};
pub use chain::{critical_chains, render_chains_text, ChainLink, TargetChain};
pub use dot::dependency_dot;
pub use graph::{DependencyEdge, DependencyGraph, EdgeKind, GraphNode};
pub use plot::{plot_beside, plot_svg, FAILED_FILL, READY_FILL, STARTING_FILL, WAITING_FILL};
pub use timeline::{kind_label, ServiceTimeline, Timeline};

/// One of the views, as the command lines name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Blame,
    CriticalChain,
    Plot,
    Dot,
}

/// `view` of `timeline` as the text a command prints: a table, a tree,
/// SVG or dot, or with `json` the data behind it (the plot's is the
/// timeline itself, the graph's its nodes and edges). The error is
/// serde's, which no value here can cause.
pub fn render(view: View, timeline: &Timeline, json: bool) -> Result<String, String> {
    Ok(match view {
        View::Blame if json => pretty_json(&blame(timeline))?,
        View::Blame => render_blame_text(&blame(timeline)),
        View::CriticalChain if json => pretty_json(&critical_chains(timeline))?,
        View::CriticalChain => render_chains_text(&critical_chains(timeline)),
        View::Plot if json => pretty_json(timeline)?,
        View::Plot => plot_svg(timeline),
        View::Dot if json => pretty_json(&timeline.graph)?,
        View::Dot => dependency_dot(&timeline.graph),
    })
}

fn pretty_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| format!("cannot write JSON: {e}"))?;
    text.push('\n');
    Ok(text)
}

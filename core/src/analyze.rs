//! Boot analysis: what `service analyze` and `init-sim --plot` show.
//!
//! Owns reading a boot out of service statuses (a [`Timeline`] and its
//! [`DependencyGraph`]) and the four views of it, each a pure function from
//! that value to text: [`blame`], [`critical_chains`], [`plot_svg`] and
//! [`dependency_dot`]. It reads no clock and no files; the live init and
//! the simulator both hand it statuses, so a real boot and a predicted one
//! are drawn by the same code.

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
pub use plot::{plot_svg, FAILED_FILL, READY_FILL, STARTING_FILL, WAITING_FILL};
pub use timeline::{kind_label, ServiceTimeline, Timeline};

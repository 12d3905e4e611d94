//! The dependency graph as the resolver sees it: one node per service,
//! one edge per ordering, and the cycles it found and broke.
//!
//! Owns only turning definitions into that graph (through
//! [`crate::resolve`], so the picture is the order init really uses). It
//! draws nothing.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::resolve::resolve;
use crate::service::{ServiceDef, ServiceType, Target};

/// One service in the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphNode {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ServiceType,
    pub target: Target,
    /// No `exec`: it only orders other services.
    pub milestone: bool,
}

/// What an edge is to the resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// An ordering the run honours.
    Order,
    /// Part of a cycle the resolver reported, and still honoured.
    Cycle,
    /// The edge the resolver dropped to break a cycle: not honoured.
    Broken,
}

/// `before` starts (and is satisfied) before `after`. Indices are into
/// [`DependencyGraph::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DependencyEdge {
    pub before: usize,
    pub after: usize,
    pub kind: EdgeKind,
}

/// Every service of every target and the orderings between them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DependencyGraph {
    pub nodes: Vec<GraphNode>,
    /// Sorted by `(before, after)`; each pair once.
    pub edges: Vec<DependencyEdge>,
    /// Per node, the nodes it waits for once cycles are broken: what the
    /// supervisor honours, and what a critical chain follows.
    #[serde(skip)]
    pub predecessors: Vec<Vec<usize>>,
    /// Per node, its place in its target's start order: between services
    /// ready at the same instant, the later one is the one that waited.
    #[serde(skip)]
    pub start_position: Vec<usize>,
}

impl DependencyGraph {
    /// The graph of `defs`, resolved target by target.
    pub fn from_defs(defs: &[ServiceDef]) -> DependencyGraph {
        let nodes = defs
            .iter()
            .map(|def| GraphNode {
                name: def.name.clone(),
                kind: def.kind,
                target: def.target,
                milestone: def.is_milestone(),
            })
            .collect();
        let mut predecessors = vec![Vec::new(); defs.len()];
        let mut start_position = vec![0; defs.len()];
        let mut edges = BTreeSet::new();
        for target in Target::ALL {
            let order = resolve(defs, target);
            for (position, &i) in order.order.iter().enumerate() {
                start_position[i] = position;
            }
            let mut on_cycle = BTreeSet::new();
            for cycle in &order.cycles {
                // Each member runs after the one before it; the closing
                // edge (last to first) is the broken one.
                for pair in cycle.windows(2) {
                    on_cycle.insert((pair[0], pair[1]));
                }
            }
            for (after, preds) in order.predecessors.into_iter().enumerate() {
                for &before in &preds {
                    let kind = if on_cycle.contains(&(before, after)) {
                        EdgeKind::Cycle
                    } else {
                        EdgeKind::Order
                    };
                    edges.insert((before, after, kind));
                }
                if !preds.is_empty() {
                    predecessors[after] = preds;
                }
            }
            for (before, after) in order.broken_edges {
                edges.insert((before, after, EdgeKind::Broken));
            }
        }
        DependencyGraph {
            nodes,
            edges: edges
                .into_iter()
                .map(|(before, after, kind)| DependencyEdge {
                    before,
                    after,
                    kind,
                })
                .collect(),
            predecessors,
            start_position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::timeline::tests::def;

    #[test]
    fn a_cycle_is_marked_and_its_closing_edge_is_broken() {
        let defs = [
            def("a", ServiceType::Wait, &["c"]),
            def("b", ServiceType::Wait, &["a"]),
            def("c", ServiceType::Wait, &["b"]),
            def("d", ServiceType::Once, &["c"]),
        ];
        let graph = DependencyGraph::from_defs(&defs);
        let kinds: Vec<(usize, usize, EdgeKind)> = graph
            .edges
            .iter()
            .map(|e| (e.before, e.after, e.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (0, 1, EdgeKind::Cycle),
                (1, 2, EdgeKind::Cycle),
                (2, 0, EdgeKind::Broken),
                (2, 3, EdgeKind::Order),
            ]
        );
        assert!(graph.predecessors[0].is_empty(), "the broken edge is gone");
    }
}

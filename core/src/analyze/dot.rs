//! The dependency graph in Graphviz's dot language.
//!
//! Owns the drawing conventions: one cluster per target, nodes filled by
//! type, milestones as plain outlined ellipses, arrows from a service to
//! the ones that start after it, cycle edges red and the edge the resolver
//! broke red and dashed.

use std::fmt::Write;

use super::graph::{DependencyGraph, EdgeKind};
use crate::service::{ServiceType, Target};

const CYCLE_COLOUR: &str = "#d03a3a";

fn fill_of(kind: ServiceType) -> &'static str {
    match kind {
        ServiceType::Wait => "#cfe2ff",
        ServiceType::Once => "#fff3bf",
        ServiceType::Respawn => "#d3f9d8",
    }
}

/// `graph` as a dot digraph, deterministic: nodes in graph order, edges
/// sorted.
pub fn dependency_dot(graph: &DependencyGraph) -> String {
    let mut dot = String::from("digraph services {\n");
    dot.push_str(
        "  graph [rankdir=LR, fontname=\"DejaVu Sans\", fontsize=11, labelloc=t, \
         label=\"services: blue wait, yellow once, green respawn, outlined ellipse milestone; \
         an arrow points to what starts after; red: a cycle, dashed: the edge broken\"];\n",
    );
    dot.push_str(
        "  node [shape=box, style=\"rounded,filled\", fontname=\"DejaVu Sans\", fontsize=10];\n",
    );
    dot.push_str("  edge [color=\"#57606a\", fontname=\"DejaVu Sans\", fontsize=9];\n");
    for target in Target::ALL {
        let members: Vec<usize> = (0..graph.nodes.len())
            .filter(|&i| graph.nodes[i].target == target)
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(
            dot,
            "  subgraph \"cluster_{target}\" {{\n    label=\"target {target}\";\n    \
             style=rounded;\n    color=\"#8c959f\";"
        );
        for i in members {
            let node = &graph.nodes[i];
            let style = if node.milestone {
                "shape=ellipse, style=solid".to_string()
            } else {
                format!("fillcolor=\"{}\"", fill_of(node.kind))
            };
            let kind = super::timeline::kind_label(node.kind, node.milestone);
            let _ = writeln!(
                dot,
                "    {} [{style}, tooltip={}];",
                quote(&node.name),
                quote(kind)
            );
        }
        dot.push_str("  }\n");
    }
    for edge in &graph.edges {
        let (Some(before), Some(after)) =
            (graph.nodes.get(edge.before), graph.nodes.get(edge.after))
        else {
            continue;
        };
        let attributes = match edge.kind {
            EdgeKind::Order => String::new(),
            EdgeKind::Cycle => format!(" [color=\"{CYCLE_COLOUR}\", penwidth=2]"),
            EdgeKind::Broken => format!(
                " [color=\"{CYCLE_COLOUR}\", fontcolor=\"{CYCLE_COLOUR}\", penwidth=2, \
                 style=dashed, label=\"cycle broken here\"]"
            ),
        };
        let _ = writeln!(
            dot,
            "  {} -> {}{attributes};",
            quote(&before.name),
            quote(&after.name)
        );
    }
    dot.push_str("}\n");
    dot
}

/// A dot string literal: only `"` and `\` need escaping.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

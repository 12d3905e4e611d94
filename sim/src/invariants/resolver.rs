//! The resolver held to the dependency oracle: the order it gives and the
//! findings it reports, for every configuration the core loads.
//!
//! Owns invariant 16. The core's resolver is called here to be checked,
//! never to tell the checker what to expect: every finding is compared
//! with `graph.rs`, which reads the edges from the files itself.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use init_core::events::ServiceId;
use init_core::resolve::{resolve, TargetOrder};
use init_core::service::{ServiceDef, Target};

use super::graph::Graph;
use super::{Found, Invariant, World};

/// Resolves every target of the configured services, in loader order
/// (sorted by name), and checks what comes back.
pub(super) fn check(w: &World, found: &mut Found) {
    let configured: Vec<(ServiceId, &ServiceDef)> = w.configured().collect();
    let defs: Vec<ServiceDef> = configured.iter().map(|(_, d)| (*d).clone()).collect();
    let ids: Vec<ServiceId> = configured.iter().map(|(id, _)| *id).collect();
    for target in Target::ALL {
        let graph = Graph::new(configured.iter().copied(), target);
        let Ok(order) = catch_unwind(AssertUnwindSafe(|| resolve(&defs, target))) else {
            found.add(
                w.now,
                Invariant::NoPanic,
                format!("the resolver panicked on the order of {target}"),
            );
            return;
        };
        if let Some(first) = problems(w, &graph, &ids, &order).first() {
            found.add(
                w.now,
                Invariant::Resolver,
                format!("the resolver's order of {target}: {first}"),
            );
        }
    }
}

/// What is wrong with `order`, the resolver's answer over the services
/// `ids` (in the order given to it), held to `graph`.
fn problems(w: &World, graph: &Graph, ids: &[ServiceId], order: &TargetOrder) -> Vec<String> {
    let id = |i: usize| ids.get(i).copied();
    let mut problems = Vec::new();
    let placed: Vec<ServiceId> = order.order.iter().filter_map(|&i| id(i)).collect();
    let unique: BTreeSet<ServiceId> = placed.iter().copied().collect();
    if unique != *graph.members() || placed.len() != unique.len() {
        problems.push("the order does not hold each service of the target once".to_string());
    }
    let positions: BTreeMap<ServiceId, usize> =
        placed.iter().enumerate().map(|(n, &x)| (x, n)).collect();
    let position = |x: ServiceId| positions.get(&x).copied();
    for (i, preds) in order.predecessors.iter().enumerate() {
        let Some(x) = id(i) else { continue };
        let preds: BTreeSet<ServiceId> = preds.iter().filter_map(|&p| id(p)).collect();
        for p in &preds {
            if !graph.has_edge(*p, x) {
                problems.push(format!("{} after {}: no such edge", w.name(x), w.name(*p)));
            } else if position(*p) > position(x) {
                problems.push(format!("{} is placed before {}", w.name(x), w.name(*p)));
            }
        }
        for p in graph.firm_preds(x) {
            if !preds.contains(&p) {
                problems.push(format!("{} lost its edge from {}", w.name(x), w.name(p)));
            }
        }
    }
    for cycle in &order.cycles {
        let members: Vec<ServiceId> = cycle.iter().filter_map(|&i| id(i)).collect();
        let mut closed = members.iter().zip(members.iter().cycle().skip(1));
        if members.is_empty() || closed.any(|(a, b)| !graph.has_edge(*a, *b)) {
            problems.push("a reported cycle is not a cycle".to_string());
        }
    }
    let broken_real = order.broken_edges.iter().all(|&(before, after)| {
        matches!((id(before), id(after)), (Some(b), Some(a)) if graph.has_edge(b, a) && graph.on_cycle(b, a))
    });
    if !broken_real || order.broken_edges.len() != order.cycles.len() {
        problems.push("the broken edges are not one edge on each cycle".to_string());
    }
    let mut missing: Vec<(ServiceId, String)> = order
        .missing
        .iter()
        .filter_map(|(i, name)| id(*i).map(|x| (x, name.clone())))
        .collect();
    let mut unmatched = graph.unmatched().to_vec();
    missing.sort();
    unmatched.sort();
    if missing != unmatched {
        problems.push(format!(
            "it reports {} names as not enabled, the files have {}",
            missing.len(),
            unmatched.len()
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use init_core::supervisor::{Options, Supervisor};

    use super::*;
    use crate::invariants::Checker;
    use crate::scenario::Scenario;

    /// The resolver's true answer over a small configuration (a after b,
    /// c and d in a cycle, e after a ghost), then that answer broken in
    /// each way the check must see.
    #[test]
    fn a_wrong_order_a_lost_edge_a_false_cycle_or_a_hidden_name_is_caught() {
        let text = "\
service a
  type once
  target boot
  after b
  exec a
end
service b
  type once
  target boot
  exec b
end
service c
  type once
  target boot
  after d
  exec c
end
service d
  type once
  target boot
  after c
  exec d
end
service e
  type once
  target boot
  after ghost
  exec e
end
";
        let scenario = Scenario::parse("test.scn", text).expect("parses");
        let supervisor = Supervisor::new(scenario.services.clone(), Options::default());
        let checker = Checker::new(Options::default(), &supervisor);
        let w = &checker.world;
        let ids: Vec<ServiceId> = w.configured().map(|(id, _)| id).collect();
        let graph = Graph::new(w.configured(), Target::Boot);
        let right = resolve(&scenario.services, Target::Boot);
        assert_eq!(problems(w, &graph, &ids, &right), Vec::<String>::new());

        let broken = |edit: &dyn Fn(&mut TargetOrder)| {
            let mut order = right.clone();
            edit(&mut order);
            problems(w, &graph, &ids, &order)
        };
        // a (0) placed before b (1).
        assert!(!broken(&|o| o.order.sort()).is_empty());
        // a's edge from b lost.
        assert!(!broken(&|o| o.predecessors[0].clear()).is_empty());
        // A cycle a -> e that is none.
        assert!(!broken(&|o| o.cycles.push(vec![0, 4])).is_empty());
        // The ghost not reported.
        assert!(!broken(&|o| o.missing.clear()).is_empty());
    }
}

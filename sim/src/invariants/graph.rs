//! The dependency oracle of the invariants: one target's `after`/`before`
//! edges, read straight from the service files.
//!
//! Owns nothing but the graph. It shares no code with the core's resolver
//! on purpose (an oracle that calls the resolver has the resolver's bugs),
//! and it never picks an order: with cycles, which edge the core drops is
//! the core's choice, so the checks lean on the edges no cycle passes
//! through ("firm" edges), which every correct order keeps.

use std::collections::{BTreeMap, BTreeSet};

use init_core::events::ServiceId;
use init_core::service::{ServiceDef, Target};

/// The edges among the services of one target.
#[derive(Debug, Clone, Default)]
pub(super) struct Graph {
    members: BTreeSet<ServiceId>,
    /// Every edge `P -> X` (P starts first) as `preds[X] = {P, ...}`.
    preds: BTreeMap<ServiceId, BTreeSet<ServiceId>>,
    succs: BTreeMap<ServiceId, BTreeSet<ServiceId>>,
    /// Each member's strongly connected component: an edge is on a cycle
    /// exactly when both its ends are in one component (a self-edge too).
    component: BTreeMap<ServiceId, usize>,
    milestones: BTreeSet<ServiceId>,
    /// `(service, name)`: the `after`/`before` names that match no member.
    unmatched: Vec<(ServiceId, String)>,
}

impl Graph {
    /// The graph of `target` over `services` (each with its id): `after X`
    /// puts every member whose canonical name is `X` first, and `before X`
    /// puts this one before every such member. Names matching no member
    /// order nothing.
    pub fn new<'a>(
        services: impl IntoIterator<Item = (ServiceId, &'a ServiceDef)>,
        target: Target,
    ) -> Graph {
        let members: Vec<(ServiceId, &ServiceDef)> = services
            .into_iter()
            .filter(|(_, def)| def.target == target)
            .collect();
        let mut graph = Graph {
            members: members.iter().map(|(id, _)| *id).collect(),
            milestones: members
                .iter()
                .filter(|(_, def)| def.is_milestone())
                .map(|(id, _)| *id)
                .collect(),
            ..Graph::default()
        };
        let mut by_base: BTreeMap<&str, Vec<ServiceId>> = BTreeMap::new();
        for (id, def) in &members {
            by_base.entry(def.base()).or_default().push(*id);
        }
        let named = |name: &str| by_base.get(name).cloned().unwrap_or_default();
        for (id, def) in &members {
            for name in &def.after {
                let firsts = named(name);
                if firsts.is_empty() {
                    graph.unmatched.push((*id, name.clone()));
                }
                for first in firsts {
                    graph.add_edge(first, *id);
                }
            }
            for name in &def.before {
                let thens = named(name);
                if thens.is_empty() {
                    graph.unmatched.push((*id, name.clone()));
                }
                for then in thens {
                    graph.add_edge(*id, then);
                }
            }
        }
        graph.component = graph.components();
        graph
    }

    fn add_edge(&mut self, first: ServiceId, then: ServiceId) {
        self.preds.entry(then).or_default().insert(first);
        self.succs.entry(first).or_default().insert(then);
    }

    pub fn members(&self) -> &BTreeSet<ServiceId> {
        &self.members
    }

    /// `(service, name)`: every `after`/`before` name that matches no
    /// member of the target.
    pub fn unmatched(&self) -> &[(ServiceId, String)] {
        &self.unmatched
    }

    /// Whether `first -> then` is an edge.
    pub fn has_edge(&self, first: ServiceId, then: ServiceId) -> bool {
        self.succs.get(&first).is_some_and(|s| s.contains(&then))
    }

    pub fn is_member(&self, id: ServiceId) -> bool {
        self.members.contains(&id)
    }

    pub fn is_milestone(&self, id: ServiceId) -> bool {
        self.milestones.contains(&id)
    }

    /// Every service `id` starts after, cycle or not.
    pub fn preds(&self, id: ServiceId) -> impl Iterator<Item = ServiceId> + '_ {
        self.preds.get(&id).into_iter().flatten().copied()
    }

    /// Every service that starts after `id`, cycle or not.
    pub fn succs(&self, id: ServiceId) -> impl Iterator<Item = ServiceId> + '_ {
        self.succs.get(&id).into_iter().flatten().copied()
    }

    /// Whether the edge `first -> then` lies on a cycle.
    pub fn on_cycle(&self, first: ServiceId, then: ServiceId) -> bool {
        match (self.component.get(&first), self.component.get(&then)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// The services `id` starts after by an edge on no cycle: whatever
    /// edge a cycle loses, these hold.
    pub fn firm_preds(&self, id: ServiceId) -> impl Iterator<Item = ServiceId> + '_ {
        self.preds(id).filter(move |&p| !self.on_cycle(p, id))
    }

    /// Every service `id` is reachable from along edges (`firm`: on no
    /// cycle only), `id` itself left out.
    pub fn before_all(&self, id: ServiceId, firm: bool) -> BTreeSet<ServiceId> {
        self.walk(id, firm, |g, x| g.preds(x).collect())
    }

    /// The services of `wall` reachable from `id` along edges (`firm`:
    /// on no cycle only) without passing through another service of
    /// `wall`: those `id` starts before directly, or through services
    /// outside `wall` only.
    pub fn after_up_to(
        &self,
        id: ServiceId,
        firm: bool,
        wall: &BTreeSet<ServiceId>,
    ) -> BTreeSet<ServiceId> {
        let reached = self.walk_with(
            id,
            firm,
            |g, x| g.succs(x).collect(),
            |y| !wall.contains(&y),
        );
        reached.into_iter().filter(|y| wall.contains(y)).collect()
    }

    fn walk(
        &self,
        id: ServiceId,
        firm: bool,
        next: impl Fn(&Graph, ServiceId) -> Vec<ServiceId>,
    ) -> BTreeSet<ServiceId> {
        self.walk_with(id, firm, next, |_| true)
    }

    /// Every service reached from `id` (left out), going on from those
    /// `through` accepts.
    fn walk_with(
        &self,
        id: ServiceId,
        firm: bool,
        next: impl Fn(&Graph, ServiceId) -> Vec<ServiceId>,
        through: impl Fn(ServiceId) -> bool,
    ) -> BTreeSet<ServiceId> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![id];
        while let Some(x) = todo.pop() {
            for y in next(self, x) {
                if firm && self.on_cycle(x, y) {
                    continue;
                }
                if y != id && seen.insert(y) && through(y) {
                    todo.push(y);
                }
            }
        }
        seen
    }

    /// Kosaraju: the members in order of their depth-first finish, then
    /// the reverse graph walked in the opposite order gives one component
    /// per walk. Iterative, so that a chain of ten thousand services does
    /// not overflow the stack.
    fn components(&self) -> BTreeMap<ServiceId, usize> {
        let mut finished = Vec::new();
        let mut visited = BTreeSet::new();
        for &root in &self.members {
            if !visited.insert(root) {
                continue;
            }
            let mut stack = vec![(root, self.succs(root).collect::<Vec<_>>())];
            while let Some((node, pending)) = stack.last_mut() {
                match pending.pop() {
                    Some(next) => {
                        if visited.insert(next) {
                            let succs = self.succs(next).collect();
                            stack.push((next, succs));
                        }
                    }
                    None => {
                        finished.push(*node);
                        stack.pop();
                    }
                }
            }
        }
        let mut component = BTreeMap::new();
        for (number, &root) in finished.iter().rev().enumerate() {
            if component.contains_key(&root) {
                continue;
            }
            component.insert(root, number);
            let mut todo = vec![root];
            while let Some(node) = todo.pop() {
                for p in self.preds(node) {
                    if let std::collections::btree_map::Entry::Vacant(e) = component.entry(p) {
                        e.insert(number);
                        todo.push(p);
                    }
                }
            }
        }
        component
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use init_core::name::EnabledName;
    use init_core::parse::parse_service;

    fn def(name: &str, body: &str) -> ServiceDef {
        let enabled = EnabledName::parse(name).expect("a name");
        let text = format!("type once\ntarget boot\nexec x\n{body}");
        parse_service(name, text.as_bytes(), &enabled)
            .service
            .expect("parses")
    }

    fn graph(defs: &[ServiceDef]) -> Graph {
        Graph::new(
            defs.iter()
                .enumerate()
                .map(|(i, d)| (ServiceId(i as u32), d)),
            Target::Boot,
        )
    }

    #[test]
    fn after_and_before_name_every_instance_and_cycles_are_not_firm() {
        // 0 a@x, 1 a@y, 2 b after a, 3 c before b and after b (a cycle).
        let g = graph(&[
            def("a@x", ""),
            def("a@y", ""),
            def("b", "after a\n"),
            def("c", "before b\nafter b\n"),
        ]);
        let b = ServiceId(2);
        let c = ServiceId(3);
        let preds: Vec<ServiceId> = g.preds(b).collect();
        assert_eq!(preds, [ServiceId(0), ServiceId(1), c]);
        let firm: Vec<ServiceId> = g.firm_preds(b).collect();
        assert_eq!(firm, [ServiceId(0), ServiceId(1)]);
        assert!(g.on_cycle(c, b) && g.on_cycle(b, c));
        let everyone = BTreeSet::from([ServiceId(0), ServiceId(1), b, c]);
        assert_eq!(
            g.after_up_to(ServiceId(0), true, &everyone),
            BTreeSet::from([b])
        );
        assert_eq!(g.after_up_to(b, true, &everyone), BTreeSet::new());
        assert_eq!(g.after_up_to(b, false, &everyone), BTreeSet::from([c]));
        let a_and_c = BTreeSet::from([ServiceId(0), c]);
        assert_eq!(g.after_up_to(ServiceId(0), true, &a_and_c), BTreeSet::new());
        assert_eq!(
            g.after_up_to(ServiceId(0), false, &a_and_c),
            BTreeSet::from([c])
        );
        assert_eq!(
            g.before_all(b, true),
            BTreeSet::from([ServiceId(0), ServiceId(1)])
        );
        assert_eq!(g.before_all(c, true), BTreeSet::new());
    }

    #[test]
    fn a_self_reference_is_a_cycle_and_other_targets_are_not_members() {
        let mut other = def("d", "");
        other.target = Target::Shutdown;
        let g = graph(&[def("a", "after a\n"), other]);
        assert!(g.on_cycle(ServiceId(0), ServiceId(0)));
        assert_eq!(g.firm_preds(ServiceId(0)).count(), 0);
        assert!(!g.is_member(ServiceId(1)));
    }
}

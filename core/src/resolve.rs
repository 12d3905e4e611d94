//! Dependency order per target.
//!
//! Owns turning `after`/`before` edges into a start order and a predecessor
//! list per service, in linear time, with a deterministic tie-break, and
//! finding and breaking cycles. It does not decide what runs when; the
//! supervisor does.
//!
//! The algorithm is Kahn's: a service is ready once all its predecessors are
//! placed, and among ready services the one loaded first (lowest index, which
//! the loader makes alphabetical) goes first. The original's resolver was
//! cubic; this one is O(services + edges) plus a log factor for the ready
//! queue. When Kahn's algorithm stalls, what is left holds at least one
//! cycle: one is found (deterministically), reported and broken by dropping
//! its closing edge, and the sort goes on. A configuration with a
//! cycle therefore still boots everything, in a deterministic order.

use std::borrow::Borrow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::service::{ServiceDef, Target};

/// The order of one target.
///
/// All indices are into the slice given to [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetOrder {
    /// The services of the target, in start order (a topological order of
    /// `predecessors`).
    pub order: Vec<usize>,
    /// For every index of the input slice, the services of the same target
    /// that must be satisfied before it starts, after cycle breaking, sorted
    /// and without duplicates. Empty for services of other targets.
    pub predecessors: Vec<Vec<usize>>,
    /// Every cycle found, members in cycle order (each one runs after the
    /// one before it, and the first after the last), starting at the
    /// smallest index of the cycle.
    pub cycles: Vec<Vec<usize>>,
    /// The edges `(before, after)` dropped to break the cycles, one per
    /// cycle: the edge from the cycle's last member to its first.
    pub broken_edges: Vec<(usize, usize)>,
    /// `(service, name)`: `after`/`before` names that match no enabled
    /// service in this target, in service order then file order.
    pub missing: Vec<(usize, String)>,
}

/// Resolves the start order of `target` among `services`.
///
/// `after X` and `X`'s `before` both put every service of the target whose
/// canonical name is `X` first. Names that match nothing in the target are
/// ignored here and listed in [`TargetOrder::missing`].
pub fn resolve(services: &[ServiceDef], target: Target) -> TargetOrder {
    resolve_in(services, target)
}

/// [`resolve`] over borrowed definitions, for a caller that holds its
/// services elsewhere (the supervisor) and would otherwise clone every one
/// of them for each run of a target.
pub fn resolve_refs(services: &[&ServiceDef], target: Target) -> TargetOrder {
    resolve_in(services, target)
}

fn resolve_in<D: Borrow<ServiceDef>>(services: &[D], target: Target) -> TargetOrder {
    let def = |i: usize| services[i].borrow();
    let members: Vec<usize> = (0..services.len())
        .filter(|&i| def(i).target == target)
        .collect();
    // The members' names side by side in one string, for the map to
    // borrow: each lookup compares the name it finds with the one asked
    // for, and in the definitions, strewn over the heap, that comparison
    // missed the cache nearly every time (a quarter of a 100,000-service
    // listing).
    let names: String = members.iter().map(|&i| def(i).base()).collect();
    let by_base = BaseIndex::new(&members, &names, |i| def(i).base().len());

    // Every edge as (predecessor, service), in the order the files give
    // them, so that each predecessor list can be allocated once at its size.
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut missing = Vec::new();
    for &i in &members {
        let service = def(i);
        for name in &service.after {
            match by_base.first(name) {
                Some(first) => edges.extend(by_base.same_base(first).map(|j| (j, i))),
                None => missing.push((i, name.clone())),
            }
        }
        for name in &service.before {
            match by_base.first(name) {
                Some(first) => edges.extend(by_base.same_base(first).map(|j| (i, j))),
                None => missing.push((i, name.clone())),
            }
        }
    }
    let mut counts = vec![0usize; services.len()];
    for &(_, service) in &edges {
        counts[service] += 1;
    }
    let mut predecessors: Vec<Vec<usize>> = counts.into_iter().map(Vec::with_capacity).collect();
    for (predecessor, service) in edges {
        predecessors[service].push(predecessor);
    }
    for preds in &mut predecessors {
        preds.sort_unstable();
        preds.dedup();
    }

    let mut sorter = Sorter::new(services.len(), &members, &predecessors);
    let mut order = Vec::with_capacity(members.len());
    let mut cycles = Vec::new();
    let mut broken_edges = Vec::new();
    loop {
        sorter.drain_ready(&mut order);
        if order.len() == members.len() {
            break;
        }
        // Stalled: every node left waits on another node left, so following
        // predecessors from any of them must come back round. Break the
        // cycle through the lowest stalled index.
        let Some(cycle) = sorter.cycle_through_lowest_stalled(&predecessors) else {
            // Cannot happen for a consistent graph; never loop forever.
            break;
        };
        let first = cycle[0];
        let last = cycle[cycle.len() - 1];
        predecessors[first].retain(|&p| p != last);
        sorter.drop_edge(last, first);
        broken_edges.push((last, first));
        cycles.push(cycle);
    }

    TargetOrder {
        order,
        predecessors,
        cycles,
        broken_edges,
        missing,
    }
}

/// Canonical name -> the services of the target with that name, as the
/// first of them and a chain to the next: several instances of one template
/// (`agetty@tty1`, `agetty@tty2`) share a name, and a list per name would
/// be an allocation per service.
///
/// Only looked up, never iterated, so the hash map's order cannot show.
struct BaseIndex<'a> {
    first: HashMap<&'a str, usize, BuildHasherDefault<NameHasher>>,
    /// For each service index, the next member with the same name.
    next: Vec<Option<usize>>,
}

impl<'a> BaseIndex<'a> {
    /// `names` holds the members' names one after another, in the order of
    /// `members`; `length` gives each one's length.
    fn new(members: &[usize], names: &'a str, length: impl Fn(usize) -> usize) -> BaseIndex<'a> {
        let mut each = Vec::with_capacity(members.len());
        let mut start = 0;
        for &i in members {
            let end = start + length(i);
            each.push(names.get(start..end).unwrap_or_default());
            start = end;
        }
        let mut first = HashMap::with_capacity_and_hasher(members.len(), Default::default());
        let mut next = vec![None; members.last().map_or(0, |&last| last + 1)];
        // Backwards, so that each chain runs in index order.
        for (&i, name) in members.iter().zip(each).rev() {
            next[i] = first.insert(name, i);
        }
        BaseIndex { first, next }
    }

    fn first(&self, name: &str) -> Option<usize> {
        self.first.get(name).copied()
    }

    /// `first` and every later member of the same name.
    fn same_base(&self, first: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(first), |&i| self.next.get(i).copied().flatten())
    }
}

/// A hasher for service names, in the manner of foldhash: one 128-bit
/// multiply per eight bytes, folded so that every bit of the result
/// depends on every bit of the input. SipHash, the default, guards against
/// keys chosen to collide; these are the names of the operator's own
/// files, and at 100,000 services and five edges each the hashing showed
/// in the profile.
#[derive(Default)]
struct NameHasher {
    state: u64,
}

impl NameHasher {
    const SEED: u64 = 0x243f_6a88_85a3_08d3;

    fn mix(&mut self, word: u64) {
        let product =
            u128::from(self.state ^ word ^ Self::SEED) * u128::from(0x9e37_79b9_7f4a_7c15u64);
        self.state = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buffer = [0u8; 8];
            buffer.copy_from_slice(word);
            self.mix(u64::from_le_bytes(buffer));
        }
        let rest = words.remainder();
        let mut buffer = [0u8; 8];
        buffer[..rest.len()].copy_from_slice(rest);
        // The length keeps "a" and "a\0" apart.
        self.mix(u64::from_le_bytes(buffer) ^ ((bytes.len() as u64) << 59));
    }

    fn finish(&self) -> u64 {
        self.state
    }
}

/// Kahn's algorithm, resumable after an edge is dropped.
struct Sorter {
    /// Unplaced predecessors per node.
    pending: Vec<usize>,
    /// Successors per node (the reverse of `predecessors`), sorted.
    successors: Vec<Vec<usize>>,
    placed: Vec<bool>,
    member: Vec<bool>,
    ready: BinaryHeap<Reverse<usize>>,
}

impl Sorter {
    fn new(len: usize, members: &[usize], predecessors: &[Vec<usize>]) -> Sorter {
        let mut pending = vec![0; len];
        let mut counts = vec![0usize; len];
        for &i in members {
            for &p in &predecessors[i] {
                counts[p] += 1;
            }
        }
        let mut successors: Vec<Vec<usize>> = counts.into_iter().map(Vec::with_capacity).collect();
        let mut member = vec![false; len];
        for &i in members {
            member[i] = true;
            pending[i] = predecessors[i].len();
            for &p in &predecessors[i] {
                successors[p].push(i);
            }
        }
        let ready = members
            .iter()
            .filter(|&&i| pending[i] == 0)
            .map(|&i| Reverse(i))
            .collect();
        Sorter {
            pending,
            successors,
            placed: vec![false; len],
            member,
            ready,
        }
    }

    fn drain_ready(&mut self, order: &mut Vec<usize>) {
        while let Some(Reverse(i)) = self.ready.pop() {
            if self.placed[i] {
                continue;
            }
            self.placed[i] = true;
            order.push(i);
            for &s in &self.successors[i] {
                self.pending[s] -= 1;
                if self.pending[s] == 0 {
                    self.ready.push(Reverse(s));
                }
            }
        }
    }

    fn drop_edge(&mut self, before: usize, after: usize) {
        self.successors[before].retain(|&s| s != after);
        self.pending[after] -= 1;
        if self.pending[after] == 0 {
            self.ready.push(Reverse(after));
        }
    }

    /// A cycle among the unplaced nodes, in cycle order, starting at its
    /// lowest member.
    ///
    /// Walking unplaced predecessors from any stalled node must revisit a
    /// node, since every stalled node has an unplaced predecessor; the lowest
    /// stalled node may itself only lead into a cycle, so take the first
    /// node on the walk that repeats, then find the shortest way round from
    /// the lowest member of that cycle.
    fn cycle_through_lowest_stalled(&self, predecessors: &[Vec<usize>]) -> Option<Vec<usize>> {
        let start = (0..self.placed.len()).find(|&i| self.member[i] && !self.placed[i])?;
        let mut seen_at = vec![usize::MAX; self.placed.len()];
        let mut walk = Vec::new();
        let mut node = start;
        while seen_at[node] == usize::MAX {
            seen_at[node] = walk.len();
            walk.push(node);
            node = *predecessors[node]
                .iter()
                .find(|&&p| self.member[p] && !self.placed[p])?;
        }
        let on_cycle = &walk[seen_at[node]..];
        let lowest = *on_cycle.iter().min()?;
        let mut cycle = self.shortest_cycle_from(lowest)?;
        // The shortest way round may pass a lower index; report the cycle
        // from its own lowest member so the text is stable.
        let min_at = (0..cycle.len()).min_by_key(|&k| cycle[k])?;
        cycle.rotate_left(min_at);
        Some(cycle)
    }

    /// Breadth-first over unplaced successors from `start` back to it, so the
    /// reported cycle is a shortest one and its members are each other's
    /// real neighbours.
    fn shortest_cycle_from(&self, start: usize) -> Option<Vec<usize>> {
        let mut parent = vec![usize::MAX; self.placed.len()];
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for &s in &self.successors[node] {
                if self.placed[s] {
                    continue;
                }
                if s == start {
                    let mut cycle = vec![node];
                    let mut at = node;
                    while at != start {
                        at = parent[at];
                        cycle.push(at);
                    }
                    cycle.reverse();
                    return Some(cycle);
                }
                if parent[s] == usize::MAX {
                    parent[s] = node;
                    queue.push_back(s);
                }
            }
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::service::ServiceType;

    pub(crate) fn svc(name: &str, target: Target, after: &[&str], before: &[&str]) -> ServiceDef {
        ServiceDef {
            name: name.to_string(),
            description: String::new(),
            kind: ServiceType::Wait,
            respawn_limit: None,
            target,
            tty: None,
            after: after.iter().map(|s| s.to_string()).collect(),
            before: before.iter().map(|s| s.to_string()).collect(),
            exec: [["true"]].into_iter().collect(),
            settings: Default::default(),
        }
    }

    fn names(services: &[ServiceDef], idx: &[usize]) -> Vec<String> {
        idx.iter().map(|&i| services[i].name.clone()).collect()
    }

    #[test]
    fn after_and_before_both_order() {
        let s = vec![
            svc("c", Target::Boot, &["b"], &[]),
            svc("b", Target::Boot, &[], &[]),
            svc("a", Target::Boot, &[], &["b"]),
        ];
        let r = resolve(&s, Target::Boot);
        assert_eq!(names(&s, &r.order), ["a", "b", "c"]);
        assert_eq!(r.predecessors[0], vec![1]);
        assert_eq!(r.predecessors[1], vec![2]);
        assert!(r.cycles.is_empty());
    }

    #[test]
    fn ties_go_to_load_order() {
        let s = vec![
            svc("x", Target::Boot, &[], &[]),
            svc("y", Target::Boot, &[], &[]),
            svc("z", Target::Boot, &["x"], &[]),
        ];
        assert_eq!(names(&s, &resolve(&s, Target::Boot).order), ["x", "y", "z"]);
    }

    #[test]
    fn only_the_target_counts_and_missing_names_are_listed() {
        let s = vec![
            svc(
                "sync@shutdown",
                Target::Shutdown,
                &["sigterm"],
                &["shutdown"],
            ),
            svc("sigterm@shutdown", Target::Shutdown, &[], &["sync"]),
            svc("sigterm@reboot", Target::Reboot, &[], &["sync"]),
            svc("web", Target::Boot, &[], &[]),
        ];
        let r = resolve(&s, Target::Shutdown);
        assert_eq!(names(&s, &r.order), ["sigterm@shutdown", "sync@shutdown"]);
        assert_eq!(r.predecessors[0], vec![1]);
        assert_eq!(r.missing, vec![(0, "shutdown".to_string())]);
        let r = resolve(&s, Target::Reboot);
        assert_eq!(names(&s, &r.order), ["sigterm@reboot"]);
        assert_eq!(r.missing, vec![(2, "sync".to_string())]);
    }

    #[test]
    fn instances_share_their_canonical_name() {
        let s = vec![
            svc("agetty@tty1", Target::Boot, &["network"], &[]),
            svc("agetty@tty2", Target::Boot, &["network"], &[]),
            svc("network", Target::Boot, &[], &[]),
            svc("login", Target::Boot, &["agetty"], &[]),
        ];
        let r = resolve(&s, Target::Boot);
        assert_eq!(
            names(&s, &r.order),
            ["network", "agetty@tty1", "agetty@tty2", "login"]
        );
        assert_eq!(r.predecessors[3], vec![0, 1]);
    }

    #[test]
    fn a_cycle_is_reported_in_order_and_broken() {
        // a after c, b after a, c after b: a -> b -> c -> a; d hangs off it.
        let s = vec![
            svc("d", Target::Boot, &["c"], &[]),
            svc("a", Target::Boot, &["c"], &[]),
            svc("b", Target::Boot, &["a"], &[]),
            svc("c", Target::Boot, &["b"], &[]),
        ];
        let r = resolve(&s, Target::Boot);
        assert_eq!(r.cycles, vec![vec![1, 2, 3]]);
        assert_eq!(r.broken_edges, vec![(3, 1)]);
        assert_eq!(names(&s, &r.order), ["a", "b", "c", "d"]);
        assert!(r.predecessors[1].is_empty());
    }

    #[test]
    fn a_self_reference_is_a_cycle_of_one() {
        let s = vec![svc("a", Target::Boot, &["a"], &[])];
        let r = resolve(&s, Target::Boot);
        assert_eq!(r.cycles, vec![vec![0]]);
        assert_eq!(r.order, vec![0]);
    }

    #[test]
    fn two_independent_cycles_are_both_found() {
        let s = vec![
            svc("a", Target::Boot, &["b"], &[]),
            svc("b", Target::Boot, &["a"], &[]),
            svc("c", Target::Boot, &["d"], &[]),
            svc("d", Target::Boot, &["c"], &[]),
        ];
        let r = resolve(&s, Target::Boot);
        assert_eq!(r.cycles, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(r.order.len(), 4);
    }

    #[test]
    fn a_long_chain_resolves() {
        let n = 10_000;
        let s: Vec<ServiceDef> = (0..n)
            .map(|i| {
                let after = if i == 0 {
                    vec![]
                } else {
                    vec![format!("s{}", i - 1)]
                };
                let mut d = svc(&format!("s{i}"), Target::Boot, &[], &[]);
                d.after = after.into();
                d
            })
            .collect();
        let r = resolve(&s, Target::Boot);
        assert_eq!(r.order, (0..n).collect::<Vec<_>>());
    }
}

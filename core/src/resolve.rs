//! Dependency order per target.
//!
//! Owns turning `after`/`before` edges into a start order and a predecessor
//! list per service, in linear time, with a deterministic tie-break, and
//! finding cycles. It does not decide what runs when; the supervisor does.
//!
//! STUB: the real resolver is being written; this only keeps the API stable.

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
    /// that must be satisfied before it starts, after cycle breaking.
    /// Empty for services of other targets.
    pub predecessors: Vec<Vec<usize>>,
    /// Every cycle found, members in cycle order (each one runs after the
    /// one before it), starting at the smallest index.
    pub cycles: Vec<Vec<usize>>,
    /// The edges `(before, after)` dropped to break the cycles.
    pub broken_edges: Vec<(usize, usize)>,
    /// `(service, name)`: `after`/`before` names that match no enabled
    /// service in this target.
    pub missing: Vec<(usize, String)>,
}

/// Resolves the start order of `target` among `services`.
pub fn resolve(services: &[ServiceDef], target: Target) -> TargetOrder {
    let order: Vec<usize> = (0..services.len())
        .filter(|&i| services[i].target == target)
        .collect();
    TargetOrder {
        order,
        predecessors: vec![Vec::new(); services.len()],
        ..TargetOrder::default()
    }
}

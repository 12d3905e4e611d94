//! Which steps of a target run are ready to start: a count of unsatisfied
//! predecessors per step and the steps whose count reached zero.
//!
//! Owns only counting. It does not know service states and decides nothing;
//! `run.rs` pops ready steps and `Supervisor::set_satisfied` reports every
//! change of a service's `satisfied` flag here, so that a boot costs
//! O((services + edges) log n) instead of a full scan per event.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::run::Step;
use crate::events::ServiceId;

/// The derived bookkeeping of one run's steps. Rebuilt from scratch
/// whenever the steps change (a new run, a reload); kept up to date by
/// [`Readiness::satisfied_changed`] in between.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Readiness {
    /// Each step's position in the run, by service.
    position_of: BTreeMap<ServiceId, usize>,
    /// `(predecessor, position)` for every edge of the run, sorted, so that
    /// the steps waiting for one service are one contiguous range. Flat
    /// rather than a map of lists: a run of thousands of services builds it
    /// with one sort instead of an allocation per service.
    successors: Vec<(ServiceId, usize)>,
    /// Per position: how many of its predecessors are not yet satisfied.
    unsatisfied_predecessors: Vec<usize>,
    /// Steps whose service is not satisfied; the run is complete at zero.
    unsatisfied_steps: usize,
    /// Positions whose count is zero and that `run.rs` has not looked at
    /// since. Ordered, so that popping the lowest position first starts
    /// services in exactly the order of one pass over the steps: every
    /// predecessor comes earlier, so a cascade only adds higher positions.
    ready: BTreeSet<usize>,
}

impl Readiness {
    /// Counts for `steps` given which services are satisfied now (a service
    /// that no longer exists counts as satisfied).
    pub fn new(steps: &[Step], is_satisfied: impl Fn(ServiceId) -> bool) -> Readiness {
        let mut readiness = Readiness::default();
        for (position, step) in steps.iter().enumerate() {
            readiness.position_of.insert(step.id, position);
            if !is_satisfied(step.id) {
                readiness.unsatisfied_steps += 1;
            }
            let mut unsatisfied = 0;
            for &predecessor in &step.after {
                readiness.successors.push((predecessor, position));
                if !is_satisfied(predecessor) {
                    unsatisfied += 1;
                }
            }
            readiness.unsatisfied_predecessors.push(unsatisfied);
            if unsatisfied == 0 {
                readiness.ready.insert(position);
            }
        }
        readiness.successors.sort_unstable();
        readiness
    }

    /// `id`'s `satisfied` flag changed to `satisfied` (a service that is
    /// dropped becomes satisfied for good).
    pub fn satisfied_changed(&mut self, id: ServiceId, satisfied: bool) {
        if self.position_of.contains_key(&id) {
            if satisfied {
                self.unsatisfied_steps = self.unsatisfied_steps.saturating_sub(1);
            } else {
                self.unsatisfied_steps += 1;
            }
        }
        let start = self.successors.partition_point(|&(p, _)| p < id);
        let end = self.successors.partition_point(|&(p, _)| p <= id);
        for &(_, position) in self.successors.get(start..end).unwrap_or_default() {
            let Some(count) = self.unsatisfied_predecessors.get_mut(position) else {
                continue;
            };
            if satisfied {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.ready.insert(position);
                }
            } else {
                // A position still in `ready` is skipped when popped.
                *count += 1;
            }
        }
    }

    /// Takes the lowest position whose predecessors are all satisfied.
    pub fn pop_ready(&mut self) -> Option<usize> {
        while let Some(position) = self.ready.pop_first() {
            if self.unsatisfied_predecessors.get(position) == Some(&0) {
                return Some(position);
            }
        }
        None
    }

    /// Offers `position` again at the next pop, if it is still ready.
    pub fn retry(&mut self, position: usize) {
        if self.unsatisfied_predecessors.get(position) == Some(&0) {
            self.ready.insert(position);
        }
    }

    /// Every step's service is satisfied.
    pub fn all_satisfied(&self) -> bool {
        self.unsatisfied_steps == 0
    }
}

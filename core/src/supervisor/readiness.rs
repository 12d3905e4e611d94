//! Which steps of a target run are ready to start: a count of unsatisfied
//! predecessors per step and the steps whose count reached zero.
//!
//! Owns only counting. It does not know service states and decides nothing;
//! `run.rs` pops ready steps, and `Supervisor::set_satisfied` (and
//! `drop_entry`, as a service that is gone blocks nothing) report every
//! change here, so that a boot costs O((services + edges) log n) instead of
//! a full scan per event.

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
    position_of: Positions,
    /// `(predecessor, position)` for every edge of the run, sorted, so that
    /// the steps waiting for one service are one contiguous range. Flat
    /// rather than a map of lists: a run of thousands of services builds it
    /// with one sort instead of an allocation per service.
    successors: Vec<(ServiceId, usize)>,
    /// Per position: how many of its predecessors are not yet satisfied.
    unsatisfied_predecessors: Vec<u32>,
    /// Steps whose service is not satisfied; the run is complete at zero.
    unsatisfied_steps: usize,
    /// Positions whose count is zero and that `run.rs` has not looked at
    /// since. Ordered, so that popping the lowest position first starts
    /// services in exactly the order of one pass over the steps: every
    /// predecessor comes earlier, so a cascade only adds higher positions.
    ready: BTreeSet<usize>,
    /// Sequential mode only: the positions whose service is not satisfied.
    /// A step may start only when it is the lowest of them, that is when
    /// every step before it is satisfied. Edges play no part then: the
    /// original ran one service at a time in resolved order, and a service
    /// satisfied out of turn (an admin stop or start, a reload) must not
    /// let the one after it overtake those still running before it.
    sequence: Option<BTreeSet<usize>>,
}

impl Readiness {
    /// Counts for `steps` given which services are satisfied now (a service
    /// that no longer exists counts as satisfied). `sequential` orders the
    /// steps one after another, whatever their edges.
    pub fn new(
        steps: &[Step],
        sequential: bool,
        is_satisfied: impl Fn(ServiceId) -> bool,
    ) -> Readiness {
        let mut readiness = Readiness::default();
        if sequential {
            let unsatisfied: BTreeSet<usize> = (0..steps.len())
                .filter(|&p| steps.get(p).is_some_and(|s| !is_satisfied(s.id)))
                .collect();
            readiness.unsatisfied_steps = unsatisfied.len();
            readiness.ready.extend(unsatisfied.first().copied());
            readiness.position_of = Positions::of(steps);
            readiness.sequence = Some(unsatisfied);
            return readiness;
        }
        readiness.position_of = Positions::of(steps);
        for (position, step) in steps.iter().enumerate() {
            if !is_satisfied(step.id) {
                readiness.unsatisfied_steps += 1;
            }
            let mut unsatisfied: u32 = 0;
            for &predecessor in step.after.iter() {
                readiness.successors.push((predecessor, position));
                if !is_satisfied(predecessor) {
                    unsatisfied = unsatisfied.saturating_add(1);
                }
            }
            readiness.unsatisfied_predecessors.push(unsatisfied);
            if unsatisfied == 0 {
                readiness.ready.insert(position);
            }
        }
        readiness.successors.sort_unstable();
        readiness.successors.shrink_to_fit();
        readiness.unsatisfied_predecessors.shrink_to_fit();
        readiness
    }

    /// `id`'s `satisfied` flag changed to `satisfied` (a service that is
    /// dropped becomes satisfied for good).
    pub fn satisfied_changed(&mut self, id: ServiceId, satisfied: bool) {
        if let Some(sequence) = &mut self.sequence {
            let Some(position) = self.position_of.get(id) else {
                return;
            };
            let changed = if satisfied {
                sequence.remove(&position)
            } else {
                sequence.insert(position)
            };
            if changed {
                if satisfied {
                    self.unsatisfied_steps = self.unsatisfied_steps.saturating_sub(1);
                } else {
                    self.unsatisfied_steps += 1;
                }
            }
            self.ready.extend(sequence.first().copied());
            return;
        }
        if self.position_of.get(id).is_some() {
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
                *count = count.saturating_add(1);
            }
        }
    }

    /// Whether every step `position` waits for is satisfied.
    fn is_ready(&self, position: usize) -> bool {
        match &self.sequence {
            Some(sequence) => sequence.first().map_or(true, |&first| first >= position),
            None => self.unsatisfied_predecessors.get(position) == Some(&0),
        }
    }

    /// Takes the lowest position whose predecessors are all satisfied.
    pub fn pop_ready(&mut self) -> Option<usize> {
        while let Some(position) = self.ready.pop_first() {
            if self.is_ready(position) {
                return Some(position);
            }
        }
        None
    }

    /// Offers `position` again at the next pop, if it is still ready.
    pub fn retry(&mut self, position: usize) {
        if self.is_ready(position) {
            self.ready.insert(position);
        }
    }

    /// Every step's service is satisfied.
    pub fn all_satisfied(&self) -> bool {
        self.unsatisfied_steps == 0
    }
}

/// Positions by service id, sorted by id and found by binary search. A
/// B-tree of them cost some 25 bytes a service in half-full nodes; this
/// costs 8. Serialised as the map by id it replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Positions {
    by_id: Vec<(ServiceId, u32)>,
}

impl Positions {
    fn get(&self, id: ServiceId) -> Option<usize> {
        let at = self.by_id.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        self.by_id.get(at).map(|&(_, position)| position as usize)
    }

    /// The positions of `steps`, made with one sort. A run longer than
    /// four billion steps is no configuration; a position past that is
    /// not kept rather than wrapped.
    fn of(steps: &[Step]) -> Positions {
        Positions::from_pairs(
            steps
                .iter()
                .enumerate()
                .map(|(position, step)| (step.id, position)),
        )
    }

    fn from_pairs(pairs: impl Iterator<Item = (ServiceId, usize)>) -> Positions {
        let mut by_id: Vec<(ServiceId, u32)> = pairs
            .filter_map(|(id, position)| Some((id, u32::try_from(position).ok()?)))
            .collect();
        // A service twice in one run keeps its last position, as a map
        // filled in order did: the stable sort keeps the reversed order
        // among equal ids, and dedup keeps the first of each.
        by_id.reverse();
        by_id.sort_by_key(|&(id, _)| id);
        by_id.dedup_by_key(|&mut (id, _)| id);
        by_id.shrink_to_fit();
        Positions { by_id }
    }
}

impl Serialize for Positions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.by_id
                .iter()
                .map(|&(id, position)| (id, position as usize)),
        )
    }
}

impl<'de> Deserialize<'de> for Positions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Positions, D::Error> {
        let by_id = BTreeMap::<ServiceId, usize>::deserialize(deserializer)?;
        Ok(Positions::from_pairs(by_id.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A run described by position: which earlier positions each step waits
    /// for, and whether it is a milestone (satisfied as soon as it starts).
    /// Ids are positions reversed, so that a mix-up of the two shows.
    #[derive(Debug, Clone)]
    struct Plan {
        after: Vec<Vec<usize>>,
        milestone: Vec<bool>,
        satisfied_at_start: Vec<bool>,
    }

    fn id_of(plan: &Plan, position: usize) -> ServiceId {
        ServiceId((plan.after.len() - position) as u32 * 7)
    }

    fn plan_strategy() -> impl Strategy<Value = Plan> {
        (1usize..30).prop_flat_map(|len| {
            let after = (0..len)
                .map(|position| proptest::collection::vec(0..position.max(1), 0..4))
                .collect::<Vec<_>>();
            (
                after,
                proptest::collection::vec(proptest::bool::weighted(0.3), len),
                proptest::collection::vec(proptest::bool::weighted(0.1), len),
            )
                .prop_map(move |(after, milestone, satisfied_at_start)| Plan {
                    after: after
                        .into_iter()
                        .enumerate()
                        .map(|(position, preds)| {
                            preds.into_iter().filter(|&p| p < position).collect()
                        })
                        .collect(),
                    milestone,
                    satisfied_at_start,
                })
        })
    }

    #[test]
    fn positions_are_saved_as_a_map_by_id() {
        let steps = [
            Step {
                id: ServiceId(4),
                after: Box::default(),
            },
            Step {
                id: ServiceId(1),
                after: [ServiceId(4)].into(),
            },
        ];
        let readiness = Readiness::new(&steps, false, |_| false);
        assert_eq!(readiness.position_of.get(ServiceId(4)), Some(0));
        assert_eq!(readiness.position_of.get(ServiceId(1)), Some(1));
        assert_eq!(readiness.position_of.get(ServiceId(2)), None);
        assert_eq!(readiness.position_of.get(ServiceId(9)), None);
        let saved = serde_json::to_value(&readiness).unwrap_or_default();
        assert_eq!(saved["position_of"], serde_json::json!({ "1": 1, "4": 0 }));
        let read: Readiness = serde_json::from_value(saved).unwrap_or_default();
        assert_eq!(read, readiness);
    }

    /// The reference: one pass over every step in order, as the supervisor
    /// once did on every event.
    fn full_pass(plan: &Plan, satisfied: &mut [bool], waiting: &mut [bool]) -> Vec<usize> {
        let mut started = Vec::new();
        for position in 0..plan.after.len() {
            let ready = plan.after[position].iter().all(|&p| satisfied[p]);
            if waiting[position] && ready {
                waiting[position] = false;
                started.push(position);
                if plan.milestone[position] {
                    satisfied[position] = true;
                }
            }
        }
        started
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Popping ready steps lowest first, and satisfying milestones as
        /// they start, starts exactly what a full pass would, in the same
        /// order, whatever order the other steps are satisfied in later.
        #[test]
        fn ready_steps_come_out_in_the_order_of_a_full_pass(
            plan in plan_strategy(),
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        ) {
            let len = plan.after.len();
            let steps: Vec<Step> = (0..len)
                .map(|position| Step {
                    id: id_of(&plan, position),
                    after: plan.after[position].iter().map(|&p| id_of(&plan, p)).collect(),
                })
                .collect();
            let mut satisfied = plan.satisfied_at_start.clone();
            let mut waiting = vec![true; len];
            let mut readiness = Readiness::new(&steps, false, |id| {
                (0..len).any(|p| id_of(&plan, p) == id && satisfied[p])
            });
            let mut picks = picks.into_iter();
            loop {
                let mut model_satisfied = satisfied.clone();
                let mut model_waiting = waiting.clone();
                let expected = full_pass(&plan, &mut model_satisfied, &mut model_waiting);

                let mut started = Vec::new();
                while let Some(position) = readiness.pop_ready() {
                    if !waiting[position] {
                        continue;
                    }
                    waiting[position] = false;
                    started.push(position);
                    if plan.milestone[position] && !satisfied[position] {
                        satisfied[position] = true;
                        readiness.satisfied_changed(id_of(&plan, position), true);
                    }
                }
                prop_assert_eq!(&started, &expected);
                prop_assert_eq!(&satisfied, &model_satisfied);
                prop_assert_eq!(readiness.all_satisfied(), satisfied.iter().all(|&s| s));

                // Something outside satisfies one started step (an exit, a
                // spawn answer): the next event.
                let unsatisfied: Vec<usize> =
                    (0..len).filter(|&p| !waiting[p] && !satisfied[p]).collect();
                let Some(pick) = picks.next() else { break };
                if unsatisfied.is_empty() {
                    break;
                }
                let position = unsatisfied[pick.index(unsatisfied.len())];
                satisfied[position] = true;
                readiness.satisfied_changed(id_of(&plan, position), true);
            }
        }
    }
}

//! Which slots of a target run may start: a count of unsatisfied
//! predecessors per slot and the slots whose count reached zero.
//! ("Ready" is kept for a service's own notice, `ready.rs`; here a slot
//! is startable.)
//!
//! Owns only counting. It does not know service states and decides nothing;
//! `run.rs` pops startable slots, and `Supervisor::set_satisfied` (and
//! `drop_entry`, as a service that is gone blocks nothing) report every
//! change here, so that a boot costs O((services + edges) log n) instead of
//! a full scan per event.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::run::RunSlot;
use crate::events::ServiceId;

/// The derived bookkeeping of one run's slots. Rebuilt from scratch
/// whenever the slots change (a new run, a reload); kept up to date by
/// [`PredecessorCounts::satisfied_changed`] in between.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PredecessorCounts {
    /// Each slot's position in the run, by service.
    position_of: Positions,
    /// `(predecessor, position)` for every edge of the run, sorted, so that
    /// the slots waiting for one service are one contiguous range. Flat
    /// rather than a map of lists: a run of thousands of services builds it
    /// with one sort instead of an allocation per service.
    successors: Vec<(ServiceId, usize)>,
    /// Per position: how many of its predecessors are not yet satisfied.
    unsatisfied_predecessors: Vec<u32>,
    /// Slots whose service is not satisfied; the run is complete at zero.
    #[serde(rename = "unsatisfied_steps")]
    unsatisfied_slots: usize,
    /// Positions whose count is zero and that `run.rs` has not looked at
    /// since. Ordered, so that popping the lowest position first starts
    /// services in exactly the order of one pass over the slots: every
    /// predecessor comes earlier, so a cascade only adds higher positions.
    /// Saved under its name before, as are `unsatisfied_slots` and the
    /// run's fields.
    #[serde(rename = "ready")]
    startable: BTreeSet<usize>,
    /// Sequential mode only: the positions whose service is not satisfied.
    /// A slot may start only when it is the lowest of them, that is when
    /// every slot before it is satisfied. Edges play no part then: the
    /// original ran one service at a time in resolved order, and a service
    /// satisfied out of turn (an admin stop or start, a reload) must not
    /// let the one after it overtake those still running before it.
    sequence: Option<BTreeSet<usize>>,
}

impl PredecessorCounts {
    /// Counts for `slots` given which services are satisfied now (a service
    /// that no longer exists counts as satisfied). `sequential` orders the
    /// slots one after another, whatever their edges.
    pub fn new(
        slots: &[RunSlot],
        sequential: bool,
        is_satisfied: impl Fn(ServiceId) -> bool,
    ) -> PredecessorCounts {
        let mut counts = PredecessorCounts::default();
        if sequential {
            let unsatisfied: BTreeSet<usize> = (0..slots.len())
                .filter(|&p| slots.get(p).is_some_and(|s| !is_satisfied(s.id)))
                .collect();
            counts.unsatisfied_slots = unsatisfied.len();
            counts.startable.extend(unsatisfied.first().copied());
            counts.position_of = Positions::of(slots);
            counts.sequence = Some(unsatisfied);
            return counts;
        }
        counts.position_of = Positions::of(slots);
        for (position, slot) in slots.iter().enumerate() {
            if !is_satisfied(slot.id) {
                counts.unsatisfied_slots += 1;
            }
            let mut unsatisfied: u32 = 0;
            for &predecessor in slot.after.iter() {
                counts.successors.push((predecessor, position));
                if !is_satisfied(predecessor) {
                    unsatisfied = unsatisfied.saturating_add(1);
                }
            }
            counts.unsatisfied_predecessors.push(unsatisfied);
            if unsatisfied == 0 {
                counts.startable.insert(position);
            }
        }
        counts.successors.sort_unstable();
        counts.successors.shrink_to_fit();
        counts.unsatisfied_predecessors.shrink_to_fit();
        counts
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
                    self.unsatisfied_slots = self.unsatisfied_slots.saturating_sub(1);
                } else {
                    self.unsatisfied_slots += 1;
                }
            }
            self.startable.extend(sequence.first().copied());
            return;
        }
        if self.position_of.get(id).is_some() {
            if satisfied {
                self.unsatisfied_slots = self.unsatisfied_slots.saturating_sub(1);
            } else {
                self.unsatisfied_slots += 1;
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
                    self.startable.insert(position);
                }
            } else {
                // A position still in `startable` is skipped when popped.
                *count = count.saturating_add(1);
            }
        }
    }

    /// Whether every slot `position` waits for is satisfied.
    fn is_startable(&self, position: usize) -> bool {
        match &self.sequence {
            Some(sequence) => sequence.first().map_or(true, |&first| first >= position),
            None => self.unsatisfied_predecessors.get(position) == Some(&0),
        }
    }

    /// Takes the lowest position whose predecessors are all satisfied.
    pub fn pop_startable(&mut self) -> Option<usize> {
        while let Some(position) = self.startable.pop_first() {
            if self.is_startable(position) {
                return Some(position);
            }
        }
        None
    }

    /// Offers `position` again at the next pop, if it may still start.
    pub fn retry(&mut self, position: usize) {
        if self.is_startable(position) {
            self.startable.insert(position);
        }
    }

    /// Every slot's service is satisfied.
    pub fn all_satisfied(&self) -> bool {
        self.unsatisfied_slots == 0
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

    /// The positions of `slots`, made with one sort. A run longer than
    /// four billion slots is no configuration; a position past that is
    /// not kept rather than wrapped.
    fn of(slots: &[RunSlot]) -> Positions {
        Positions::from_pairs(
            slots
                .iter()
                .enumerate()
                .map(|(position, slot)| (slot.id, position)),
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

    /// A run described by position: which earlier positions each slot waits
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
        let slots = [
            RunSlot {
                id: ServiceId(4),
                after: Box::default(),
            },
            RunSlot {
                id: ServiceId(1),
                after: [ServiceId(4)].into(),
            },
        ];
        let counts = PredecessorCounts::new(&slots, false, |_| false);
        assert_eq!(counts.position_of.get(ServiceId(4)), Some(0));
        assert_eq!(counts.position_of.get(ServiceId(1)), Some(1));
        assert_eq!(counts.position_of.get(ServiceId(2)), None);
        assert_eq!(counts.position_of.get(ServiceId(9)), None);
        let saved = serde_json::to_value(&counts).unwrap_or_default();
        assert_eq!(saved["position_of"], serde_json::json!({ "1": 1, "4": 0 }));
        let read: PredecessorCounts = serde_json::from_value(saved).unwrap_or_default();
        assert_eq!(read, counts);
    }

    /// The reference: one pass over every slot in order, as the supervisor
    /// once did on every event.
    fn full_pass(plan: &Plan, satisfied: &mut [bool], waiting: &mut [bool]) -> Vec<usize> {
        let mut started = Vec::new();
        for position in 0..plan.after.len() {
            let startable = plan.after[position].iter().all(|&p| satisfied[p]);
            if waiting[position] && startable {
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

        /// Popping startable slots lowest first, and satisfying milestones as
        /// they start, starts exactly what a full pass would, in the same
        /// order, whatever order the other slots are satisfied in later.
        #[test]
        fn startable_slots_come_out_in_the_order_of_a_full_pass(
            plan in plan_strategy(),
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        ) {
            let len = plan.after.len();
            let slots: Vec<RunSlot> = (0..len)
                .map(|position| RunSlot {
                    id: id_of(&plan, position),
                    after: plan.after[position].iter().map(|&p| id_of(&plan, p)).collect(),
                })
                .collect();
            let mut satisfied = plan.satisfied_at_start.clone();
            let mut waiting = vec![true; len];
            let mut counts = PredecessorCounts::new(&slots, false, |id| {
                (0..len).any(|p| id_of(&plan, p) == id && satisfied[p])
            });
            let mut picks = picks.into_iter();
            loop {
                let mut model_satisfied = satisfied.clone();
                let mut model_waiting = waiting.clone();
                let expected = full_pass(&plan, &mut model_satisfied, &mut model_waiting);

                let mut started = Vec::new();
                while let Some(position) = counts.pop_startable() {
                    if !waiting[position] {
                        continue;
                    }
                    waiting[position] = false;
                    started.push(position);
                    if plan.milestone[position] && !satisfied[position] {
                        satisfied[position] = true;
                        counts.satisfied_changed(id_of(&plan, position), true);
                    }
                }
                prop_assert_eq!(&started, &expected);
                prop_assert_eq!(&satisfied, &model_satisfied);
                prop_assert_eq!(counts.all_satisfied(), satisfied.iter().all(|&s| s));

                // Something outside satisfies one started slot (an exit, a
                // spawn answer): the next event.
                let unsatisfied: Vec<usize> =
                    (0..len).filter(|&p| !waiting[p] && !satisfied[p]).collect();
                let Some(pick) = picks.next() else { break };
                if unsatisfied.is_empty() {
                    break;
                }
                let position = unsatisfied[pick.index(unsatisfied.len())];
                satisfied[position] = true;
                counts.satisfied_changed(id_of(&plan, position), true);
            }
        }
    }
}

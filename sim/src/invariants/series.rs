//! Respawns as the checker sees them: each respawn service's series of
//! runs, its backoff, and when its next respawn is due.
//!
//! Owns invariants 2 (the respawn limit, and no spawn that was not owed)
//! and 11 (the backoff). The model is the documentation's
//! (docs/services.md, Restarts), written out again: the delay starts at
//! the base, doubles after every short run up to the cap, and drops to the
//! base after a run that lasted the window (or, without one, the cap); a
//! run of a target, an admin start or a restart begins a new series. A
//! start of a live process changes nothing, nor does a start or restart
//! of a service waiting for its turn (its run's queueing began its
//! series). Where an admin request leaves the count unknowable from
//! outside, the model forgets the series until the next one begins.

use std::collections::{BTreeMap, BTreeSet};

use init_core::events::{Event, Millis, ServiceId};
use init_core::service::{ServiceDef, ServiceType};

use super::{Found, Invariant, World};

#[derive(Debug, Clone, Default)]
pub(super) struct Respawns {
    series: BTreeMap<ServiceId, Series>,
    /// The respawn owed to each service since its last exit (apart, so
    /// that a step looks only at the services that owe one).
    dues: BTreeMap<ServiceId, Due>,
    /// Services an admin acted on since their last spawn.
    admin_since: BTreeSet<ServiceId>,
    /// Respawn services given up at their limit in this step.
    pub gave_up_now: Vec<ServiceId>,
}

impl Respawns {
    /// Whether `id` surely respawns after the exit just seen (its limit
    /// allows it, and nothing but the respawn rule decides).
    pub fn surely_respawns(&self, id: ServiceId) -> bool {
        self.dues
            .get(&id)
            .is_some_and(|due| due.allowed == Some(true))
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Series {
    /// Runs in a row (`None`: unknown since an admin request).
    runs: Option<u32>,
    /// Doublings of the base delay the next respawn waits.
    step: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Due {
    /// When, if the backoff is known.
    at: Option<Millis>,
    /// Whether the limit allows it (`None`: unknown).
    allowed: Option<bool>,
}

impl Respawns {
    /// The way down: nothing respawns any more.
    pub fn on_down(&mut self) {
        self.dues.clear();
    }

    /// A service a reload removed is dropped rather than respawned.
    pub fn on_reload(&mut self, w: &World) {
        self.dues.retain(|id, _| w.is_configured(*id));
    }

    pub fn on_input(&mut self, w: &World, event: &Event, found: &mut Found) {
        match event {
            // A start of a live process that is not being stopped does
            // nothing in the core: its series goes on.
            Event::Start(id) if w.live.contains_key(id) && !w.stopping.contains(id) => {}
            Event::Start(id) | Event::Stop(id) | Event::Restart(id) => {
                self.admin_since.insert(*id);
                self.dues.remove(id);
            }
            Event::Exited { pid, .. } => {
                if let Some(&id) = w.owner.get(pid) {
                    if w.live.get(&id) == Some(pid) {
                        self.process_ended(w, id, true, found);
                    }
                }
            }
            Event::SpawnFailed { service, .. } => self.process_ended(w, *service, false, found),
            _ => {}
        }
    }

    /// The process of `id` exited (`ran`) or its spawn failed: if nothing
    /// but the respawn rule decides what follows, a respawn is owed.
    fn process_ended(&mut self, w: &World, id: ServiceId, ran: bool, _found: &mut Found) {
        let Some(def) = w.spawn_def.get(&id) else {
            return;
        };
        self.dues.remove(&id);
        let series = self.series.entry(id).or_default();
        // A reload that made it another type or moved it to another
        // target while it ran: its end is the old definition's end.
        let still_respawn = w
            .def(id)
            .is_some_and(|now| now.kind == ServiceType::Respawn && now.target == def.target);
        let up_to_the_rule = def.kind == ServiceType::Respawn
            && still_respawn
            && !self.admin_since.contains(&id)
            && !w.stopping.contains(&id)
            && w.down.is_none()
            && !w.kill_all
            && w.is_configured(id);
        if !up_to_the_rule {
            return;
        }
        let (base_ms, cap_ms) = delays_ms(w, def);
        if ran {
            let ran_ms = w.spawned_at.get(&id).map_or(0, |&at| w.now.ms_since(at));
            match def.settings.respawn_window_ms {
                Some(window_ms) if ran_ms >= window_ms => {
                    series.step = Some(0);
                    series.runs = series.runs.map(|r| r.min(1));
                }
                Some(_) => {}
                None if ran_ms >= cap_ms => series.step = Some(0),
                None => {}
            }
        }
        let allowed = match def.respawn_limit {
            None => Some(true),
            Some(limit) => series.runs.map(|runs| runs < limit),
        };
        if allowed == Some(false) {
            self.gave_up_now.push(id);
        }
        let at = series.step.map(|step| {
            let mut delay_ms = base_ms;
            for _ in 0..step {
                if delay_ms >= cap_ms {
                    break;
                }
                delay_ms = delay_ms.saturating_mul(2);
            }
            let delay_ms = delay_ms.min(cap_ms);
            if delay_ms < cap_ms {
                series.step = Some(step + 1);
            }
            let last = w.last_spawn_at.get(&id).copied().unwrap_or(w.now);
            last.saturating_add(delay_ms).max(w.now)
        });
        self.dues.insert(id, Due { at, allowed });
    }

    /// The run count of `id`'s series, if known.
    pub fn runs(&self, id: ServiceId) -> Option<u32> {
        self.series.get(&id).and_then(|s| s.runs)
    }

    /// A spawn of `id`: a new series, a respawn (at its time?), or a spawn
    /// nobody owed. `first_in_run`: its first in the run of its target,
    /// which begins a series; `by_admin`: a restart's, at the exit, which
    /// begins one too.
    pub fn on_spawn(
        &mut self,
        w: &World,
        id: ServiceId,
        first_in_run: bool,
        by_admin: bool,
        found: &mut Found,
    ) {
        let name = w.name(id);
        let admin = self.admin_since.remove(&id);
        let during_admin = by_admin
            || w.is_handling(|e| matches!(e, Event::Start(x) | Event::Restart(x) if *x == id));
        let due = self.dues.remove(&id);
        let series = self.series.entry(id).or_default();
        if during_admin {
            // An admin start: a new series, the count and the backoff
            // afresh.
            series.runs = Some(1);
            series.step = Some(0);
            return;
        }
        if admin && first_in_run {
            // The admin's start or restart found it waiting for its turn,
            // which changes nothing: its target's run queued it, a new
            // series.
            series.runs = Some(1);
            series.step = Some(0);
            return;
        }
        if admin {
            series.runs = None;
            series.step = None;
            return;
        }
        let owed = due.filter(|d| d.allowed != Some(false));
        let Some(due) = owed else {
            if first_in_run {
                // Its target's run queued it: a new series too.
                series.runs = Some(1);
                series.step = Some(0);
            } else if !w.kill_all {
                let limit = w.spawn_def.get(&id).and_then(|d| d.respawn_limit);
                let why = match (due, limit) {
                    (Some(_), Some(limit)) => format!(
                        "it had made {} runs in a row with limit {limit}",
                        series.runs.unwrap_or(limit)
                    ),
                    _ => "no respawn was owed".to_string(),
                };
                found.add(
                    w.now,
                    Invariant::Respawn,
                    format!("{name} is spawned again, but {why}"),
                );
            }
            return;
        };
        if due.allowed.is_none() && first_in_run {
            // Its limit may have been reached and its target's run
            // queued it, or it respawns: which, only the core knows.
            series.runs = None;
            series.step = None;
            return;
        }
        series.runs = series.runs.map(|r| r.saturating_add(1));
        if let Some(at) = due.at {
            // A respawn held back for what the last run left goes out as
            // soon as that is gone.
            let held = w.now > at && w.leftovers_gone_now(id);
            if w.now != at && !held {
                let when = if w.now < at { "early" } else { "late" };
                found.add(
                    w.now,
                    Invariant::Backoff,
                    format!(
                        "{name} is respawned at {}, {when}: the backoff says {at}",
                        w.now
                    ),
                );
            }
        }
    }

    /// A respawn that was due before now and did not come.
    pub fn end_of_step(&mut self, w: &World, found: &mut Found) {
        if w.down.is_some() || w.kill_all {
            return;
        }
        let mut reached = Vec::new();
        for (&id, due) in &self.dues {
            let Due {
                at: Some(at),
                allowed: Some(true),
            } = *due
            else {
                continue;
            };
            if at > w.now || self.admin_since.contains(&id) || w.leftovers_ending(id) {
                continue;
            }
            // A reload that made it a milestone has it reached when the
            // respawn is due, not spawned.
            if w.def(id).map_or(true, |d| d.is_milestone()) {
                reached.push(id);
                continue;
            }
            if at < w.now {
                found.add(
                    w.now.min(at.saturating_add(1)),
                    Invariant::Backoff,
                    format!("{} was due to respawn at {at}, and was not", w.name(id)),
                );
            }
        }
        for id in reached {
            self.dues.remove(&id);
        }
    }
}

/// The base delay and the cap of `def`'s series: its own, or init's; a
/// cap below the base is the base.
fn delays_ms(w: &World, def: &ServiceDef) -> (u64, u64) {
    let base_ms = def
        .settings
        .respawn_delay_ms
        .unwrap_or(w.options.respawn_delay_ms);
    let cap_ms = def
        .settings
        .respawn_delay_max_ms
        .unwrap_or(w.options.respawn_delay_max_ms)
        .max(base_ms);
    (base_ms, cap_ms)
}

//! The supervisor as saved for a re-exec: the shape serde writes and reads.
//!
//! Owns only that shape. It is the one the supervisor's fields had when
//! they were serialised as they stood, entries and name index as two maps,
//! so that a state saved by an earlier build of this version still reads.

use std::collections::{BTreeSet, VecDeque};

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::lifecycle::{Backoff, Lifecycle};
use super::run::TargetRun;
use super::table::{Entries, Names};
use super::timers::{TimerKind, Timers};
use super::wind_down::WindDown;
use super::{Options, Phase, Supervisor};
use crate::events::{ExitStatus, Pid, ServiceId};
use crate::service::Target;

/// What is written: the supervisor's fields, borrowed.
#[derive(Serialize)]
#[serde(rename = "Supervisor")]
struct SavedRef<'a> {
    options: &'a Options,
    entries: &'a Entries,
    ids_by_name: Names<'a>,
    pids: &'a BTreeSet<(Pid, ServiceId)>,
    next_id: u32,
    phase: Phase,
    run: &'a Option<TargetRun>,
    targets_run: &'a [Target],
    timers: &'a Timers,
    wind_down: &'a Option<WindDown>,
    main_service_exit: Option<ExitStatus>,
}

/// What is read. The name index is made again from the entries.
#[derive(Deserialize)]
#[serde(rename = "Supervisor")]
struct Saved {
    options: Options,
    entries: Entries,
    #[serde(default, rename = "ids_by_name")]
    _ids_by_name: IgnoredAny,
    pids: BTreeSet<(Pid, ServiceId)>,
    next_id: u32,
    phase: Phase,
    run: Option<TargetRun>,
    targets_run: Vec<Target>,
    timers: Timers,
    #[serde(default)]
    wind_down: Option<WindDown>,
    #[serde(default)]
    main_service_exit: Option<ExitStatus>,
}

impl Serialize for Supervisor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedRef {
            options: &self.options,
            entries: &self.entries,
            ids_by_name: self.entries.names(),
            pids: &self.pids,
            next_id: self.next_id,
            phase: self.phase,
            run: &self.run,
            targets_run: &self.targets_run,
            timers: &self.timers,
            wind_down: &self.wind_down,
            main_service_exit: self.main_service_exit,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Supervisor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Supervisor, D::Error> {
        let saved = Saved::deserialize(deserializer)?;
        let mut entries = saved.entries;
        // An entry reads a Restarting service as waiting for leftovers
        // (`entry.rs`); it is waiting out a respawn delay where its timer
        // was saved armed.
        for entry in entries.values_mut() {
            if entry.lifecycle() != Lifecycle::BackingOff(Backoff::Leftovers) {
                continue;
            }
            if let Some(until) = saved.timers.deadline(TimerKind::Respawn(entry.status.id)) {
                entry.set_state(Lifecycle::BackingOff(Backoff::Delay { until }));
            }
        }
        Ok(Supervisor {
            options: saved.options,
            entries,
            pids: saved.pids,
            next_id: saved.next_id,
            phase: saved.phase,
            run: saved.run,
            targets_run: saved.targets_run,
            timers: saved.timers,
            wind_down: saved.wind_down,
            main_service_exit: saved.main_service_exit,
            outputs: VecDeque::new(),
            refused_transitions_dropped: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::lifecycle::{AfterStop, Stop};
    use super::*;
    use crate::resolve::tests::svc;
    use crate::service::Target::Boot;

    #[test]
    fn entries_and_the_name_index_are_saved_as_two_maps() {
        let services = vec![svc("web", Boot, &[], &[]), svc("db", Boot, &[], &[])];
        let supervisor = Supervisor::new(services, Options::default());
        let saved = serde_json::to_value(&supervisor).unwrap_or_default();
        assert_eq!(
            saved["ids_by_name"],
            serde_json::json!({ "db": 1, "web": 0 })
        );
        assert_eq!(saved["entries"]["0"]["status"]["def"]["name"], "web");
        assert_eq!(saved["entries"]["1"]["status"]["def"]["name"], "db");

        let read: Supervisor = serde_json::from_value(saved.clone())
            .unwrap_or_else(|_| Supervisor::new(Vec::new(), Options::default()));
        assert_eq!(read.service_by_name("db").map(|s| s.id), Some(ServiceId(1)));
        assert_eq!(serde_json::to_value(&read).unwrap_or_default(), saved);
    }

    fn respawning(name: &str) -> crate::service::ServiceDef {
        let mut def = svc(name, Boot, &[], &[]);
        def.kind = crate::service::ServiceType::Respawn;
        def
    }

    fn lifecycle(supervisor: &Supervisor, id: u32) -> Option<Lifecycle> {
        supervisor.entry(ServiceId(id)).map(|e| e.lifecycle())
    }

    /// Saved and read back: the same state, and the same JSON again.
    fn reread(supervisor: &Supervisor) -> Supervisor {
        let saved = serde_json::to_value(supervisor).unwrap_or_default();
        let read: Supervisor = serde_json::from_value(saved.clone())
            .unwrap_or_else(|_| Supervisor::new(Vec::new(), Options::default()));
        assert_eq!(serde_json::to_value(&read).unwrap_or_default(), saved);
        read
    }

    #[test]
    fn a_respawn_delay_and_a_restart_under_way_read_back_as_they_were() {
        use crate::events::{Event, ExitStatus, Millis};
        let services = vec![respawning("web"), respawning("db")];
        let mut supervisor = Supervisor::new(services, Options::default());
        supervisor.handle_event(Millis(0), Event::Boot);
        for (id, pid) in [(0, 10), (1, 11)] {
            let (service, pid) = (ServiceId(id), Pid(pid));
            supervisor.handle_event(Millis(0), Event::Spawned { service, pid });
        }
        let exited = Event::Exited {
            pid: Pid(10),
            status: ExitStatus::Exited(1),
            leftovers: false,
        };
        supervisor.handle_event(Millis(5), exited);
        supervisor.handle_event(Millis(5), Event::Restart(ServiceId(1)));
        let delay = Lifecycle::BackingOff(Backoff::Delay { until: Millis(100) });
        let restart = Lifecycle::stopping(AfterStop::Restart);
        assert_eq!(lifecycle(&supervisor, 0), Some(delay));
        assert_eq!(lifecycle(&supervisor, 1), Some(restart));

        let saved = serde_json::to_value(&supervisor).unwrap_or_default();
        assert_eq!(saved["entries"]["0"]["status"]["state"], "restarting");
        assert_eq!(saved["entries"]["1"]["restart_after_exit"], true);
        let read = reread(&supervisor);
        assert_eq!(lifecycle(&read, 0), Some(delay));
        assert_eq!(lifecycle(&read, 1), Some(restart));
        assert_eq!(read.refused_transitions(), 0);
    }

    /// An earlier build wrote the sub-states as flags, some left set
    /// after they stopped meaning anything (`given_up` on a Failed
    /// service); each reads as the state it meant.
    #[test]
    fn the_flags_of_an_earlier_build_read_as_sub_states() {
        let supervisor = Supervisor::new(vec![svc("web", Boot, &[], &[])], Options::default());
        let mut saved = serde_json::to_value(&supervisor).unwrap_or_default();
        let cases = [
            (
                "stopping",
                true,
                true,
                false,
                Lifecycle::stopping(AfterStop::Failed),
            ),
            (
                "stopping",
                false,
                true,
                true,
                Lifecycle::Stopping(Stop {
                    then: AfterStop::Restart,
                    killed: true,
                }),
            ),
            ("failed", true, false, false, Lifecycle::FAILED),
            (
                "restarting",
                false,
                false,
                false,
                Lifecycle::BackingOff(Backoff::Leftovers),
            ),
        ];
        for (state, given_up, restart_after_exit, stop_killed, expected) in cases {
            let entry = &mut saved["entries"]["0"];
            entry["status"]["state"] = state.into();
            entry["given_up"] = given_up.into();
            entry["restart_after_exit"] = restart_after_exit.into();
            entry["stop_killed"] = stop_killed.into();
            let read: Supervisor = serde_json::from_value(saved.clone())
                .unwrap_or_else(|_| Supervisor::new(Vec::new(), Options::default()));
            assert_eq!(lifecycle(&read, 0), Some(expected), "{state}");
        }
    }
}

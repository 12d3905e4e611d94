//! The supervisor as saved for a re-exec: the shape serde writes and reads.
//!
//! Owns only that shape. It is the one the supervisor's fields had when
//! they were serialised as they stood, entries and name index as two maps,
//! so that a state saved by an earlier build of this version still reads.

use std::collections::{BTreeSet, VecDeque};

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::run::TargetRun;
use super::table::{Entries, Names};
use super::timers::Timers;
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
        Ok(Supervisor {
            options: saved.options,
            entries: saved.entries,
            pids: saved.pids,
            next_id: saved.next_id,
            phase: saved.phase,
            run: saved.run,
            targets_run: saved.targets_run,
            timers: saved.timers,
            wind_down: saved.wind_down,
            main_service_exit: saved.main_service_exit,
            outputs: VecDeque::new(),
        })
    }
}

#[cfg(test)]
mod tests {
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
}

//! The supervisor's entries, found by id and by enabled name.
//!
//! Owns where entries are kept and how they are found; it decides nothing
//! about them. Ids are never reused and a new one is above every other, so
//! a list in id order only ever grows at its end.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::entry::Entry;
use crate::events::ServiceId;

/// Every entry, by id and by name. Serialised as the map of entries by id
/// it replaced; the name index, made from the entries, is written apart
/// ([`Entries::names`]) and rebuilt on reading.
///
/// A B-tree of entries by id and another of ids by name (with a copy of
/// each name) cost some 100 bytes a service in nodes, name copies and
/// malloc's headers; two sorted lists cost 4 beyond the entries, found by
/// binary search as fast. Lists rather than a slot per id, so that the
/// ids a reload drops leave nothing behind however many there have been.
#[derive(Debug, Clone, Default)]
pub(super) struct Entries {
    /// Every entry, sorted by id. Inline, not boxed: one block for them
    /// all, mapped apart from the heap once large
    /// (os-adapter/src/allocator.rs), instead of an allocation and its
    /// malloc header per service. A reload drops entries in one pass
    /// ([`Entries::remove_all`]), so that dropping thousands does not
    /// move the rest once for each.
    by_id: Vec<Entry>,
    /// Every entry's id, sorted by its enabled name (names are unique).
    by_name: Vec<ServiceId>,
}

impl Entries {
    pub fn get(&self, id: ServiceId) -> Option<&Entry> {
        let at = self.id_position(id).ok()?;
        self.by_id.get(at)
    }

    pub fn get_mut(&mut self, id: ServiceId) -> Option<&mut Entry> {
        let at = self.id_position(id).ok()?;
        self.by_id.get_mut(at)
    }

    /// The service enabled under `name`.
    pub fn id_of(&self, name: &str) -> Option<ServiceId> {
        self.name_position(name)
            .ok()
            .and_then(|at| self.by_name.get(at).copied())
    }

    /// Every entry, in id order.
    pub fn values(&self) -> impl Iterator<Item = &Entry> {
        self.by_id.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.by_id.iter_mut()
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl Iterator<Item = ServiceId> + '_ {
        self.values().map(|e| e.status.id)
    }

    /// Adds `entry` under its id, in place of any entry of that id; it
    /// takes its name from any other entry that had it.
    pub fn insert(&mut self, entry: Entry) {
        let id = entry.status.id;
        self.remove(id);
        match self.name_position(&entry.status.def.name) {
            Ok(at) => {
                if let Some(place) = self.by_name.get_mut(at) {
                    *place = id;
                }
            }
            Err(at) => self.by_name.insert(at, id),
        }
        // Err: `remove` took any entry of this id out.
        if let Err(at) = self.id_position(id) {
            self.by_id.insert(at, entry);
        }
    }

    /// Takes the entry of `id` out.
    pub fn remove(&mut self, id: ServiceId) -> Option<Entry> {
        let at = self.id_position(id).ok()?;
        // Found by name while the entry is still there to give its name.
        let by_name = self.get(id).map(|e| self.name_position(&e.status.def.name));
        if let Some(Ok(named)) = by_name {
            if self.by_name.get(named) == Some(&id) {
                self.by_name.remove(named);
            }
        }
        (at < self.by_id.len()).then(|| self.by_id.remove(at))
    }

    /// Takes the entries of `ids` (sorted) out, in one pass over each list.
    pub fn remove_all(&mut self, ids: &[ServiceId]) {
        let listed = |id: &ServiceId| ids.binary_search(id).is_ok();
        self.by_name.retain(|id| !listed(id));
        self.by_id.retain(|e| !listed(&e.status.id));
    }

    /// Room for `more` entries beyond the ones there are.
    pub fn reserve(&mut self, more: usize) {
        self.by_id.reserve_exact(more);
        self.by_name.reserve_exact(more);
    }

    /// Gives back the room a list grown one service at a time has spare.
    pub fn shrink_to_fit(&mut self) {
        self.by_id.shrink_to_fit();
        self.by_name.shrink_to_fit();
    }

    /// The name index as the map it replaced, for the saved state.
    pub fn names(&self) -> Names<'_> {
        Names(self)
    }

    /// Where `name` is (or would go) in `by_name`.
    fn name_position(&self, name: &str) -> Result<usize, usize> {
        self.by_name
            .binary_search_by(|&id| self.name_of(id).cmp(name))
    }

    /// Where `id` is (or would go) in `by_id`.
    fn id_position(&self, id: ServiceId) -> Result<usize, usize> {
        self.by_id.binary_search_by_key(&id, |e| e.status.id)
    }

    fn name_of(&self, id: ServiceId) -> &str {
        self.get(id).map_or("", |e| &e.status.def.name)
    }
}

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.values().eq(other.values())
    }
}

impl Eq for Entries {}

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for entry in self.values() {
            map.serialize_entry(&entry.status.id, entry)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        let by_id = BTreeMap::<ServiceId, Entry>::deserialize(deserializer)?;
        let mut entries = Entries::default();
        entries.reserve(by_id.len());
        for (id, mut entry) in by_id {
            entry.status.id = id;
            entries.insert(entry);
        }
        entries.shrink_to_fit();
        Ok(entries)
    }
}

/// The ids by name, serialised as a map from name to id in name order:
/// what the saved state held when they were a B-tree of their own.
pub(super) struct Names<'a>(&'a Entries);

impl Serialize for Names<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.by_name.len()))?;
        for &id in &self.0.by_name {
            map.serialize_entry(self.0.name_of(id), &id)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{ServiceState, ServiceStatus};
    use crate::resolve::tests::svc;
    use crate::service::Target::Boot;

    fn entry(id: u32, name: &str) -> Entry {
        Entry::new(ServiceStatus::new(
            ServiceId(id),
            svc(name, Boot, &[], &[]),
            ServiceState::Inactive,
        ))
    }

    #[test]
    fn entries_are_found_by_id_and_by_name_until_removed() {
        let mut entries = Entries::default();
        for (id, name) in [(0, "web"), (1, "db"), (2, "mount"), (3, "agetty@tty1")] {
            entries.insert(entry(id, name));
        }
        assert_eq!(entries.id_of("db"), Some(ServiceId(1)));
        assert_eq!(entries.id_of("agetty@tty1"), Some(ServiceId(3)));
        assert_eq!(entries.id_of("agetty"), None);
        assert_eq!(
            entries
                .get(ServiceId(2))
                .map(|e| e.status.def.name.as_str()),
            Some("mount")
        );

        assert!(entries.remove(ServiceId(1)).is_some());
        assert!(entries.remove(ServiceId(1)).is_none());
        assert_eq!(entries.id_of("db"), None);
        assert!(entries.get(ServiceId(1)).is_none());
        assert_eq!(entries.ids().collect::<Vec<_>>(), [0, 2, 3].map(ServiceId));

        entries.insert(entry(7, "db"));
        assert_eq!(entries.id_of("db"), Some(ServiceId(7)));
        assert_eq!(entries.values().count(), 4);
        assert!(entries.get(ServiceId(9)).is_none());

        // Several at once, in one pass.
        entries.insert(entry(10, "x"));
        entries.insert(entry(11, "y"));
        entries.remove_all(&[ServiceId(10), ServiceId(11), ServiceId(12)]);
        assert_eq!((entries.id_of("x"), entries.id_of("y")), (None, None));
        assert_eq!(entries.values().count(), 4);

        // The last by name, removed and added again under a new id.
        assert!(entries.remove(ServiceId(0)).is_some());
        assert_eq!(entries.id_of("web"), None);
        entries.insert(entry(8, "web"));
        for e in entries.values() {
            assert_eq!(entries.id_of(&e.status.def.name), Some(e.status.id));
        }
        assert_eq!(entries.by_name, [3, 7, 2, 8].map(ServiceId));
    }
}

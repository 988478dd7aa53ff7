//! A short-lived copy, inside one function instance, of the catalogue items
//! every sale request reads: the concert, the schedule, a schedule's
//! seats-left records and the seats of a block. Read thousands of times a second, their keys would be hot
//! partitions (docs/capacity.md); SPEC §6 allows a copy up to one second
//! old. Nothing a condition decides is ever taken from here.

use super::io::{str_attr, Item};
use super::schema::{PK, SK};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before the oldest are dropped wholesale: a catalogue has
/// few concerts and schedules, so this only bounds a misbehaving caller.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct Cache<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, T)>>,
}

impl<T: Clone> Cache<T> {
    pub fn new(ttl_ms: u64) -> Self {
        Cache {
            ttl: Duration::from_millis(ttl_ms),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<T> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    pub fn put(&self, key: String, value: T) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), value));
        }
    }
}

/// The cache key of an item or a key: its `pk` and `sk`.
pub fn item_key(item: &Item) -> String {
    format!(
        "{}\u{0}{}",
        str_attr(item, PK).unwrap_or_default(),
        str_attr(item, SK).unwrap_or_default()
    )
}

/// Every cache of one [`super::Db`].
#[derive(Debug)]
pub struct Caches {
    /// Concert and schedule items, by key.
    pub items: Cache<Item>,
    /// A schedule's seats-left records, by schedule id.
    pub blocks: Cache<Vec<crate::domain::availability::BlockSeats>>,
    /// The seats of one block, by its partition key.
    pub seats: Cache<Vec<crate::domain::catalog::Seat>>,
}

impl Caches {
    pub fn new(ttl_ms: u64) -> Self {
        Caches {
            items: Cache::new(ttl_ms),
            blocks: Cache::new(ttl_ms),
            seats: Cache::new(ttl_ms),
        }
    }

    /// Forgets every copy (the benchmark measures cold reads this way).
    pub fn clear(&self) {
        self.items.clear();
        self.blocks.clear();
        self.seats.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_the_ttl_only() {
        let c = Cache::new(30);
        c.put("a".into(), 1);
        assert_eq!(c.get("a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get("a"), None);
        let off = Cache::new(0);
        off.put("a".into(), 1);
        assert_eq!(off.get("a"), None);
    }
}

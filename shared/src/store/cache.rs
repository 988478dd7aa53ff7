//! A short-lived copy, inside one function instance, of the catalogue items
//! every sale request reads: the concert, the schedule, a schedule's
//! seats-left records, the seats of a block and a schedule's free-seat bits. Read thousands of times a second, their keys would be hot
//! partitions (docs/capacity.md); SPEC §6 allows a copy up to one second
//! old. Nothing a condition decides is ever taken from here.

use super::io::{str_attr, Item};
use super::schema::{PK, SK};
use crate::clock::{Clock, SystemClock};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept before the oldest are dropped wholesale: a catalogue has
/// few concerts and schedules, so this only bounds a misbehaving caller.
const MAX_ENTRIES: usize = 10_000;

/// Entries age by the service's clock, so a simulation's copies live
/// exactly as long in simulated time on every run.
#[derive(Debug)]
pub struct Cache<T> {
    ttl_ms: i64,
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<String, (i64, T)>>,
}

impl<T: Clone> Cache<T> {
    pub fn new(ttl_ms: u64, clock: Arc<dyn Clock>) -> Self {
        Cache {
            ttl_ms: i64::try_from(ttl_ms).unwrap_or(i64::MAX),
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<T> {
        if self.ttl_ms == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (self.clock.now_ms() - at < self.ttl_ms).then(|| value.clone())
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    pub fn put(&self, key: String, value: T) {
        if self.ttl_ms == 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (self.clock.now_ms(), value));
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
    /// A schedule's free-seat bits and when its seats were read, by
    /// schedule id.
    pub free: Cache<(i64, Vec<u8>)>,
}

impl Caches {
    pub fn new(ttl_ms: u64, clock: Arc<dyn Clock>) -> Self {
        Caches {
            items: Cache::new(ttl_ms, clock.clone()),
            blocks: Cache::new(ttl_ms, clock.clone()),
            seats: Cache::new(ttl_ms, clock.clone()),
            free: Cache::new(ttl_ms, clock),
        }
    }

    /// No copies at all.
    pub fn off() -> Self {
        Caches::new(0, Arc::new(SystemClock))
    }

    /// Forgets every copy (the benchmark measures cold reads this way).
    pub fn clear(&self) {
        self.items.clear();
        self.blocks.clear();
        self.seats.clear();
        self.free.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_the_ttl_only() {
        let clock = crate::clock::ManualClock::at_ms(1_000);
        let c = Cache::new(30, Arc::new(clock.clone()));
        c.put("a".into(), 1);
        clock.advance_ms(29);
        assert_eq!(c.get("a"), Some(1));
        clock.advance_ms(1);
        assert_eq!(c.get("a"), None);
        let off = Cache::new(0, Arc::new(clock));
        off.put("a".into(), 1);
        assert_eq!(off.get("a"), None);
    }
}

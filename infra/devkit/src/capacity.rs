//! The partition-heat model: each operation's metered footprint (units per
//! partition key) scaled to a target sale's rates, summed per table, index
//! and kind of key, and held against DynamoDB's per-partition limits.
//! docs/capacity.md explains the model and its assumptions.

use crate::footprint::Footprint;
use serde::Serialize;
use std::collections::BTreeMap;

/// DynamoDB's limits per partition, and the share of them the model allows.
pub const WCU_PER_PARTITION: f64 = 1_000.0;
pub const RCU_PER_PARTITION: f64 = 3_000.0;
pub const HEADROOM: f64 = 0.8;

/// What one operation costs, measured twice: with every cache empty
/// (`cold`) and again at once (`warm`). What the warm call no longer reads
/// is what an instance's cache serves.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub operation: String,
    pub cold: Vec<Footprint>,
    pub warm: Vec<Footprint>,
}

/// The sale the model scales to, and how the load spreads.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// Operations per second at the peak, by operation name.
    pub rates: BTreeMap<String, f64>,
    /// Seat blocks of the on-sale schedule.
    pub blocks: u64,
    /// Counter shards (`QUEUE_SHARDS`) and admission slot partitions.
    pub queue_shards: u32,
    pub slot_shards: u32,
    /// How long one request keeps a function instance busy on AWS. An
    /// instance refreshes each cached key at most once per second, so a
    /// cached key is read about rate × this many times per second.
    pub request_seconds: f64,
    /// A fan's own keys (token, balance, holds, …) take at most this many
    /// requests per second.
    pub per_fan_per_second: f64,
    /// Rooms on sale at once (SPEC §12), each at these rates: a room's own
    /// keys carry one room's load, the few keys every room reads carry
    /// all of theirs.
    pub rooms: u32,
}

/// The key classes every room's requests and rounds share; all others are
/// a room's own (a test of two rooms checks they touch no other key).
pub fn shared_by_rooms(class: &str) -> bool {
    matches!(class, "CONCERTS" | "GUARD" | "ROOMS")
}

/// The load on the hottest key of one kind, at the target.
#[derive(Debug, Clone, Serialize)]
pub struct KeyLoad {
    pub table: String,
    pub index: Option<String>,
    /// The partition key with its variable parts named (`SCHEDULE#{id}#B{block}`).
    pub class: String,
    /// Keys the load spreads over (1: a single key).
    pub spread: String,
    pub write_units_per_second: f64,
    pub read_units_per_second: f64,
    /// Operations that put load on it, largest first.
    pub from: Vec<String>,
}

impl KeyLoad {
    /// Share of the per-partition limit used, the larger of writes and reads.
    pub fn heat(&self) -> f64 {
        (self.write_units_per_second / WCU_PER_PARTITION)
            .max(self.read_units_per_second / RCU_PER_PARTITION)
    }

    pub fn too_hot(&self) -> bool {
        self.heat() > HEADROOM
    }
}

/// A partition key with its ids replaced by names: every key of one kind
/// shares a class.
pub fn key_class(pk: &str) -> String {
    pk.split('#')
        .enumerate()
        .map(|(i, part)| match part {
            _ if i == 0 => part.to_string(),
            p if p.starts_with('B') && p[1..].chars().all(|c| c.is_ascii_digit()) => {
                "B{block}".into()
            }
            _ => "{id}".into(),
        })
        .collect::<Vec<_>>()
        .join("#")
}

/// How many keys of a class share the load, as the model assumes it:
/// `None` for keys of one fan or one record (bounded by a fan's own pace).
fn spread(class: &str, index: Option<&str>, t: &Target) -> Option<f64> {
    if index.is_some() || class.starts_with("COUNTER#") {
        return Some(f64::from(t.queue_shards));
    }
    if class.contains("#B{block}") {
        return Some(t.blocks as f64);
    }
    if class.starts_with("SLOTS#") {
        return Some(f64::from(t.slot_shards));
    }
    match class {
        // One concert, one schedule on sale per room: a single key each;
        // a room's item and the guard's, read by the rounds.
        "CONCERTS" | "CONCERT#{id}" | "SCHEDULE#{id}" | "ROOM#{id}" | "GUARD" | "ROOMS" => {
            Some(1.0)
        }
        _ => None,
    }
}

/// (table, index, key class) → (WCU/s, RCU/s, load by operation).
type Loads = BTreeMap<(String, Option<String>, String), (f64, f64, BTreeMap<String, f64>)>;

/// Units per key per second that `footprints` put on each (table, index,
/// class) at `rate` operations per second; cached reads at the rate the
/// instances refresh them, all on the same keys.
fn add_load(
    loads: &mut Loads,
    op: &str,
    footprints: &[Footprint],
    rate: f64,
    cached: bool,
    t: &Target,
) {
    let class_of = |f: &Footprint| match &f.index {
        Some(_) => "{shard}".to_string(),
        None => key_class(&f.pk),
    };
    // Distinct keys of each class one call reads (a page spanning two
    // blocks puts half its cached reads on each).
    let mut keys: BTreeMap<String, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for f in footprints {
        keys.entry(class_of(f)).or_default().insert(&f.pk);
    }
    for f in footprints {
        let class = class_of(f);
        let rooms = match shared_by_rooms(&class) {
            true => f64::from(t.rooms.max(1)),
            false => 1.0,
        };
        let per_key = rooms
            * match (cached, spread(&class, f.index.as_deref(), t)) {
                (true, _) => rate * t.request_seconds / keys[&class].len() as f64,
                (false, Some(keys)) => rate / keys,
                (false, None) => rate.min(t.per_fan_per_second),
            };
        let entry = loads
            .entry((f.table.clone(), f.index.clone(), class))
            .or_default();
        let (w, r) = (f.write_units * per_key, f.read_units * per_key);
        entry.0 += w;
        entry.1 += r;
        *entry.2.entry(op.to_string()).or_default() += w.max(r);
    }
}

/// The footprint `cold` has and `warm` does not, key class by key class
/// (a warm call may name another seat or user): reads a cache served, or
/// what one call adds to another.
pub fn minus(cold: &[Footprint], warm: &[Footprint]) -> Vec<Footprint> {
    let same = |a: &Footprint, b: &Footprint| {
        a.table == b.table && a.index == b.index && key_class(&a.pk) == key_class(&b.pk)
    };
    let mut left: Vec<&Footprint> = warm.iter().collect();
    cold.iter()
        .filter(|c| match left.iter().position(|w| same(w, c)) {
            Some(i) => {
                left.remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

/// Every class of key at the target, hottest first.
pub fn extrapolate(measured: &[Measured], t: &Target) -> Vec<KeyLoad> {
    let mut loads = Loads::new();
    for m in measured {
        let rate = t.rates.get(&m.operation).copied().unwrap_or(0.0);
        add_load(&mut loads, &m.operation, &m.warm, rate, false, t);
        add_load(
            &mut loads,
            &m.operation,
            &minus(&m.cold, &m.warm),
            rate,
            true,
            t,
        );
    }
    let mut out: Vec<KeyLoad> = loads
        .into_iter()
        .map(|((table, index, class), (w, r, from))| {
            let mut from: Vec<(String, f64)> = from.into_iter().collect();
            from.sort_by(|a, b| b.1.total_cmp(&a.1));
            let spread = match spread(&class, index.as_deref(), t) {
                Some(n) => format!("{n}"),
                None => "one per fan".into(),
            };
            KeyLoad {
                table,
                index,
                class,
                spread,
                write_units_per_second: w,
                read_units_per_second: r,
                from: from.into_iter().map(|(op, _)| op).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.heat().total_cmp(&a.heat()));
    out
}

/// The hottest class of each table and index.
pub fn hottest_per_table(loads: &[KeyLoad]) -> Vec<&KeyLoad> {
    let mut seen = std::collections::BTreeSet::new();
    loads
        .iter()
        .filter(|l| seen.insert((l.table.clone(), l.index.clone())))
        .collect()
}

/// Calls per second of the waiting room's polls: every fan in a full line
/// of `fans` (no slot free) polls at the interval
/// [`shared::domain::queue::poll_after_ms`] advises for their position.
pub fn polls_per_second(fans: u64, pace: shared::domain::queue::Pace) -> f64 {
    let full = shared::domain::queue::Line {
        free: Some(0),
        ..Default::default()
    };
    (1..=fans)
        .map(|p| 1_000.0 / shared::domain::queue::poll_after_ms(p, full, pace) as f64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(table: &str, pk: &str, r: f64, w: f64) -> Footprint {
        Footprint {
            table: table.into(),
            index: None,
            pk: pk.into(),
            read_units: r,
            write_units: w,
            estimated: false,
        }
    }

    fn target(rate: f64) -> Target {
        Target {
            rates: BTreeMap::from([("op".to_string(), rate)]),
            blocks: 600,
            queue_shards: 64,
            slot_shards: 64,
            request_seconds: 0.05,
            per_fan_per_second: 1.0,
            rooms: 1,
        }
    }

    #[test]
    fn classes_name_the_variable_parts() {
        assert_eq!(
            key_class("SCHEDULE#0000000000000001#B000003"),
            "SCHEDULE#{id}#B{block}"
        );
        assert_eq!(key_class("SCHEDULE#0000000000000001"), "SCHEDULE#{id}");
        assert_eq!(key_class("USER#fan1"), "USER#{id}");
        assert_eq!(key_class("CONCERTS"), "CONCERTS");
    }

    #[test]
    fn load_spreads_by_class_and_caches_cut_reads() {
        let m = Measured {
            operation: "op".into(),
            cold: vec![
                fp("C", "SCHEDULE#1#B000001", 0.0, 2.0),
                fp("C", "SCHEDULE#1", 0.5, 0.0),
                fp("Q", "USER#a", 1.0, 0.0),
            ],
            warm: vec![
                fp("C", "SCHEDULE#1#B000002", 0.0, 2.0),
                fp("Q", "USER#b", 1.0, 0.0),
            ],
        };
        let loads = extrapolate(&[m], &target(6_000.0));
        let find = |class: &str| loads.iter().find(|l| l.class == class).unwrap();
        assert_eq!(find("SCHEDULE#{id}#B{block}").write_units_per_second, 20.0);
        // Cached: 6,000/s × 0.05 s instances, each reading once a second.
        assert_eq!(find("SCHEDULE#{id}").read_units_per_second, 150.0);
        assert_eq!(find("USER#{id}").read_units_per_second, 1.0);
        assert!(!loads[0].too_hot());
        let hot = extrapolate(
            &[Measured {
                operation: "op".into(),
                cold: vec![fp("C", "CONCERTS", 0.0, 1.0)],
                warm: vec![fp("C", "CONCERTS", 0.0, 1.0)],
            }],
            &target(900.0),
        );
        assert!(hot[0].too_hot());
        assert_eq!(hottest_per_table(&hot).len(), 1);
    }

    #[test]
    fn rooms_add_load_only_to_the_keys_they_share() {
        let m = Measured {
            operation: "op".into(),
            cold: vec![fp("Q", "COUNTER#7#3", 0.0, 1.0), fp("Q", "GUARD", 0.5, 0.0)],
            warm: vec![fp("Q", "COUNTER#7#3", 0.0, 1.0), fp("Q", "GUARD", 0.5, 0.0)],
        };
        let one = extrapolate(std::slice::from_ref(&m), &target(640.0));
        let ten = extrapolate(
            &[m],
            &Target {
                rooms: 10,
                ..target(640.0)
            },
        );
        let find = |loads: &[KeyLoad], class: &str| {
            let l = loads.iter().find(|l| l.class == class).unwrap();
            (l.write_units_per_second, l.read_units_per_second)
        };
        // A room's counter shard: one room's load however many rooms.
        assert_eq!(find(&one, "COUNTER#{id}#{id}"), (10.0, 0.0));
        assert_eq!(find(&ten, "COUNTER#{id}#{id}"), (10.0, 0.0));
        // The guard's item: every room's rounds read it.
        assert_eq!(find(&one, "GUARD"), (0.0, 320.0));
        assert_eq!(find(&ten, "GUARD"), (0.0, 3_200.0));
    }

    #[test]
    fn polls_follow_the_advised_interval() {
        use shared::domain::queue::Pace;
        let pace = |max_active, active_seconds| Pace {
            max_active,
            active_seconds,
            tick_seconds: 1,
        };
        // Everyone within a second of the front polls every second.
        assert_eq!(polls_per_second(10, pace(1_000, 1)), 10.0);
        // A long line polls at most every 30 s at its back.
        let far = polls_per_second(1_000_000, pace(600_000, 300));
        assert!(far < 1_000_000.0 / 2.0 && far > 1_000_000.0 / 30.0);
    }
}

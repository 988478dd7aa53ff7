//! The capacity model at the SPEC §10 target sale: the metered footprints
//! of each operation scaled to the sale's peak rates, the hottest key of
//! every table and index, and the largest item of each kind. The run fails
//! when a key passes 80% of a partition's limit or an item passes the
//! bound that keeps it independent of the venue.

use crate::cost::ItemSize;
use crate::stats::table;
use devkit::capacity::{
    extrapolate, hottest_per_table, polls_per_second, KeyLoad, Measured, Target,
};
use serde_json::json;
use std::collections::BTreeMap;

/// The target sale (SPEC §10).
pub const FANS: u64 = 1_000_000;
pub const SEATS: u64 = 60_000;
const ADMISSIONS_PER_SECOND: f64 = 2_000.0;
const ACTIVE_SECONDS: i64 = 300;
/// No item may pass this: a full seat block's record is ≈ 1.2 KB, and
/// nothing else holds more than one fan's or one record's data.
pub const ITEM_LIMIT_BYTES: usize = 4_096;

/// Peak operations per second of the target sale, by the metering pass's
/// operation names.
fn rates(polls: f64) -> BTreeMap<String, f64> {
    [
        ("join (POST /queues)", 50_000.0),
        ("activator round (nobody waiting)", 1.0),
        // Each room's own activator, once a second.
        (crate::cost::ROOM_ROUND, 1.0),
        ("admission (per token)", ADMISSIONS_PER_SECOND),
        ("status poll (GET /queues/{u})", polls),
        // A fan's mark is rewritten by a poll at most every 10 s.
        (crate::cost::MARK, polls.min(FANS as f64 / 10.0)),
        ("schedules", ADMISSIONS_PER_SECOND),
        ("seats (page of 100)", 20_000.0),
        ("charge (with key)", 2_000.0),
        ("reserve (with key)", 2_000.0),
        ("reserve refused (seat taken)", 3_000.0),
        ("pay (with key)", 2_000.0),
        // A hold or a sale each (lapses cost no write).
        ("availability, per event", 4_000.0),
    ]
    .into_iter()
    .map(|(op, rate)| (op.to_string(), rate))
    .collect()
}

pub fn target() -> Target {
    // Admission at 2,000/s with five-minute windows: 600,000 slots.
    let max_active = (ADMISSIONS_PER_SECOND * ACTIVE_SECONDS as f64) as u32;
    Target {
        rates: rates(polls_per_second(
            FANS,
            shared::domain::queue::Pace {
                max_active,
                active_seconds: ACTIVE_SECONDS,
                // The template's QUEUE_TICK_SECONDS.
                tick_seconds: 5,
            },
        )),
        blocks: SEATS.div_ceil(shared::domain::catalog::SEAT_BLOCK),
        // The template's QUEUE_SHARDS.
        queue_shards: 128,
        slot_shards: shared::store::schema::queue::SLOT_SHARDS,
        request_seconds: 0.05,
        per_fan_per_second: 1.0,
        rooms: 1,
    }
}

/// Rooms the model also puts on sale at once, each at the target.
pub const ROOMS_AT_ONCE: u32 = 10;

pub struct Verdict {
    pub text: String,
    pub ok: bool,
    pub json: serde_json::Value,
}

fn row(l: &KeyLoad) -> Vec<String> {
    vec![
        match &l.index {
            Some(i) => format!("{} / {i}", l.table),
            None => l.table.clone(),
        },
        l.class.clone(),
        l.spread.clone(),
        format!("{:.0}", l.write_units_per_second),
        format!("{:.0}", l.read_units_per_second),
        format!("{:.0}%", l.heat() * 100.0),
        l.from
            .iter()
            .take(2)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    ]
}

pub fn judge(measured: &[Measured], sizes: &[ItemSize]) -> Verdict {
    let t = target();
    let loads = extrapolate(measured, &t);
    let hottest = hottest_per_table(&loads);
    // Each room's fans browse with their room's token.
    let mut room_rates = t.rates.clone();
    let pages = room_rates
        .insert("seats (page of 100)".into(), 0.0)
        .unwrap_or(0.0);
    room_rates.insert(crate::cost::ROOM_SEATS.into(), pages);
    let rooms = Target {
        rooms: ROOMS_AT_ONCE,
        rates: room_rates,
        ..t.clone()
    };
    let in_rooms = extrapolate(measured, &rooms);
    let too_hot: Vec<&KeyLoad> = loads
        .iter()
        .chain(&in_rooms)
        .filter(|l| l.too_hot())
        .collect();
    let too_big: Vec<&ItemSize> = sizes
        .iter()
        .filter(|s| s.bytes > ITEM_LIMIT_BYTES)
        .collect();
    let headers = [
        "table / index",
        "hottest key",
        "keys",
        "WCU/s per key",
        "RCU/s per key",
        "of limit",
        "mostly from",
    ];
    let mut text = format!(
        "capacity model at the target sale ({FANS} fans, {SEATS} seats, {:.0} polls/s at the advised interval), hottest key per table and index:\n{}",
        t.rates.get("status poll (GET /queues/{u})").copied().unwrap_or(0.0),
        table(&headers, &hottest.iter().map(|l| row(l)).collect::<Vec<_>>())
    );
    if let Some(top) = in_rooms.first() {
        let shared: Vec<&KeyLoad> = in_rooms
            .iter()
            .filter(|l| devkit::capacity::shared_by_rooms(&l.class))
            .collect();
        text += &format!(
            "\nwith {ROOMS_AT_ONCE} rooms on sale at once, each at the target: hottest key {} {} at {:.0}% (a room's own keys carry one room's load); the keys every room reads:\n{}",
            top.table,
            top.class,
            top.heat() * 100.0,
            table(&headers, &shared.iter().map(|l| row(l)).collect::<Vec<_>>())
        );
    }
    let largest = sizes.iter().max_by_key(|s| s.bytes);
    if let Some(l) = largest {
        text += &format!(
            "\nlargest item: {} B ({}); limit {ITEM_LIMIT_BYTES} B",
            l.bytes, l.item
        );
    }
    for l in &too_hot {
        text += &format!(
            "\nTOO HOT: {} {} at {:.0}% of a partition's limit",
            l.table,
            l.class,
            l.heat() * 100.0
        );
    }
    for s in &too_big {
        text += &format!("\nTOO BIG: {} is {} B", s.item, s.bytes);
    }
    Verdict {
        ok: too_hot.is_empty() && too_big.is_empty(),
        json: json!({"target": t, "keys": loads, "rooms": {"target": rooms, "keys": in_rooms}, "largest_items": sizes}),
        text,
    }
}

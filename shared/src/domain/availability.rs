//! Seats left per schedule, as the availability consumer tracks them: one
//! small record per block of seats.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A change of a seat's availability, read off a reservation's stream record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatChange {
    Held,
    Sold,
    /// The hold was let go before its end (a lapse at its end needs no
    /// event: the count compares hold ends with the clock).
    Released,
    /// The ticket sold from the hold was returned; the seat is on sale.
    Refunded,
}

/// One seat event. A hold is named by its end (`until`, ms): holds of one
/// seat follow each other, so no two share an end, and every event of the
/// same hold carries the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatEvent {
    pub schedule_id: u64,
    pub seat_id: u64,
    pub until: i64,
    pub change: SeatChange,
}

/// The seats-left record of one block: seat (two digits) → end of its
/// latest hold, and seat → end of the hold that was sold. A hold let go
/// or a ticket returned leaves its end negated, so that its own events,
/// should they arrive late, find it already over and change nothing.
/// Events of one seat arrive in any order, so each entry only ever moves
/// to a newer hold (a larger end) or to its own end's tombstone, and the
/// reader believes whichever entry names the seat's newest hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockSeats {
    #[serde(default, rename = "h")]
    pub held: HashMap<String, i64>,
    #[serde(default)]
    pub sold: HashMap<String, i64>,
}

impl BlockSeats {
    /// Seats of the block not reservable at `now_ms`: sold, or under a hold
    /// still running. A hold whose end has passed counts as free even
    /// before its lapse event arrives.
    pub fn taken_at(&self, now_ms: i64) -> u32 {
        let seats: std::collections::HashSet<&String> =
            self.held.keys().chain(self.sold.keys()).collect();
        seats
            .into_iter()
            .filter(|seat| {
                seat_taken(
                    self.held.get(*seat).copied(),
                    self.sold.get(*seat).copied(),
                    now_ms,
                )
            })
            .count() as u32
    }
}

/// One seat: its newest hold decides. The sale of that hold (or of a newer
/// one) speaks for it: sold while its end is positive. Otherwise the hold
/// does: taken while it runs. A tie is one hold both held and sold.
fn seat_taken(held: Option<i64>, sold: Option<i64>, now_ms: i64) -> bool {
    match (held, sold) {
        (Some(h), Some(s)) if s.abs() >= h.abs() => s > 0,
        (Some(h), _) => h > now_ms,
        (None, Some(s)) => s > 0,
        (None, None) => false,
    }
}

/// Seats reservable at `now_ms` of a schedule of `total` seats.
pub fn available_seats(total: u32, blocks: &[BlockSeats], now_ms: i64) -> u32 {
    let taken: u32 = blocks.iter().map(|b| b.taken_at(now_ms)).sum();
    total.saturating_sub(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lapsed_holds_count_as_free() {
        let block = BlockSeats {
            held: HashMap::from([("02".to_string(), 100i64), ("03".to_string(), 50)]),
            sold: HashMap::from([("01".to_string(), 9i64), ("04".to_string(), -7)]),
        };
        let blocks = [block.clone(), BlockSeats::default()];
        assert_eq!(available_seats(10, &blocks, 60), 8);
        assert_eq!(available_seats(10, &blocks, 100), 9);
        assert_eq!(available_seats(1, &blocks, 0), 0);
    }

    #[test]
    fn the_newest_hold_of_a_seat_decides() {
        let now = 10;
        // A hold that was sold, however its events came in.
        assert!(seat_taken(Some(100), Some(100), now));
        assert!(seat_taken(None, Some(100), now));
        // Its ticket returned: free, even with the hold's own entry left.
        assert!(!seat_taken(Some(100), Some(-100), now));
        assert!(!seat_taken(Some(-100), Some(-100), now));
        // A newer hold after a returned (or not yet returned) sale.
        assert!(seat_taken(Some(200), Some(-100), now));
        assert!(seat_taken(Some(200), Some(100), now));
        assert!(!seat_taken(Some(-200), Some(100), now));
        // A newer sale than a stale hold entry.
        assert!(seat_taken(Some(100), Some(200), now));
        assert!(!seat_taken(Some(100), Some(-200), now));
        // A lapsed hold is free.
        assert!(!seat_taken(Some(5), None, now));
        let both = BlockSeats {
            held: HashMap::from([("01".to_string(), 100i64)]),
            sold: HashMap::from([("01".to_string(), 100i64)]),
        };
        assert_eq!(both.taken_at(now), 1, "one seat counts once");
    }
}

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

/// Whether every seat of a schedule of `total` seats is sold (none free
/// or held): sold seats are the ones taken for ever.
pub fn sold_out(total: u32, blocks: &[BlockSeats]) -> bool {
    let sold: u32 = blocks.iter().map(|b| b.taken_at(i64::MAX)).sum();
    sold >= total
}

/// Seats reservable at `now_ms` of a schedule of `total` seats.
pub fn available_seats(total: u32, blocks: &[BlockSeats], now_ms: i64) -> u32 {
    let taken: u32 = blocks.iter().map(|b| b.taken_at(now_ms)).sum();
    total.saturating_sub(taken)
}

/// A seat as the seats-left record should know it: its current hold's end
/// (kept on a sold seat too) and whether that hold was sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatNow {
    pub hold_until: Option<i64>,
    pub sold: bool,
}

/// The events that bring one seat's entries to the seat as it is, for an
/// organiser's repair after an event was lost: `held` and `sold` are the
/// record's entries, **read before the seat**, so an entry the seat no
/// longer carries names a hold that is gone for good (a seat's holds only
/// move forward). Each event is applied under the same condition as a
/// live one, so a live event that lands meanwhile still wins; none is
/// returned where the record already agrees.
pub fn repairs(seat: SeatNow, held: Option<i64>, sold: Option<i64>) -> Vec<(SeatChange, i64)> {
    // The condition of a hold's or a sale's event: the entry is absent or
    // names an older hold.
    let moves = |entry: Option<i64>, until: i64| entry.is_none_or(|e| -until < e && e < until);
    let mut out = Vec::new();
    if let Some(until) = seat.hold_until {
        if moves(held, until) {
            out.push((SeatChange::Held, until));
        }
        if seat.sold && moves(sold, until) {
            out.push((SeatChange::Sold, until));
        }
    }
    let current = |entry: i64| seat.hold_until == Some(entry);
    if let Some(h) = held.filter(|h| *h > 0 && !current(*h)) {
        out.push((SeatChange::Released, h));
    }
    if let Some(s) = sold.filter(|s| *s > 0 && !(seat.sold && current(*s))) {
        out.push((SeatChange::Refunded, s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(
        held: Option<i64>,
        sold: Option<i64>,
        events: &[(SeatChange, i64)],
    ) -> (Option<i64>, Option<i64>) {
        // The live conditions of `Db::apply_seat_event`, applied in order.
        let (mut h, mut s) = (held, sold);
        let newer = |e: Option<i64>, u: i64| e.is_none_or(|e| -u < e && e < u);
        let this_or_older = |e: Option<i64>, u: i64| e.is_none_or(|e| -u < e && e <= u);
        for (change, u) in events {
            match change {
                SeatChange::Held if newer(h, *u) => h = Some(*u),
                SeatChange::Sold if newer(s, *u) => s = Some(*u),
                SeatChange::Released if this_or_older(h, *u) => h = Some(-u),
                SeatChange::Refunded if this_or_older(s, *u) => s = Some(-u),
                _ => {}
            }
        }
        (h, s)
    }

    /// Whether a seat's entries could be what a record read before the
    /// seat holds: none names a newer hold than the seat's, a sale of the
    /// seat's current hold ends only by a return (which takes the hold off
    /// the seat too), and its current hold is not yet let go.
    fn possible(seat: SeatNow, held: Option<i64>, sold: Option<i64>) -> bool {
        let newest = seat.hold_until.unwrap_or(i64::MAX);
        let not_newer = |e: Option<i64>| e.is_none_or(|e| e.abs() <= newest);
        let unsold_sale = !seat.sold && sold.map(i64::abs) == seat.hold_until;
        let gone = seat.hold_until.map(|u| -u);
        let let_go = gone.is_some() && (held == gone || sold == gone);
        not_newer(held) && not_newer(sold) && !unsold_sale && !let_go
    }

    #[test]
    fn a_repair_brings_any_entries_to_the_seat_as_it_is() {
        let now = 1_000;
        let entries = [
            None,
            Some(500),
            Some(-500),
            Some(2_000),
            Some(-2_000),
            Some(3_000),
        ];
        let seat = |hold_until, sold| SeatNow { hold_until, sold };
        let seats = [
            seat(None, false),
            seat(Some(500), false),
            seat(Some(2_000), false),
            seat(Some(2_000), true),
            seat(Some(3_000), true),
        ];
        for seat in seats {
            for (held, sold) in entries
                .iter()
                .flat_map(|h| entries.iter().map(move |s| (*h, *s)))
            {
                if !possible(seat, held, sold) {
                    continue;
                }
                let events = repairs(seat, held, sold);
                let (h, s) = fold(held, sold, &events);
                let truly = seat.sold || seat.hold_until.is_some_and(|u| u > now);
                assert_eq!(
                    seat_taken(h, s, now),
                    truly,
                    "{seat:?} from {held:?}/{sold:?}: {events:?}"
                );
                assert!(repairs(seat, h, s).is_empty(), "{seat:?}: once is enough");
            }
        }
    }

    #[test]
    fn a_live_event_after_the_read_still_wins() {
        // Read: the seat free, its entry a hold of 500 (since released
        // without its event). Meanwhile a new hold (900) was applied.
        let events = repairs(
            SeatNow {
                hold_until: None,
                sold: false,
            },
            Some(500),
            None,
        );
        assert_eq!(events, vec![(SeatChange::Released, 500)]);
        let (h, _) = fold(Some(900), None, &events);
        assert_eq!(h, Some(900), "the newer hold stands");
    }

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

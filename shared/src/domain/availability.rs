//! Seats left per schedule, as the availability consumer tracks them.

use std::collections::HashMap;

/// A change of a seat's availability, read off a reservation's stream record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatChange {
    /// Held until `until` (ms) by reservation `reserve_id`.
    Held {
        until: i64,
    },
    Sold,
    /// The hold ended unpaid (its TTL deletion or its EXPIRED record).
    Lapsed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatEvent {
    pub concert_id: u64,
    pub schedule_id: u64,
    pub seat_id: u64,
    pub reserve_id: u64,
    pub change: SeatChange,
}

/// Seats reservable at `now_ms`: not sold, and not under a hold that is
/// still running. A hold whose end has passed counts as free even before
/// its lapse event arrives.
pub fn available_seats(
    total: u32,
    sold: &HashMap<String, u64>,
    hold_until: &HashMap<String, i64>,
    now_ms: i64,
) -> u32 {
    let held = hold_until.values().filter(|until| **until > now_ms).count();
    (total as usize).saturating_sub(sold.len() + held) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lapsed_holds_count_as_free() {
        let sold = HashMap::from([("1".to_string(), 9u64)]);
        let holds = HashMap::from([("2".to_string(), 100i64), ("3".to_string(), 50)]);
        assert_eq!(available_seats(10, &sold, &holds, 60), 8);
        assert_eq!(available_seats(10, &sold, &holds, 100), 9);
        assert_eq!(available_seats(1, &sold, &holds, 0), 0);
    }
}

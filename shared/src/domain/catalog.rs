//! Concerts, their schedules and the seats of each schedule.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// Seats are stored and counted in blocks of this many consecutive seat
/// ids: one partition and one seats-left item per block, so neither the
/// hottest key nor the largest item grows with the venue.
pub const SEAT_BLOCK: u64 = 100;

/// The block a seat id falls in.
pub fn block_of(seat_id: u64) -> u64 {
    seat_id / SEAT_BLOCK
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Concert {
    pub id: u64,
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub schedule_id: u64,
    pub concert_id: u64,
    pub date: NaiveDate,
    pub total_seats: u32,
    /// A schedule's seats have consecutive ids from here.
    pub first_seat_id: u64,
}

impl Schedule {
    /// Its last seat id (the first when it has none).
    pub fn last_seat_id(&self) -> u64 {
        self.first_seat_id + u64::from(self.total_seats.max(1)) - 1
    }

    /// The seat blocks its seats fall in.
    pub fn blocks(&self) -> RangeInclusive<u64> {
        block_of(self.first_seat_id)..=block_of(self.last_seat_id())
    }

    pub fn has_seat(&self, seat_id: u64) -> bool {
        self.total_seats > 0 && (self.first_seat_id..=self.last_seat_id()).contains(&seat_id)
    }
}

/// A seat of one schedule with its sale state. A seat is held while
/// `hold_until` lies in the future and sold once `sold_reserve_id` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seat {
    pub seat_id: u64,
    pub schedule_id: u64,
    pub concert_id: u64,
    pub seat_number: String,
    pub price: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sold_reserve_id: Option<u64>,
}

impl Seat {
    /// Free to hold at `now_ms`: never sold, and any hold has run out.
    /// The store's condition expressions state the same rule.
    pub fn reservable_at(&self, now_ms: i64) -> bool {
        self.sold_reserve_id.is_none() && self.hold_until.is_none_or(|until| until <= now_ms)
    }
}

/// A schedule is offered while its date has not passed.
pub fn schedule_open(schedule: &Schedule, today: NaiveDate) -> bool {
    schedule.date >= today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat() -> Seat {
        Seat {
            seat_id: 1,
            schedule_id: 1,
            concert_id: 1,
            seat_number: "A1".into(),
            price: 75_000,
            hold_id: None,
            hold_until: None,
            holder: None,
            sold_reserve_id: None,
        }
    }

    #[test]
    fn hold_ends_exactly_at_its_expiry() {
        let mut s = seat();
        assert!(s.reservable_at(0));
        s.hold_until = Some(1_000);
        assert!(!s.reservable_at(999));
        assert!(s.reservable_at(1_000));
        s.sold_reserve_id = Some(9);
        assert!(!s.reservable_at(5_000));
    }

    #[test]
    fn past_schedules_close() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let sch = Schedule {
            schedule_id: 1,
            concert_id: 1,
            date: d("2025-03-01"),
            total_seats: 10,
            first_seat_id: 95,
        };
        assert_eq!(sch.blocks(), 0..=1);
        assert!(sch.has_seat(95) && sch.has_seat(104) && !sch.has_seat(105));
        assert!(schedule_open(&sch, d("2025-03-01")));
        assert!(!schedule_open(&sch, d("2025-03-02")));
    }
}

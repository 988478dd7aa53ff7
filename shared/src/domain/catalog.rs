//! Concerts, their schedules and the seats of each schedule.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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
        };
        assert!(schedule_open(&sch, d("2025-03-01")));
        assert!(!schedule_open(&sch, d("2025-03-02")));
    }
}

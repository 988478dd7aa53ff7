//! Reservations: a seat held for a user until payment or expiry.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReservationStatus {
    /// Held, awaiting payment until `expires_at`.
    Temp,
    /// Paid; the seat is sold.
    Complete,
    /// The hold ran out unpaid (recorded by the cleanup after TTL).
    Expired,
}

/// A reservation as stored, with the catalogue facts its receipt shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub reserve_id: u64,
    pub user_id: String,
    pub concert_id: u64,
    pub schedule_id: u64,
    pub seat_id: u64,
    pub seat_number: String,
    pub price: i64,
    pub status: ReservationStatus,
    pub created_at: i64,
    pub expires_at: i64,
    /// Which of the user's hold slots in the schedule this hold occupies.
    pub hold_slot: u32,
    pub concert_title: String,
    pub concert_start_date: NaiveDate,
    pub concert_end_date: NaiveDate,
    pub schedule_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<u64>,
}

/// What a reservation is at `now_ms`, whatever cleanup has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    Held,
    Paid,
    Lapsed,
}

impl Reservation {
    pub fn state_at(&self, now_ms: i64) -> HoldState {
        match self.status {
            ReservationStatus::Complete => HoldState::Paid,
            ReservationStatus::Temp if now_ms < self.expires_at => HoldState::Held,
            _ => HoldState::Lapsed,
        }
    }
}

/// The first of `cap` hold slots that is free at `now_ms`; `slots[k]` is
/// the expiry of the hold in slot k, if any.
pub fn free_hold_slot(slots: &[Option<i64>], cap: u32, now_ms: i64) -> Option<u32> {
    (0..cap).find(|&k| {
        slots
            .get(k as usize)
            .copied()
            .flatten()
            .is_none_or(|until| until <= now_ms)
    })
}

/// DynamoDB TTL works in whole seconds: the first second at which the hold
/// is certainly over.
pub fn ttl_seconds(expires_at_ms: i64) -> i64 {
    (expires_at_ms + 999).div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots() {
        assert_eq!(free_hold_slot(&[], 4, 0), Some(0));
        assert_eq!(free_hold_slot(&[Some(10), None], 4, 5), Some(1));
        assert_eq!(
            free_hold_slot(&[Some(10), Some(10), Some(10), Some(10)], 4, 5),
            None
        );
        assert_eq!(
            free_hold_slot(&[Some(10), Some(3), Some(10), Some(10)], 4, 5),
            Some(1)
        );
        assert_eq!(free_hold_slot(&[Some(10); 4], 4, 10), Some(0));
        assert_eq!(free_hold_slot(&[Some(10); 4], 2, 5), None);
    }

    #[test]
    fn ttl_rounds_up() {
        assert_eq!(ttl_seconds(1_000), 1);
        assert_eq!(ttl_seconds(1_001), 2);
    }

    #[test]
    fn hold_states() {
        let r = Reservation {
            reserve_id: 1,
            user_id: "u".into(),
            concert_id: 1,
            schedule_id: 1,
            seat_id: 1,
            seat_number: "A1".into(),
            price: 1,
            status: ReservationStatus::Temp,
            created_at: 0,
            expires_at: 300_000,
            hold_slot: 0,
            concert_title: "t".into(),
            concert_start_date: NaiveDate::MIN,
            concert_end_date: NaiveDate::MIN,
            schedule_date: NaiveDate::MIN,
            payment_id: None,
        };
        assert_eq!(r.state_at(299_999), HoldState::Held);
        assert_eq!(r.state_at(300_000), HoldState::Lapsed);
        let paid = Reservation {
            status: ReservationStatus::Complete,
            ..r
        };
        assert_eq!(paid.state_at(900_000), HoldState::Paid);
    }
}

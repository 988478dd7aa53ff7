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
    /// It has its own waiting room (SPEC §12): join with its `concertId`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_room: bool,
}

/// Where a schedule is in its life: seats being written, on offer, being
/// cancelled, cancelled. It only ever moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ScheduleStatus {
    Preparing,
    Ready,
    Cancelling,
    Cancelled,
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
    /// Seats can be held while `sale_opens_at ≤ now < sale_closes_at` (ms).
    pub sale_opens_at: i64,
    pub sale_closes_at: i64,
    pub status: ScheduleStatus,
}

/// Whether a schedule's seats can be held at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleState {
    /// Not (or no longer) offered: its seats are still being written.
    Unlisted,
    Cancelled,
    NotOpen,
    Open,
    Closed,
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

    /// Its sale at `now_ms`, judged on the schedule as read: the window
    /// is never part of a hold's condition (a schedule-wide item in every
    /// hold would be a hot key), cancellation is, seat by seat.
    pub fn sale_at(&self, now_ms: i64) -> SaleState {
        match self.status {
            ScheduleStatus::Preparing => SaleState::Unlisted,
            ScheduleStatus::Cancelling | ScheduleStatus::Cancelled => SaleState::Cancelled,
            ScheduleStatus::Ready if now_ms < self.sale_opens_at => SaleState::NotOpen,
            ScheduleStatus::Ready if now_ms < self.sale_closes_at => SaleState::Open,
            ScheduleStatus::Ready => SaleState::Closed,
        }
    }

    /// Listed publicly on `today` (in the sale's time zone): ready, not
    /// cancelled, and its date not past.
    pub fn listed_on(&self, today: NaiveDate) -> bool {
        self.status == ScheduleStatus::Ready && self.date >= today
    }
}

/// A seat of one schedule with its sale state. A seat is held while
/// `hold_until` lies in the future and sold once `sold_reserve_id` is set;
/// `cancelled` once its schedule's cancellation reached it.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sold_to: Option<String>,
    /// What the schedule's cancellation found on the seat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<SeatCancel>,
    /// Tickets of this seat cancelled with a refund, and the points refunded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refunded_tickets: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refunded_points: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// What a schedule's cancellation did to a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SeatCancel {
    /// It was free (or its hold had lapsed).
    Free,
    /// It released a running hold.
    Hold,
    /// It refunded the ticket sold for it.
    Ticket,
}

impl Seat {
    /// A seat with no sale state yet.
    pub fn new(schedule: &Schedule, seat_id: u64, seat_number: String, price: i64) -> Seat {
        Seat {
            seat_id,
            schedule_id: schedule.schedule_id,
            concert_id: schedule.concert_id,
            seat_number,
            price,
            hold_id: None,
            hold_until: None,
            holder: None,
            sold_reserve_id: None,
            sold_to: None,
            cancelled: None,
            refunded_tickets: 0,
            refunded_points: 0,
        }
    }

    /// Free to hold at `now_ms`: never sold, not cancelled, and any hold
    /// has run out. The store's condition expressions state the same rule.
    pub fn reservable_at(&self, now_ms: i64) -> bool {
        self.cancelled.is_none()
            && self.sold_reserve_id.is_none()
            && self.hold_until.is_none_or(|until| until <= now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            schedule_id: 1,
            concert_id: 1,
            date: "2025-03-01".parse().unwrap(),
            total_seats: 10,
            first_seat_id: 95,
            sale_opens_at: 1_000,
            sale_closes_at: 2_000,
            status: ScheduleStatus::Ready,
        }
    }

    fn seat() -> Seat {
        Seat::new(&schedule(), 1, "A1".into(), 75_000)
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
        let cancelled = Seat {
            cancelled: Some(SeatCancel::Free),
            ..seat()
        };
        assert!(!cancelled.reservable_at(0));
    }

    #[test]
    fn seat_ranges_and_listing() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let sch = schedule();
        assert_eq!(sch.blocks(), 0..=1);
        assert!(sch.has_seat(95) && sch.has_seat(104) && !sch.has_seat(105));
        assert!(sch.listed_on(d("2025-03-01")));
        assert!(!sch.listed_on(d("2025-03-02")));
        let preparing = Schedule {
            status: ScheduleStatus::Preparing,
            ..sch
        };
        assert!(!preparing.listed_on(d("2025-03-01")));
    }

    #[test]
    fn the_sale_window_is_half_open_to_the_millisecond() {
        let sch = schedule();
        assert_eq!(sch.sale_at(999), SaleState::NotOpen);
        assert_eq!(sch.sale_at(1_000), SaleState::Open);
        assert_eq!(sch.sale_at(1_999), SaleState::Open);
        assert_eq!(sch.sale_at(2_000), SaleState::Closed);
        for (status, state) in [
            (ScheduleStatus::Preparing, SaleState::Unlisted),
            (ScheduleStatus::Cancelling, SaleState::Cancelled),
            (ScheduleStatus::Cancelled, SaleState::Cancelled),
        ] {
            let s = Schedule {
                status,
                ..schedule()
            };
            assert_eq!(s.sale_at(1_500), state);
        }
    }
}

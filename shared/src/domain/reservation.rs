//! Reservations: a seat held for a user until payment or expiry.

use super::catalog::{schedule_open, Concert, Schedule, Seat};
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

/// Why a seat cannot be held, in the contract's check order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldRefusal {
    ConcertNotFound,
    /// Unknown, of another concert, or already past.
    ScheduleNotFound,
    SeatNotFound,
    SeatTaken,
    /// The user holds as many seats of the schedule as allowed.
    HoldLimit,
}

/// What a hold is checked against, as read just before it.
#[derive(Debug, Clone, Default)]
pub struct HoldContext {
    pub concert: Option<Concert>,
    pub schedule: Option<Schedule>,
    pub seat: Option<Seat>,
    /// Expiry of each of the user's holds in the schedule, by slot.
    pub slots: Vec<Option<i64>>,
}

/// The hold one user may take now, or why not. The store's conditions
/// decide the races; this decides the answer for what was read.
pub fn plan_hold(
    ctx: HoldContext,
    user_id: &str,
    cap: u32,
    now_ms: i64,
    hold_ms: i64,
    today: NaiveDate,
) -> Result<Reservation, HoldRefusal> {
    let concert = ctx.concert.ok_or(HoldRefusal::ConcertNotFound)?;
    let schedule = ctx
        .schedule
        .filter(|s| s.concert_id == concert.id && schedule_open(s, today))
        .ok_or(HoldRefusal::ScheduleNotFound)?;
    let seat = ctx.seat.ok_or(HoldRefusal::SeatNotFound)?;
    if !seat.reservable_at(now_ms) {
        return Err(HoldRefusal::SeatTaken);
    }
    let slot = free_hold_slot(&ctx.slots, cap, now_ms).ok_or(HoldRefusal::HoldLimit)?;
    Ok(Reservation {
        reserve_id: super::ids::random_id(),
        user_id: user_id.to_string(),
        concert_id: concert.id,
        schedule_id: schedule.schedule_id,
        seat_id: seat.seat_id,
        seat_number: seat.seat_number,
        price: seat.price,
        status: ReservationStatus::Temp,
        created_at: now_ms,
        expires_at: now_ms + hold_ms,
        hold_slot: slot,
        concert_title: concert.title,
        concert_start_date: concert.start_date,
        concert_end_date: concert.end_date,
        schedule_date: schedule.date,
        payment_id: None,
    })
}

/// Why a hold cannot be paid, in the contract's check order: 404, 403,
/// 400, 409, 410, then what only the payment's transaction can tell
/// (402, a spent token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayRefusal {
    NotFound,
    NotYours,
    AmountMismatch,
    AlreadyPaid,
    Expired,
    InsufficientPoints,
    /// The payer's queue token ended before this payment.
    TokenOver,
}

/// Whether `user` may pay `amount` for reservation `r` at `now_ms`: the
/// checks made on the reservation as read before paying, and again on its
/// image when the payment's condition on it failed.
pub fn check_payable<'r>(
    r: Option<&'r Reservation>,
    user: &str,
    amount: i64,
    now_ms: i64,
) -> Result<&'r Reservation, PayRefusal> {
    let r = r.ok_or(PayRefusal::NotFound)?;
    if r.user_id != user {
        return Err(PayRefusal::NotYours);
    }
    if amount != r.price {
        return Err(PayRefusal::AmountMismatch);
    }
    match r.state_at(now_ms) {
        HoldState::Paid => Err(PayRefusal::AlreadyPaid),
        HoldState::Lapsed => Err(PayRefusal::Expired),
        HoldState::Held => Ok(r),
    }
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

    fn held() -> Reservation {
        Reservation {
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
        }
    }

    #[test]
    fn hold_states() {
        let r = held();
        assert_eq!(r.state_at(299_999), HoldState::Held);
        assert_eq!(r.state_at(300_000), HoldState::Lapsed);
        let paid = Reservation {
            status: ReservationStatus::Complete,
            ..r
        };
        assert_eq!(paid.state_at(900_000), HoldState::Paid);
    }

    #[test]
    fn payment_checks_come_in_the_contracts_order() {
        let r = held();
        let check = check_payable;
        assert_eq!(check(None, "u", 1, 0), Err(PayRefusal::NotFound));
        assert_eq!(check(Some(&r), "x", 9, 0), Err(PayRefusal::NotYours));
        assert_eq!(
            check(Some(&r), "u", 9, 400_000),
            Err(PayRefusal::AmountMismatch)
        );
        assert_eq!(check(Some(&r), "u", 1, 300_000), Err(PayRefusal::Expired));
        assert_eq!(check(Some(&r), "u", 1, 299_999), Ok(&r));
        let paid = Reservation {
            status: ReservationStatus::Complete,
            ..r
        };
        assert_eq!(check(Some(&paid), "u", 1, 0), Err(PayRefusal::AlreadyPaid));
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Seat 3 of schedule 2 (on 2026-01-02) of concert 1, held until 50;
    /// the user's first of two slots taken until 100.
    fn context() -> HoldContext {
        use crate::domain::catalog::{Concert, Schedule, Seat};
        HoldContext {
            concert: Some(Concert {
                id: 1,
                title: "t".into(),
                start_date: day("2026-01-01"),
                end_date: day("2026-01-02"),
            }),
            schedule: Some(Schedule {
                schedule_id: 2,
                concert_id: 1,
                date: day("2026-01-02"),
                total_seats: 1,
                first_seat_id: 3,
            }),
            seat: Some(Seat {
                seat_id: 3,
                schedule_id: 2,
                concert_id: 1,
                seat_number: "A1".into(),
                price: 10,
                hold_id: None,
                hold_until: Some(50),
                holder: None,
                sold_reserve_id: None,
            }),
            slots: vec![Some(100), None],
        }
    }

    #[test]
    fn a_hold_is_planned_after_every_check_in_order() {
        let ctx = context();
        let plan = |ctx: &HoldContext, cap, now, today| {
            plan_hold(ctx.clone(), "u", cap, now, 1_000, day(today))
        };
        let r = plan(&ctx, 2, 50, "2026-01-02").unwrap();
        assert_eq!((r.hold_slot, r.expires_at, r.price), (1, 1_050, 10));
        assert_eq!(
            plan(&ctx, 2, 49, "2026-01-02").unwrap_err(),
            HoldRefusal::SeatTaken
        );
        assert_eq!(
            plan(&ctx, 1, 50, "2026-01-02").unwrap_err(),
            HoldRefusal::HoldLimit
        );
        assert_eq!(
            plan(&ctx, 2, 50, "2026-01-03").unwrap_err(),
            HoldRefusal::ScheduleNotFound
        );
        let no_seat = HoldContext {
            seat: None,
            ..ctx.clone()
        };
        assert_eq!(
            plan(&no_seat, 2, 50, "2026-01-02").unwrap_err(),
            HoldRefusal::SeatNotFound
        );
        let no_concert = HoldContext {
            concert: None,
            ..ctx
        };
        assert_eq!(
            plan(&no_concert, 2, 50, "2026-01-02").unwrap_err(),
            HoldRefusal::ConcertNotFound
        );
    }
}

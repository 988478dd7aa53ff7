//! Reservations: a seat held for a user until payment or expiry.

use super::catalog::{Concert, SaleState, Schedule, Seat};
use super::queue::{QueueToken, TokenState};
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
    /// Released or refunded by the fan, or by the schedule's cancellation.
    Cancelled,
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
    /// Once cancelled: by whom, when, and the points refunded (0 for a hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<Canceller>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<i64>,
    /// The queue token the hold was taken with (its `holds` lists it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The waiting room it was made in (SPEC §12): only a token of that
    /// room pays it.
    #[serde(default, skip_serializing_if = "crate::domain::room::is_default")]
    pub room: crate::domain::room::RoomId,
}

/// Who cancelled a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Canceller {
    Fan,
    /// The schedule's cancellation.
    Organiser,
}

/// What a reservation is at `now_ms`, whatever cleanup has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    Held,
    Paid,
    Lapsed,
    Cancelled(Canceller),
}

impl Reservation {
    pub fn state_at(&self, now_ms: i64) -> HoldState {
        match self.status {
            ReservationStatus::Complete => HoldState::Paid,
            ReservationStatus::Cancelled => {
                HoldState::Cancelled(self.cancelled_by.unwrap_or(Canceller::Fan))
            }
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

/// Why a seat cannot be held, in the contract's check order (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldRefusal {
    ConcertNotFound,
    /// Unknown, of another concert, or not yet offered.
    ScheduleNotFound,
    SeatNotFound,
    ScheduleCancelled,
    SaleNotOpen,
    SaleClosed,
    /// The user's holds and tickets in the schedule are at the cap.
    TicketLimit,
    SeatTaken,
    /// The token is of another concert's room (or of the default room,
    /// for a concert with its own).
    TokenScope,
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
    holder: (&str, crate::domain::room::RoomId),

    cap: u32,
    now_ms: i64,
    hold_ms: i64,
    reserve_id: u64,
) -> Result<Reservation, HoldRefusal> {
    let (user_id, room) = holder;
    let concert = ctx.concert.ok_or(HoldRefusal::ConcertNotFound)?;
    let schedule = ctx
        .schedule
        .filter(|s| s.concert_id == concert.id && s.sale_at(now_ms) != SaleState::Unlisted)
        .ok_or(HoldRefusal::ScheduleNotFound)?;
    let seat = ctx.seat.ok_or(HoldRefusal::SeatNotFound)?;
    if !crate::domain::room::in_scope(room, concert.id, concert.has_room) {
        return Err(HoldRefusal::TokenScope);
    }
    match schedule.sale_at(now_ms) {
        SaleState::Cancelled => return Err(HoldRefusal::ScheduleCancelled),
        _ if seat.cancelled.is_some() => return Err(HoldRefusal::ScheduleCancelled),
        SaleState::NotOpen => return Err(HoldRefusal::SaleNotOpen),
        SaleState::Closed => return Err(HoldRefusal::SaleClosed),
        SaleState::Open | SaleState::Unlisted => {}
    }
    let slot = free_hold_slot(&ctx.slots, cap, now_ms).ok_or(HoldRefusal::TicketLimit)?;
    if !seat.reservable_at(now_ms) {
        return Err(HoldRefusal::SeatTaken);
    }
    Ok(Reservation {
        reserve_id,
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
        cancelled_by: None,
        cancelled_at: None,
        refund: None,
        token_id: None,
        room,
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
    /// The payer's token is of another room than the hold's.
    TokenScope,
    /// The payer's token still waits, and is not one that may pay the hold.
    TokenWaiting,
    /// The schedule was cancelled before the payment reached the seat.
    ScheduleCancelled,
}

/// Whether `user` may pay `amount` for reservation `r` at `now_ms`: the
/// checks made on the reservation as read before paying, and again on its
/// image when the payment's condition on it failed.
pub fn check_payable<'r>(
    r: Option<&'r Reservation>,
    token: &QueueToken,
    amount: i64,
    now_ms: i64,
) -> Result<&'r Reservation, PayRefusal> {
    let r = r.ok_or(PayRefusal::NotFound)?;
    if r.user_id != token.user_id {
        return Err(PayRefusal::NotYours);
    }
    if amount != r.price {
        return Err(PayRefusal::AmountMismatch);
    }
    if r.room != token.room {
        return Err(PayRefusal::TokenScope);
    }
    may_pay_with(r, token, now_ms)?;
    match r.state_at(now_ms) {
        HoldState::Paid | HoldState::Cancelled(Canceller::Fan) => Err(PayRefusal::AlreadyPaid),
        HoldState::Cancelled(Canceller::Organiser) => Err(PayRefusal::ScheduleCancelled),
        HoldState::Lapsed => Err(PayRefusal::Expired),
        HoldState::Held => Ok(r),
    }
}

/// Whether `token` may pay hold `r` (SPEC §7): the token the hold was
/// made with, in whatever state, or any later token of the fan in the
/// hold's room (issued after the hold); a hold from before tokens were
/// noted on holds, with an ACTIVE token.
fn may_pay_with(r: &Reservation, token: &QueueToken, now_ms: i64) -> Result<(), PayRefusal> {
    let own = r.token_id.as_deref() == Some(token.token_id.as_str());
    let later = token.issued_at > r.created_at;
    let unnoted = r.token_id.is_none() && token.state_at(now_ms) == TokenState::Active;
    match (own || later || unnoted, token.state_at(now_ms)) {
        (true, _) => Ok(()),
        (false, TokenState::Waiting) => Err(PayRefusal::TokenWaiting),
        (false, _) => Err(PayRefusal::TokenOver),
    }
}

impl Reservation {
    /// Whether this is the record a fan's cancellation at `at_ms` leaves:
    /// read back after that cancellation's answer was lost and its repeat
    /// refused, it shows the cancellation applied.
    pub fn cancelled_by_fan_at(&self, at_ms: i64) -> bool {
        self.status == ReservationStatus::Cancelled
            && self.cancelled_by == Some(Canceller::Fan)
            && self.cancelled_at == Some(at_ms)
    }
}

/// What a fan's cancellation will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelPlan {
    /// Release a running hold (refund 0).
    ReleaseHold,
    /// Refund a paid ticket in full; its seat goes back on sale.
    RefundTicket,
}

/// Why a reservation cannot be cancelled, in the contract's check order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelRefusal {
    NotFound,
    NotYours,
    /// Expired, or cancelled already.
    NotCancellable,
    /// Paid, but the refund deadline has passed.
    RefundClosed,
    ScheduleCancelled,
}

/// Whether `user` may cancel `r` at `now_ms`; a paid ticket only before
/// `refund_deadline_ms`.
pub fn plan_cancel<'r>(
    r: Option<&'r Reservation>,
    user: &str,
    now_ms: i64,
    refund_deadline_ms: i64,
) -> Result<(&'r Reservation, CancelPlan), CancelRefusal> {
    let r = r.ok_or(CancelRefusal::NotFound)?;
    if r.user_id != user {
        return Err(CancelRefusal::NotYours);
    }
    match r.state_at(now_ms) {
        HoldState::Held => Ok((r, CancelPlan::ReleaseHold)),
        HoldState::Paid if now_ms < refund_deadline_ms => Ok((r, CancelPlan::RefundTicket)),
        HoldState::Paid => Err(CancelRefusal::RefundClosed),
        HoldState::Cancelled(Canceller::Organiser) => Err(CancelRefusal::ScheduleCancelled),
        HoldState::Lapsed | HoldState::Cancelled(Canceller::Fan) => {
            Err(CancelRefusal::NotCancellable)
        }
    }
}

/// A reservation's status as a fan sees it now: a hold past its end is
/// EXPIRED whether or not cleanup has recorded it.
pub fn status_at(r: &Reservation, now_ms: i64) -> ReservationStatus {
    match r.status {
        ReservationStatus::Temp if now_ms >= r.expires_at => ReservationStatus::Expired,
        s => s,
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
            room: 0,
            payment_id: None,
            cancelled_by: None,
            cancelled_at: None,
            refund: None,
            token_id: None,
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

    /// The token `t` of user `u` in `room`, ACTIVE from 0 for 300 s.
    fn payer(user: &str, room: u64) -> QueueToken {
        QueueToken {
            expire_at: Some(300_000),
            status: crate::domain::queue::TokenStatus::Active,
            ..QueueToken::waiting("t".into(), user, room, 1, 0)
        }
    }

    #[test]
    fn payment_checks_come_in_the_contracts_order() {
        let r = Reservation {
            token_id: Some("t".into()),
            ..held()
        };
        let check = check_payable;
        let u = payer("u", 0);
        assert_eq!(check(None, &u, 1, 0), Err(PayRefusal::NotFound));
        assert_eq!(
            check(Some(&r), &payer("x", 0), 9, 0),
            Err(PayRefusal::NotYours)
        );
        assert_eq!(
            check(Some(&r), &u, 9, 400_000),
            Err(PayRefusal::AmountMismatch)
        );
        assert_eq!(check(Some(&r), &u, 1, 300_000), Err(PayRefusal::Expired));
        assert_eq!(check(Some(&r), &u, 1, 299_999), Ok(&r));
        // Another room's token: after the 404, 403 and 400, before the rest.
        assert_eq!(
            check(Some(&r), &payer("u", 8), 1, 300_000),
            Err(PayRefusal::TokenScope)
        );
        let paid = Reservation {
            status: ReservationStatus::Complete,
            ..r
        };
        assert_eq!(check(Some(&paid), &u, 1, 0), Err(PayRefusal::AlreadyPaid));
    }

    #[test]
    fn a_hold_is_paid_with_its_own_token_or_a_later_one_of_its_room() {
        let r = Reservation {
            token_id: Some("t".into()),
            created_at: 1_000,
            expires_at: 301_000,
            ..held()
        };
        let check = |t: &QueueToken, now| check_payable(Some(&r), t, 1, now).map(|_| ());
        // Its own token, even once its window has passed.
        assert_eq!(check(&payer("u", 0), 300_500), Ok(()));
        // A later token of the fan, waiting or ACTIVE.
        let later = QueueToken::waiting("t2".into(), "u", 0, 9, 2_000);
        assert_eq!(check(&later, 10_000), Ok(()));
        // An earlier one is refused, as waiting or as over.
        let earlier = QueueToken::waiting("t0".into(), "u", 0, 9, 500);
        assert_eq!(check(&earlier, 10_000), Err(PayRefusal::TokenWaiting));
        let over = QueueToken {
            status: crate::domain::queue::TokenStatus::Ended,
            expire_at: Some(900),
            ..earlier
        };
        assert_eq!(check(&over, 10_000), Err(PayRefusal::TokenOver));
    }

    #[test]
    fn cancellation_checks_come_in_the_contracts_order() {
        let r = held();
        let plan =
            |r: Option<&Reservation>, user, now| plan_cancel(r, user, now, 500_000).map(|x| x.1);
        assert_eq!(plan(None, "u", 0), Err(CancelRefusal::NotFound));
        assert_eq!(plan(Some(&r), "x", 0), Err(CancelRefusal::NotYours));
        assert_eq!(plan(Some(&r), "u", 299_999), Ok(CancelPlan::ReleaseHold));
        assert_eq!(
            plan(Some(&r), "u", 300_000),
            Err(CancelRefusal::NotCancellable)
        );
        let paid = Reservation {
            status: ReservationStatus::Complete,
            ..r.clone()
        };
        assert_eq!(
            plan(Some(&paid), "u", 499_999),
            Ok(CancelPlan::RefundTicket)
        );
        assert_eq!(
            plan(Some(&paid), "u", 500_000),
            Err(CancelRefusal::RefundClosed)
        );
        let by = |who| Reservation {
            status: ReservationStatus::Cancelled,
            cancelled_by: Some(who),
            ..r.clone()
        };
        assert_eq!(
            plan(Some(&by(Canceller::Fan)), "u", 0),
            Err(CancelRefusal::NotCancellable)
        );
        assert_eq!(
            plan(Some(&by(Canceller::Organiser)), "u", 0),
            Err(CancelRefusal::ScheduleCancelled)
        );
        assert_eq!(status_at(&r, 300_000), ReservationStatus::Expired);
        assert_eq!(status_at(&r, 1), ReservationStatus::Temp);
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Seat 3 of schedule 2 (on 2026-01-02, on sale from 10 to 1,000) of
    /// concert 1, held until 50; the user's first of two slots taken until 100.
    fn context() -> HoldContext {
        use crate::domain::catalog::{Concert, Schedule, ScheduleStatus, Seat};
        let schedule = Schedule {
            schedule_id: 2,
            concert_id: 1,
            date: day("2026-01-02"),
            total_seats: 1,
            first_seat_id: 3,
            sale_opens_at: 10,
            sale_closes_at: 1_000,
            status: ScheduleStatus::Ready,
        };
        HoldContext {
            concert: Some(Concert {
                id: 1,
                title: "t".into(),
                start_date: day("2026-01-01"),
                end_date: day("2026-01-02"),
                has_room: false,
            }),
            seat: Some(Seat {
                hold_until: Some(50),
                ..Seat::new(&schedule, 3, "A1".into(), 10)
            }),
            schedule: Some(schedule),
            slots: vec![Some(100), None],
        }
    }

    #[test]
    fn a_hold_is_planned_after_every_check_in_order() {
        use crate::domain::catalog::ScheduleStatus;
        let ctx = context();
        let plan =
            |ctx: &HoldContext, cap, now| plan_hold(ctx.clone(), ("u", 0), cap, now, 1_000, 7);
        let r = plan(&ctx, 2, 50).unwrap();
        assert_eq!((r.hold_slot, r.expires_at, r.price), (1, 1_050, 10));
        assert_eq!(plan(&ctx, 2, 49).unwrap_err(), HoldRefusal::SeatTaken);
        // The cap is told before a taken seat, the window before both.
        assert_eq!(plan(&ctx, 1, 49).unwrap_err(), HoldRefusal::TicketLimit);
        assert_eq!(plan(&ctx, 1, 9).unwrap_err(), HoldRefusal::SaleNotOpen);
        assert_eq!(plan(&ctx, 2, 1_000).unwrap_err(), HoldRefusal::SaleClosed);
        let with_status = |status| {
            let mut c = ctx.clone();
            if let Some(s) = c.schedule.as_mut() {
                s.status = status;
            }
            c
        };
        assert_eq!(
            plan(&with_status(ScheduleStatus::Cancelling), 1, 9).unwrap_err(),
            HoldRefusal::ScheduleCancelled
        );
        assert_eq!(
            plan(&with_status(ScheduleStatus::Preparing), 2, 50).unwrap_err(),
            HoldRefusal::ScheduleNotFound
        );
        let mut seat_cancelled = ctx.clone();
        if let Some(s) = seat_cancelled.seat.as_mut() {
            s.cancelled = Some(crate::domain::catalog::SeatCancel::Free);
        }
        assert_eq!(
            plan(&seat_cancelled, 2, 50).unwrap_err(),
            HoldRefusal::ScheduleCancelled
        );
        let no_seat = HoldContext {
            seat: None,
            ..with_status(ScheduleStatus::Cancelled)
        };
        assert_eq!(
            plan(&no_seat, 2, 50).unwrap_err(),
            HoldRefusal::SeatNotFound
        );
        let no_concert = HoldContext {
            concert: None,
            ..ctx
        };
        assert_eq!(
            plan(&no_concert, 2, 50).unwrap_err(),
            HoldRefusal::ConcertNotFound
        );
    }

    #[test]
    fn a_token_of_another_room_is_refused_after_the_404s_before_the_409s() {
        let ctx = context();
        let scoped = |room, ctx: &HoldContext| plan_hold(ctx.clone(), ("u", room), 1, 9, 1_000, 7);
        assert_eq!(scoped(4, &ctx).unwrap_err(), HoldRefusal::TokenScope);
        let no_seat = HoldContext {
            seat: None,
            ..ctx.clone()
        };
        assert_eq!(scoped(4, &no_seat).unwrap_err(), HoldRefusal::SeatNotFound);
        let mut with_room = ctx.clone();
        if let Some(c) = with_room.concert.as_mut() {
            c.has_room = true;
        }
        assert_eq!(scoped(0, &with_room).unwrap_err(), HoldRefusal::TokenScope);
        let own = with_room.concert.as_ref().map_or(0, |c| c.id);
        assert_eq!(
            scoped(own, &with_room).unwrap_err(),
            HoldRefusal::SaleNotOpen
        );
    }
}

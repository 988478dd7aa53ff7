//! Cancellations: a schedule's, seat by seat, and a fan's own.
//!
//! Every seat the schedule's cancellation reaches gets `cancelled` in the
//! same conditional write that releases its hold or refunds its ticket;
//! the hold and the sale conditions require `attribute_not_exists(cancelled)`,
//! so nothing slips in behind it. A refund commits with the reservation's
//! COMPLETE → CANCELLED, the balance and its `REFUND` entry: once, ever.

use super::error::{OrFailed, StoreError};
use super::io::{key, n, s};
use super::points::LEDGER_ENTRY;
use super::schema::catalog::schedule_attr;
use super::schema::catalog::{seat_pk, seat_sk, SEAT_CANCELLED};
use super::schema::points::{user_pk, BALANCE, BALANCE_SK};
use super::schema::reservations::{attr as ra, reservation_pk, RES_SK};
use super::schema::{state, PK};
use super::seat::SeatRef;
use super::tx::Tx;
use super::Db;
use crate::domain::catalog::{Schedule, ScheduleStatus, Seat};
use crate::domain::jobs::Job;
use crate::domain::points::LedgerEntry;
use crate::domain::reservation::{Canceller, Reservation, ReservationStatus};
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};

const SEAT: &str = "seat";
const RESERVATION: &str = "reservation";
const CREDIT: &str = "credit";
const SLOT: &str = "hold slot";
const LISTING: &str = "schedule listing";
const META: &str = "schedule";

impl Db {
    /// Moves a schedule to CANCELLING and creates its cancel job, in one
    /// transaction; `false` when it was already cancelling or cancelled.
    pub async fn start_cancel(&self, schedule: &Schedule, job: &Job) -> Result<bool, StoreError> {
        let mut tx = Tx::new().put("job", self.new_job(job)?);
        for (name, pk, sk) in [
            (
                LISTING,
                super::schema::catalog::concert_pk(schedule.concert_id),
                super::schema::catalog::schedule_sk(schedule.schedule_id),
            ),
            (
                META,
                super::schema::catalog::schedule_pk(schedule.schedule_id),
                super::schema::catalog::META_SK.to_string(),
            ),
        ] {
            let u = Update::builder()
                .table_name(&self.tables.catalog)
                .set_key(Some(key(pk, sk)))
                .update_expression("SET #status = :cancelling")
                .condition_expression("#status IN (:p, :r)")
                .expression_attribute_names("#status", schedule_attr::STATUS)
                .expression_attribute_values(":cancelling", state(ScheduleStatus::Cancelling))
                .expression_attribute_values(":p", state(ScheduleStatus::Preparing))
                .expression_attribute_values(":r", state(ScheduleStatus::Ready))
                .build()
                .or_failed()?;
            tx = tx.update(name, u);
        }
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(LISTING) || c.failed(META) || c.failed("job") => Ok(false),
            Err(c) => Err(c.unexplained("start cancel")),
        }
    }

    /// Cancels one seat as read at `now_ms`: refunds its ticket, releases
    /// its running hold, or marks it. `false` when the seat changed since
    /// it was read (read it again and retry).
    pub async fn cancel_seat(&self, seat: &Seat, now_ms: i64) -> Result<bool, StoreError> {
        if seat.cancelled.is_some() {
            return Ok(true);
        }
        let tx = if let Some(rid) = seat.sold_reserve_id {
            self.refund_tx(seat, rid, now_ms)?
        } else if let (Some(rid), Some(until)) = (seat.hold_id, seat.hold_until) {
            if until > now_ms {
                self.release_tx(seat, rid, now_ms)?
            } else {
                Tx::new().update(SEAT, self.seat_cancel_free(SeatRef::from(seat), now_ms)?)
            }
        } else {
            Tx::new().update(SEAT, self.seat_cancel_free(SeatRef::from(seat), now_ms)?)
        };
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(SEAT) || c.failed(RESERVATION) => Ok(false),
            Err(c) if c.failed(LEDGER_ENTRY) => Ok(false),
            Err(c) => Err(c.unexplained("cancel seat")),
        }
    }

    /// Releases a running hold: the seat marked, the reservation cancelled.
    fn release_tx(&self, seat: &Seat, rid: u64, now_ms: i64) -> Result<Tx, StoreError> {
        let seat_write = self.seat_cancel_hold(SeatRef::from(seat), rid)?;
        let record = self.cancel_record(rid, ReservationStatus::Temp, 0, now_ms)?;
        Ok(Tx::new()
            .update(SEAT, seat_write)
            .update(RESERVATION, record))
    }

    /// Refunds a sold ticket in full: the seat marked, the reservation
    /// cancelled, the balance credited and its `REFUND` entry written.
    fn refund_tx(&self, seat: &Seat, rid: u64, now_ms: i64) -> Result<Tx, StoreError> {
        let user = seat
            .sold_to
            .as_deref()
            .ok_or_else(|| StoreError::failed("sold seat without its buyer"))?;
        let seat_write = self.seat_cancel_ticket(SeatRef::from(seat), rid, seat.price)?;
        let record = self.cancel_record(rid, ReservationStatus::Complete, seat.price, now_ms)?;
        let entry = LedgerEntry::refund(&*self.entropy, user, rid, seat.price, now_ms);
        Ok(Tx::new()
            .update(SEAT, seat_write)
            .update(RESERVATION, record)
            .update(CREDIT, self.credit(user, seat.price)?)
            .put(LEDGER_ENTRY, self.ledger_put(&entry, None)?))
    }

    /// A reservation `from` → CANCELLED by the organiser, with its refund.
    fn cancel_record(
        &self,
        rid: u64,
        from: ReservationStatus,
        refund: i64,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        let by = Canceller::Organiser;
        let update = self.cancelled_record(rid, by, refund, now_ms, "#status = :from".into());
        update
            .expression_attribute_values(":from", state(from))
            .build()
            .or_failed()
    }

    /// Adds `amount` to a user's balance (a refund: no upper limit applies,
    /// the points were the user's).
    pub(crate) fn credit(&self, user_id: &str, amount: i64) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(user_id), BALANCE_SK)))
            .update_expression("ADD #point :amount")
            .expression_attribute_names("#point", BALANCE)
            .expression_attribute_values(":amount", n(amount))
            .build()
            .or_failed()
    }

    /// One seat read strongly (the cancel job's retry after a race).
    pub async fn seat_now(&self, seat: &Seat) -> Result<Option<Seat>, StoreError> {
        let item = self
            .get(
                &self.tables.catalog,
                key(
                    seat_pk(seat.schedule_id, seat.seat_id),
                    seat_sk(seat.seat_id),
                ),
                true,
            )
            .await?;
        item.map(super::from_item).transpose()
    }

    /// The seats of one block, read strongly.
    pub async fn block_now(&self, schedule_id: u64, block: u64) -> Result<Vec<Seat>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.catalog)
            .key_condition_expression(format!("{PK} = :pk"))
            .expression_attribute_values(
                ":pk",
                s(super::schema::catalog::block_pk(schedule_id, block)),
            )
            .consistent_read(true);
        self.query_all(query)
            .await?
            .into_iter()
            .map(super::from_item)
            .collect()
    }
}

/// How a fan's cancellation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FanCancel {
    Cancelled,
    /// The reservation was no longer what was read; it is given as it is
    /// now (None: gone).
    Moved(Option<Box<Reservation>>),
    /// The schedule's cancellation reached the seat first.
    SeatCancelled,
}

impl Db {
    /// A fan lets their running hold go: the reservation cancelled (still
    /// theirs and unexpired), the seat and the hold slot freed at once.
    pub async fn release_own_hold(
        &self,
        r: &Reservation,
        now_ms: i64,
        idempotency: Option<Update>,
    ) -> Result<FanCancel, StoreError> {
        let seat = self.seat_release(SeatRef::from(r), r.reserve_id, now_ms)?;
        let tx = Tx::new()
            .update(RESERVATION, self.fan_cancel_record(r, 0, now_ms)?)
            .update(SEAT, seat)
            .update(SLOT, self.free_hold_slot(r)?)
            .update_if(super::tx::IDEMPOTENCY, idempotency);
        self.fan_cancel(tx).await
    }

    /// A fan returns a paid ticket: refunded in full with its `REFUND`
    /// entry, the seat back on sale and the ticket's slot freed, at once.
    pub async fn refund_own_ticket(
        &self,
        r: &Reservation,
        entry: &LedgerEntry,
        idempotency: Option<Update>,
    ) -> Result<FanCancel, StoreError> {
        let seat = self.seat_return(SeatRef::from(r), r.reserve_id, r.price)?;
        let tx = Tx::new()
            .update(RESERVATION, self.fan_cancel_record(r, r.price, entry.at)?)
            .update(SEAT, seat)
            .update(CREDIT, self.credit(&r.user_id, r.price)?)
            .put(LEDGER_ENTRY, self.ledger_put(entry, None)?)
            .update(SLOT, self.free_hold_slot(r)?)
            .update_if(super::tx::IDEMPOTENCY, idempotency);
        self.fan_cancel(tx).await
    }

    async fn fan_cancel(&self, tx: Tx) -> Result<FanCancel, StoreError> {
        let c = match self.transact(tx).await? {
            Ok(()) => return Ok(FanCancel::Cancelled),
            Err(c) => c,
        };
        if c.failed(RESERVATION) {
            let now = c
                .old(RESERVATION)
                .cloned()
                .map(super::from_item)
                .transpose()?;
            return Ok(FanCancel::Moved(now.map(Box::new)));
        }
        if c.failed(SEAT) && c.old(SEAT).is_some_and(|o| o.contains_key(SEAT_CANCELLED)) {
            return Ok(FanCancel::SeatCancelled);
        }
        if c.failed(LEDGER_ENTRY) {
            return Err(StoreError::IdTaken);
        }
        Err(c.claim_or_unexplained("cancel reservation"))
    }

    /// The reservation TEMP or COMPLETE → CANCELLED by its own user.
    fn fan_cancel_record(
        &self,
        r: &Reservation,
        refund: i64,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        let (from, guard) = match r.status {
            ReservationStatus::Temp => (
                ReservationStatus::Temp,
                format!(" AND {} > :now", ra::EXPIRES_AT),
            ),
            _ => (ReservationStatus::Complete, String::new()),
        };
        let condition = format!("#status = :from AND {} = :user{guard}", ra::USER_ID);
        self.cancelled_record(r.reserve_id, Canceller::Fan, refund, now_ms, condition)
            .expression_attribute_values(":from", state(from))
            .expression_attribute_values(":user", s(r.user_id.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .or_failed()
    }

    /// A reservation → CANCELLED by `by`, with its refund, under `condition`
    /// (its `:from` and what else it names are the caller's to bind).
    fn cancelled_record(
        &self,
        rid: u64,
        by: Canceller,
        refund: i64,
        now_ms: i64,
        condition: String,
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&self.tables.reservations)
            .set_key(Some(key(reservation_pk(rid), RES_SK)))
            .update_expression(format!(
                "SET #status = :cancelled, {} = :by, {} = :now, {} = :refund REMOVE #ttl",
                ra::CANCELLED_BY,
                ra::CANCELLED_AT,
                ra::REFUND
            ))
            .condition_expression(condition)
            .expression_attribute_names("#status", ra::STATUS)
            .expression_attribute_names("#ttl", super::schema::TTL)
            .expression_attribute_values(":cancelled", state(ReservationStatus::Cancelled))
            .expression_attribute_values(":by", state(by))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":refund", n(refund))
    }
}

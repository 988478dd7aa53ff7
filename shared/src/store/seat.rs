//! The seat's states in one place. A seat item (`CatalogTable`, its
//! block's partition, `SEAT#{id}`) is
//! - **free**: no `soldReserveId`, no `cancelled`, and no hold running
//!   (`holdUntil` absent or past: a lapsed hold frees the seat at once,
//!   whether or not anything has deleted it yet) — except to the fan whose
//!   hold of it ended unpaid less than a hold's length ago (`lastHolder`,
//!   `lastEnd`, or their own lapsed hold still on it), so nobody keeps a
//!   seat off sale by releasing and holding it again;
//! - **held** by a reservation: `holdId`, `holdUntil` in the future, `holder`;
//! - **sold** to a reservation: `soldReserveId`, `soldTo` (the hold's
//!   attributes stay as they were);
//! - **cancelled** with its schedule: `cancelled` says what it was then.
//!
//! Every transition is one conditional update below, built from the named
//! conditions; holds, payments, fan cancellation, the hold cleanup and the
//! cancel job only put them into their transactions.

use super::error::{OrFailed, StoreError};
use super::io::{conditional, key, n, s};
use super::schema::catalog::{seat_attr as a, seat_pk, seat_sk};
use super::schema::{state, PK};
use super::Db;
use crate::domain::catalog::{Seat, SeatCancel};
use crate::domain::reservation::Reservation;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};

/// The seat item exists.
fn exists() -> String {
    format!("attribute_exists({PK})")
}

/// Free at `:now`: unsold, not cancelled, no hold running.
fn free() -> String {
    format!(
        "attribute_not_exists({sold}) AND attribute_not_exists({cancelled}) \
         AND (attribute_not_exists({until}) OR {until} <= :now)",
        sold = a::SOLD_RESERVE_ID,
        cancelled = a::CANCELLED,
        until = a::HOLD_UNTIL,
    )
}

/// Not `:user`'s to hold again yet: a hold of theirs on it ended unpaid
/// after `:cool` (released, or lapsed with its hold still on the seat).
fn cooling_off() -> String {
    format!(
        "({last} = :user AND {end} > :cool) OR ({holder} = :user AND {until} > :cool)",
        last = a::LAST_HOLDER,
        end = a::LAST_END,
        holder = a::HOLDER,
        until = a::HOLD_UNTIL,
    )
}

/// A new hold (ending `:until`) ends after the last one let go or
/// returned, whatever the clock of the host that let it go.
fn after_the_last() -> String {
    format!(
        "(attribute_not_exists({last}) OR {last} < :until)",
        last = a::LAST_UNTIL
    )
}

/// Held by reservation `:rid` (running or lapsed), unsold, not cancelled.
fn held_by() -> String {
    format!(
        "{hold} = :rid AND attribute_not_exists({sold}) AND attribute_not_exists({cancelled})",
        hold = a::HOLD_ID,
        sold = a::SOLD_RESERVE_ID,
        cancelled = a::CANCELLED,
    )
}

/// The hold is still running at `:now`.
fn running() -> String {
    format!("{} > :now", a::HOLD_UNTIL)
}

/// Sold to reservation `:rid` and not cancelled.
fn sold_to() -> String {
    format!(
        "{sold} = :rid AND attribute_not_exists({cancelled})",
        sold = a::SOLD_RESERVE_ID,
        cancelled = a::CANCELLED,
    )
}

/// What the hold attributes' removal reads.
fn hold_attrs() -> String {
    format!("{}, {}, {}", a::HOLD_ID, a::HOLD_UNTIL, a::HOLDER)
}

/// The seat's count of refunded tickets and points, for the organiser's
/// report: one more ticket, `:price` more points.
fn refund_counts() -> String {
    format!(
        "{} :one, {} :price",
        a::REFUNDED_TICKETS,
        a::REFUNDED_POINTS
    )
}

/// A refund of reservation `:rid`'s ticket: sold to it, counted.
fn refunded(update: UpdateBuilder, rid: u64, price: i64) -> UpdateBuilder {
    update
        .condition_expression(sold_to())
        .expression_attribute_values(":rid", n(rid))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":price", n(price))
}

/// A seat as a hold, a sale or a cancellation addresses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatRef {
    pub schedule_id: u64,
    pub seat_id: u64,
}

impl From<&Reservation> for SeatRef {
    fn from(r: &Reservation) -> Self {
        SeatRef {
            schedule_id: r.schedule_id,
            seat_id: r.seat_id,
        }
    }
}

impl From<&Seat> for SeatRef {
    fn from(seat: &Seat) -> Self {
        SeatRef {
            schedule_id: seat.schedule_id,
            seat_id: seat.seat_id,
        }
    }
}

impl Db {
    fn seat(&self, seat: SeatRef) -> UpdateBuilder {
        Update::builder()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(
                seat_pk(seat.schedule_id, seat.seat_id),
                seat_sk(seat.seat_id),
            )))
            // A refused transition says what the seat is instead.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    /// free → held (**no double booking**): the seat of this concert, free now.
    pub(super) fn seat_hold(
        &self,
        seat: SeatRef,
        hold: SeatHold<'_>,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        self.seat(seat)
            .update_expression(format!(
                "SET {} = :rid, {} = :until, {} = :user",
                a::HOLD_ID,
                a::HOLD_UNTIL,
                a::HOLDER
            ))
            .condition_expression(format!(
                "{} AND {} = :cid AND {} AND NOT ({}) AND {}",
                exists(),
                a::CONCERT_ID,
                free(),
                cooling_off(),
                after_the_last()
            ))
            .expression_attribute_values(":cool", n(now_ms - hold.length_ms))
            .expression_attribute_values(":rid", n(hold.reserve_id))
            .expression_attribute_values(":until", n(hold.until))
            .expression_attribute_values(":user", s(hold.user_id))
            .expression_attribute_values(":cid", n(hold.concert_id))
            .expression_attribute_values(":now", n(now_ms))
            .build()
            .or_failed()
    }

    /// held → sold (**no double sale**): held by this reservation, the
    /// hold still running.
    pub(super) fn seat_sell(
        &self,
        seat: SeatRef,
        rid: u64,
        user_id: &str,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        self.seat(seat)
            .update_expression(format!(
                "SET {} = :rid, {} = :user",
                a::SOLD_RESERVE_ID,
                a::SOLD_TO
            ))
            .condition_expression(format!("{} AND {}", held_by(), running()))
            .expression_attribute_values(":rid", n(rid))
            .expression_attribute_values(":user", s(user_id))
            .expression_attribute_values(":now", n(now_ms))
            .build()
            .or_failed()
    }

    /// held → free: only while this reservation's hold is on it, unsold
    /// (a fan letting go at `ended_ms`, or the cleanup after a lapse at the
    /// hold's end); the holder's cool-off starts then.
    pub(super) fn seat_release(
        &self,
        seat: SeatRef,
        rid: u64,
        ended_ms: i64,
    ) -> Result<Update, StoreError> {
        self.seat(seat)
            .update_expression(format!(
                "SET {last} = {holder}, {end} = :ended, {last_until} = {until} REMOVE {}",
                hold_attrs(),
                last = a::LAST_HOLDER,
                holder = a::HOLDER,
                end = a::LAST_END,
                last_until = a::LAST_UNTIL,
                until = a::HOLD_UNTIL,
            ))
            .condition_expression(held_by())
            .expression_attribute_values(":rid", n(rid))
            .expression_attribute_values(":ended", n(ended_ms))
            .build()
            .or_failed()
    }

    /// The cleanup after a lapse, alone: frees the seat if, and only if,
    /// this reservation's hold is still on it and it is unsold.
    pub async fn release_seat(&self, r: &Reservation) -> Result<bool, StoreError> {
        let release = self.seat_release(SeatRef::from(r), r.reserve_id, r.expires_at)?;
        let out = self
            .client
            .update_item()
            .table_name(release.table_name())
            .set_key(Some(release.key().clone()))
            .update_expression(release.update_expression())
            .set_condition_expression(release.condition_expression().map(str::to_string))
            .set_expression_attribute_values(release.expression_attribute_values().cloned())
            .send()
            .await;
        conditional(out)
    }

    /// sold → free: a fan returns the ticket; the refund is counted on the
    /// seat for the organiser's report.
    pub(super) fn seat_return(
        &self,
        seat: SeatRef,
        rid: u64,
        price: i64,
    ) -> Result<Update, StoreError> {
        let update = self.seat(seat).update_expression(format!(
            "SET {} = {} REMOVE {}, {}, {} ADD {}",
            a::LAST_UNTIL,
            a::HOLD_UNTIL,
            a::SOLD_RESERVE_ID,
            a::SOLD_TO,
            hold_attrs(),
            refund_counts()
        ));
        refunded(update, rid, price).build().or_failed()
    }

    /// free → cancelled: a free seat (or one whose hold lapsed), unless a
    /// hold or a sale got there first.
    pub(super) fn seat_cancel_free(
        &self,
        seat: SeatRef,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        self.seat(seat)
            .update_expression(format!("SET {} = :c REMOVE {}", a::CANCELLED, hold_attrs()))
            .condition_expression(format!("{} AND {}", exists(), free()))
            .expression_attribute_values(":c", state(SeatCancel::Free))
            .expression_attribute_values(":now", n(now_ms))
            .build()
            .or_failed()
    }

    /// held → cancelled: the running hold released with its schedule.
    pub(super) fn seat_cancel_hold(&self, seat: SeatRef, rid: u64) -> Result<Update, StoreError> {
        self.seat(seat)
            .update_expression(format!("SET {} = :c REMOVE {}", a::CANCELLED, hold_attrs()))
            .condition_expression(held_by())
            .expression_attribute_values(":c", state(SeatCancel::Hold))
            .expression_attribute_values(":rid", n(rid))
            .build()
            .or_failed()
    }

    /// sold → cancelled: the ticket refunded with its schedule, counted
    /// on the seat.
    pub(super) fn seat_cancel_ticket(
        &self,
        seat: SeatRef,
        rid: u64,
        price: i64,
    ) -> Result<Update, StoreError> {
        let update = self
            .seat(seat)
            .update_expression(format!("SET {} = :c ADD {}", a::CANCELLED, refund_counts()))
            .expression_attribute_values(":c", state(SeatCancel::Ticket));
        refunded(update, rid, price).build().or_failed()
    }
}

/// What a hold writes on the seat.
#[derive(Debug, Clone, Copy)]
pub struct SeatHold<'a> {
    pub reserve_id: u64,
    pub until: i64,
    pub user_id: &'a str,
    pub concert_id: u64,
    /// A hold's length: the same fan's cool-off after one of theirs ends.
    pub length_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_as_the_states_say() {
        assert_eq!(
            free(),
            "attribute_not_exists(soldReserveId) AND attribute_not_exists(cancelled) \
             AND (attribute_not_exists(holdUntil) OR holdUntil <= :now)"
        );
        assert_eq!(
            held_by(),
            "holdId = :rid AND attribute_not_exists(soldReserveId) AND attribute_not_exists(cancelled)"
        );
        assert_eq!(
            sold_to(),
            "soldReserveId = :rid AND attribute_not_exists(cancelled)"
        );
        assert_eq!(running(), "holdUntil > :now");
    }
}

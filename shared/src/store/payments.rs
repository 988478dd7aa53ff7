//! The payment transaction: every write of a payment commits together or
//! not at all (SPEC §4.6).

use super::error::{OrFailed, StoreError};
use super::io::{from_item, key, n, s};
use super::points::LEDGER_ENTRY;
use super::queue::{QUEUE_SLOT, TOKEN, USER_TOKEN};
use super::schema::catalog::SEAT_CANCELLED;
use super::schema::points::{user_pk, BALANCE, BALANCE_SK};
use super::schema::reservations::{attr as r, reservation_pk, RES_SK};
use super::schema::{state, TTL};
use super::seat::SeatRef;
use super::tx::{Tx, IDEMPOTENCY};
use super::Db;
use crate::domain::points::{LedgerEntry, Payment};
use crate::domain::queue::{QueueToken, TokenState};
use crate::domain::reservation::{Reservation, ReservationStatus};
use crate::domain::room::RoomHolds;
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};

/// How a payment's transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    Paid,
    /// The reservation was no longer the payer's unexpired hold; it is
    /// given as it is now (None: it no longer exists).
    ReservationMoved(Option<Box<Reservation>>),
    InsufficientPoints,
    /// The reservation still looked held, yet its seat or hold slot had
    /// moved on: only a hold that ended explains it.
    HoldEnded,
    /// The payer's queue token changed since it was read (a hold taken
    /// with it, its end).
    TokenOver,
    /// The fan's holds in the room changed since they were read.
    HoldsMoved,
    /// The schedule's cancellation reached the seat first.
    SeatCancelled,
}

const RESERVATION: &str = "reservation";
const DEBIT: &str = "debit";
const SEAT: &str = "seat";
const HOLD_SLOT: &str = "hold slot";
const ROOM_HOLDS: &str = "fan's holds in the room";

impl Db {
    /// Pays hold `r` with `p` in one transaction: the reservation TEMP →
    /// COMPLETE (still the payer's and unexpired), the debit (balance ≥
    /// price), its ledger entry with the receipt, the seat → SOLD (still
    /// held by this reservation), the user's hold slot, the hold off the
    /// fan's holds in the room (as `holds` were read), and — when the payer
    /// pays with an ACTIVE token and no other hold of theirs in the room
    /// runs — the end of that token and its admission slot.
    pub async fn pay(
        &self,
        r: &Reservation,
        p: &Payment,
        token: &QueueToken,
        holds: &RoomHolds,
        idempotency: Option<Update>,
    ) -> Result<PayOutcome, StoreError> {
        let now = p.created_at;
        let tx = Tx::new()
            .update(RESERVATION, self.complete(r, p)?)
            .update(DEBIT, self.debit(&p.user_id, p.price)?)
            .put(
                LEDGER_ENTRY,
                self.ledger_put(&LedgerEntry::payment(p), Some(p))?,
            )
            .update(
                SEAT,
                self.seat_sell(SeatRef::from(r), r.reserve_id, &p.user_id, now)?,
            )
            .update(HOLD_SLOT, self.keep_slot_for_ticket(r)?)
            .update(ROOM_HOLDS, self.drop_room_hold(r, Some(holds), now)?);
        let tx = match token.state_at(now) {
            TokenState::Active => {
                let others = holds.others_running(r.reserve_id, now);
                self.token_after_payment(token, r.reserve_id, now, others)?
                    .into_tx(tx)
            }
            // A token no longer ACTIVE (or still waiting) has nothing to end.
            TokenState::Waiting | TokenState::Over => tx,
        };
        let tx = tx.update_if(IDEMPOTENCY, idempotency);
        let c = match self.transact(tx).await? {
            Ok(()) => return Ok(PayOutcome::Paid),
            Err(c) => c,
        };
        Ok(if c.failed(RESERVATION) {
            PayOutcome::ReservationMoved(
                c.old(RESERVATION)
                    .cloned()
                    .map(from_item)
                    .transpose()?
                    .map(Box::new),
            )
        } else if c.failed(DEBIT) {
            PayOutcome::InsufficientPoints
        } else if c.failed(LEDGER_ENTRY) {
            return Err(StoreError::IdTaken);
        } else if c.failed(SEAT) && c.old(SEAT).is_some_and(|o| o.contains_key(SEAT_CANCELLED)) {
            PayOutcome::SeatCancelled
        } else if c.failed(SEAT) || c.failed(HOLD_SLOT) {
            PayOutcome::HoldEnded
        } else if c.failed(TOKEN) || c.failed(USER_TOKEN) || c.failed(QUEUE_SLOT) {
            PayOutcome::TokenOver
        } else if c.failed(ROOM_HOLDS) {
            PayOutcome::HoldsMoved
        } else {
            return Err(c.claim_or_unexplained("payment"));
        })
    }

    /// TEMP → COMPLETE while the hold is the payer's and unexpired; TTL no
    /// longer applies to a sale.
    fn complete(&self, r: &Reservation, p: &Payment) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.reservations)
            .set_key(Some(key(reservation_pk(r.reserve_id), RES_SK)))
            .update_expression(format!(
                "SET #status = :complete, {} = :pid REMOVE #ttl",
                r::PAYMENT_ID
            ))
            .condition_expression(format!(
                "#status = :temp AND {} > :now AND {} = :user",
                r::EXPIRES_AT,
                r::USER_ID
            ))
            .expression_attribute_names("#status", r::STATUS)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":complete", state(ReservationStatus::Complete))
            .expression_attribute_values(":temp", state(ReservationStatus::Temp))
            .expression_attribute_values(":pid", n(p.payment_id))
            .expression_attribute_values(":now", n(p.created_at))
            .expression_attribute_values(":user", s(p.user_id.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .or_failed()
    }

    /// Takes `price` off the balance, which must cover it.
    pub(crate) fn debit(&self, user_id: &str, price: i64) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(user_id), BALANCE_SK)))
            .update_expression("SET #point = #point - :price")
            .condition_expression("#point >= :price")
            .expression_attribute_names("#point", BALANCE)
            .expression_attribute_values(":price", n(price))
            .build()
            .or_failed()
    }
}

//! Point balances, their ledger, and the payment transaction.
//!
//! - Balance (`PointsTable`, `USER#{user}`/`BALANCE`): `point`.
//! - Ledger (`PointsTable`, `USER#{user}`/`LEDGER#{at}#{entryId}`): one
//!   [`LedgerEntry`] per balance change, written in the same transaction.

use super::keys::{schedule_pk, seat_sk};
use super::reservations::{holds_pk, reservation_pk};
use super::{from_item, key, n, s, to_item, CancelReason, Db, Item};
use crate::domain::points::{LedgerEntry, Payment};
use crate::domain::queue::QueueToken;
use crate::domain::reservation::{Reservation, ReservationStatus};
use crate::error::AppError;
use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

const BALANCE_SK: &str = "BALANCE";

pub fn points_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}

pub fn ledger_sk(entry: &LedgerEntry) -> String {
    format!("LEDGER#{:016}#{}", entry.at, entry.entry_id)
}

/// How a charge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Charged,
    /// The balance would pass the limit.
    OverLimit,
    /// The ledger entry id is in use; draw another.
    IdTaken,
}

/// How a payment ended; refusals in the contract's check order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    Paid,
    Refused(AppError),
    /// The payment id is in use; draw another.
    IdTaken,
}

/// Everything one payment writes.
pub struct PaymentPlan<'a> {
    pub reservation: &'a Reservation,
    pub token: &'a QueueToken,
    pub payment: &'a Payment,
    pub entry: &'a LedgerEntry,
    pub now_ms: i64,
    pub idempotency: Option<TransactWriteItem>,
}

fn ledger_put(
    db: &Db,
    entry: &LedgerEntry,
    payment: Option<&Payment>,
) -> Result<TransactWriteItem, AppError> {
    let mut item = to_item(points_pk(&entry.user_id), ledger_sk(entry), entry)?;
    if let Some(p) = payment {
        // The payment record rides on its ledger entry.
        let receipt: Item = serde_dynamo::to_item(p).map_err(AppError::internal)?;
        item.insert(
            "payment".into(),
            aws_sdk_dynamodb::types::AttributeValue::M(receipt),
        );
    }
    Ok(TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(&db.tables.points)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(sk)")
                .build()
                .map_err(AppError::internal)?,
        )
        .build())
}

impl Db {
    /// The user's balance; 0 for a user never charged.
    pub async fn balance(&self, user_id: &str) -> Result<i64, AppError> {
        let item = self
            .get(
                &self.tables.points,
                key(points_pk(user_id), BALANCE_SK),
                true,
            )
            .await?;
        Ok(item
            .and_then(|i| i.get("point")?.as_n().ok()?.parse().ok())
            .unwrap_or(0))
    }

    /// Adds `entry.amount` to the balance, never past `max_balance`, with
    /// its ledger entry, in one transaction.
    pub async fn charge(
        &self,
        entry: &LedgerEntry,
        max_balance: i64,
        idempotency: Option<TransactWriteItem>,
    ) -> Result<ChargeOutcome, AppError> {
        let balance = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(points_pk(&entry.user_id), BALANCE_SK)))
            .update_expression("ADD point :amount")
            .condition_expression("attribute_not_exists(point) OR point <= :limit")
            .expression_attribute_values(":amount", n(entry.amount))
            .expression_attribute_values(":limit", n(max_balance - entry.amount))
            .build()
            .map_err(AppError::internal)?;
        let mut items = vec![
            TransactWriteItem::builder().update(balance).build(),
            ledger_put(self, entry, None)?,
        ];
        items.extend(idempotency);
        match self.transact(items).await? {
            Ok(()) => Ok(ChargeOutcome::Charged),
            Err(r) if r.first().is_some_and(CancelReason::failed_condition) => {
                Ok(ChargeOutcome::OverLimit)
            }
            Err(r) if r.get(1).is_some_and(CancelReason::failed_condition) => {
                Ok(ChargeOutcome::IdTaken)
            }
            Err(r) if r.get(2).is_some_and(CancelReason::failed_condition) => {
                Err(AppError::IdempotencyInProgress)
            }
            Err(r) => Err(AppError::internal(format!("charge cancelled: {r:?}"))),
        }
    }

    /// Pays a hold in one transaction: the reservation TEMP → COMPLETE
    /// (still the payer's and unexpired), the debit (balance ≥ price), its
    /// ledger entry with the receipt, the seat → SOLD (still held by this
    /// reservation), the user's hold slot, and the end of the user's queue
    /// token so its slot is freed. Nothing is written unless all hold.
    pub async fn pay(&self, plan: PaymentPlan<'_>) -> Result<PayOutcome, AppError> {
        let r = plan.reservation;
        let p = plan.payment;
        let reservation = Update::builder()
            .table_name(&self.tables.reservations)
            .set_key(Some(key(reservation_pk(r.reserve_id), "RES")))
            .update_expression("SET #status = :complete, paymentId = :pid REMOVE #ttl")
            .condition_expression("#status = :temp AND expiresAt > :now AND userId = :user")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":complete", s("COMPLETE"))
            .expression_attribute_values(":temp", s("TEMP"))
            .expression_attribute_values(":pid", n(p.payment_id))
            .expression_attribute_values(":now", n(plan.now_ms))
            .expression_attribute_values(":user", s(p.user_id.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(AppError::internal)?;
        let debit = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(points_pk(&p.user_id), BALANCE_SK)))
            .update_expression("SET point = point - :price")
            .condition_expression("point >= :price")
            .expression_attribute_values(":price", n(p.price))
            .build()
            .map_err(AppError::internal)?;
        let seat = Update::builder()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(schedule_pk(r.schedule_id), seat_sk(r.seat_id))))
            .update_expression("SET soldReserveId = :rid, soldTo = :user")
            .condition_expression(
                "holdId = :rid AND holdUntil > :now AND attribute_not_exists(soldReserveId)",
            )
            .expression_attribute_values(":rid", n(r.reserve_id))
            .expression_attribute_values(":user", s(p.user_id.clone()))
            .expression_attribute_values(":now", n(plan.now_ms))
            .build()
            .map_err(AppError::internal)?;
        let k = r.hold_slot;
        let hold_slot = Update::builder()
            .table_name(&self.tables.reservations)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), "HOLDS")))
            .update_expression(format!("REMOVE s{k}, r{k}"))
            .condition_expression(format!("r{k} = :rid"))
            .expression_attribute_values(":rid", n(r.reserve_id))
            .build()
            .map_err(AppError::internal)?;
        let mut items = vec![
            TransactWriteItem::builder().update(reservation).build(),
            TransactWriteItem::builder().update(debit).build(),
            ledger_put(self, plan.entry, Some(p))?,
            TransactWriteItem::builder().update(seat).build(),
            TransactWriteItem::builder().update(hold_slot).build(),
        ];
        let token_writes = self.end_token_writes(plan.token, plan.now_ms)?;
        let token_range = items.len()..items.len() + token_writes.len();
        items.extend(token_writes);
        items.extend(plan.idempotency);
        let reasons = match self.transact(items).await? {
            Ok(()) => return Ok(PayOutcome::Paid),
            Err(reasons) => reasons,
        };
        let failed = |i: usize| reasons.get(i).is_some_and(CancelReason::failed_condition);
        if failed(0) {
            return Ok(PayOutcome::Refused(reservation_refusal(
                reasons[0].old.as_ref(),
                r,
                plan.now_ms,
            )?));
        }
        if failed(1) {
            return Ok(PayOutcome::Refused(AppError::InsufficientPoints));
        }
        if failed(2) {
            return Ok(PayOutcome::IdTaken);
        }
        if failed(3) || failed(4) {
            // The reservation is TEMP and unexpired, yet its seat or slot
            // moved on: only a hold that ended can explain it.
            return Ok(PayOutcome::Refused(AppError::HoldExpired));
        }
        if token_range.clone().any(failed) {
            return Ok(PayOutcome::Refused(AppError::Unauthorized));
        }
        if failed(token_range.end) {
            return Ok(PayOutcome::Refused(AppError::IdempotencyInProgress));
        }
        Err(AppError::internal(format!(
            "payment cancelled: {reasons:?}"
        )))
    }

    /// Every ledger entry of a user, oldest first (audits and tests).
    pub async fn ledger(&self, user_id: &str) -> Result<Vec<LedgerEntry>, AppError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.points)
            .key_condition_expression("pk = :pk AND begins_with(sk, :ledger)")
            .expression_attribute_values(":pk", s(points_pk(user_id)))
            .expression_attribute_values(":ledger", s("LEDGER#"))
            .consistent_read(true);
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }
}

/// Why the reservation's condition failed, read from its old image.
fn reservation_refusal(
    old: Option<&Item>,
    r: &Reservation,
    now_ms: i64,
) -> Result<AppError, AppError> {
    let Some(old) = old else {
        return Ok(AppError::ReservationNotFound);
    };
    let current: Reservation = from_item(old.clone())?;
    Ok(if current.user_id != r.user_id {
        AppError::NotYourReservation
    } else {
        match current.status {
            ReservationStatus::Complete => AppError::NotPayable,
            ReservationStatus::Expired => AppError::HoldExpired,
            ReservationStatus::Temp if now_ms >= current.expires_at => AppError::HoldExpired,
            ReservationStatus::Temp => {
                AppError::internal("reservation condition failed on a payable hold")
            }
        }
    })
}

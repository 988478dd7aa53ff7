//! Seat holds and reservations.
//!
//! - Seat (`CatalogTable`, `SCHEDULE#{id}`/`SEAT#{id}`): `holdId`,
//!   `holdUntil`, `holder` while held; `soldReserveId` once sold.
//! - Reservation (`ReservationsTable`, `RES#{id}`/`RES`): the record, with
//!   `ttl` while TEMP so DynamoDB deletes an unpaid hold after it lapses.
//! - Hold slots (`ReservationsTable`, `HOLDS#{user}#{schedule}`/`HOLDS`):
//!   `s{k}` = expiry and `r{k}` = reservation of the user's k-th hold in
//!   the schedule, the per-user cap as a condition.

use super::keys::{concert_sk, schedule_pk, seat_sk, CONCERTS_PK, META_SK};
use super::{conditional, from_item, key, n, s, to_item, CancelReason, Db, Item};
use crate::domain::catalog::{Concert, Schedule, Seat};
use crate::domain::reservation::{ttl_seconds, Reservation, ReservationStatus};
use crate::error::AppError;
use aws_sdk_dynamodb::types::{
    KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use std::collections::HashMap;

const RES_SK: &str = "RES";
const HOLDS_SK: &str = "HOLDS";

pub fn reservation_pk(reserve_id: u64) -> String {
    format!("RES#{reserve_id}")
}

pub fn holds_pk(user_id: &str, schedule_id: u64) -> String {
    format!("HOLDS#{user_id}#{schedule_id}")
}

/// Everything a hold is checked against, read in one call.
#[derive(Debug, Default)]
pub struct HoldContext {
    pub concert: Option<Concert>,
    pub schedule: Option<Schedule>,
    pub seat: Option<Seat>,
    /// Expiry of each of the user's holds in the schedule, by slot.
    pub slots: Vec<Option<i64>>,
}

/// How a hold attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// Held or sold by someone, as the seat's condition found it.
    SeatTaken,
    SeatMissing,
    /// Another of the user's requests took the slot first.
    SlotTaken,
    /// The random reservation id is in use; draw another.
    IdTaken,
}

fn slot_values(item: &Item, cap: u32) -> Vec<Option<i64>> {
    (0..cap)
        .map(|k| {
            item.get(&format!("s{k}"))
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
        })
        .collect()
}

impl Db {
    pub async fn hold_context(
        &self,
        user_id: &str,
        concert_id: u64,
        schedule_id: u64,
        seat_id: u64,
        cap: u32,
    ) -> Result<HoldContext, AppError> {
        let catalog = KeysAndAttributes::builder()
            .keys(key(CONCERTS_PK.into(), concert_sk(concert_id)))
            .keys(key(schedule_pk(schedule_id), META_SK))
            .keys(key(schedule_pk(schedule_id), seat_sk(seat_id)))
            .consistent_read(true)
            .build()
            .map_err(AppError::internal)?;
        let holds = KeysAndAttributes::builder()
            .keys(key(holds_pk(user_id, schedule_id), HOLDS_SK))
            .consistent_read(true)
            .build()
            .map_err(AppError::internal)?;
        let request = HashMap::from([
            (self.tables.catalog.clone(), catalog),
            (self.tables.reservations.clone(), holds),
        ]);
        let mut ctx = HoldContext {
            slots: vec![None; cap as usize],
            ..Default::default()
        };
        let mut found = self.batch_get_all(request).await?;
        for item in found.remove(&self.tables.catalog).unwrap_or_default() {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == META_SK {
                ctx.schedule = Some(from_item(item)?);
            } else if sk.starts_with("SEAT#") {
                ctx.seat = Some(from_item(item)?);
            } else {
                ctx.concert = Some(from_item(item)?);
            }
        }
        for item in found.remove(&self.tables.reservations).unwrap_or_default() {
            ctx.slots = slot_values(&item, cap);
        }
        Ok(ctx)
    }

    /// Holds the seat for `r` in one transaction: the seat (free now, never
    /// sold, of this concert), the reservation record, and the user's hold
    /// slot (free now). Any failed condition writes nothing.
    pub async fn hold_seat(
        &self,
        r: &Reservation,
        now_ms: i64,
        idempotency: Option<TransactWriteItem>,
    ) -> Result<HoldOutcome, AppError> {
        let k = r.hold_slot;
        let seat = Update::builder()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(schedule_pk(r.schedule_id), seat_sk(r.seat_id))))
            .update_expression("SET holdId = :rid, holdUntil = :until, holder = :user")
            .condition_expression(
                "attribute_exists(pk) AND concertId = :cid AND attribute_not_exists(soldReserveId) \
                 AND (attribute_not_exists(holdUntil) OR holdUntil <= :now)",
            )
            .expression_attribute_values(":rid", n(r.reserve_id))
            .expression_attribute_values(":until", n(r.expires_at))
            .expression_attribute_values(":user", s(r.user_id.clone()))
            .expression_attribute_values(":cid", n(r.concert_id))
            .expression_attribute_values(":now", n(now_ms))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(AppError::internal)?;
        let mut record = to_item(reservation_pk(r.reserve_id), RES_SK, r)?;
        record.insert("ttl".into(), n(ttl_seconds(r.expires_at)));
        let reservation = Put::builder()
            .table_name(&self.tables.reservations)
            .set_item(Some(record))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(AppError::internal)?;
        let slot = Update::builder()
            .table_name(&self.tables.reservations)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), HOLDS_SK)))
            .update_expression(format!("SET s{k} = :until, r{k} = :rid"))
            .condition_expression(format!("attribute_not_exists(s{k}) OR s{k} <= :now"))
            .expression_attribute_values(":until", n(r.expires_at))
            .expression_attribute_values(":rid", n(r.reserve_id))
            .expression_attribute_values(":now", n(now_ms))
            .build()
            .map_err(AppError::internal)?;
        let mut items = vec![
            TransactWriteItem::builder().update(seat).build(),
            TransactWriteItem::builder().put(reservation).build(),
            TransactWriteItem::builder().update(slot).build(),
        ];
        items.extend(idempotency);
        let reasons = match self.transact(items).await? {
            Ok(()) => return Ok(HoldOutcome::Held),
            Err(reasons) => reasons,
        };
        let failed = |i: usize| reasons.get(i).is_some_and(CancelReason::failed_condition);
        if failed(0) {
            let exists = reasons[0].old.as_ref().is_some_and(|old| {
                old.get("concertId").and_then(|v| v.as_n().ok()) == Some(&r.concert_id.to_string())
            });
            return Ok(if exists {
                HoldOutcome::SeatTaken
            } else {
                HoldOutcome::SeatMissing
            });
        }
        if failed(1) {
            return Ok(HoldOutcome::IdTaken);
        }
        if failed(2) {
            return Ok(HoldOutcome::SlotTaken);
        }
        if failed(3) {
            return Err(AppError::IdempotencyInProgress);
        }
        Err(AppError::internal(format!("hold cancelled: {reasons:?}")))
    }

    pub async fn reservation(&self, reserve_id: u64) -> Result<Option<Reservation>, AppError> {
        let item = self
            .get(
                &self.tables.reservations,
                key(reservation_pk(reserve_id), RES_SK),
                true,
            )
            .await?;
        item.map(from_item).transpose()
    }

    /// Records a lapsed hold whose TEMP record TTL deleted as EXPIRED.
    /// `false` when a record of that id exists again (already done).
    pub async fn record_expired(&self, lapsed: &Reservation) -> Result<bool, AppError> {
        let expired = Reservation {
            status: ReservationStatus::Expired,
            ..lapsed.clone()
        };
        let item = to_item(reservation_pk(expired.reserve_id), RES_SK, &expired)?;
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.reservations)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        conditional(out.map(|_| ()))
    }

    /// Frees a seat if, and only if, it is still held by this reservation
    /// and unsold.
    pub async fn release_seat(
        &self,
        schedule_id: u64,
        seat_id: u64,
        reserve_id: u64,
    ) -> Result<bool, AppError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(schedule_pk(schedule_id), seat_sk(seat_id))))
            .update_expression("REMOVE holdId, holdUntil, holder")
            .condition_expression("holdId = :rid AND attribute_not_exists(soldReserveId)")
            .expression_attribute_values(":rid", n(reserve_id))
            .send()
            .await;
        conditional(out.map(|_| ()))
    }

    /// Frees the user's hold slot if it still belongs to this reservation.
    pub async fn release_hold_slot(&self, r: &Reservation) -> Result<bool, AppError> {
        let k = r.hold_slot;
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.reservations)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), HOLDS_SK)))
            .update_expression(format!("REMOVE s{k}, r{k}"))
            .condition_expression(format!("r{k} = :rid"))
            .expression_attribute_values(":rid", n(r.reserve_id))
            .send()
            .await;
        conditional(out.map(|_| ()))
    }
}

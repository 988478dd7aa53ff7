//! Seat holds and reservation records.
//!
//! - Seat: free → held, and back after a lapse (`store/seat.rs`).
//! - Reservation (`ReservationsTable`, `RES#{id}`/`RES`): the record, with
//!   `ttl` while TEMP so DynamoDB deletes an unpaid hold after it lapses.
//! - Hold slots (`QueueTable`, `HOLDS#{user}#{schedule}`/`HOLDS`):
//!   `s{k}` = expiry and `r{k}` = reservation of the user's k-th hold in
//!   the schedule, the per-user cap as a condition.

use super::cache::item_key;
use super::error::{OrFailed, StoreError};
use super::io::{conditional, from_item, key, n, num_attr, str_attr, to_item, Item};
use super::schema::catalog::{
    concert_sk, schedule_pk, seat_attr, seat_pk, seat_sk, CONCERTS_PK, META_SK, SEAT_CANCELLED,
    SEAT_PREFIX,
};
use super::schema::queue::{holds_pk, slot_attrs, HOLDS_SK, TICKET_KEPT};
use super::schema::reservations::{reservation_pk, RES_SK};
use super::schema::{PK, SK, TTL};
use super::seat::{SeatHold, SeatRef};
use super::tx::{Tx, IDEMPOTENCY};
use super::Db;
use crate::domain::queue::QueueToken;
use crate::domain::reservation::{ttl_seconds, HoldContext, Reservation, ReservationStatus};
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, Update};
use std::collections::HashMap;

/// How a hold attempt ended when its transaction was refused or committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// Held or sold by someone, as the seat's condition found it.
    SeatTaken,
    /// The schedule's cancellation reached the seat first.
    SeatCancelled,
    SeatMissing,
    /// Another of the user's requests took the slot first.
    SlotTaken,
    /// The holder's queue token ended before the hold.
    TokenOver,
}

const SEAT: &str = "seat";
const RECORD: &str = "reservation";
const SLOT: &str = "hold slot";
const TOKEN_HOLD: &str = "token";
const ROOM_HOLD: &str = "fan's holds in the room";

impl Db {
    /// Everything a hold is checked against, read consistently in one call.
    pub async fn hold_context(
        &self,
        user_id: &str,
        (concert_id, schedule_id, seat_id): (u64, u64, u64),
        cap: u32,
    ) -> Result<HoldContext, StoreError> {
        let mut ctx = HoldContext {
            slots: vec![None; cap as usize],
            ..Default::default()
        };
        // The concert and the schedule may come from the cache: they are
        // read on every attempt, and only the seat and the slots decide.
        let kept = |k: Item| self.caches.items.get(&item_key(&k)).ok_or(k);
        let mut catalog = KeysAndAttributes::builder()
            .keys(key(seat_pk(schedule_id, seat_id), seat_sk(seat_id)))
            .consistent_read(true);
        match kept(key(CONCERTS_PK, concert_sk(concert_id))) {
            Ok(item) => ctx.concert = Some(from_item(item)?),
            Err(k) => catalog = catalog.keys(k),
        }
        match kept(key(schedule_pk(schedule_id), META_SK)) {
            Ok(item) => ctx.schedule = Some(from_item(item)?),
            Err(k) => catalog = catalog.keys(k),
        }
        let holds = KeysAndAttributes::builder()
            .keys(key(holds_pk(user_id, schedule_id), HOLDS_SK))
            .consistent_read(true)
            .build()
            .or_failed()?;
        let request = HashMap::from([
            (self.tables.catalog.clone(), catalog.build().or_failed()?),
            (self.tables.queue.clone(), holds),
        ]);
        let mut found = self.batch_get_all(request).await?;
        for item in found.remove(&self.tables.catalog).unwrap_or_default() {
            match str_attr(&item, SK).unwrap_or_default() {
                sk if sk.starts_with(SEAT_PREFIX) => ctx.seat = Some(from_item(item)?),
                sk => {
                    self.caches.items.put(item_key(&item), item.clone());
                    if sk == META_SK {
                        ctx.schedule = Some(from_item(item)?);
                    } else {
                        ctx.concert = Some(from_item(item)?);
                    }
                }
            }
        }
        for item in found.remove(&self.tables.queue).unwrap_or_default() {
            ctx.slots = (0..cap)
                .map(|k| num_attr(&item, &slot_attrs(k).0))
                .collect();
        }
        Ok(ctx)
    }

    /// Holds the seat for `r` in one transaction: the seat (free now, never
    /// sold, of this concert), the reservation record, the user's hold
    /// slot (free now) and the hold noted on the user's ACTIVE token. Any
    /// failed condition writes nothing.
    pub async fn hold_seat(
        &self,
        r: &Reservation,
        token: &QueueToken,
        now_ms: i64,
        idempotency: Option<Update>,
    ) -> Result<HoldOutcome, StoreError> {
        let tx = Tx::new()
            .update(SEAT, self.seat_hold(SeatRef::from(r), hold_of(r), now_ms)?)
            .put(RECORD, self.new_record(r)?)
            .update(SLOT, self.take_hold_slot(r, now_ms)?)
            .update(
                TOKEN_HOLD,
                self.note_hold(token, r.reserve_id, r.expires_at, now_ms)?,
            )
            .update(ROOM_HOLD, self.note_room_hold(r)?)
            .update_if(IDEMPOTENCY, idempotency);
        let cancelled = match self.transact(tx).await? {
            Ok(()) => return Ok(HoldOutcome::Held),
            Err(c) => c,
        };
        if cancelled.failed(SEAT) {
            // The seat's old image tells a taken seat from a missing one.
            let old = cancelled.old(SEAT);
            let concert = old.and_then(|old| num_attr(old, seat_attr::CONCERT_ID));
            return Ok(if concert != Some(r.concert_id as i64) {
                HoldOutcome::SeatMissing
            } else if old.is_some_and(|o| o.contains_key(SEAT_CANCELLED)) {
                HoldOutcome::SeatCancelled
            } else {
                HoldOutcome::SeatTaken
            });
        }
        if cancelled.failed(RECORD) {
            return Err(StoreError::IdTaken);
        }
        if cancelled.failed(SLOT) {
            return Ok(HoldOutcome::SlotTaken);
        }
        if cancelled.failed(TOKEN_HOLD) {
            return Ok(HoldOutcome::TokenOver);
        }
        Err(cancelled.claim_or_unexplained("hold"))
    }

    /// The TEMP record, deleted by TTL once the hold has certainly ended.
    fn new_record(&self, r: &Reservation) -> Result<Put, StoreError> {
        let mut record = to_item(reservation_pk(r.reserve_id), RES_SK, r)?;
        record.insert(TTL.into(), n(ttl_seconds(r.expires_at)));
        Put::builder()
            .table_name(&self.tables.reservations)
            .set_item(Some(record))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .build()
            .or_failed()
    }

    /// The per-user cap: slot k is free, or its hold has run out (a paid
    /// ticket keeps its slot for good: `s{k}` = [`TICKET_KEPT`]).
    fn take_hold_slot(&self, r: &Reservation, now_ms: i64) -> Result<Update, StoreError> {
        let (until, res) = slot_attrs(r.hold_slot);
        Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), HOLDS_SK)))
            .update_expression("SET #until = :until, #res = :rid")
            .condition_expression("attribute_not_exists(#until) OR #until <= :now")
            .expression_attribute_names("#until", until)
            .expression_attribute_names("#res", res)
            .expression_attribute_values(":until", n(r.expires_at))
            .expression_attribute_values(":rid", n(r.reserve_id))
            .expression_attribute_values(":now", n(now_ms))
            .build()
            .or_failed()
    }

    /// Keeps the user's slot for the ticket a payment buys: the slot
    /// still counts towards `TICKETS_MAX_PER_USER` until it is cancelled.
    pub(crate) fn keep_slot_for_ticket(&self, r: &Reservation) -> Result<Update, StoreError> {
        let (until, res) = slot_attrs(r.hold_slot);
        Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), HOLDS_SK)))
            .update_expression("SET #until = :kept")
            .condition_expression("#res = :rid")
            .expression_attribute_names("#until", until)
            .expression_attribute_names("#res", res)
            .expression_attribute_values(":rid", n(r.reserve_id))
            .expression_attribute_values(":kept", n(TICKET_KEPT))
            .build()
            .or_failed()
    }

    /// Frees the user's hold slot if it still belongs to this reservation:
    /// when a hold or a ticket is cancelled, or on its own after a lapse.
    pub(crate) fn free_hold_slot(&self, r: &Reservation) -> Result<Update, StoreError> {
        let (until, res) = slot_attrs(r.hold_slot);
        Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), HOLDS_SK)))
            .update_expression("REMOVE #until, #res")
            .condition_expression("#res = :rid")
            .expression_attribute_names("#until", until)
            .expression_attribute_names("#res", res)
            .expression_attribute_values(":rid", n(r.reserve_id))
            .build()
            .or_failed()
    }

    pub async fn reservation(&self, reserve_id: u64) -> Result<Option<Reservation>, StoreError> {
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
    pub async fn record_expired(&self, lapsed: &Reservation) -> Result<bool, StoreError> {
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
            .condition_expression(format!("attribute_not_exists({PK})"))
            .send()
            .await;
        conditional(out)
    }

    /// Frees the user's hold slot on its own after a lapse: only while it
    /// still carries this hold's end (a paid ticket's slot never does).
    pub async fn release_hold_slot(&self, r: &Reservation) -> Result<bool, StoreError> {
        let (until, res) = slot_attrs(r.hold_slot);
        let lapsed = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(holds_pk(&r.user_id, r.schedule_id), HOLDS_SK)))
            .update_expression("REMOVE #until, #res")
            .condition_expression("#res = :rid AND #until = :end")
            .expression_attribute_names("#until", until)
            .expression_attribute_names("#res", res)
            .expression_attribute_values(":rid", n(r.reserve_id))
            .expression_attribute_values(":end", n(r.expires_at))
            .build()
            .or_failed()?;
        self.update_alone(lapsed).await
    }
}

fn hold_of(r: &Reservation) -> SeatHold<'_> {
    SeatHold {
        reserve_id: r.reserve_id,
        until: r.expires_at,
        user_id: &r.user_id,
        concert_id: r.concert_id,
        length_ms: r.expires_at - r.created_at,
    }
}

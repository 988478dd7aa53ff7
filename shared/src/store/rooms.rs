//! Waiting rooms (SPEC §12, `QueueTable`): `ROOM#{concertId}`/`ROOM`
//! holds a room's settings and its draw's seed; `ROOMS`/`{concertId}`
//! lists every room for the activator; the concert's catalogue item
//! carries `hasRoom`, so the token gate knows which concerts have a room
//! from the item it reads anyway. `GUARD`/`STATE` is the guard's view of
//! the alarms it follows.

use super::cache::item_key;
use super::error::{OrFailed, StoreError};
use super::io::{conditional, from_item, key, n, s, str_attr, to_item};
use super::schema::catalog::{concert_sk, CONCERTS_PK, HAS_ROOM};
use super::schema::queue::attr::{ADMIT_PER_SECOND, GUARD, OPENS_AT, SOLD_OUT};
use super::schema::queue::{
    room_pk, ALARM_PREFIX, GUARD_PK, GUARD_SK, MAX_ACTIVE, PAUSED, ROOMS_PK, ROOM_SK,
};
use super::schema::{pad, state, PK, SK};
use super::tx::Tx;
use super::Db;
use crate::domain::guard::alarm_holds;
use crate::domain::room::{CheckedChange, Room};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, Update};

const ROOM: &str = "room";
const LISTING: &str = "room listing";
const CONCERT: &str = "concert";

/// How near its opening a room is read past the cache: twice the cache's
/// lifetime.
const NEAR_OPENING_MS: i64 = 2_000;

/// How an organiser's change of a room ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomWrite {
    Done(Room),
    /// `opensAt` cannot move once the room has opened.
    Opened,
    /// No such room (to change) or concert (to create one for).
    Missing,
    /// Another request created it first.
    Exists,
}

impl Db {
    /// A room as stored now.
    pub async fn room(&self, concert_id: u64) -> Result<Option<Room>, StoreError> {
        let item = self
            .get(&self.tables.queue, key(room_pk(concert_id), ROOM_SK), true)
            .await?;
        item.map(from_item).transpose()
    }

    /// A room as the catalogue cache keeps it (up to its lifetime old): what
    /// joins and polls read.
    pub async fn cached_room(&self, concert_id: u64) -> Result<Option<Room>, StoreError> {
        let k = key(room_pk(concert_id), ROOM_SK);
        let id = item_key(&k);
        if let Some(item) = self.caches.items.get(&id) {
            return from_item(item).map(Some);
        }
        let Some(item) = self.get(&self.tables.queue, k, false).await? else {
            return Ok(None);
        };
        self.caches.items.put(id, item.clone());
        from_item(item).map(Some)
    }

    /// A room as of `now_ms` for the public route: the cached copy, read
    /// again strongly near its opening, where a copy a second old could
    /// publish a seed before its time (the route is cached at the edge for
    /// a second, so this is not a per-fan read).
    pub async fn room_at(&self, concert_id: u64, now_ms: i64) -> Result<Option<Room>, StoreError> {
        match self.cached_room(concert_id).await? {
            Some(r) if (now_ms - r.opens_at).abs() < NEAR_OPENING_MS => self.room(concert_id).await,
            other => Ok(other),
        }
    }

    /// Creates a room, lists it, and marks its concert as having one, in
    /// one transaction.
    pub async fn create_room(&self, room: &Room) -> Result<RoomWrite, StoreError> {
        let put = |item| {
            Put::builder()
                .table_name(&self.tables.queue)
                .set_item(Some(item))
                .condition_expression(format!("attribute_not_exists({PK})"))
                .build()
                .or_failed()
        };
        let listing = key(ROOMS_PK, pad(room.concert_id));
        let mark = Update::builder()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(CONCERTS_PK, concert_sk(room.concert_id))))
            .update_expression(format!("SET {HAS_ROOM} = :yes"))
            .condition_expression(format!("attribute_exists({PK})"))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()
            .or_failed()?;
        let tx = Tx::new()
            .put(
                ROOM,
                put(to_item(room_pk(room.concert_id), ROOM_SK, room)?)?,
            )
            .put(LISTING, put(listing)?)
            .update(CONCERT, mark);
        match self.transact(tx).await? {
            Ok(()) => Ok(RoomWrite::Done(room.clone())),
            Err(c) if c.failed(CONCERT) => Ok(RoomWrite::Missing),
            Err(c) if c.failed(ROOM) || c.failed(LISTING) => Ok(RoomWrite::Exists),
            Err(c) => Err(c.unexplained("create room")),
        }
    }

    /// Changes the fields given; `opensAt` only while the room has not
    /// opened (or to the value it has).
    pub async fn change_room(
        &self,
        concert_id: u64,
        change: &CheckedChange,
        now_ms: i64,
    ) -> Result<RoomWrite, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(room_pk(concert_id), ROOM_SK)))
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllNew);
        let (update, sets, condition) = room_sets(update, change, now_ms);
        if sets.is_empty() {
            return Ok(self
                .room(concert_id)
                .await?
                .map_or(RoomWrite::Missing, RoomWrite::Done));
        }
        let out = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(condition)
            .send()
            .await;
        match out {
            Ok(o) => Ok(RoomWrite::Done(from_item(
                o.attributes.unwrap_or_default(),
            )?)),
            Err(e) => match conditional(Err::<(), _>(e))? {
                _ if self.room(concert_id).await?.is_none() => Ok(RoomWrite::Missing),
                _ => Ok(RoomWrite::Opened),
            },
        }
    }

    /// Every room's concert id, in id order: one query of one partition,
    /// read by the activator once a round.
    pub async fn rooms(&self) -> Result<Vec<u64>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.queue)
            .key_condition_expression(format!("{PK} = :pk"))
            .expression_attribute_values(":pk", s(ROOMS_PK));
        Ok(self
            .query_all(query)
            .await?
            .iter()
            .filter_map(|item| str_attr(item, SK)?.parse().ok())
            .collect())
    }

    /// Records whether the room's concert has no seat free or held.
    pub async fn set_sold_out(&self, concert_id: u64, sold_out: bool) -> Result<(), StoreError> {
        let mark = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(room_pk(concert_id), ROOM_SK)))
            .update_expression(format!("SET {SOLD_OUT} = :v"))
            .condition_expression(format!("attribute_exists({PK})"))
            .expression_attribute_values(":v", AttributeValue::Bool(sold_out))
            .build()
            .or_failed()?;
        self.update_alone(mark).await.map(|_| ())
    }

    /// Whether the guard holds admission now: any alarm it follows is in
    /// ALARM (one item: `alarm:{name}` → the alarm's state).
    pub async fn guard_holding(&self) -> Result<bool, StoreError> {
        let item = self
            .get(&self.tables.queue, key(GUARD_PK, GUARD_SK), false)
            .await?
            .unwrap_or_default();
        Ok(item.iter().any(|(name, value)| {
            name.starts_with(ALARM_PREFIX) && value.as_s().is_ok_and(|state| alarm_holds(state))
        }))
    }

    /// Records an alarm's new state (an alarm's change, or the local
    /// stack's busy share).
    pub async fn set_alarm_state(&self, alarm: &str, state: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(GUARD_PK, GUARD_SK)))
            .update_expression("SET #alarm = :state")
            .expression_attribute_names("#alarm", format!("{ALARM_PREFIX}{alarm}"))
            .expression_attribute_values(":state", s(state))
            .send()
            .await
            .or_failed()
            .map(|_| ())
    }
}

/// The `SET`s of a room change and its condition: the room exists, and
/// its opening moves only while it has not opened.
fn room_sets(
    mut update: UpdateItemFluentBuilder,
    change: &CheckedChange,
    now_ms: i64,
) -> (UpdateItemFluentBuilder, Vec<String>, String) {
    let mut sets = Vec::new();
    let mut condition = "attribute_exists(#pk)".to_string();
    if let Some(m) = change.max_active {
        sets.push(format!("{MAX_ACTIVE} = :max"));
        update = update.expression_attribute_values(":max", n(m));
    }
    if let Some(rate) = change.admit_per_second {
        sets.push(format!("{ADMIT_PER_SECOND} = :rate"));
        let value = rate.map_or(AttributeValue::Null(true), n);
        update = update.expression_attribute_values(":rate", value);
    }
    if let Some(p) = change.paused {
        sets.push(format!("{PAUSED} = :paused"));
        update = update.expression_attribute_values(":paused", AttributeValue::Bool(p));
    }
    if let Some(g) = change.guard {
        sets.push("#guard = :guard".to_string());
        update = update
            .expression_attribute_names("#guard", GUARD)
            .expression_attribute_values(":guard", state(g));
    }
    if let Some(at) = change.opens_at {
        sets.push(format!("{OPENS_AT} = :opens"));
        condition.push_str(&format!(" AND ({OPENS_AT} > :now OR {OPENS_AT} = :opens)"));
        update = update
            .expression_attribute_values(":opens", n(at))
            .expression_attribute_values(":now", n(now_ms));
    }
    (update, sets, condition)
}

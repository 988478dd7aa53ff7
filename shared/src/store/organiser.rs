//! The organiser's writes to the catalogue: ids, concerts, schedules and
//! their seats, the sale window and the schedule's status.
//!
//! - Id counters (`CatalogTable`, `SEQ`/`concert|schedule|seat`): the last
//!   concert and schedule id given out, and the next free seat id (always
//!   a block start, so a schedule's seats fill whole blocks). Organiser
//!   writes are rare: one counter per kind is no hot key.
//! - A schedule's two copies (under its concert and by id) change together,
//!   in one transaction, conditional on the status they move from.

use super::error::{OrFailed, StoreError};
use super::io::{key, n, num_attr, to_item};
use super::schema::catalog::*;
use super::schema::{state, PK};
use super::tx::{Tx, IDEMPOTENCY};
use super::Db;
use crate::domain::catalog::{block_of, Concert, Schedule, ScheduleStatus, Seat, SEAT_BLOCK};
use crate::domain::layout::Layout;
use crate::domain::organiser::Section;
use aws_sdk_dynamodb::types::{Put, ReturnValue, Update};
use futures::stream::{self, StreamExt, TryStreamExt};

/// Blocks of seats a whole-schedule read has in flight: well under a
/// function's connection pool and the table's read capacity, one block
/// partition each.
pub(super) const BLOCKS_IN_FLIGHT: usize = 32;

const CONCERT: &str = "concert";
const LISTING: &str = "schedule listing";
const META: &str = "schedule";

impl Db {
    /// A fresh concert or schedule id (`kind` is `concert` or `schedule`).
    pub async fn next_id(&self, kind: &str) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(SEQ_PK, kind)))
            .update_expression("SET #v = if_not_exists(#v, :zero) + :one")
            .expression_attribute_names("#v", SEQ_VALUE)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .or_failed()?;
        let attrs = out.attributes.unwrap_or_default();
        num_attr(&attrs, SEQ_VALUE)
            .map(|v| v as u64)
            .ok_or_else(|| StoreError::failed("id counter without a value"))
    }

    /// The first of `count` fresh, consecutive seat ids, starting a block.
    pub async fn seat_ids(&self, count: u32) -> Result<u64, StoreError> {
        let span = u64::from(count).div_ceil(SEAT_BLOCK) * SEAT_BLOCK;
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(SEQ_PK, SEQ_SEAT)))
            .update_expression("SET #v = if_not_exists(#v, :first) + :span")
            .expression_attribute_names("#v", SEQ_VALUE)
            .expression_attribute_values(":first", n(SEAT_BLOCK))
            .expression_attribute_values(":span", n(span))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .or_failed()?;
        let attrs = out.attributes.unwrap_or_default();
        num_attr(&attrs, SEQ_VALUE)
            .map(|next| next as u64 - span)
            .ok_or_else(|| StoreError::failed("seat counter without a value"))
    }

    /// Moves every counter past the ids of a loaded catalogue.
    pub(crate) async fn raise_counters(
        &self,
        concert: u64,
        schedule: u64,
        last_seat: u64,
    ) -> Result<(), StoreError> {
        let next_seat = (block_of(last_seat) + 1) * SEAT_BLOCK;
        for (kind, value) in [
            (CONCERT, concert),
            ("schedule", schedule),
            (SEQ_SEAT, next_seat),
        ] {
            let raise = Update::builder()
                .table_name(&self.tables.catalog)
                .set_key(Some(key(SEQ_PK, kind)))
                .update_expression("SET #v = :v")
                .condition_expression("attribute_not_exists(#v) OR #v < :v")
                .expression_attribute_names("#v", SEQ_VALUE)
                .expression_attribute_values(":v", n(value))
                .build()
                .or_failed()?;
            self.update_alone(raise).await?;
        }
        Ok(())
    }

    /// Creates a concert (its id fresh), with the request's idempotency
    /// record in the same transaction.
    pub async fn create_concert(
        &self,
        concert: &Concert,
        idempotency: Option<Update>,
    ) -> Result<(), StoreError> {
        let put = self.new_item(to_item(CONCERTS_PK, concert_sk(concert.id), concert)?)?;
        let tx = Tx::new()
            .put(CONCERT, put)
            .update_if(IDEMPOTENCY, idempotency);
        match self.transact(tx).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed(CONCERT) => Err(StoreError::IdTaken),
            Err(c) => Err(c.claim_or_unexplained("create concert")),
        }
    }

    /// Creates a schedule's two copies and its seat map, with the job that
    /// writes its seats when it has one (a PREPARING schedule), in one
    /// transaction.
    pub async fn create_schedule(
        &self,
        schedule: &Schedule,
        layout: &Layout,
        job: Option<Put>,
        idempotency: Option<Update>,
    ) -> Result<(), StoreError> {
        let (listing, meta) = self.schedule_items(schedule)?;
        let layout = to_item(schedule_pk(schedule.schedule_id), LAYOUT_SK, layout)?;
        let mut tx = Tx::new()
            .put(LISTING, self.new_item(listing)?)
            .put(META, self.new_item(meta)?)
            .put("layout", self.new_item(layout)?)
            .update_if(IDEMPOTENCY, idempotency);
        if let Some(job) = job {
            tx = tx.put("job", job);
        }
        match self.transact(tx).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed(LISTING) || c.failed(META) || c.failed("layout") => {
                Err(StoreError::IdTaken)
            }
            Err(c) => Err(c.claim_or_unexplained("create schedule")),
        }
    }

    fn schedule_items(&self, s: &Schedule) -> Result<(super::Item, super::Item), StoreError> {
        Ok((
            to_item(concert_pk(s.concert_id), schedule_sk(s.schedule_id), s)?,
            to_item(schedule_pk(s.schedule_id), META_SK, s)?,
        ))
    }

    /// A catalogue item written only if its key is new.
    fn new_item(&self, item: super::Item) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.tables.catalog)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .build()
            .or_failed()
    }

    /// Writes one block of a PREPARING schedule's seats, and its empty
    /// seats-left record, each only if new: any number of writers may
    /// repeat it, and no seat that exists is ever written over.
    pub async fn write_seat_block(
        &self,
        schedule: &Schedule,
        sections: &[Section],
        block: u64,
    ) -> Result<(), StoreError> {
        let start = (block * SEAT_BLOCK).max(schedule.first_seat_id);
        let end = ((block + 1) * SEAT_BLOCK).min(schedule.last_seat_id() + 1);
        let mut tx = Tx::new();
        for seat in Layout::place(schedule, sections).seats_in(schedule, start..end) {
            let item = to_item(
                seat_pk(seat.schedule_id, seat.seat_id),
                seat_sk(seat.seat_id),
                &seat,
            )?;
            tx = tx.put("seat", self.new_item(item)?);
        }
        let record = Db::seats_left_record(schedule.schedule_id, block);
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.catalog)
            .set_item(Some(record))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .send()
            .await;
        super::io::conditional(out)?;
        // The block's seats commit together: one of them found means all were.
        match self.transact(tx).await? {
            Ok(()) => Ok(()),
            Err(c) if c.failed("seat") => Ok(()),
            Err(c) => Err(c.unexplained("seat block")),
        }
    }

    /// Moves a schedule's two copies from `from` to `to`; `false` when it
    /// had already moved on.
    pub async fn set_schedule_status(
        &self,
        schedule: &Schedule,
        from: &[ScheduleStatus],
        to: ScheduleStatus,
    ) -> Result<bool, StoreError> {
        let mut tx = Tx::new();
        for (name, k) in self.schedule_keys(schedule) {
            let mut u = Update::builder()
                .table_name(&self.tables.catalog)
                .set_key(Some(k))
                .update_expression("SET #status = :to")
                .expression_attribute_names("#status", schedule_attr::STATUS)
                .expression_attribute_values(":to", state(to));
            let mut allowed = Vec::new();
            for (i, f) in from.iter().enumerate() {
                u = u.expression_attribute_values(format!(":f{i}"), state(*f));
                allowed.push(format!(":f{i}"));
            }
            let cond = format!("#status IN ({})", allowed.join(", "));
            tx = tx.update(name, u.condition_expression(cond).build().or_failed()?);
        }
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(LISTING) || c.failed(META) => Ok(false),
            Err(c) => Err(c.unexplained("schedule status")),
        }
    }

    /// Sets a schedule's sale window on both copies unless it is being
    /// (or has been) cancelled; `false` when it is.
    pub async fn set_sale_window(
        &self,
        schedule: &Schedule,
        opens: i64,
        closes: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = Tx::new();
        for (name, k) in self.schedule_keys(schedule) {
            let u = Update::builder()
                .table_name(&self.tables.catalog)
                .set_key(Some(k))
                .update_expression(format!(
                    "SET {} = :o, {} = :c",
                    schedule_attr::SALE_OPENS_AT,
                    schedule_attr::SALE_CLOSES_AT
                ))
                .condition_expression(format!("attribute_exists({PK}) AND #status IN (:p, :r)"))
                .expression_attribute_names("#status", schedule_attr::STATUS)
                .expression_attribute_values(":o", n(opens))
                .expression_attribute_values(":c", n(closes))
                .expression_attribute_values(":p", state(ScheduleStatus::Preparing))
                .expression_attribute_values(":r", state(ScheduleStatus::Ready))
                .build()
                .or_failed()?;
            tx = tx.update(name, u);
        }
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(LISTING) || c.failed(META) => Ok(false),
            Err(c) => Err(c.unexplained("sale window")),
        }
    }

    fn schedule_keys(&self, s: &Schedule) -> [(&'static str, super::Item); 2] {
        [
            (
                LISTING,
                key(concert_pk(s.concert_id), schedule_sk(s.schedule_id)),
            ),
            (META, key(schedule_pk(s.schedule_id), META_SK)),
        ]
    }

    /// A concert read strongly, past the cache: what the organiser sees.
    pub async fn concert_now(&self, concert_id: u64) -> Result<Option<Concert>, StoreError> {
        let item = self
            .get(
                &self.tables.catalog,
                key(CONCERTS_PK, concert_sk(concert_id)),
                true,
            )
            .await?;
        item.map(super::from_item).transpose()
    }

    /// A schedule read strongly, past the cache: what the organiser sees.
    pub async fn schedule_now(&self, schedule_id: u64) -> Result<Option<Schedule>, StoreError> {
        let item = self
            .get(
                &self.tables.catalog,
                key(schedule_pk(schedule_id), META_SK),
                true,
            )
            .await?;
        item.map(super::from_item).transpose()
    }

    /// Every seat of a schedule as it is now (the organiser's report and
    /// repair), block by block in seat order, `BLOCKS_IN_FLIGHT` blocks read
    /// at once: a 60,000-seat schedule's 600 strong queries take the time
    /// of about 19 in a row.
    pub async fn all_seats(&self, schedule: &Schedule) -> Result<Vec<Vec<Seat>>, StoreError> {
        stream::iter(schedule.blocks())
            .map(|block| self.block_now(schedule.schedule_id, block))
            .buffered(BLOCKS_IN_FLIGHT)
            .try_collect()
            .await
    }
}

//! Seats-left bookkeeping: one item per block of a schedule's seats
//! (`AVAIL#{schedule}#B{block}`), holding seat → hold end (`h`) and
//! seat → sold hold's end (`sold`). Maintained by the availability consumer
//! off the sale path; every update is conditional on the seat's own entry,
//! so redelivery and reordering change nothing (`BlockSeats` reads them). A full block is about
//! 1.2 KB: two write units per event, whatever the venue's size. A lapse
//! needs no update (the count reads hold ends against the clock); removing
//! an entry is for a hold released before its end.

use super::error::{OrFailed, StoreError};
use super::io::{conditional, from_item, key, n, str_attr, Item};
use super::schema::catalog::{avail_pk, seat_in_block, AVAIL_SK, HELD, SOLD};
use super::schema::PK;
use super::Db;
use crate::domain::availability::{BlockSeats, SeatChange, SeatEvent};
use crate::domain::catalog::{block_of, Schedule};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use std::collections::HashMap;

impl Db {
    /// Applies one seat event; `false` when it was already applied or is
    /// superseded (a later hold, a sale).
    pub async fn apply_seat_event(&self, e: &SeatEvent) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(
                avail_pk(e.schedule_id, block_of(e.seat_id)),
                AVAIL_SK,
            )))
            .expression_attribute_names("#s", seat_in_block(e.seat_id))
            .expression_attribute_values(":until", n(e.until))
            .expression_attribute_values(":neg", n(-e.until));
        // Each entry only moves to a newer hold's end (an entry older than
        // this hold lies strictly between -until and until) or to this
        // hold's tombstone (-until); the reader believes whichever of a
        // seat's two entries names its newest hold, so events applied in
        // any order end in the same count.
        let older = |map: &str| {
            format!("(attribute_not_exists({map}.#s) OR ({map}.#s > :neg AND {map}.#s < :until))")
        };
        let this_or_older = |map: &str| {
            format!("(attribute_not_exists({map}.#s) OR ({map}.#s > :neg AND {map}.#s <= :until))")
        };
        // Each expression names only the map it uses (DynamoDB refuses
        // unused names).
        let update = match e.change {
            SeatChange::Held => update
                .expression_attribute_names("#h", HELD)
                .update_expression("SET #h.#s = :until")
                .condition_expression(format!("attribute_exists({PK}) AND {}", older("#h"))),
            SeatChange::Sold => update
                .expression_attribute_names("#sold", SOLD)
                .update_expression("SET #sold.#s = :until")
                .condition_expression(format!("attribute_exists({PK}) AND {}", older("#sold"))),
            SeatChange::Released => update
                .expression_attribute_names("#h", HELD)
                .update_expression("SET #h.#s = :neg")
                .condition_expression(format!(
                    "attribute_exists({PK}) AND {}",
                    this_or_older("#h")
                )),
            SeatChange::Refunded => update
                .expression_attribute_names("#sold", SOLD)
                .update_expression("SET #sold.#s = :neg")
                .condition_expression(format!(
                    "attribute_exists({PK}) AND {}",
                    this_or_older("#sold")
                )),
        };
        conditional(update.send().await)
    }

    /// The seats-left records of every block of each schedule, in the
    /// schedules' order, one per block in block order (a missing record
    /// as an empty one); eventually consistent reads, kept for the cache's
    /// lifetime.
    pub async fn cached_seat_blocks(
        &self,
        schedules: &[Schedule],
    ) -> Result<Vec<Vec<BlockSeats>>, StoreError> {
        let kept: Vec<Option<Vec<BlockSeats>>> = schedules
            .iter()
            .map(|s| self.caches.blocks.get(&s.schedule_id.to_string()))
            .collect();
        let wanted: Vec<(u64, u64)> = schedules
            .iter()
            .zip(&kept)
            .filter(|(_, kept)| kept.is_none())
            .flat_map(|(s, _)| s.blocks().map(move |b| (s.schedule_id, b)))
            .collect();
        let mut found = self.block_records(&wanted).await?;
        Ok(schedules
            .iter()
            .zip(kept)
            .map(|(s, kept)| {
                kept.unwrap_or_else(|| {
                    let blocks: Vec<BlockSeats> = s
                        .blocks()
                        .map(|b| {
                            found
                                .remove(&avail_pk(s.schedule_id, b))
                                .unwrap_or_default()
                        })
                        .collect();
                    self.caches
                        .blocks
                        .put(s.schedule_id.to_string(), blocks.clone());
                    blocks
                })
            })
            .collect())
    }

    /// The seats-left record of each block of `schedule` as stored, past
    /// the cache (None: missing), in block order: what a repair starts from.
    pub async fn seat_block_records(
        &self,
        schedule: &Schedule,
    ) -> Result<Vec<Option<BlockSeats>>, StoreError> {
        let id = schedule.schedule_id;
        let wanted: Vec<(u64, u64)> = schedule.blocks().map(|b| (id, b)).collect();
        let mut found = self.block_records(&wanted).await?;
        Ok(schedule
            .blocks()
            .map(|b| found.remove(&avail_pk(id, b)))
            .collect())
    }

    /// Writes a block's empty seats-left record where none exists (a
    /// repair's first step; an existing record is left as it is).
    pub async fn restore_seats_left_record(
        &self,
        schedule_id: u64,
        block: u64,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.catalog)
            .set_item(Some(Db::seats_left_record(schedule_id, block)))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .send()
            .await;
        conditional(out)
    }

    /// Seats-left records by partition key, 100 keys per call.
    async fn block_records(
        &self,
        wanted: &[(u64, u64)],
    ) -> Result<HashMap<String, BlockSeats>, StoreError> {
        let mut found = HashMap::new();
        for chunk in wanted.chunks(100) {
            let mut keys = KeysAndAttributes::builder();
            for (schedule, block) in chunk {
                keys = keys.keys(key(avail_pk(*schedule, *block), AVAIL_SK));
            }
            let request = HashMap::from([(self.tables.catalog.clone(), keys.build().or_failed()?)]);
            let mut got = self.batch_get_all(request).await?;
            for item in got.remove(&self.tables.catalog).unwrap_or_default() {
                let pk = str_attr(&item, PK).unwrap_or_default().to_string();
                found.insert(pk, from_item(item)?);
            }
        }
        Ok(found)
    }

    /// Empty seats-left records for every block of a new schedule.
    pub(crate) fn seat_block_items(schedule: &Schedule) -> Vec<Item> {
        schedule
            .blocks()
            .map(|b| Db::seats_left_record(schedule.schedule_id, b))
            .collect()
    }

    /// The empty seats-left record of one block.
    pub(crate) fn seats_left_record(schedule_id: u64, block: u64) -> Item {
        let mut item = key(avail_pk(schedule_id, block), AVAIL_SK);
        for map in [HELD, SOLD] {
            item.insert(map.into(), AttributeValue::M(HashMap::new()));
        }
        item
    }
}

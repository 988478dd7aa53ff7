//! Reads of concerts, schedules and seats, and the catalogue loader.

use super::cache::item_key;
use super::error::StoreError;
use super::io::{from_item, key, s, to_item, Item};
use super::organiser::BLOCKS_IN_FLIGHT;
use super::schema::catalog::*;
use super::schema::{PK, SK};
use super::Db;
use crate::domain::catalog::{block_of, Concert, Schedule, Seat, SEAT_BLOCK};
use crate::domain::layout::{free_bitmap, Layout};
use crate::domain::organiser::Section;
use futures::stream::{self, StreamExt, TryStreamExt};

/// One page of reservable seats and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatPage {
    pub seats: Vec<Seat>,
    pub next_after: Option<u64>,
}

/// Items that describe a whole catalogue, ready to load.
#[derive(Debug, Clone, Default)]
pub struct CatalogData {
    pub concerts: Vec<Concert>,
    pub schedules: Vec<Schedule>,
    pub seats: Vec<Seat>,
    /// Seat maps of the schedules that have one.
    pub layouts: Vec<Layout>,
}

impl CatalogData {
    /// Adds a schedule with its seat map and the seats its sections make.
    pub fn add_schedule(&mut self, schedule: Schedule, sections: &[Section]) {
        let layout = Layout::place(&schedule, sections);
        self.seats.extend(layout.seats_in(&schedule, 0..u64::MAX));
        self.layouts.push(layout);
        self.schedules.push(schedule);
    }
}

impl Db {
    pub async fn list_concerts(&self) -> Result<Vec<Concert>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.catalog)
            .key_condition_expression(format!("{PK} = :pk"))
            .expression_attribute_values(":pk", s(CONCERTS_PK));
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// A concert as the catalogue cache keeps it (up to its lifetime old).
    pub async fn cached_concert(&self, concert_id: u64) -> Result<Option<Concert>, StoreError> {
        self.get_catalog_item(key(CONCERTS_PK, concert_sk(concert_id)))
            .await
    }

    /// A schedule as the catalogue cache keeps it (up to its lifetime old).
    pub async fn cached_schedule(&self, schedule_id: u64) -> Result<Option<Schedule>, StoreError> {
        self.get_catalog_item(key(schedule_pk(schedule_id), META_SK))
            .await
    }

    /// A schedule's seat map (immutable once written), as the catalogue
    /// cache keeps it.
    pub async fn cached_layout(&self, schedule_id: u64) -> Result<Option<Layout>, StoreError> {
        self.get_catalog_item(key(schedule_pk(schedule_id), LAYOUT_SK))
            .await
    }

    /// Catalogue reads are eventually consistent and kept for the cache's
    /// lifetime: the catalogue does not change under a sale, only the
    /// seats' sale state (which conditions read, never this).
    async fn get_catalog_item<T: serde::de::DeserializeOwned>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        let id = item_key(&key);
        let item = match self.caches.items.get(&id) {
            Some(item) => Some(item),
            None => {
                let item = self.get(&self.tables.catalog, key, false).await?;
                if let Some(item) = &item {
                    self.caches.items.put(id, item.clone());
                }
                item
            }
        };
        item.map(from_item).transpose()
    }

    pub async fn list_schedules(&self, concert_id: u64) -> Result<Vec<Schedule>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.catalog)
            .key_condition_expression(format!("{PK} = :pk AND begins_with({SK}, :prefix)"))
            .expression_attribute_values(":pk", s(concert_pk(concert_id)))
            .expression_attribute_values(":prefix", s(SCHEDULE_PREFIX));
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// The next `limit` seats of a schedule after seat `after`, in seat
    /// order, and the reservable ones among them at `now_ms`. Reads only
    /// those seats (block by block), however many are held: a page may be
    /// short, never more expensive. No lock is taken.
    pub async fn reservable_seats(
        &self,
        schedule: &Schedule,
        after: Option<u64>,
        limit: usize,
        now_ms: i64,
    ) -> Result<SeatPage, StoreError> {
        let last = schedule.last_seat_id();
        let mut from = after.map_or(schedule.first_seat_id, |a| a.saturating_add(1));
        let (mut seats, mut read, mut last_read) = (Vec::new(), 0, None);
        while read < limit && from <= last && schedule.total_seats > 0 {
            let page = self
                .seats_from(schedule.schedule_id, from, limit - read)
                .await?;
            let Some(end) = page.last().map(|s| s.seat_id) else {
                // Nothing further in this block: go on with the next one.
                from = (block_of(from) + 1) * SEAT_BLOCK;
                continue;
            };
            read += page.len();
            last_read = Some(end);
            from = end + 1;
            seats.extend(page.into_iter().filter(|s| s.reservable_at(now_ms)));
        }
        let next_after = last_read.filter(|id| *id < last);
        Ok(SeatPage { seats, next_after })
    }

    /// Up to `limit` seats from seat `from` on, within `from`'s block.
    async fn seats_from(
        &self,
        schedule_id: u64,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Seat>, StoreError> {
        let block = self.block_seats(schedule_id, block_of(from)).await?;
        Ok(block
            .into_iter()
            .filter(|s| s.seat_id >= from)
            .take(limit)
            .collect())
    }

    /// Every seat of one block (at most 100: one query), kept for the
    /// cache's lifetime so the first pages of a popular schedule do not
    /// make its first blocks hot.
    async fn block_seats(&self, schedule_id: u64, block: u64) -> Result<Vec<Seat>, StoreError> {
        let pk = block_pk(schedule_id, block);
        if let Some(kept) = self.caches.seats.get(&pk) {
            return Ok(kept);
        }
        let seats = self.read_block(&pk).await?;
        self.caches.seats.put(pk, seats.clone());
        Ok(seats)
    }

    /// One block's seats as stored (eventually consistent).
    async fn read_block(&self, pk: &str) -> Result<Vec<Seat>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.catalog)
            .key_condition_expression(format!("{PK} = :pk"))
            .expression_attribute_values(":pk", s(pk.to_string()));
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// The schedule's free-seat bits (SPEC §13) and when its seats were
    /// read: every block read afresh, `BLOCKS_IN_FLIGHT` at once, then the
    /// bits kept for the cache's lifetime — so they lag a hold by at most
    /// that long, like the seat list, and a warm instance reads each block
    /// at most once per lifetime however many fans refresh their maps.
    pub async fn cached_free_seats(
        &self,
        schedule: &Schedule,
        now_ms: i64,
    ) -> Result<(i64, Vec<u8>), StoreError> {
        let id = schedule.schedule_id.to_string();
        if let Some(kept) = self.caches.free.get(&id) {
            return Ok(kept);
        }
        let read_at = now_ms;
        let blocks: Vec<Vec<Seat>> = stream::iter(schedule.blocks())
            .map(|b| async move { self.read_block(&block_pk(schedule.schedule_id, b)).await })
            .buffered(BLOCKS_IN_FLIGHT)
            .try_collect()
            .await?;
        let bits = free_bitmap(schedule, blocks.iter().flatten(), read_at);
        self.caches.free.put(id, (read_at, bits.clone()));
        Ok((read_at, bits))
    }

    /// Loads a catalogue (sample data, tests). Catalogue items are
    /// immutable once loaded, except for the sale state on seats.
    ///
    /// The concerts go last, after the id counters: until they are
    /// written nothing of the catalogue is visible, so a load cut short
    /// (a crash) leaves an empty list and is simply done again.
    pub async fn load_catalog(&self, data: &CatalogData) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for sch in &data.schedules {
            // Listed under its concert, found by id, and counted by block.
            items.push(to_item(
                concert_pk(sch.concert_id),
                schedule_sk(sch.schedule_id),
                sch,
            )?);
            items.push(to_item(schedule_pk(sch.schedule_id), META_SK, sch)?);
            items.extend(Db::seat_block_items(sch));
        }
        for layout in &data.layouts {
            items.push(to_item(schedule_pk(layout.schedule_id), LAYOUT_SK, layout)?);
        }
        for seat in &data.seats {
            let fits = data
                .schedules
                .iter()
                .any(|s| s.schedule_id == seat.schedule_id && s.has_seat(seat.seat_id));
            if !fits {
                return Err(StoreError::failed(format!(
                    "seat {} is outside its schedule's seat range",
                    seat.seat_id
                )));
            }
            items.push(to_item(
                seat_pk(seat.schedule_id, seat.seat_id),
                seat_sk(seat.seat_id),
                seat,
            )?);
        }
        self.batch_put(&self.tables.catalog, items).await?;
        let max = |ids: Vec<u64>| ids.into_iter().max().unwrap_or(0);
        self.raise_counters(
            max(data.concerts.iter().map(|c| c.id).collect()),
            max(data.schedules.iter().map(|s| s.schedule_id).collect()),
            max(data.schedules.iter().map(|s| s.last_seat_id()).collect()),
        )
        .await?;
        let concerts = data
            .concerts
            .iter()
            .map(|c| to_item(CONCERTS_PK, concert_sk(c.id), c))
            .collect::<Result<Vec<_>, _>>()?;
        // One request: on the emulator a batch is applied whole.
        self.batch_put(&self.tables.catalog, concerts).await
    }
}

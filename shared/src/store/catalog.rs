//! Reads of concerts, schedules and seats, and the catalogue loader.

use super::error::{OrFailed, StoreError};
use super::io::{from_item, key, n, s, to_item, Item};
use super::schema::catalog::*;
use super::Db;
use crate::domain::catalog::{Concert, Schedule, Seat};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// One page of reservable seats and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatPage {
    pub seats: Vec<Seat>,
    pub next_after: Option<u64>,
}

/// A schedule as its concert lists it, with the seat bookkeeping of the
/// availability consumer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleListing {
    #[serde(flatten)]
    pub schedule: Schedule,
    #[serde(default)]
    pub sold: HashMap<String, u64>,
    #[serde(default)]
    pub hold_until: HashMap<String, i64>,
}

/// Items that describe a whole catalogue, ready to load.
#[derive(Debug, Clone, Default)]
pub struct CatalogData {
    pub concerts: Vec<Concert>,
    pub schedules: Vec<Schedule>,
    pub seats: Vec<Seat>,
}

impl Db {
    pub async fn list_concerts(&self) -> Result<Vec<Concert>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.catalog)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(CONCERTS_PK));
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    pub async fn get_concert(&self, concert_id: u64) -> Result<Option<Concert>, StoreError> {
        self.get_catalog_item(key(CONCERTS_PK, concert_sk(concert_id)))
            .await
    }

    pub async fn get_schedule(&self, schedule_id: u64) -> Result<Option<Schedule>, StoreError> {
        self.get_catalog_item(key(schedule_pk(schedule_id), META_SK))
            .await
    }

    pub async fn get_seat(
        &self,
        schedule_id: u64,
        seat_id: u64,
    ) -> Result<Option<Seat>, StoreError> {
        self.get_catalog_item(key(schedule_pk(schedule_id), seat_sk(seat_id)))
            .await
    }

    /// Catalogue reads are eventually consistent: the catalogue does not
    /// change under a sale, only the seats' sale state (read by conditions).
    async fn get_catalog_item<T: serde::de::DeserializeOwned>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        self.get(&self.tables.catalog, key, false)
            .await?
            .map(from_item)
            .transpose()
    }

    pub async fn list_schedules(
        &self,
        concert_id: u64,
    ) -> Result<Vec<ScheduleListing>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.catalog)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(concert_pk(concert_id)))
            .expression_attribute_values(":prefix", s(SCHEDULE_PREFIX));
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Up to `limit` seats of a schedule that are reservable at `now_ms`,
    /// in seat order, starting after seat `after`. The filter is the same
    /// rule the hold's condition expression uses; no lock is taken.
    pub async fn reservable_seats(
        &self,
        schedule_id: u64,
        after: Option<u64>,
        limit: usize,
        now_ms: i64,
    ) -> Result<SeatPage, StoreError> {
        let mut seats = Vec::new();
        let pk = schedule_pk(schedule_id);
        let mut start = after.map(|id| key(pk.clone(), seat_sk(id)));
        let mut more = true;
        while more && seats.len() < limit {
            // Limit counts items read before the filter, so asking for the
            // remainder never reads past the last seat returned.
            let want = i32::try_from(limit - seats.len()).unwrap_or(i32::MAX);
            let page = self
                .client
                .query()
                .table_name(&self.tables.catalog)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .filter_expression(
                    "attribute_not_exists(soldReserveId) AND \
                     (attribute_not_exists(holdUntil) OR holdUntil <= :now)",
                )
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(SEAT_PREFIX))
                .expression_attribute_values(":now", n(now_ms))
                .set_exclusive_start_key(start)
                .limit(want)
                .send()
                .await
                .or_failed()?;
            for item in page.items.unwrap_or_default() {
                seats.push(from_item::<Seat>(item)?);
            }
            start = page.last_evaluated_key;
            more = start.is_some();
        }
        let next_after = if more {
            seats.last().map(|s| s.seat_id)
        } else {
            None
        };
        Ok(SeatPage { seats, next_after })
    }

    /// Loads a catalogue (sample data, tests). Catalogue items are
    /// immutable once loaded, except for the sale state on seats.
    pub async fn load_catalog(&self, data: &CatalogData) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for c in &data.concerts {
            items.push(to_item(CONCERTS_PK, concert_sk(c.id), c)?);
        }
        for sch in &data.schedules {
            // Listed under its concert (with empty seat bookkeeping), and
            // found by id for the seat list.
            let mut listing = to_item(
                concert_pk(sch.concert_id),
                schedule_sk(sch.schedule_id),
                sch,
            )?;
            for map in LISTING_MAPS {
                listing.insert(map.into(), AttributeValue::M(HashMap::new()));
            }
            items.push(listing);
            items.push(to_item(schedule_pk(sch.schedule_id), META_SK, sch)?);
        }
        for seat in &data.seats {
            items.push(to_item(
                schedule_pk(seat.schedule_id),
                seat_sk(seat.seat_id),
                seat,
            )?);
        }
        self.batch_put(&self.tables.catalog, items).await
    }
}

//! A fan's own history, newest first, page by page: reservations through
//! the `byUser` index of the reservations table, and the points ledger.
//! Each page asks for one item more than it returns, so a last page is
//! never followed by an empty one.

use super::error::{OrFailed, StoreError};
use super::io::{from_item, n, s, Item};
use super::schema::points::{user_pk, LEDGER_PREFIX};
use super::schema::reservations::{attr, reservation_pk, BY_USER_INDEX, RES_SK};
use super::schema::{PK, SK};
use super::Db;
use crate::domain::points::LedgerEntry;
use crate::domain::reservation::Reservation;
use std::collections::HashMap;

/// One page and where the next starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

impl Db {
    /// A user's reservations, newest first, after `(createdAt, reserveId)`.
    pub async fn reservations_of(
        &self,
        user_id: &str,
        limit: usize,
        after: Option<(i64, u64)>,
    ) -> Result<Page<Reservation, (i64, u64)>, StoreError> {
        let start: Option<Item> = after.map(|(at, rid)| {
            HashMap::from([
                (attr::USER_ID.to_string(), s(user_id)),
                (attr::CREATED_AT.to_string(), n(at)),
                (PK.to_string(), s(reservation_pk(rid))),
                (SK.to_string(), s(RES_SK)),
            ])
        });
        let query = self
            .client
            .query()
            .table_name(&self.tables.reservations)
            .index_name(BY_USER_INDEX)
            .key_condition_expression(format!("{} = :u", attr::USER_ID))
            .expression_attribute_values(":u", s(user_id))
            .set_exclusive_start_key(start);
        let (items, more) = newest_first::<Reservation>(query, limit).await?;
        let next = more
            .then(|| items.last().map(|r| (r.created_at, r.reserve_id)))
            .flatten();
        Ok(Page { items, next })
    }

    /// A user's ledger, newest first, before the entry whose sort key ends
    /// in `before`.
    pub async fn ledger_page(
        &self,
        user_id: &str,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Page<LedgerEntry, String>, StoreError> {
        let start: Option<Item> = before.map(|c| {
            HashMap::from([
                (PK.to_string(), s(user_pk(user_id))),
                (SK.to_string(), s(format!("{LEDGER_PREFIX}{c}"))),
            ])
        });
        let query = self
            .client
            .query()
            .table_name(&self.tables.points)
            .key_condition_expression(format!("{PK} = :pk AND begins_with({SK}, :ledger)"))
            .expression_attribute_values(":pk", s(user_pk(user_id)))
            .expression_attribute_values(":ledger", s(LEDGER_PREFIX))
            .set_exclusive_start_key(start);
        let (items, more) = newest_first::<LedgerEntry>(query, limit).await?;
        let next = more.then(|| items.last().map(ledger_cursor)).flatten();
        Ok(Page { items, next })
    }
}

/// One page of `query` backwards: up to `limit` items, and whether more
/// follow (one item more is asked for, so a last page is never followed
/// by an empty one).
async fn newest_first<T: serde::de::DeserializeOwned>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    limit: usize,
) -> Result<(Vec<T>, bool), StoreError> {
    let out = query
        .scan_index_forward(false)
        .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
        .send()
        .await
        .or_failed()?;
    let mut items: Vec<T> = out
        .items
        .unwrap_or_default()
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    let more = items.len() > limit;
    items.truncate(limit);
    Ok((items, more))
}

/// The cursor of a ledger entry: its sort key without the prefix.
pub fn ledger_cursor(e: &LedgerEntry) -> String {
    super::schema::points::ledger_sk(e)
        .trim_start_matches(LEDGER_PREFIX)
        .to_string()
}

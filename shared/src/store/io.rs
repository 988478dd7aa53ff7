//! Small helpers every table module uses: attribute values, keys, item
//! (de)serialisation, paged reads and batched writes.

use super::error::{OrFailed, StoreError};
use super::schema::{PK, SK};
use super::Db;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, PutRequest, Update, WriteRequest,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// `{pk, sk}` of an item.
pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// `{pk}` of an item of a table without sort key.
pub(crate) fn key_pk(pk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk))])
}

/// A string attribute of an item.
pub fn str_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

/// A number attribute of an item.
pub fn num_attr(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

#[track_caller]
pub(crate) fn to_item<T: Serialize>(
    pk: impl Into<String>,
    sk: impl Into<String>,
    value: &T,
) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).or_failed()?;
    item.extend(key(pk, sk));
    Ok(item)
}

/// An item of a table without sort key.
#[track_caller]
pub(crate) fn to_item_pk<T: Serialize>(
    pk: impl Into<String>,
    value: &T,
) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).or_failed()?;
    item.extend(key_pk(pk));
    Ok(item)
}

#[track_caller]
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).or_failed()
}

/// `Ok(true)` when a conditional write happened, `Ok(false)` when its
/// condition said no.
#[track_caller]
pub(crate) fn conditional<O, E, R>(out: Result<O, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    SdkError<E, R>: super::error::Fault,
{
    match out {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(e) => Err(e).or_failed(),
    }
}

/// Rounds of a batch call before what DynamoDB keeps leaving unprocessed
/// (it is throttling) is answered as busy.
const BATCH_ATTEMPTS: u32 = 8;

impl Db {
    /// A jittered exponential pause before retrying a write that lost a
    /// conflict or came back unprocessed: drawn from the store's entropy
    /// and slept on the SDK client's sleeper, so a simulation that fixes
    /// both repeats its retries exactly.
    pub(crate) async fn backoff(&self, attempt: u32) {
        let cap = 5u64 << attempt.min(6);
        let pause = std::time::Duration::from_millis(self.entropy.next_u64() % cap.max(1));
        match self.client.config().sleep_impl() {
            Some(sleeper) => aws_sdk_dynamodb::config::AsyncSleep::sleep(&sleeper, pause).await,
            None => tokio::time::sleep(pause).await,
        }
    }

    /// Every item a query returns, following its pages.
    pub(crate) async fn query_all(
        &self,
        query: QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .or_failed()?;
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// Every item a `BatchGetItem` asks for, by table, following the keys
    /// DynamoDB leaves unprocessed.
    pub(crate) async fn batch_get_all(
        &self,
        request: HashMap<String, KeysAndAttributes>,
    ) -> Result<HashMap<String, Vec<Item>>, StoreError> {
        let mut found: HashMap<String, Vec<Item>> = HashMap::new();
        let mut pending = Some(request);
        let mut attempt = 0;
        while let Some(request) = pending.take().filter(|m| !m.is_empty()) {
            if attempt >= BATCH_ATTEMPTS {
                return Err(StoreError::busy("keys left unprocessed after every retry"));
            }
            if attempt > 0 {
                self.backoff(attempt).await;
            }
            attempt += 1;
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .or_failed()?;
            for (table, items) in out.responses.unwrap_or_default() {
                found.entry(table).or_default().extend(items);
            }
            pending = out.unprocessed_keys;
        }
        Ok(found)
    }

    /// One item by key; `consistent` for reads that must see the latest write.
    pub(crate) async fn get(
        &self,
        table: &str,
        key: Item,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .or_failed()?;
        Ok(out.item)
    }

    /// Runs one conditional update of a transaction on its own: a write
    /// described once serves both. `false` when its condition said no.
    pub(crate) async fn update_alone(&self, u: Update) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(u.table_name())
            .set_key(Some(u.key().clone()))
            .update_expression(u.update_expression())
            .set_condition_expression(u.condition_expression().map(str::to_string))
            .set_expression_attribute_names(u.expression_attribute_names().cloned())
            .set_expression_attribute_values(u.expression_attribute_values().cloned())
            .send()
            .await;
        conditional(out)
    }

    /// Writes `items` in batches of 25, resending what DynamoDB leaves
    /// unprocessed after a backoff.
    pub(crate) async fn batch_put(&self, table: &str, items: Vec<Item>) -> Result<(), StoreError> {
        for chunk in items.chunks(25) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build();
                    put.map(|p| WriteRequest::builder().put_request(p).build())
                        .or_failed()
                })
                .collect::<Result<_, _>>()?;
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt >= BATCH_ATTEMPTS {
                    return Err(StoreError::busy("items left unprocessed after every retry"));
                }
                if attempt > 0 {
                    self.backoff(attempt).await;
                }
                attempt += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(table, pending)
                    .send()
                    .await
                    .or_failed()?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(table))
                    .unwrap_or_default();
            }
        }
        Ok(())
    }
}

//! The DynamoDB adapter: every table access of the service goes through
//! here, and every race is decided by a condition expression or a
//! transaction written in this module.

pub mod audit;
pub mod availability;
pub mod catalog;
pub mod idempotency;
pub mod keys;
pub mod meter;
pub mod points;
pub mod queue;
pub mod reservations;

use crate::config::{Config, Tables};
use crate::error::AppError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Clone, Debug)]
pub struct Db {
    pub client: Client,
    pub tables: Tables,
}

impl Db {
    pub fn new(client: Client, tables: Tables) -> Self {
        Db { client, tables }
    }

    /// A client for the configured region and credentials, pointed at the
    /// endpoint override when one is set.
    pub async fn from_config(config: &Config) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(endpoint) = &config.dynamodb_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        Db::new(Client::new(&sdk), config.tables.clone())
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// `{pk, sk}` of an item.
pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// `{pk}` of an item of a table without sort key.
pub(crate) fn key_pk(pk: String) -> Item {
    HashMap::from([("pk".to_string(), s(pk))])
}

pub(crate) fn to_item<T: Serialize>(
    pk: String,
    sk: impl Into<String>,
    value: &T,
) -> Result<Item, AppError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(AppError::internal)?;
    item.extend(key(pk, sk));
    Ok(item)
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, AppError> {
    serde_dynamo::from_item(item).map_err(AppError::internal)
}

/// Any SDK failure that no condition explains is the service's fault.
pub(crate) fn sdk_err<E: std::fmt::Debug>(e: E) -> AppError {
    AppError::Internal(format!("{e:?}"))
}

impl Db {
    /// Every item a query returns, following its pages.
    pub(crate) async fn query_all(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, AppError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_err)?;
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
        request: HashMap<String, aws_sdk_dynamodb::types::KeysAndAttributes>,
    ) -> Result<HashMap<String, Vec<Item>>, AppError> {
        let mut found: HashMap<String, Vec<Item>> = HashMap::new();
        let mut pending = Some(request);
        while let Some(request) = pending.take().filter(|m| !m.is_empty()) {
            let out = self
                .client
                .batch_get_item()
                .set_request_items(Some(request))
                .send()
                .await
                .map_err(sdk_err)?;
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
    ) -> Result<Option<Item>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(out.item)
    }
}

/// Why one entry of a cancelled transaction failed, with the item as it was
/// when the entry asked for `ALL_OLD` on failure.
#[derive(Debug, Clone, Default)]
pub struct CancelReason {
    pub code: Option<String>,
    pub old: Option<Item>,
}

impl CancelReason {
    pub fn failed_condition(&self) -> bool {
        self.code.as_deref() == Some("ConditionalCheckFailed")
    }
}

/// Attempts before a transaction that keeps meeting concurrent transactions
/// on the same items gives up (AWS answers `TransactionConflict` there).
const CONFLICT_ATTEMPTS: u32 = 8;

impl Db {
    /// Runs one `TransactWriteItems`. `Ok(Err(reasons))` is a cancellation
    /// decided by the items' conditions, for the caller to translate;
    /// conflicts with other transactions are retried here.
    pub(crate) async fn transact(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<Result<(), Vec<CancelReason>>, AppError> {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match sent {
                Ok(_) => return Ok(Ok(())),
                Err(e) => e.into_service_error(),
            };
            let conflict = match &err {
                E::TransactionCanceledException(c) => {
                    let reasons: Vec<CancelReason> = c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| CancelReason {
                            code: r.code().map(str::to_string),
                            old: r.item().cloned(),
                        })
                        .collect();
                    if !reasons
                        .iter()
                        .any(|r| r.code.as_deref() == Some("TransactionConflict"))
                    {
                        return Ok(Err(reasons));
                    }
                    true
                }
                E::TransactionInProgressException(_) => true,
                _ => false,
            };
            if !conflict || attempt >= CONFLICT_ATTEMPTS {
                return Err(sdk_err(err));
            }
            backoff(attempt).await;
        }
    }
}

/// Jittered exponential pause before retrying a write that lost a conflict.
pub(crate) async fn backoff(attempt: u32) {
    let cap = 5u64 << attempt.min(6);
    let ms = rand::random::<u64>() % cap.max(1);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// `Ok(true)` when a conditional write happened, `Ok(false)` when its
/// condition said no, an error otherwise.
pub(crate) fn conditional<E, R>(
    out: Result<(), aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, AppError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    match out {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(e) => Err(sdk_err(e)),
    }
}

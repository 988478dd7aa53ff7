//! `TransactWriteItems` with named entries: a cancelled transaction is read
//! by asking which named entry failed, never by position.

use super::error::{OrFailed, StoreError, TRANSIENT_REASONS};
use super::io::Item;
use super::schema::{PK, SK};
use super::Db;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
use aws_sdk_dynamodb::types::{
    CancellationReason, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

/// The entry name every idempotent operation gives its record's write.
pub const IDEMPOTENCY: &str = "idempotency";

/// Attempts before a transaction that keeps meeting concurrent
/// transactions on the same items (AWS: `TransactionConflict`) or being
/// throttled gives up as busy.
const CONFLICT_ATTEMPTS: u32 = 8;

/// Answers after which a transaction is known not to have applied.
const RETRY_CODES: &[&str] = &[
    "TransactionConflictException",
    "TransactionInProgressException",
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// One transaction being put together.
#[derive(Debug, Default, Clone)]
pub struct Tx {
    entries: Vec<(&'static str, TransactWriteItem)>,
    /// The new items it puts (under a fresh id, `attribute_not_exists`):
    /// finding one already there, identical, means this very transaction
    /// applied on an earlier attempt whose answer was lost.
    fresh: Vec<(&'static str, Item)>,
}

/// Why each entry of a cancelled transaction failed.
#[derive(Debug, Clone)]
pub struct Cancelled {
    reasons: Vec<(&'static str, Option<String>, Option<Item>)>,
}

impl Tx {
    pub fn new() -> Self {
        Tx::default()
    }

    pub fn put(mut self, name: &'static str, put: Put) -> Self {
        let new_item = put.condition_expression().is_some_and(is_new_item);
        let put = match new_item {
            true => {
                self.fresh.push((name, put.item().clone()));
                with_old_image(put)
            }
            false => put,
        };
        self.entries
            .push((name, TransactWriteItem::builder().put(put).build()));
        self
    }

    pub fn update(mut self, name: &'static str, update: Update) -> Self {
        self.entries
            .push((name, TransactWriteItem::builder().update(update).build()));
        self
    }

    pub fn delete(mut self, name: &'static str, delete: Delete) -> Self {
        self.entries
            .push((name, TransactWriteItem::builder().delete(delete).build()));
        self
    }

    /// Adds an update when there is one (an optional idempotency record).
    pub fn update_if(self, name: &'static str, update: Option<Update>) -> Self {
        match update {
            Some(u) => self.update(name, u),
            None => self,
        }
    }
}

/// Whether `condition` is a put's of a new item: its key must not exist.
fn is_new_item(condition: &str) -> bool {
    [PK, SK]
        .iter()
        .any(|key| condition == format!("attribute_not_exists({key})"))
}

/// The same put, saying what it found when its condition fails.
fn with_old_image(put: Put) -> Put {
    let mut builder = Put::builder()
        .table_name(put.table_name())
        .set_item(Some(put.item().clone()))
        .set_condition_expression(put.condition_expression().map(str::to_string))
        .set_expression_attribute_names(put.expression_attribute_names().cloned())
        .set_expression_attribute_values(put.expression_attribute_values().cloned())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    if let Some(r) = put.return_values_on_condition_check_failure() {
        builder = builder.return_values_on_condition_check_failure(r.clone());
    }
    builder.build().unwrap_or(put)
}

impl Cancelled {
    /// Whether a new item this transaction puts was there already, just as
    /// it would write it: an earlier attempt of the same transaction (its
    /// answer lost, the SDK sending it again) applied, whole.
    fn applied_before(&self, fresh: &[(&'static str, Item)]) -> bool {
        fresh
            .iter()
            .any(|(name, item)| self.failed(name) && self.old(name) == Some(item))
    }

    /// The entry's condition failed.
    pub fn failed(&self, name: &str) -> bool {
        self.reasons
            .iter()
            .any(|(n, code, _)| *n == name && code.as_deref() == Some("ConditionalCheckFailed"))
    }

    /// The item as it was, for an entry that asked for `ALL_OLD` on failure
    /// and failed.
    pub fn old(&self, name: &str) -> Option<&Item> {
        self.reasons
            .iter()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, _, old)| old.as_ref())
    }

    /// An error for a cancellation the operation has no answer for.
    #[track_caller]
    pub fn unexplained(&self, op: &str) -> StoreError {
        StoreError::failed(format!("{op} cancelled: {:?}", self.reasons))
    }

    /// The usual reading of the idempotency entry: another request owns
    /// the record now.
    #[track_caller]
    pub fn claim_or_unexplained(&self, op: &str) -> StoreError {
        if self.failed(IDEMPOTENCY) {
            StoreError::ClaimLost
        } else {
            self.unexplained(op)
        }
    }
}

impl Db {
    /// Runs one transaction. `Ok(Err(cancelled))` is a cancellation decided
    /// by the entries' conditions; conflicts with other transactions are
    /// retried here.
    pub async fn transact(&self, tx: Tx) -> Result<Result<(), Cancelled>, StoreError> {
        let fresh = tx.fresh;
        let (names, items): (Vec<_>, Vec<_>) = tx.entries.into_iter().unzip();
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
                Err(e) => e,
            };
            let transient = match err.as_service_error() {
                Some(E::TransactionCanceledException(c)) => {
                    let reasons = c.cancellation_reasons();
                    let transient = |r: &CancellationReason| {
                        r.code().is_some_and(|c| TRANSIENT_REASONS.contains(&c))
                    };
                    if !reasons.iter().any(transient) {
                        let cancelled = Cancelled {
                            reasons: names
                                .iter()
                                .zip(reasons)
                                .map(|(n, r)| (*n, r.code().map(str::to_string), r.item().cloned()))
                                .collect(),
                        };
                        if cancelled.applied_before(&fresh) {
                            tracing::warn!("a transaction's repeat met its own applied write");
                            return Ok(Ok(()));
                        }
                        return Ok(Err(cancelled));
                    }
                    true
                }
                // DynamoDB said "not now" (throttled, conflicting): it did
                // not apply, so trying again is safe. A timeout or a lost
                // connection may have applied: never repeated here.
                Some(e) => e.code().is_some_and(|c| RETRY_CODES.contains(&c)),
                None => false,
            };
            if !transient {
                return Err(err).or_failed();
            }
            if attempt >= CONFLICT_ATTEMPTS {
                return Err(StoreError::busy(format!(
                    "transaction kept failing: {err:?}"
                )));
            }
            self.backoff(attempt).await;
        }
    }
}

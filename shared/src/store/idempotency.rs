//! Idempotency records (`IdempotencyTable`, `IDEM#{user}#{op}#{key}`).
//!
//! A request with an `Idempotency-Key` first claims its record (PENDING).
//! The operation's own transaction then moves the record on — to DONE with
//! the answer when the answer is known before writing, or to APPLIED when
//! it is read afterwards — so the effect and the record commit together and
//! a retry can never apply the effect twice.

use super::error::{OrFailed, StoreError};
use super::io::{conditional, key_pk, n, num_attr, s, str_attr, Item};
use super::schema::idempotency::{attr as a, APPLIED, DONE, PENDING};
use super::schema::{PK, TTL};
use super::Db;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};

/// Records live at least this long (TTL deletes them later).
pub const RETAIN_SECS: i64 = 25 * 3600;
/// A PENDING claim older than this belongs to a request that died (a
/// Lambda times out well before); a retry may take it over.
pub const LEASE_MS: i64 = 30_000;

/// An answer as recorded: status code and body, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub status: u16,
    pub body: String,
}

/// This request's claim on its idempotency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub pk: String,
    pub claimed_at: i64,
}

/// What claiming a record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time: go ahead, carrying the claim into the write.
    Claimed(Claim),
    /// Done before: answer exactly this.
    Replay(Recorded),
    /// The effect committed but its answer was not stored (the request died
    /// between the two); rebuild the answer and store it.
    Applied(Claim),
    /// Another request with this key is running now.
    InProgress,
    /// The key was used before with another request body.
    Mismatch,
}

/// How a claim is completed inside the operation's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub claim: Claim,
    /// The answer when it is known before the write; None marks APPLIED.
    pub answer: Option<Recorded>,
}

impl Db {
    pub async fn idem_begin(
        &self,
        pk: String,
        request: &str,
        now_ms: i64,
    ) -> Result<Begin, StoreError> {
        let mut item = key_pk(pk.clone());
        item.insert(a::STATE.into(), s(PENDING));
        item.insert(a::REQUEST.into(), s(request));
        item.insert(a::CLAIMED_AT.into(), n(now_ms));
        item.insert(TTL.into(), n(now_ms / 1000 + RETAIN_SECS));
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.idempotency)
            .set_item(Some(item))
            .condition_expression(format!(
                "attribute_not_exists({PK}) OR #ttl < :now_s \
                 OR (#state = :pending AND {} <= :stale AND #request = :request)",
                a::CLAIMED_AT
            ))
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#state", a::STATE)
            .expression_attribute_names("#request", a::REQUEST)
            .expression_attribute_values(":now_s", n(now_ms / 1000))
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":stale", n(now_ms - LEASE_MS))
            .expression_attribute_values(":request", s(request))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match out {
            Ok(_) => {
                return Ok(Begin::Claimed(Claim {
                    pk,
                    claimed_at: now_ms,
                }))
            }
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(c)) => {
                    c.item.clone().unwrap_or_default()
                }
                _ => return Err(e).or_failed(),
            },
        };
        Ok(found(pk, &old, request))
    }

    /// The update that completes `commit` inside the operation's transaction.
    pub fn idem_commit(&self, commit: &Commit) -> Result<Update, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.idempotency)
            .set_key(Some(key_pk(commit.claim.pk.clone())))
            .condition_expression(format!(
                "#state = :pending AND {} = :claimed",
                a::CLAIMED_AT
            ))
            .expression_attribute_names("#state", a::STATE)
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":claimed", n(commit.claim.claimed_at));
        let update = match &commit.answer {
            Some(r) => update
                .update_expression(format!(
                    "SET #state = :done, #status = :status, {} = :body",
                    a::BODY
                ))
                .expression_attribute_names("#status", a::STATUS)
                .expression_attribute_values(":done", s(DONE))
                .expression_attribute_values(":status", n(r.status))
                .expression_attribute_values(":body", s(r.body.clone())),
            None => update
                .update_expression("SET #state = :applied")
                .expression_attribute_values(":applied", s(APPLIED)),
        };
        update.build().or_failed()
    }

    /// Stores the answer of a claimed request that did not store it in its
    /// own transaction (a refusal, or an answer read after the write).
    pub async fn idem_finish(&self, claim: &Claim, answer: &Recorded) -> Result<(), StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.idempotency)
            .set_key(Some(key_pk(claim.pk.clone())))
            .update_expression(format!(
                "SET #state = :done, #status = :status, {} = :body",
                a::BODY
            ))
            .condition_expression(format!(
                "#state IN (:pending, :applied) AND {} = :claimed",
                a::CLAIMED_AT
            ))
            .expression_attribute_names("#state", a::STATE)
            .expression_attribute_names("#status", a::STATUS)
            .expression_attribute_values(":done", s(DONE))
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":applied", s(APPLIED))
            .expression_attribute_values(":status", n(answer.status))
            .expression_attribute_values(":body", s(answer.body.clone()))
            .expression_attribute_values(":claimed", n(claim.claimed_at))
            .send()
            .await;
        conditional(out).map(|_| ())
    }

    /// Gives a claim back after a failure of ours, so a retry runs afresh.
    pub async fn idem_release(&self, claim: &Claim) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.idempotency)
            .set_key(Some(key_pk(claim.pk.clone())))
            .condition_expression(format!(
                "#state = :pending AND {} = :claimed",
                a::CLAIMED_AT
            ))
            .expression_attribute_names("#state", a::STATE)
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":claimed", n(claim.claimed_at))
            .send()
            .await;
        conditional(out).map(|_| ())
    }
}

/// What an existing record means for a request with body `request`.
fn found(pk: String, old: &Item, request: &str) -> Begin {
    if str_attr(old, a::REQUEST) != Some(request) {
        return Begin::Mismatch;
    }
    match str_attr(old, a::STATE) {
        Some(DONE) => Begin::Replay(Recorded {
            status: num_attr(old, a::STATUS)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(500),
            body: str_attr(old, a::BODY).unwrap_or_default().to_string(),
        }),
        Some(APPLIED) => Begin::Applied(Claim {
            pk,
            claimed_at: num_attr(old, a::CLAIMED_AT).unwrap_or(0),
        }),
        _ => Begin::InProgress,
    }
}

//! Idempotency records (`IdempotencyTable`, `IDEM#{user}#{op}#{key}`).
//!
//! A request with an `Idempotency-Key` first claims its record (PENDING).
//! The operation's own transaction then moves the record on — to DONE with
//! the reply when the reply is known before writing, or to APPLIED when it
//! is read afterwards — so the effect and the record commit together and a
//! retry can never apply the effect twice.

use super::{key_pk, n, s, sdk_err, Db, Item};
use crate::error::AppError;
use crate::http::Reply;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};

/// Records live at least this long (TTL deletes them later).
pub const RETAIN_SECS: i64 = 25 * 3600;
/// A PENDING claim older than this belongs to a request that died (a
/// Lambda times out well before); a retry may take it over.
pub const LEASE_MS: i64 = 30_000;

/// This request's claim on its idempotency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemClaim {
    pub pk: String,
    pub claimed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time: go ahead, carrying the claim into the write.
    Fresh(IdemClaim),
    /// Done before: answer exactly this.
    Replay(Reply),
    /// The effect committed but its reply was not stored (the request died
    /// between the two); rebuild the reply and store it.
    Applied(IdemClaim),
    /// Another request with this key is running now.
    InProgress,
}

fn str_attr(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn num_attr(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

pub fn idem_pk(user_id: &str, op: &str, key: &str) -> String {
    format!("IDEM#{user_id}#{op}#{key}")
}

impl Db {
    pub async fn idem_begin(
        &self,
        pk: String,
        request: &str,
        now_ms: i64,
    ) -> Result<Begin, AppError> {
        let mut item = key_pk(pk.clone());
        item.insert("state".into(), s("PENDING"));
        item.insert("request".into(), s(request));
        item.insert("claimedAt".into(), n(now_ms));
        item.insert("ttl".into(), n(now_ms / 1000 + RETAIN_SECS));
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.idempotency)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR #ttl < :now_s \
                 OR (#state = :pending AND claimedAt <= :stale AND #request = :request)",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#request", "request")
            .expression_attribute_values(":now_s", n(now_ms / 1000))
            .expression_attribute_values(":pending", s("PENDING"))
            .expression_attribute_values(":stale", n(now_ms - LEASE_MS))
            .expression_attribute_values(":request", s(request))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match out {
            Ok(_) => {
                return Ok(Begin::Fresh(IdemClaim {
                    pk,
                    claimed_at: now_ms,
                }))
            }
            Err(e) => match e.into_service_error() {
                PutItemError::ConditionalCheckFailedException(c) => c.item.unwrap_or_default(),
                other => return Err(sdk_err(other)),
            },
        };
        if str_attr(&old, "request").as_deref() != Some(request) {
            return Err(AppError::IdempotencyMismatch);
        }
        match str_attr(&old, "state").as_deref() {
            Some("DONE") => Ok(Begin::Replay(Reply {
                status: num_attr(&old, "status")
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(500),
                body: str_attr(&old, "body").unwrap_or_default(),
            })),
            Some("APPLIED") => Ok(Begin::Applied(IdemClaim {
                pk,
                claimed_at: num_attr(&old, "claimedAt").unwrap_or(0),
            })),
            _ => Ok(Begin::InProgress),
        }
    }

    /// The entry that completes `claim` inside the operation's transaction:
    /// DONE with `reply`, or APPLIED when the reply comes later.
    pub fn idem_commit_write(
        &self,
        claim: &IdemClaim,
        reply: Option<&Reply>,
    ) -> Result<TransactWriteItem, AppError> {
        let mut update = Update::builder()
            .table_name(&self.tables.idempotency)
            .set_key(Some(key_pk(claim.pk.clone())))
            .condition_expression("#state = :pending AND claimedAt = :claimed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s("PENDING"))
            .expression_attribute_values(":claimed", n(claim.claimed_at));
        update = match reply {
            Some(r) => update
                .update_expression("SET #state = :done, #status = :status, body = :body")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":done", s("DONE"))
                .expression_attribute_values(":status", n(r.status))
                .expression_attribute_values(":body", s(r.body.clone())),
            None => update
                .update_expression("SET #state = :applied")
                .expression_attribute_values(":applied", s("APPLIED")),
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(AppError::internal)?)
            .build())
    }

    /// Stores the reply of a claimed request that did not store it in its
    /// own transaction (a refusal, or a reply read after the write).
    pub async fn idem_finish(&self, claim: &IdemClaim, reply: &Reply) -> Result<(), AppError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.idempotency)
            .set_key(Some(key_pk(claim.pk.clone())))
            .update_expression("SET #state = :done, #status = :status, body = :body")
            .condition_expression("#state IN (:pending, :applied) AND claimedAt = :claimed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":done", s("DONE"))
            .expression_attribute_values(":pending", s("PENDING"))
            .expression_attribute_values(":applied", s("APPLIED"))
            .expression_attribute_values(":status", n(reply.status))
            .expression_attribute_values(":body", s(reply.body.clone()))
            .expression_attribute_values(":claimed", n(claim.claimed_at))
            .send()
            .await;
        super::conditional(out.map(|_| ())).map(|_| ())
    }

    /// Gives a claim back after a failure of ours, so a retry runs afresh.
    pub async fn idem_release(&self, claim: &IdemClaim) -> Result<(), AppError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.idempotency)
            .set_key(Some(key_pk(claim.pk.clone())))
            .condition_expression("#state = :pending AND claimedAt = :claimed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s("PENDING"))
            .expression_attribute_values(":claimed", n(claim.claimed_at))
            .send()
            .await;
        super::conditional(out.map(|_| ())).map(|_| ())
    }
}

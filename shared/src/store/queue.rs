//! The waiting room's items: counter shards, tokens, and admission slots.
//!
//! - `COUNTER#{shard}`: `next` (tickets handed out by this shard) and
//!   `admitted` (a copy of how many tokens were ever admitted).
//! - `USER#{userId}`: the user's current [`QueueToken`]; while it waits it
//!   also carries `waitShard`, which puts it in the sparse `waiting` index
//!   ordered by `issuedAt`.
//! - `TOKEN#{tokenId}`: which user a token id belongs to.
//! - `SLOTS`/`{k}`: admission slot k and the token holding it until `until`.

use super::{from_item, key, n, s, sdk_err, to_item, CancelReason, Db, Item};
use crate::domain::queue::QueueToken;
use crate::error::AppError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

const TOKEN_SK: &str = "TOKEN";
const COUNTER_SK: &str = "COUNTER";
const SLOTS_PK: &str = "SLOTS";
pub const WAITING_INDEX: &str = "waiting";
/// Records of abandoned tokens are removed by TTL after this long.
const RETENTION_SECS: i64 = 8 * 24 * 3600;

fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}
fn token_pk(token_id: &str) -> String {
    format!("TOKEN#{token_id}")
}
fn counter_pk(shard: u32) -> String {
    format!("COUNTER#{shard}")
}
fn slot_sk(slot: u32) -> String {
    format!("{slot:08}")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserItem<'a> {
    #[serde(flatten)]
    token: &'a QueueToken,
    wait_shard: u32,
    ttl: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenOwner {
    user_id: String,
    ttl: i64,
}

/// An admission slot and until when it is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub slot: u32,
    pub until: i64,
}

/// A waiting token as the `waiting` index returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub issued_at: i64,
    pub ticket: u64,
    pub user_id: String,
}

fn num(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl Db {
    /// Takes the next count of a counter shard; returns it with the shard's
    /// copy of the admitted count. One write, on one of many items.
    pub async fn take_ticket(&self, shard: u32) -> Result<(u64, u64), AppError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(counter_pk(shard), COUNTER_SK)))
            .update_expression("ADD #next :one")
            .expression_attribute_names("#next", "next")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(sdk_err)?;
        let attrs = out.attributes.unwrap_or_default();
        let count = num(&attrs, "next").unwrap_or(1).max(1) as u64;
        let admitted = num(&attrs, "admitted").unwrap_or(0).max(0) as u64;
        Ok((count, admitted))
    }

    /// Stores a new WAIT token unless the user still holds a live one.
    pub async fn create_token(
        &self,
        token: &QueueToken,
        wait_shard: u32,
        now_ms: i64,
    ) -> Result<(), AppError> {
        let ttl = now_ms / 1000 + RETENTION_SECS;
        let user = to_item(
            user_pk(&token.user_id),
            TOKEN_SK,
            &UserItem {
                token,
                wait_shard,
                ttl,
            },
        )?;
        let owner = to_item(
            token_pk(&token.token_id),
            TOKEN_SK,
            &TokenOwner {
                user_id: token.user_id.clone(),
                ttl,
            },
        )?;
        let items = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.tables.queue)
                        .set_item(Some(user))
                        // A WAIT token never expires; an ACTIVE or ENDED one
                        // makes way once its expiry has passed.
                        .condition_expression("attribute_not_exists(pk) OR expireAt <= :now")
                        .expression_attribute_values(":now", n(now_ms))
                        .build()
                        .map_err(AppError::internal)?,
                )
                .build(),
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.tables.queue)
                        .set_item(Some(owner))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(AppError::internal)?,
                )
                .build(),
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if reasons.first().is_some_and(CancelReason::failed_condition) => {
                Err(AppError::TokenExists)
            }
            Err(reasons) => Err(AppError::internal(format!("token not stored: {reasons:?}"))),
        }
    }

    /// The user's token, read consistently.
    pub async fn user_token(&self, user_id: &str) -> Result<Option<QueueToken>, AppError> {
        let item = self
            .get(&self.tables.queue, key(user_pk(user_id), TOKEN_SK), true)
            .await?;
        item.map(from_item).transpose()
    }

    /// The user a token id was issued to, if it was issued at all.
    pub async fn token_owner(&self, token_id: &str) -> Result<Option<String>, AppError> {
        let item = self
            .get(&self.tables.queue, key(token_pk(token_id), TOKEN_SK), true)
            .await?;
        Ok(item
            .map(from_item::<TokenOwner>)
            .transpose()?
            .map(|o| o.user_id))
    }

    /// The user's token and the admitted count, in one read call.
    pub async fn token_and_admitted(
        &self,
        user_id: &str,
        shard: u32,
    ) -> Result<(Option<QueueToken>, u64), AppError> {
        let keys = KeysAndAttributes::builder()
            .keys(key(user_pk(user_id), TOKEN_SK))
            .keys(key(counter_pk(shard), COUNTER_SK))
            .consistent_read(true)
            .build()
            .map_err(AppError::internal)?;
        let request = std::collections::HashMap::from([(self.tables.queue.clone(), keys)]);
        let mut token = None;
        let mut admitted = 0;
        let mut found = self.batch_get_all(request).await?;
        for item in found.remove(&self.tables.queue).unwrap_or_default() {
            if item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(COUNTER_SK)
            {
                admitted = num(&item, "admitted").unwrap_or(0).max(0) as u64;
            } else {
                token = Some(from_item(item)?);
            }
        }
        Ok((token, admitted))
    }

    /// Adds a round's admissions to every counter shard's copy, so joins
    /// and polls read it alongside what they read anyway.
    pub async fn add_admitted(&self, shards: u32, admitted: u64) -> Result<(), AppError> {
        for shard in 0..shards {
            self.client
                .update_item()
                .table_name(&self.tables.queue)
                .set_key(Some(key(counter_pk(shard), COUNTER_SK)))
                .update_expression("ADD admitted :n")
                .expression_attribute_values(":n", n(admitted))
                .send()
                .await
                .map_err(sdk_err)?;
        }
        Ok(())
    }

    /// All admission slots that have ever been used.
    pub async fn slots(&self) -> Result<Vec<Slot>, AppError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.queue)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(SLOTS_PK))
            .consistent_read(true);
        Ok(self
            .query_all(query)
            .await?
            .into_iter()
            .filter_map(|item| {
                let slot = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|s| s.parse().ok())?;
                Some(Slot {
                    slot,
                    until: num(&item, "until")?,
                })
            })
            .collect())
    }

    /// The `limit` earliest tokens waiting on one shard.
    pub async fn waiting(&self, shard: u32, limit: usize) -> Result<Vec<Waiting>, AppError> {
        let page = self
            .client
            .query()
            .table_name(&self.tables.queue)
            .index_name(WAITING_INDEX)
            .key_condition_expression("waitShard = :s")
            .expression_attribute_values(":s", n(shard))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk_err)?;
        let mut out = Vec::new();
        for item in page.items.unwrap_or_default() {
            let user = item
                .get("pk")
                .and_then(|v| v.as_s().ok())
                .and_then(|pk| pk.strip_prefix("USER#"));
            if let (Some(user), Some(ticket), Some(issued_at)) =
                (user, num(&item, "ticket"), num(&item, "issuedAt"))
            {
                out.push(Waiting {
                    issued_at,
                    ticket: ticket as u64,
                    user_id: user.to_string(),
                });
            }
        }
        Ok(out)
    }

    /// Admits a waiting token into a free slot. Both conditions decide: the
    /// slot must be free now and the token still the same waiting one.
    /// `false` when either lost a race.
    pub async fn activate(
        &self,
        w: &Waiting,
        slot: u32,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, AppError> {
        let ttl = until_ms / 1000 + RETENTION_SECS;
        let items = vec![
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.tables.queue)
                        .set_key(Some(key(SLOTS_PK.into(), slot_sk(slot))))
                        .update_expression("SET #until = :until, userId = :user")
                        .condition_expression("attribute_not_exists(#until) OR #until <= :now")
                        .expression_attribute_names("#until", "until")
                        .expression_attribute_values(":until", n(until_ms))
                        .expression_attribute_values(":now", n(now_ms))
                        .expression_attribute_values(":user", s(w.user_id.clone()))
                        .build()
                        .map_err(AppError::internal)?,
                )
                .build(),
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.tables.queue)
                        .set_key(Some(key(user_pk(&w.user_id), TOKEN_SK)))
                        .update_expression(
                            "SET #status = :active, activeAt = :now, expireAt = :until, slot = :slot, #ttl = :ttl \
                             REMOVE waitShard",
                        )
                        .condition_expression("#status = :wait AND issuedAt = :issued")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_names("#ttl", "ttl")
                        .expression_attribute_values(":active", s("ACTIVE"))
                        .expression_attribute_values(":wait", s("WAIT"))
                        .expression_attribute_values(":now", n(now_ms))
                        .expression_attribute_values(":until", n(until_ms))
                        .expression_attribute_values(":slot", n(slot))
                        .expression_attribute_values(":ttl", n(ttl))
                        .expression_attribute_values(":issued", n(w.issued_at))
                        .build()
                        .map_err(AppError::internal)?,
                )
                .build(),
        ];
        Ok(self.transact(items).await?.is_ok())
    }

    /// The two writes that end an ACTIVE token now and free its slot, for a
    /// caller's transaction (payment) or [`Db::end_token`].
    pub fn end_token_writes(
        &self,
        token: &QueueToken,
        now_ms: i64,
    ) -> Result<Vec<TransactWriteItem>, AppError> {
        let mut items = vec![TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&self.tables.queue)
                    .set_key(Some(key(user_pk(&token.user_id), TOKEN_SK)))
                    .update_expression("SET #status = :ended, expireAt = :now")
                    .condition_expression(
                        "tokenId = :token AND #status = :active AND expireAt > :now",
                    )
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":ended", s("ENDED"))
                    .expression_attribute_values(":active", s("ACTIVE"))
                    .expression_attribute_values(":now", n(now_ms))
                    .expression_attribute_values(":token", s(token.token_id.clone()))
                    .build()
                    .map_err(AppError::internal)?,
            )
            .build()];
        if let Some(slot) = token.slot {
            items.push(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.tables.queue)
                            .set_key(Some(key(SLOTS_PK.into(), slot_sk(slot))))
                            .update_expression("SET #until = :now")
                            .condition_expression("userId = :user AND #until > :now")
                            .expression_attribute_names("#until", "until")
                            .expression_attribute_values(":now", n(now_ms))
                            .expression_attribute_values(":user", s(token.user_id.clone()))
                            .build()
                            .map_err(AppError::internal)?,
                    )
                    .build(),
            );
        }
        Ok(items)
    }

    /// Ends an ACTIVE token at once, freeing its slot for the next round.
    /// `false` when it was no longer active.
    pub async fn end_token(&self, token: &QueueToken, now_ms: i64) -> Result<bool, AppError> {
        let items = self.end_token_writes(token, now_ms)?;
        Ok(self.transact(items).await?.is_ok())
    }
}

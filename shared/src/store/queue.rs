//! The waiting room's items: counter shards, tokens, and admission slots.
//!
//! Each room (SPEC §12) has its own of every item below; the default
//! room's keys carry no room (`store::schema::queue`).
//!
//! - `COUNTER#{shard}`: `next` (tickets handed out by this shard) and
//!   `admitted` (a copy of how many tokens were ever admitted); a room's
//!   also `pre` (joins before its opening) and `prequeued` (their total).
//! - `TOKEN#{tokenId}`: the whole [`QueueToken`], so the gate reads one
//!   item by the bearer's id; while it waits it also carries `waitShard`,
//!   which puts it in the sparse `waiting` index ordered by `issuedAt`.
//! - `USER#{userId}`/`TOKEN[#{room}]`: the user's current token id in a
//!   room and its end, for the one-live-token condition of a join.
//! - `SLOTS#{k mod 64}`/`{k}`: admission slot k and the token holding it
//!   until `until`.

use super::error::{OrFailed, StoreError};
use super::io::{conditional, from_item, key, n, num_attr, s, str_attr, to_item};
use super::schema::queue::attr::*;
use super::schema::queue::*;
use super::schema::{state, PK, SK, TTL};
use super::tx::Tx;
use super::Db;
use crate::domain::queue::{Line, QueueToken, TokenStatus, SEEN_EVERY_MS};
use crate::domain::room::RoomId;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, ReturnValue, Update};
use serde::{Deserialize, Serialize};

/// Records of abandoned tokens are removed by TTL after this long.
const RETENTION_SECS: i64 = 8 * 24 * 3600;
/// Lapsed holds one new hold drops from its token: the token stays small
/// (each hold removes every lapse since the last) and the update's
/// expression stays far below DynamoDB's limits.
const MAX_LAPSED_DROPPED: usize = 16;

/// Entry names of the writes that end a token, in any transaction.
pub(crate) const TOKEN: &str = "queue token";
pub(crate) const USER_TOKEN: &str = "user's token";
pub(crate) const QUEUE_SLOT: &str = "admission slot";

/// How a join ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    /// The user still holds a live token.
    TokenExists,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenItem<'a> {
    #[serde(flatten)]
    token: &'a QueueToken,
    wait_shard: u64,
    ttl: i64,
}

/// `USER#{userId}`: which token is the user's current one, and when it
/// ends (absent while it waits: a waiting token does not end by itself).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserPointer {
    token_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expire_at: Option<i64>,
    ttl: i64,
}

/// The copy of the line a counter shard carries.
fn line_of(item: &super::io::Item) -> Line {
    Line {
        admitted: num_attr(item, ADMITTED).unwrap_or(0).max(0) as u64,
        free: num_attr(item, FREE).map(|f| f.max(0) as u64),
        per_minute: num_attr(item, PER_MINUTE).unwrap_or(0).max(0) as u64,
        prequeued: num_attr(item, PREQUEUED).map(|p| p.max(0) as u64),
        entered: num_attr(item, ENTERED).unwrap_or(0).max(0) as u64,
    }
}

/// What a join took from its counter shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// This shard's count of joins of the kind taken (before or after
    /// the opening).
    pub count: u64,
    /// This shard's joins before the opening, so far.
    pub pre: u64,
    pub line: Line,
}

/// An admission slot and until when it is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub slot: u32,
    pub until: i64,
    /// The token admitted into it (slots written before tokens were
    /// named have none).
    pub token_id: Option<String>,
}

/// A waiting token as the `waiting` index returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub issued_at: i64,
    pub ticket: u64,
    pub token_id: String,
    pub user_id: String,
    /// When its holder last polled (None: never since joining).
    pub last_seen: Option<i64>,
    pub room: RoomId,
}

impl Waiting {
    pub fn seen_at(&self) -> i64 {
        self.last_seen.unwrap_or(self.issued_at)
    }
}

/// A waiting token of `room` as the `waiting` index shows it (the index
/// does not project the room: the query named it).
fn waiting_of(item: &super::io::Item, room: RoomId) -> Option<Waiting> {
    Some(Waiting {
        issued_at: num_attr(item, ISSUED_AT)?,
        ticket: num_attr(item, TICKET)? as u64,
        token_id: token_of(str_attr(item, PK)?)?.to_string(),
        user_id: str_attr(item, USER_ID)?.to_string(),
        last_seen: num_attr(item, LAST_SEEN),
        room,
    })
}

/// The writes that end an ACTIVE token, for one transaction.
pub struct TokenEnd {
    token: Update,
    user: Option<Update>,
    slot: Option<Update>,
}

impl TokenEnd {
    /// Adds the writes to `tx` under their entry names.
    pub fn into_tx(self, tx: Tx) -> Tx {
        tx.update(TOKEN, self.token)
            .update_if(USER_TOKEN, self.user)
            .update_if(QUEUE_SLOT, self.slot)
    }
}

impl Db {
    /// Takes the next count of a room's counter shard — of the joins before
    /// its opening (`before_opening`) or after — with the shard's copy of
    /// the line. One write, on one of many items.
    pub async fn take_ticket(
        &self,
        room: RoomId,
        shard: u32,
        before_opening: bool,
    ) -> Result<Ticket, StoreError> {
        let counted = if before_opening { PRE } else { NEXT };
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(counter_pk(room, shard), COUNTER_SK)))
            .update_expression("ADD #counted :one")
            .expression_attribute_names("#counted", counted)
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .or_failed()?;
        let attrs = out.attributes.unwrap_or_default();
        Ok(Ticket {
            count: num_attr(&attrs, counted).unwrap_or(1).max(1) as u64,
            pre: num_attr(&attrs, PRE).unwrap_or(0).max(0) as u64,
            line: line_of(&attrs),
        })
    }

    /// Stores a new WAIT token unless the user still holds a live one.
    pub async fn create_token(
        &self,
        token: &QueueToken,
        shard: u32,
        now_ms: i64,
    ) -> Result<JoinOutcome, StoreError> {
        let ttl = now_ms / 1000 + RETENTION_SECS;
        let item = TokenItem {
            token,
            wait_shard: wait_shard(token.room, shard),
            ttl,
        };
        let pointer = UserPointer {
            token_id: token.token_id.clone(),
            expire_at: None,
            ttl,
        };
        let put_user = Put::builder()
            .table_name(&self.tables.queue)
            .set_item(Some(to_item(
                user_pk(&token.user_id),
                user_token_sk(token.room),
                &pointer,
            )?))
            // A WAIT token never expires; an ACTIVE or ENDED one makes way
            // once its expiry has passed.
            .condition_expression(format!("attribute_not_exists({PK}) OR {EXPIRE_AT} <= :now"))
            .expression_attribute_values(":now", n(now_ms))
            .build()
            .or_failed()?;
        let put_token = Put::builder()
            .table_name(&self.tables.queue)
            .set_item(Some(to_item(token_pk(&token.token_id), TOKEN_SK, &item)?))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .build()
            .or_failed()?;
        let tx = Tx::new().put(USER_TOKEN, put_user).put(TOKEN, put_token);
        match self.transact(tx).await? {
            Ok(()) => Ok(JoinOutcome::Joined),
            Err(c) if c.failed(USER_TOKEN) => Ok(JoinOutcome::TokenExists),
            Err(c) if c.failed(TOKEN) => Err(StoreError::IdTaken),
            Err(c) => Err(c.unexplained("join")),
        }
    }

    /// Whether the user holds a token that still counts (waiting, or ACTIVE
    /// and unexpired): a join checks first, so a refused join takes no
    /// ticket and moves nobody's place in line.
    pub async fn has_live_token(
        &self,
        user_id: &str,
        room: RoomId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let pointer = self
            .get(
                &self.tables.queue,
                key(user_pk(user_id), user_token_sk(room)),
                true,
            )
            .await?
            .map(from_item::<UserPointer>)
            .transpose()?;
        Ok(pointer.is_some_and(|p| p.expire_at.is_none_or(|at| at > now_ms)))
    }

    /// A token by its id, read consistently: the gate's one read.
    pub async fn token(&self, token_id: &str) -> Result<Option<QueueToken>, StoreError> {
        let item = self
            .get(&self.tables.queue, key(token_pk(token_id), TOKEN_SK), true)
            .await?;
        item.map(from_item).transpose()
    }

    /// A token by its id, eventually consistent (half the units): a poll
    /// that sees an admission a moment late only asks again.
    pub async fn polled_token(&self, token_id: &str) -> Result<Option<QueueToken>, StoreError> {
        let item = self
            .get(&self.tables.queue, key(token_pk(token_id), TOKEN_SK), false)
            .await?;
        item.map(from_item).transpose()
    }

    /// The line's copy on one of a room's counter shards, and the shard's
    /// joins before the opening (eventually consistent).
    pub async fn room_line(&self, room: RoomId, shard: u32) -> Result<(Line, u64), StoreError> {
        let item = self
            .get(
                &self.tables.queue,
                key(counter_pk(room, shard), COUNTER_SK),
                false,
            )
            .await?
            .unwrap_or_default();
        let pre = num_attr(&item, PRE).unwrap_or(0).max(0) as u64;
        Ok((line_of(&item), pre))
    }

    /// Writes the line as of a round to every counter shard's copy, so
    /// joins and polls read it alongside what they read anyway: everyone
    /// who has left the line so far (an absolute count, so a write repeated
    /// after a timeout changes nothing, and never lowered), the slots the
    /// round left free and its pace. Every shard is tried; the first
    /// failure is returned, and the next round writes the line again.
    pub async fn publish_line(
        &self,
        room: RoomId,
        shards: u32,
        line: Line,
        epoch: u64,
    ) -> Result<(), StoreError> {
        let mut failed = None;
        let prequeued = match line.prequeued {
            Some(_) => format!(", {PREQUEUED} = :pre"),
            None => String::new(),
        };
        for shard in 0..shards {
            let mut update = self
                .client
                .update_item()
                .table_name(&self.tables.queue)
                .set_key(Some(key(counter_pk(room, shard), COUNTER_SK)))
                .update_expression(format!(
                    "SET {ADMITTED} = :n, {ENTERED} = :entered, #free = :free, {PER_MINUTE} = :pace, #epoch = :epoch{prequeued}"
                ))
                // Only the lease's holder moves the count, and only forward.
                .condition_expression(format!(
                    "(attribute_not_exists(#epoch) OR #epoch <= :epoch) \
                     AND (attribute_not_exists({ADMITTED}) OR {ADMITTED} < :n)"
                ))
                .expression_attribute_names("#free", FREE)
                .expression_attribute_names("#epoch", EPOCH)
                .expression_attribute_values(":epoch", n(epoch))
                .expression_attribute_values(":n", n(line.admitted))
                .expression_attribute_values(":free", n(line.free.unwrap_or(0)))
                .expression_attribute_values(":pace", n(line.per_minute))
                .expression_attribute_values(":entered", n(line.entered));
            if let Some(p) = line.prequeued {
                update = update.expression_attribute_values(":pre", n(p));
            }
            let out = update.send().await;
            // Refused: a later round or a newer holder already wrote.
            if let Err(e) = conditional(out) {
                failed = failed.or(Some(e));
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Admission slots below `max` that have ever been used: one query
    /// per slot partition that can hold such a slot.
    pub async fn slots(&self, room: RoomId, max: u32) -> Result<Vec<Slot>, StoreError> {
        let mut slots = Vec::new();
        for shard in 0..SLOT_SHARDS.min(max) {
            let query = self
                .client
                .query()
                .table_name(&self.tables.queue)
                .key_condition_expression(format!("{PK} = :pk"))
                .expression_attribute_values(":pk", s(slot_shard_pk(room, shard)))
                .consistent_read(true);
            slots.extend(self.query_all(query).await?.into_iter().filter_map(|item| {
                Some(Slot {
                    slot: str_attr(&item, SK)?.parse().ok()?,
                    until: num_attr(&item, UNTIL)?,
                    token_id: str_attr(&item, TOKEN_ID).map(str::to_string),
                })
            }));
        }
        Ok(slots)
    }

    /// Tokens of a room ACTIVE at `now_ms`: every slot ever used is looked
    /// at, as a lowered maximum leaves tokens ACTIVE in higher slots until
    /// they end.
    pub async fn active_now(&self, room: RoomId, now_ms: i64) -> Result<u64, StoreError> {
        let slots = self.slots(room, u32::MAX).await?;
        Ok(slots.iter().filter(|s| s.until > now_ms).count() as u64)
    }

    /// The `limit` earliest tokens waiting on one shard. A page may come
    /// back short of its limit with more to read (DynamoDB counts what it
    /// evaluated), so pages are followed until the limit or the end.
    pub async fn waiting(
        &self,
        room: RoomId,
        shard: u32,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        while found.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.tables.queue)
                .index_name(WAITING_INDEX)
                .key_condition_expression("#shard = :s")
                .expression_attribute_names("#shard", WAIT_SHARD)
                .expression_attribute_values(":s", n(wait_shard(room, shard)))
                .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .or_failed()?;
            found.extend(
                page.items
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| waiting_of(item, room)),
            );
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(found)
    }

    /// Refreshes a token's last-seen mark while it is `status`, only when
    /// the mark is older than [`SEEN_EVERY_MS`]: `false` when another
    /// request just did.
    pub async fn mark_seen(
        &self,
        token_id: &str,
        status: TokenStatus,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mark = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(token_id), TOKEN_SK)))
            .update_expression(format!("SET {LAST_SEEN} = :now"))
            .condition_expression(format!(
                "#status = :wait AND (attribute_not_exists({LAST_SEEN}) OR {LAST_SEEN} <= :stale)"
            ))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":wait", state(status))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":stale", n(now_ms - SEEN_EVERY_MS))
            .build()
            .or_failed()?;
        self.update_alone(mark).await
    }

    /// ACTIVE tokens by id (eventually consistent: the round re-checks
    /// everything it acts on in its conditions).
    pub async fn tokens(&self, ids: &[String]) -> Result<Vec<QueueToken>, StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(100) {
            let mut keys = KeysAndAttributes::builder();
            for id in chunk {
                keys = keys.keys(key(token_pk(id), TOKEN_SK));
            }
            let request = std::collections::HashMap::from([(
                self.tables.queue.clone(),
                keys.build().or_failed()?,
            )]);
            let mut got = self.batch_get_all(request).await?;
            for item in got.remove(&self.tables.queue).unwrap_or_default() {
                found.push(from_item(item)?);
            }
        }
        Ok(found)
    }

    /// Ends an ACTIVE token whose holder has made no request since
    /// `cutoff_ms` and took no hold since it was read, and frees its slot
    /// for the next in line. `false` when anything moved meanwhile.
    pub async fn release_idle(
        &self,
        token: &QueueToken,
        cutoff_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut end = self.end_token_writes(token, now_ms)?;
        end.token = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(&token.token_id), TOKEN_SK)))
            .update_expression(format!("SET #status = :ended, {EXPIRE_AT} = :now"))
            .condition_expression(format!(
                "#status = :active AND {EXPIRE_AT} > :now AND {LAST_SEEN} <= :cutoff \
                 AND (attribute_not_exists({VERSION}) OR {VERSION} = :version)",
            ))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":ended", state(TokenStatus::Ended))
            .expression_attribute_values(":active", state(TokenStatus::Active))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":cutoff", n(cutoff_ms))
            .expression_attribute_values(":version", n(token.version))
            .build()
            .or_failed()?;
        Ok(self.transact(end.into_tx(Tx::new())).await?.is_ok())
    }

    /// Ends a waiting token nobody has asked about since `cutoff_ms`: it
    /// leaves the line (and the `waiting` index), and its user may join
    /// again. `false` when it was seen (or admitted) meanwhile.
    pub async fn skip_idle(
        &self,
        w: &Waiting,
        cutoff_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let end = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(&w.token_id), TOKEN_SK)))
            .update_expression(format!("SET #status = :ended, {EXPIRE_AT} = :now REMOVE #shard"))
            .condition_expression(
                format!(
                "#status = :wait AND ((attribute_not_exists({LAST_SEEN}) AND {ISSUED_AT} <= :cutoff) \
                 OR {LAST_SEEN} <= :cutoff)",
            ),
            )
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#shard", WAIT_SHARD)
            .expression_attribute_values(":ended", state(TokenStatus::Ended))
            .expression_attribute_values(":wait", state(TokenStatus::Wait))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":cutoff", n(cutoff_ms))
            .build()
            .or_failed()?;
        let tx = Tx::new().update(TOKEN, end).update(
            USER_TOKEN,
            self.user_token_ends(&w.user_id, w.room, &w.token_id, now_ms)?,
        );
        Ok(self.transact(tx).await?.is_ok())
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
    ) -> Result<bool, StoreError> {
        let take_slot = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(slot_pk(w.room, slot), slot_sk(slot))))
            .update_expression(format!(
                "SET #until = :until, {USER_ID} = :user, {TOKEN_ID} = :token"
            ))
            .condition_expression("attribute_not_exists(#until) OR #until <= :now")
            .expression_attribute_values(":token", s(w.token_id.clone()))
            .expression_attribute_names("#until", UNTIL)
            .expression_attribute_values(":until", n(until_ms))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":user", s(w.user_id.clone()))
            .build()
            .or_failed()?;
        let tx = Tx::new()
            .update(QUEUE_SLOT, take_slot)
            .update(TOKEN, self.admit_token(w, slot, now_ms, until_ms)?)
            .update(
                USER_TOKEN,
                self.user_token_ends(&w.user_id, w.room, &w.token_id, until_ms)?,
            );
        Ok(self.transact(tx).await?.is_ok())
    }

    /// The user's pointer to `token_id` takes the token's new end.
    fn user_token_ends(
        &self,
        user_id: &str,
        room: RoomId,
        token_id: &str,
        at_ms: i64,
    ) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(user_pk(user_id), user_token_sk(room))))
            .update_expression(format!("SET {EXPIRE_AT} = :at"))
            .condition_expression(format!("{TOKEN_ID} = :token"))
            .expression_attribute_values(":at", n(at_ms))
            .expression_attribute_values(":token", s(token_id.to_string()))
            .build()
            .or_failed()
    }

    /// WAIT → ACTIVE until `until_ms`, for the same waiting token only.
    fn admit_token(
        &self,
        w: &Waiting,
        slot: u32,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(&w.token_id), TOKEN_SK)))
            .update_expression(
                format!(
                "SET #status = :active, {ACTIVE_AT} = :now, {LAST_SEEN} = :now, {EXPIRE_AT} = :until, {SLOT} = :slot, #ttl = :ttl, \
                 {HOLDS} = :none REMOVE #shard",
            ),
            )
            .condition_expression(format!("#status = :wait AND {ISSUED_AT} = :issued"))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#shard", WAIT_SHARD)
            .expression_attribute_values(":active", state(TokenStatus::Active))
            .expression_attribute_values(":wait", state(TokenStatus::Wait))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":until", n(until_ms))
            .expression_attribute_values(":slot", n(slot))
            .expression_attribute_values(":none", AttributeValue::M(Default::default()))
            .expression_attribute_values(":ttl", n(until_ms / 1000 + RETENTION_SECS))
            .expression_attribute_values(":issued", n(w.issued_at))
            .build()
            .or_failed()
    }

    /// What a payment of hold `reserve_id` does to the payer's ACTIVE
    /// token as read: it drops the hold from the token, and ends the token
    /// (see [`Db::end_token_writes`]) unless another of the user's holds in
    /// the room is still running (`others`, or one on the token itself) —
    /// so every held seat can still be paid. Both writes are conditional on
    /// the token's `version` as read (and the keeping one raises it), as
    /// the payment's change of the fan's holds is on theirs, so two
    /// payments at once of the last two holds cannot both keep it: the
    /// second is refused, reads again and ends it.
    pub fn token_after_payment(
        &self,
        token: &QueueToken,
        reserve_id: u64,
        now_ms: i64,
        others: bool,
    ) -> Result<TokenEnd, StoreError> {
        if !others && !token.holds_besides(reserve_id, now_ms) {
            return self.end_token_writes(token, now_ms);
        }
        let keep = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(&token.token_id), TOKEN_SK)))
            .update_expression(format!("REMOVE {HOLDS}.#rid ADD {VERSION} :one"))
            .condition_expression(format!(
                "#status = :active AND {EXPIRE_AT} > :now AND {VERSION} = :version"
            ))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#rid", reserve_id.to_string())
            .expression_attribute_values(":active", state(TokenStatus::Active))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":version", n(token.version))
            .expression_attribute_values(":one", n(1))
            .build()
            .or_failed()?;
        Ok(TokenEnd {
            token: keep,
            user: None,
            slot: None,
        })
    }

    /// The write that records a new hold on the holder's ACTIVE token, for
    /// the hold's transaction: a conditional update of the user's own item.
    pub(crate) fn note_hold(
        &self,
        token: &QueueToken,
        reserve_id: u64,
        until_ms: i64,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        // Holds that lapsed since the token was read leave it here; removing
        // one a concurrent hold already removed does nothing.
        let lapsed = token.lapsed_holds(now_ms, MAX_LAPSED_DROPPED);
        let mut expression = format!("SET {HOLDS}.#rid = :until ADD {VERSION} :one");
        let mut update = Update::builder();
        for (i, rid) in lapsed.iter().enumerate() {
            let name = format!("#l{i}");
            expression.push_str(if i == 0 { " REMOVE " } else { ", " });
            expression.push_str(&format!("{HOLDS}.{name}"));
            update = update.expression_attribute_names(name, *rid);
        }
        update
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(&token.token_id), TOKEN_SK)))
            .update_expression(expression)
            .condition_expression(format!(
                "#status = :active AND {EXPIRE_AT} > :now AND {USER_ID} = :user"
            ))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#rid", reserve_id.to_string())
            .expression_attribute_values(":until", n(until_ms))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":active", state(TokenStatus::Active))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":user", s(token.user_id.clone()))
            .build()
            .or_failed()
    }

    /// Drops a released hold from the token it was taken with, if that
    /// token still exists; `false` when there was nothing to drop.
    pub async fn forget_hold(
        &self,
        r: &crate::domain::reservation::Reservation,
    ) -> Result<bool, StoreError> {
        let Some(token_id) = &r.token_id else {
            return Ok(false);
        };
        let forget = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(token_id), TOKEN_SK)))
            .update_expression(format!("REMOVE {HOLDS}.#rid"))
            .condition_expression(format!("attribute_exists({HOLDS}.#rid)"))
            .expression_attribute_names("#rid", r.reserve_id.to_string())
            .build()
            .or_failed()?;
        self.update_alone(forget).await
    }

    /// The writes that end an ACTIVE token now — the token (unless a hold
    /// was added since it was read), the user's pointer to it, and its
    /// admission slot when it has one — for a caller's transaction
    /// (payment) or [`Db::end_token`].
    pub fn end_token_writes(
        &self,
        token: &QueueToken,
        now_ms: i64,
    ) -> Result<TokenEnd, StoreError> {
        let end = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(token_pk(&token.token_id), TOKEN_SK)))
            .update_expression(format!("SET #status = :ended, {EXPIRE_AT} = :now"))
            .condition_expression(format!(
                "#status = :active AND {EXPIRE_AT} > :now \
                 AND (attribute_not_exists({VERSION}) OR {VERSION} = :version)",
            ))
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_values(":ended", state(TokenStatus::Ended))
            .expression_attribute_values(":active", state(TokenStatus::Active))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":version", n(token.version))
            .build()
            .or_failed()?;
        let free = token.slot.map(|slot| {
            Update::builder()
                .table_name(&self.tables.queue)
                .set_key(Some(key(slot_pk(token.room, slot), slot_sk(slot))))
                .update_expression("SET #until = :now")
                .condition_expression(format!("{USER_ID} = :user AND #until > :now"))
                .expression_attribute_names("#until", UNTIL)
                .expression_attribute_values(":now", n(now_ms))
                .expression_attribute_values(":user", s(token.user_id.clone()))
                .build()
                .or_failed()
        });
        Ok(TokenEnd {
            token: end,
            user: Some(self.user_token_ends(
                &token.user_id,
                token.room,
                &token.token_id,
                now_ms,
            )?),
            slot: free.transpose()?,
        })
    }

    /// Ends an ACTIVE token at once, freeing its slot for the next round.
    /// `false` when it was no longer active.
    pub async fn end_token(&self, token: &QueueToken, now_ms: i64) -> Result<bool, StoreError> {
        let tx = self.end_token_writes(token, now_ms)?.into_tx(Tx::new());
        Ok(self.transact(tx).await?.is_ok())
    }
}

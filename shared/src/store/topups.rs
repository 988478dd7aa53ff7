//! Top-ups (SPEC §11): each step is one transaction whose condition is
//! the top-up's state, so confirm, webhook and reconciliation racing for
//! the same top-up credit it exactly once.
//!
//! - Top-up (`PointsTable`, `TOPUP#{orderId}`/`TOPUP`): a [`Topup`].
//! - Balance item: `pendingTopups`, `pendingAmount` beside `point`.
//! - Fund (`USER#{user}`/`FUND#{doneAt}#{orderId}`): a DONE top-up's
//!   uncancelled remainder, what withdrawals take back to the card.
//! - Marker (`PENDING#TOPUP#{shard}`/`{createdAt}#{orderId}`) while PENDING.

use super::error::{OrFailed, StoreError};
use super::io::{from_item, key, n, num_attr, s, to_item, Item};
use super::points::LEDGER_ENTRY;
use super::schema::money::{attr, fund_sk, pending_key, topup_pk, Pending, TOPUP_SK};
use super::schema::points::{user_pk, BALANCE, BALANCE_SK};
use super::schema::{PK, SK};
use super::tx::{Tx, IDEMPOTENCY};
use super::Db;
use crate::domain::money::{admit_topup, Committed, Fund, Topup, TopupRefusal, TopupStatus};
use crate::domain::points::LedgerEntry;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, Update};

pub(crate) const BALANCE_ITEM: &str = "balance";
const TOPUP: &str = "topup";
const FUND: &str = "fund";
const MARKER: &str = "pending marker";

/// Rounds of an optimistic write on a balance that keeps changing.
const BALANCE_ATTEMPTS: usize = 8;

/// The limits a new top-up is held to.
#[derive(Debug, Clone, Copy)]
pub struct TopupLimits {
    pub max_pending: i64,
    pub max_balance: i64,
}

/// How a credit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credit {
    /// Credited now; the top-up as it is after.
    Credited(Topup),
    /// The top-up was no longer as seen: read it again.
    Moved,
}

pub(crate) fn word<T: serde::Serialize>(v: T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(v).or_failed()
}

/// `#a` still holds `seen` (absent counting as 0).
fn unchanged(placeholder: &str, value: &str, seen: i64) -> String {
    if seen == 0 {
        format!("(attribute_not_exists({placeholder}) OR {placeholder} = {value})")
    } else {
        format!("{placeholder} = {value}")
    }
}

impl Db {
    /// The balance and its pending top-ups, read for a write that checks
    /// they have not moved since.
    pub async fn committed(&self, user_id: &str) -> Result<Committed, StoreError> {
        let item = self
            .get(&self.tables.points, key(user_pk(user_id), BALANCE_SK), true)
            .await?
            .unwrap_or_default();
        let num = |a| num_attr(&item, a).unwrap_or(0);
        Ok(Committed {
            point: num(BALANCE),
            pending_count: num(attr::PENDING_COUNT),
            pending_amount: num(attr::PENDING_AMOUNT),
        })
    }

    /// Records a new PENDING top-up, counting it against the user's
    /// pending limit and balance cap.
    pub async fn create_topup(
        &self,
        t: &Topup,
        limits: TopupLimits,
        idempotency: Option<Update>,
    ) -> Result<Result<(), TopupRefusal>, StoreError> {
        for _ in 0..BALANCE_ATTEMPTS {
            let now = self.committed(&t.user_id).await?;
            if let Err(r) = admit_topup(now, t.amount, limits.max_pending, limits.max_balance) {
                return Ok(Err(r));
            }
            let count = Update::builder()
                .table_name(&self.tables.points)
                .set_key(Some(key(user_pk(&t.user_id), BALANCE_SK)))
                .update_expression("SET #count = :count, #pending = :pending")
                .condition_expression(format!(
                    "{} AND {} AND {}",
                    unchanged("#point", ":point", now.point),
                    unchanged("#count", ":seen_count", now.pending_count),
                    unchanged("#pending", ":seen_pending", now.pending_amount),
                ))
                .expression_attribute_names("#point", BALANCE)
                .expression_attribute_names("#count", attr::PENDING_COUNT)
                .expression_attribute_names("#pending", attr::PENDING_AMOUNT)
                .expression_attribute_values(":point", n(now.point))
                .expression_attribute_values(":seen_count", n(now.pending_count))
                .expression_attribute_values(":seen_pending", n(now.pending_amount))
                .expression_attribute_values(":count", n(now.pending_count + 1))
                .expression_attribute_values(":pending", n(now.pending_amount + t.amount))
                .build()
                .or_failed()?;
            let tx = Tx::new()
                .update(BALANCE_ITEM, count)
                .put(
                    TOPUP,
                    self.new_points_item(to_item(topup_pk(&t.order_id), TOPUP_SK, t)?)?,
                )
                .put(
                    MARKER,
                    self.marker(Pending::Topup, &t.order_id, t.created_at)?,
                )
                .update_if(IDEMPOTENCY, idempotency.clone());
            match self.transact(tx).await? {
                Ok(()) => return Ok(Ok(())),
                Err(c) if c.failed(BALANCE_ITEM) => continue,
                Err(c) if c.failed(TOPUP) => return Err(StoreError::IdTaken),
                Err(c) => return Err(c.claim_or_unexplained("top-up")),
            }
        }
        Err(StoreError::busy("the balance kept changing"))
    }

    pub async fn topup(&self, order_id: &str) -> Result<Option<Topup>, StoreError> {
        let item = self
            .get(&self.tables.points, key(topup_pk(order_id), TOPUP_SK), true)
            .await?;
        item.map(from_item).transpose()
    }

    /// Credits `seen`, which the provider reports paid by `payment_key`:
    /// DONE (from the state seen), the balance + amount, its `TOPUP`
    /// entry and its fund; from PENDING, the pending count given back.
    pub async fn credit_topup(
        &self,
        seen: &Topup,
        entry: &LedgerEntry,
        payment_key: &str,
        now: i64,
    ) -> Result<Credit, StoreError> {
        let pending = seen.status == TopupStatus::Pending;
        for _ in 0..BALANCE_ATTEMPTS {
            let before = self.committed(&seen.user_id).await?;
            let after = Topup {
                status: TopupStatus::Done,
                payment_key: Some(payment_key.to_string()),
                done_at: Some(now),
                point: Some(before.point + seen.amount),
                ..seen.clone()
            };
            let fund = Fund {
                order_id: seen.order_id.clone(),
                user_id: seen.user_id.clone(),
                payment_key: payment_key.to_string(),
                done_at: now,
                remaining: seen.amount,
            };
            let mut tx = Tx::new()
                .put(TOPUP, self.replace_topup(&after, seen.status)?)
                .update(
                    BALANCE_ITEM,
                    self.topup_credit(seen, before.point, pending)?,
                )
                .put(LEDGER_ENTRY, self.ledger_put(entry, None)?)
                .put(
                    FUND,
                    self.new_points_item(to_item(
                        user_pk(&seen.user_id),
                        fund_sk(now, &seen.order_id),
                        &fund,
                    )?)?,
                );
            if pending {
                tx = tx.delete(
                    MARKER,
                    self.marker_delete(Pending::Topup, &seen.order_id, seen.created_at)?,
                );
            }
            match self.transact(tx).await? {
                Ok(()) => return Ok(Credit::Credited(after)),
                Err(c) if c.failed(TOPUP) => return Ok(Credit::Moved),
                Err(c) if c.failed(BALANCE_ITEM) => continue,
                Err(c) if c.failed(LEDGER_ENTRY) => return Err(StoreError::IdTaken),
                Err(c) => return Err(c.unexplained("credit")),
            }
        }
        Err(StoreError::busy("the balance kept changing"))
    }

    /// PENDING → FAILED or EXPIRED, the pending count given back; false
    /// when the top-up was no longer PENDING.
    pub async fn close_topup(
        &self,
        seen: &Topup,
        to: TopupStatus,
        provider_code: Option<&str>,
    ) -> Result<bool, StoreError> {
        let closed = Topup {
            status: to,
            provider_code: provider_code.map(str::to_string),
            ..seen.clone()
        };
        let uncount = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(&seen.user_id), BALANCE_SK)))
            .update_expression("ADD #count :minus_one, #pending :minus_amount")
            .expression_attribute_names("#count", attr::PENDING_COUNT)
            .expression_attribute_names("#pending", attr::PENDING_AMOUNT)
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":minus_amount", n(-seen.amount))
            .build()
            .or_failed()?;
        let tx = Tx::new()
            .put(TOPUP, self.replace_topup(&closed, TopupStatus::Pending)?)
            .update(BALANCE_ITEM, uncount)
            .delete(
                MARKER,
                self.marker_delete(Pending::Topup, &seen.order_id, seen.created_at)?,
            );
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(TOPUP) => Ok(false),
            Err(c) => Err(c.unexplained("close top-up")),
        }
    }

    /// Takes back what the provider cancelled of `seen`'s charge by itself
    /// (`external` in all): never below a zero balance, the rest recorded
    /// as the top-up's shortfall. None when `seen` has moved on.
    pub async fn reverse_topup(
        &self,
        seen: &Topup,
        entry_for: impl Fn(i64) -> LedgerEntry,
        external: i64,
    ) -> Result<Option<i64>, StoreError> {
        let delta = external - seen.reversed;
        let (Some(done_at), true) = (seen.done_at, delta > 0) else {
            return Ok(Some(0));
        };
        let before = self.committed(&seen.user_id).await?;
        let take = delta.min(before.point.max(0));
        let fund_key = key(user_pk(&seen.user_id), fund_sk(done_at, &seen.order_id));
        let fund = self
            .get(&self.tables.points, fund_key.clone(), true)
            .await?;
        let remaining = fund
            .as_ref()
            .and_then(|f| num_attr(f, attr::REMAINING))
            .unwrap_or(0);
        let after = Topup {
            reversed: external,
            shortfall: seen.shortfall + delta - take,
            ..seen.clone()
        };
        let debit = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(&seen.user_id), BALANCE_SK)))
            .update_expression("ADD #point :minus")
            .condition_expression(unchanged("#point", ":seen", before.point))
            .expression_attribute_names("#point", BALANCE)
            .expression_attribute_values(":minus", n(-take))
            .expression_attribute_values(":seen", n(before.point))
            .build()
            .or_failed()?;
        let shrink = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(fund_key))
            .update_expression("SET #remaining = :left")
            .condition_expression("#remaining = :seen")
            .expression_attribute_names("#remaining", attr::REMAINING)
            .expression_attribute_values(":left", n((remaining - delta).max(0)))
            .expression_attribute_values(":seen", n(remaining))
            .build()
            .or_failed()?;
        let mut tx = Tx::new()
            .put(TOPUP, self.replace_topup_if_reversed(&after, seen)?)
            .update(BALANCE_ITEM, debit)
            .update(FUND, shrink);
        if take > 0 {
            tx = tx.put(LEDGER_ENTRY, self.ledger_put(&entry_for(-take), None)?);
        }
        match self.transact(tx).await? {
            Ok(()) => Ok(Some(delta - take)),
            Err(c) if c.failed(TOPUP) || c.failed(BALANCE_ITEM) || c.failed(FUND) => Ok(None),
            Err(c) => Err(c.unexplained("reverse top-up")),
        }
    }

    /// The ids of what has been pending of `kind` since before `before`.
    pub async fn pending_since(
        &self,
        kind: Pending,
        before: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        for shard in 0..super::schema::money::PENDING_SHARDS {
            let query = self
                .client
                .query()
                .table_name(&self.tables.points)
                .key_condition_expression(format!("{PK} = :pk AND {SK} < :before"))
                .expression_attribute_values(
                    ":pk",
                    s(super::schema::money::pending_pk(kind, shard)),
                )
                .expression_attribute_values(":before", s(format!("{before:016}")))
                .consistent_read(true);
            for item in self.query_all(query).await? {
                if let Some((_, id)) =
                    super::io::str_attr(&item, SK).and_then(|k| k.split_once('#'))
                {
                    ids.push(id.to_string());
                }
            }
        }
        Ok(ids)
    }

    /// A put of an item that must not exist yet.
    pub(crate) fn new_points_item(&self, item: Item) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.tables.points)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .build()
            .or_failed()
    }

    /// The top-up written whole, if it is still in state `from`.
    fn replace_topup(&self, t: &Topup, from: TopupStatus) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.tables.points)
            .set_item(Some(to_item(topup_pk(&t.order_id), TOPUP_SK, t)?))
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":from", word(from)?)
            .build()
            .or_failed()
    }

    /// The top-up written whole, if still DONE with what `seen` had reversed.
    fn replace_topup_if_reversed(&self, t: &Topup, seen: &Topup) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.tables.points)
            .set_item(Some(to_item(topup_pk(&t.order_id), TOPUP_SK, t)?))
            .condition_expression("#status = :done AND #reversed = :seen")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#reversed", attr::REVERSED)
            .expression_attribute_values(":done", word(TopupStatus::Done)?)
            .expression_attribute_values(":seen", n(seen.reversed))
            .build()
            .or_failed()
    }

    /// The balance + the top-up's amount, if unchanged since `seen_point`;
    /// from PENDING, its pending count given back too.
    fn topup_credit(
        &self,
        t: &Topup,
        seen_point: i64,
        pending: bool,
    ) -> Result<Update, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(&t.user_id), BALANCE_SK)))
            .condition_expression(unchanged("#point", ":seen", seen_point))
            .expression_attribute_names("#point", BALANCE)
            .expression_attribute_values(":amount", n(t.amount))
            .expression_attribute_values(":seen", n(seen_point));
        update = if pending {
            update
                .update_expression("ADD #point :amount, #count :minus_one, #pending :minus_amount")
                .expression_attribute_names("#count", attr::PENDING_COUNT)
                .expression_attribute_names("#pending", attr::PENDING_AMOUNT)
                .expression_attribute_values(":minus_one", n(-1))
                .expression_attribute_values(":minus_amount", n(-t.amount))
        } else {
            update.update_expression("ADD #point :amount")
        };
        update.build().or_failed()
    }

    pub(crate) fn marker(&self, kind: Pending, id: &str, since: i64) -> Result<Put, StoreError> {
        let (pk, sk) = pending_key(kind, id, since);
        self.new_points_item(key(pk, sk))
    }

    pub(crate) fn marker_delete(
        &self,
        kind: Pending,
        id: &str,
        since: i64,
    ) -> Result<Delete, StoreError> {
        let (pk, sk) = pending_key(kind, id, since);
        Delete::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(pk, sk)))
            .build()
            .or_failed()
    }
}

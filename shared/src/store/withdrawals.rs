//! Withdrawals (SPEC §11): the balance is debited, and each planned
//! cancel takes its part of a fund's remainder, in one transaction before
//! the provider is called; each part then moves on its own condition.
//!
//! - Withdrawal (`PointsTable`, `WITHDRAWAL#{id}`/`WITHDRAWAL`).
//! - Its parts (`WITHDRAWAL#{id}`/`PART#{index}`): one planned cancel each.
//! - Marker (`PENDING#WITHDRAWAL#{shard}`/`{createdAt}#{id}`) while PENDING.

use super::error::{OrFailed, StoreError};
use super::io::{from_item, key, n, s, str_attr, to_item};
use super::points::LEDGER_ENTRY;
use super::schema::money::{
    attr, fund_sk, part_sk, withdrawal_pk, Pending, FUND_PREFIX, WITHDRAWAL_SK,
};
use super::schema::points::{user_pk, BALANCE, BALANCE_SK};
use super::schema::{PK, SK};
use super::topups::{word, BALANCE_ITEM};
use super::tx::{Tx, IDEMPOTENCY};
use super::Db;
use crate::domain::money::{Fund, Part, PartState, Withdrawal, WithdrawalStatus};
use crate::domain::points::LedgerEntry;
use aws_sdk_dynamodb::types::Update;

const WITHDRAWAL: &str = "withdrawal";
const PART: &str = "part";
const FUND: &str = "fund";
const MARKER: &str = "pending marker";

/// How recording a withdrawal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawOutcome {
    Recorded,
    /// The balance is below the amount.
    OverBalance,
    /// A fund's remainder moved since it was read: plan again.
    FundsMoved,
}

impl Db {
    /// The user's DONE top-ups' remainders, newest first.
    pub async fn funds_of(&self, user_id: &str) -> Result<Vec<Fund>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.points)
            .key_condition_expression(format!("{PK} = :pk AND begins_with({SK}, :fund)"))
            .expression_attribute_values(":pk", s(user_pk(user_id)))
            .expression_attribute_values(":fund", s(FUND_PREFIX))
            .scan_index_forward(false)
            .consistent_read(true);
        self.query_all(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Debits the balance, takes each part from its fund and records the
    /// withdrawal, its parts, its `WITHDRAWAL` entry and its marker.
    pub async fn record_withdrawal(
        &self,
        w: &Withdrawal,
        parts: &[Part],
        entry: &LedgerEntry,
        idempotency: Option<Update>,
    ) -> Result<WithdrawOutcome, StoreError> {
        let debit = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(&w.user_id), BALANCE_SK)))
            .update_expression("ADD #point :minus")
            .condition_expression("#point >= :amount")
            .expression_attribute_names("#point", BALANCE)
            .expression_attribute_values(":minus", n(-w.amount))
            .expression_attribute_values(":amount", n(w.amount))
            .build()
            .or_failed()?;
        let mut tx = Tx::new()
            .update(BALANCE_ITEM, debit)
            .put(
                WITHDRAWAL,
                self.new_points_item(to_item(withdrawal_pk(&w.withdrawal_id), WITHDRAWAL_SK, w)?)?,
            )
            .put(LEDGER_ENTRY, self.ledger_put(entry, None)?)
            .put(
                MARKER,
                self.marker(Pending::Withdrawal, &w.withdrawal_id, w.created_at)?,
            )
            .update_if(IDEMPOTENCY, idempotency);
        for p in parts {
            tx = tx
                .update(FUND, self.fund_change(&w.user_id, p, -p.amount)?)
                .put(
                    PART,
                    self.new_points_item(to_item(
                        withdrawal_pk(&w.withdrawal_id),
                        part_sk(p.index),
                        p,
                    )?)?,
                );
        }
        match self.transact(tx).await? {
            Ok(()) => Ok(WithdrawOutcome::Recorded),
            Err(c) if c.failed(BALANCE_ITEM) => Ok(WithdrawOutcome::OverBalance),
            Err(c) if c.failed(FUND) => Ok(WithdrawOutcome::FundsMoved),
            Err(c) if c.failed(WITHDRAWAL) || c.failed(LEDGER_ENTRY) => Err(StoreError::IdTaken),
            Err(c) => Err(c.claim_or_unexplained("withdrawal")),
        }
    }

    /// The withdrawal and its parts.
    pub async fn withdrawal(
        &self,
        id: &str,
    ) -> Result<Option<(Withdrawal, Vec<Part>)>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.points)
            .key_condition_expression(format!("{PK} = :pk"))
            .expression_attribute_values(":pk", s(withdrawal_pk(id)))
            .consistent_read(true);
        let mut header = None;
        let mut parts = Vec::new();
        for item in self.query_all(query).await? {
            if str_attr(&item, SK) == Some(WITHDRAWAL_SK) {
                header = Some(from_item::<Withdrawal>(item)?);
            } else {
                parts.push(from_item::<Part>(item)?);
            }
        }
        parts.sort_by_key(|p| p.index);
        Ok(header.map(|w| (w, parts)))
    }

    /// A part's cancel went through; false when it was no longer PENDING.
    pub async fn part_done(&self, id: &str, part: &Part) -> Result<bool, StoreError> {
        self.update_alone(self.part_state(id, part, PartState::Done)?)
            .await
    }

    /// A part's cancel was refused: its amount back on the balance with a
    /// `WITHDRAWAL_REVERSED` entry and back in its fund; false when it was
    /// no longer PENDING.
    pub async fn part_refused(
        &self,
        w: &Withdrawal,
        part: &Part,
        entry: &LedgerEntry,
    ) -> Result<bool, StoreError> {
        let credit = self.credit(&w.user_id, part.amount)?;
        let tx = Tx::new()
            .update(
                PART,
                self.part_state(&w.withdrawal_id, part, PartState::Refused)?,
            )
            .update(BALANCE_ITEM, credit)
            .put(LEDGER_ENTRY, self.ledger_put(entry, None)?)
            .update(FUND, self.fund_change(&w.user_id, part, part.amount)?);
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(PART) => Ok(false),
            Err(c) if c.failed(LEDGER_ENTRY) => Err(StoreError::IdTaken),
            Err(c) => Err(c.unexplained("withdrawal reversal")),
        }
    }

    /// PENDING → `status` once every part is answered; its marker goes.
    pub async fn finish_withdrawal(
        &self,
        w: &Withdrawal,
        status: WithdrawalStatus,
    ) -> Result<bool, StoreError> {
        let finish = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(withdrawal_pk(&w.withdrawal_id), WITHDRAWAL_SK)))
            .update_expression("SET #status = :to")
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":to", word(status)?)
            .expression_attribute_values(":pending", word(WithdrawalStatus::Pending)?)
            .build()
            .or_failed()?;
        let tx = Tx::new().update(WITHDRAWAL, finish).delete(
            MARKER,
            self.marker_delete(Pending::Withdrawal, &w.withdrawal_id, w.created_at)?,
        );
        match self.transact(tx).await? {
            Ok(()) => Ok(true),
            Err(c) if c.failed(WITHDRAWAL) => Ok(false),
            Err(c) => Err(c.unexplained("finish withdrawal")),
        }
    }

    /// PENDING → `to` for one part.
    fn part_state(&self, id: &str, part: &Part, to: PartState) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(withdrawal_pk(id), part_sk(part.index))))
            .update_expression("SET #state = :to")
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", attr::STATE)
            .expression_attribute_values(":to", word(to)?)
            .expression_attribute_values(":pending", word(PartState::Pending)?)
            .build()
            .or_failed()
    }

    /// A fund's remainder moved by `change`; a decrease only while the
    /// remainder covers it.
    fn fund_change(&self, user_id: &str, part: &Part, change: i64) -> Result<Update, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(
                user_pk(user_id),
                fund_sk(part.done_at, &part.order_id),
            )))
            .update_expression("ADD #remaining :change")
            .expression_attribute_names("#remaining", attr::REMAINING)
            .expression_attribute_values(":change", n(change));
        let update = if change < 0 {
            update
                .condition_expression("#remaining >= :amount")
                .expression_attribute_values(":amount", n(-change))
        } else {
            update.condition_expression(format!("attribute_exists({PK})"))
        };
        update.build().or_failed()
    }
}

//! Point balances and their ledger.
//!
//! - Balance (`PointsTable`, `USER#{user}`/`BALANCE`): `point`.
//! - Ledger (`PointsTable`, `USER#{user}`/`LEDGER#{at}#{entryId}`): one
//!   [`LedgerEntry`] per balance change, written in the same transaction.

use super::error::{OrFailed, StoreError};
use super::io::{key, n, num_attr, to_item};
use super::schema::points::{ledger_sk, user_pk, BALANCE, BALANCE_SK, RECEIPT};
use super::schema::SK;
use super::tx::{Tx, IDEMPOTENCY};
use super::Db;
use crate::domain::points::{LedgerEntry, Payment};
use aws_sdk_dynamodb::types::{AttributeValue, Put, Update};

/// How a charge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Charged,
    /// The balance would pass the limit.
    OverLimit,
}

const BALANCE_ENTRY: &str = "balance";
pub(crate) const LEDGER_ENTRY: &str = "ledger entry";

impl Db {
    /// The user's balance; 0 for a user never charged.
    pub async fn balance(&self, user_id: &str) -> Result<i64, StoreError> {
        let item = self
            .get(&self.tables.points, key(user_pk(user_id), BALANCE_SK), true)
            .await?;
        Ok(item.and_then(|i| num_attr(&i, BALANCE)).unwrap_or(0))
    }

    /// Adds `entry.amount` to the balance, never past `max_balance`, with
    /// its ledger entry, in one transaction.
    pub async fn charge(
        &self,
        entry: &LedgerEntry,
        max_balance: i64,
        idempotency: Option<Update>,
    ) -> Result<ChargeOutcome, StoreError> {
        let credit = Update::builder()
            .table_name(&self.tables.points)
            .set_key(Some(key(user_pk(&entry.user_id), BALANCE_SK)))
            .update_expression("ADD #point :amount")
            .condition_expression("attribute_not_exists(#point) OR #point <= :limit")
            .expression_attribute_names("#point", BALANCE)
            .expression_attribute_values(":amount", n(entry.amount))
            .expression_attribute_values(":limit", n(max_balance - entry.amount))
            .build()
            .or_failed()?;
        let tx = Tx::new()
            .update(BALANCE_ENTRY, credit)
            .put(LEDGER_ENTRY, self.ledger_put(entry, None)?)
            .update_if(IDEMPOTENCY, idempotency);
        match self.transact(tx).await? {
            Ok(()) => Ok(ChargeOutcome::Charged),
            Err(c) if c.failed(BALANCE_ENTRY) => Ok(ChargeOutcome::OverLimit),
            Err(c) if c.failed(LEDGER_ENTRY) => Err(StoreError::IdTaken),
            Err(c) => Err(c.claim_or_unexplained("charge")),
        }
    }

    /// A new ledger entry; a payment's receipt rides on its entry.
    pub(crate) fn ledger_put(
        &self,
        entry: &LedgerEntry,
        receipt: Option<&Payment>,
    ) -> Result<Put, StoreError> {
        let mut item = to_item(user_pk(&entry.user_id), ledger_sk(entry), entry)?;
        if let Some(p) = receipt {
            let receipt = serde_dynamo::to_item(p).or_failed()?;
            item.insert(RECEIPT.into(), AttributeValue::M(receipt));
        }
        Put::builder()
            .table_name(&self.tables.points)
            .set_item(Some(item))
            .condition_expression(format!("attribute_not_exists({SK})"))
            .build()
            .or_failed()
    }
}

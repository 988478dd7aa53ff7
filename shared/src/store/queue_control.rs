//! The waiting room's runtime control (`QueueTable`, `QUEUE`/`CONTROL`):
//! `paused` and `maxActive`, set by the organiser and read by every
//! admission round (one read per round: no hot key). Absent, the
//! settings' `QUEUE_MAX_ACTIVE` applies and admission runs.

use super::error::{OrFailed, StoreError};
use super::io::{from_item, key, n, num_attr, str_attr};
use super::schema::queue::{
    attr, counter_pk, CONTROL_PK, CONTROL_SK, COUNTER_SK, MAX_ACTIVE, PAUSED,
};
use super::schema::SK;
use super::Db;
use crate::domain::room::RoomId;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};
use serde::{Deserialize, Serialize};

/// The stored control; fields absent until first set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueControl {
    #[serde(default)]
    pub paused: Option<bool>,
    #[serde(default)]
    pub max_active: Option<u32>,
}

impl Db {
    pub async fn queue_control(&self) -> Result<QueueControl, StoreError> {
        let item = self
            .get(&self.tables.queue, key(CONTROL_PK, CONTROL_SK), true)
            .await?;
        Ok(item.map(from_item).transpose()?.unwrap_or_default())
    }

    /// Sets what is given, keeps the rest; returns the control as it is now.
    pub async fn set_queue_control(
        &self,
        paused: Option<bool>,
        max_active: Option<u32>,
    ) -> Result<QueueControl, StoreError> {
        let mut sets = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(CONTROL_PK, CONTROL_SK)))
            .return_values(ReturnValue::AllNew);
        if let Some(p) = paused {
            sets.push(format!("{PAUSED} = :p"));
            update = update.expression_attribute_values(":p", AttributeValue::Bool(p));
        }
        if let Some(m) = max_active {
            sets.push(format!("{MAX_ACTIVE} = :m"));
            update = update.expression_attribute_values(":m", n(m));
        }
        if sets.is_empty() {
            return self.queue_control().await;
        }
        let out = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await
            .or_failed()?;
        from_item(out.attributes.unwrap_or_default())
    }

    /// Tickets issued (before and after the opening), joins before the
    /// opening, and tokens that have left the line, summed over a room's
    /// counter shards (the organiser's view of the line).
    pub async fn line_totals(&self, room: RoomId, shards: u32) -> Result<LineTotals, StoreError> {
        let mut totals = LineTotals::default();
        let all: Vec<u32> = (0..shards).collect();
        for chunk in all.chunks(100) {
            let mut keys = KeysAndAttributes::builder();
            for shard in chunk {
                keys = keys.keys(key(counter_pk(room, *shard), COUNTER_SK));
            }
            let request = std::collections::HashMap::from([(
                self.tables.queue.clone(),
                keys.build().or_failed()?,
            )]);
            let mut found = self.batch_get_all(request).await?;
            for item in found.remove(&self.tables.queue).unwrap_or_default() {
                if str_attr(&item, SK) == Some(COUNTER_SK) {
                    let count = |name| num_attr(&item, name).unwrap_or(0).max(0) as u64;
                    totals.pre += count(attr::PRE);
                    totals.issued += count(attr::NEXT) + count(attr::PRE);
                    // Every shard carries the line's whole count.
                    totals.left = totals.left.max(count(attr::ADMITTED));
                    totals.admitted = totals.admitted.max(count(attr::ENTERED));
                }
            }
        }
        Ok(totals)
    }
}

/// A room's line summed over its counter shards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineTotals {
    /// Tickets issued, before and after the opening.
    pub issued: u64,
    /// Of them, before the opening.
    pub pre: u64,
    /// Tokens that have left the line (admitted or skipped).
    pub left: u64,
    /// Of them, the ones ever admitted.
    pub admitted: u64,
}

impl LineTotals {
    pub fn waiting(&self) -> u64 {
        self.issued.saturating_sub(self.left)
    }
}

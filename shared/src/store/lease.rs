//! Leases (`QueueTable`, `LEASE#{name}`/`LEASE`): one holder at a time of
//! work that must not run twice at once, such as the activator's count of
//! the line. Each new holder raises `epoch`, the fencing token its writes
//! carry, so a holder that outlived its lease (a frozen process) cannot
//! overwrite what its successor wrote.

use super::error::StoreError;
use super::io::{conditional, key, n, num_attr, s};
use super::schema::queue::{attr, lease_pk, LEASE_SK};
use super::schema::PK;
use super::Db;
use aws_sdk_dynamodb::types::ReturnValue;

/// A lease as its holder knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// Raised by every new holder; the holder's writes are fenced by it.
    pub epoch: u64,
    /// Until when (ms) nobody else can take it.
    pub until: i64,
}

impl Db {
    /// Takes the lease `name` for `holder` until `until` if it is free
    /// (never taken, ended by `now`, or `holder`'s own: a take whose answer
    /// was lost is taken again): the new lease, or None while someone else
    /// holds it.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<Lease>, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(lease_pk(name), LEASE_SK)))
            .update_expression("SET #holder = :me, #until = :until ADD #epoch :one")
            .condition_expression("attribute_not_exists(#pk) OR #until <= :now OR #holder = :me")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_names("#until", attr::UNTIL)
            .expression_attribute_names("#epoch", attr::EPOCH)
            .expression_attribute_values(":me", s(holder))
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(o) => {
                let item = o.attributes.unwrap_or_default();
                let epoch = num_attr(&item, attr::EPOCH)
                    .ok_or_else(|| StoreError::failed("a lease without its epoch"))?;
                Ok(Some(Lease {
                    epoch: epoch.max(0) as u64,
                    until,
                }))
            }
            Err(e) => conditional(Err::<(), _>(e)).map(|_| None),
        }
    }

    /// Moves the end of a lease `holder` still holds (`held`) to `until`
    /// (to `now` releases it): false once another holder has taken it.
    pub async fn extend_lease(
        &self,
        name: &str,
        holder: &str,
        held: Lease,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.queue)
            .set_key(Some(key(lease_pk(name), LEASE_SK)))
            .update_expression("SET #until = :until")
            .condition_expression("#holder = :me AND #epoch = :epoch AND #until > :now")
            .expression_attribute_names("#holder", attr::HOLDER)
            .expression_attribute_names("#until", attr::UNTIL)
            .expression_attribute_names("#epoch", attr::EPOCH)
            .expression_attribute_values(":me", s(holder))
            .expression_attribute_values(":epoch", n(held.epoch))
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        conditional(out)
    }
}

//! Job items (`JobsTable`, `JOB#{kind}#{scheduleId}`): each write of one
//! is a stream record, and the stream is what runs the job's next step.
//! Progress moves only by a conditional write from the step it read, so
//! two workers on one job never both advance it.

use super::error::{OrFailed, StoreError};
use super::io::{conditional, from_item, key_pk, n, to_item_pk};
use super::schema::jobs::{attr, job_pk};
use super::schema::PK;
use super::Db;
use crate::domain::jobs::{Job, JobKind};
use aws_sdk_dynamodb::types::{AttributeValue, Put};

/// The job has not finished (with `:false` bound to `false`).
fn not_done() -> String {
    format!("{} = :false", attr::DONE)
}

impl Db {
    /// The write that creates a job, for the transaction that needs it.
    pub fn new_job(&self, job: &Job) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.tables.jobs)
            .set_item(Some(to_item_pk(job_pk(job.kind, job.schedule_id), job)?))
            .condition_expression(format!("attribute_not_exists({PK})"))
            .build()
            .or_failed()
    }

    pub async fn job(&self, kind: JobKind, schedule_id: u64) -> Result<Option<Job>, StoreError> {
        let item = self
            .get(&self.tables.jobs, key_pk(job_pk(kind, schedule_id)), true)
            .await?;
        item.map(from_item).transpose()
    }

    /// Writes a job that is not done again, unchanged but for its count of
    /// restarts: the write is a new stream record, so its next step runs
    /// (an organiser's repair of a job whose retries ran out). A step
    /// already running is harmless: progress moves only from what it read.
    pub async fn restart_job(&self, kind: JobKind, schedule_id: u64) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.jobs)
            .set_key(Some(key_pk(job_pk(kind, schedule_id))))
            .update_expression(format!("ADD {} :one", attr::RESTARTS))
            .condition_expression(format!("attribute_exists({PK}) AND {}", not_done()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        conditional(out)
    }

    /// Saves the progress `next` of a job read as `read`; `false` when
    /// another worker moved it first.
    pub async fn advance_job(&self, read: &Job, next: &Job) -> Result<bool, StoreError> {
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.jobs)
            .set_item(Some(to_item_pk(job_pk(next.kind, next.schedule_id), next)?))
            .condition_expression(format!("{} = :read AND {}", attr::NEXT_BLOCK, not_done()))
            .expression_attribute_values(":read", n(read.next_block))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        conditional(out)
    }
}

//! The jobs table's stream consumer: every write of a job item that is
//! not done runs the job's next step, whose own progress write is the
//! next record. A failed step is reported, so Lambda delivers the record
//! again (and at last to the dead-letter queue); every write of a step is
//! conditional, so a repeated step changes nothing twice.

use super::prepare;
use crate::app::App;
use crate::domain::catalog::{Schedule, ScheduleStatus};
use crate::domain::jobs::{Job, JobKind};
use crate::store::StoreError;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;

/// The job a record's new image holds, while it is not done.
pub fn pending_job(record: &EventRecord) -> Option<Job> {
    let job: Job = serde_dynamo::from_item(record.change.new_image.clone()).ok()?;
    (!job.done).then_some(job)
}

pub async fn process(app: &App, record: &EventRecord) -> Result<bool, StoreError> {
    let Some(job) = pending_job(record) else {
        return Ok(false);
    };
    match job.kind {
        JobKind::Prepare => prepare::step(app, &job).await,
        JobKind::Cancel => super::cancel::step(app, &job).await,
    }
}

pub async fn handle(app: &App, event: Event) -> DynamoDbEventResponse {
    super::stream::in_order(&event, "schedule job", |record| process(app, record)).await
}

/// Starts again the job of a schedule still `PREPARING` or `CANCELLING`
/// (an organiser's repair: its last step ran out of retries and nothing
/// runs the next); whether there was such a job to start.
pub async fn restart(app: &App, schedule: &Schedule) -> Result<bool, StoreError> {
    let kind = match schedule.status {
        ScheduleStatus::Preparing => JobKind::Prepare,
        ScheduleStatus::Cancelling => JobKind::Cancel,
        ScheduleStatus::Ready | ScheduleStatus::Cancelled => return Ok(false),
    };
    app.db.restart_job(kind, schedule.schedule_id).await
}

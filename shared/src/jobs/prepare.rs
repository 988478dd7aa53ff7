//! Writing a schedule's seats: block by block, each block only if new, then
//! PREPARING → READY once every block exists. Small schedules run it within
//! the organiser's call; big ones through the jobs table's stream, a step
//! per record.

use crate::app::App;
use crate::domain::catalog::ScheduleStatus;
use crate::domain::jobs::{Job, JobKind};
use crate::store::StoreError;
use futures::stream::{self, StreamExt, TryStreamExt};

/// Block transactions in flight at once.
const PARALLEL_BLOCKS: usize = 8;

/// One step of a prepare job as read; `true` when it saved progress.
pub async fn step(app: &App, job: &Job) -> Result<bool, StoreError> {
    let Some(schedule) = app.db.schedule_now(job.schedule_id).await? else {
        return Ok(false);
    };
    let blocks: Vec<u64> = schedule.blocks().collect();
    let (step, last) = job.this_step(blocks.len());
    let to = step.end;
    if schedule.status == ScheduleStatus::Preparing {
        stream::iter(blocks[step].to_vec())
            .map(|b| app.db.write_seat_block(&schedule, &job.sections, b))
            .buffer_unordered(PARALLEL_BLOCKS)
            .try_collect::<Vec<()>>()
            .await?;
        if last {
            app.db
                .set_schedule_status(
                    &schedule,
                    &[ScheduleStatus::Preparing],
                    ScheduleStatus::Ready,
                )
                .await?;
        }
    }
    let next = Job {
        next_block: to as u64,
        // A schedule that has moved on (READY, or cancelled) needs no more.
        done: last || schedule.status != ScheduleStatus::Preparing,
        ..job.clone()
    };
    app.db.advance_job(job, &next).await
}

/// Runs a prepare job to its end (within the organiser's call).
pub async fn run(app: &App, schedule_id: u64) -> Result<(), StoreError> {
    while let Some(job) = app.db.job(JobKind::Prepare, schedule_id).await? {
        if job.done {
            break;
        }
        step(app, &job).await?;
    }
    Ok(())
}

//! Writing a schedule's seats: block by block, each block only if new, then
//! PREPARING → READY once every block exists. Small schedules run it within
//! the organiser's call; big ones through the jobs table's stream, a step
//! per record.

use crate::app::App;
use crate::domain::catalog::ScheduleStatus;
use crate::domain::jobs::{Job, JobKind};
use crate::store::StoreError;
use futures::stream::{self, StreamExt, TryStreamExt};

/// Blocks one step writes before it saves its progress (≈ 2,000 seats:
/// a few seconds, well within one invocation).
pub const BLOCKS_PER_STEP: u64 = 20;
/// Block transactions in flight at once.
const PARALLEL_BLOCKS: usize = 8;

/// One step of a prepare job as read; `true` when it saved progress.
pub async fn step(app: &App, job: &Job) -> Result<bool, StoreError> {
    let Some(schedule) = app.db.schedule_now(job.schedule_id).await? else {
        return Ok(false);
    };
    let blocks: Vec<u64> = schedule.blocks().collect();
    let from = (job.next_block as usize).min(blocks.len());
    let to = (from + BLOCKS_PER_STEP as usize).min(blocks.len());
    if schedule.status == ScheduleStatus::Preparing {
        stream::iter(blocks[from..to].to_vec())
            .map(|b| app.db.write_seat_block(&schedule, &job.sections, b))
            .buffer_unordered(PARALLEL_BLOCKS)
            .try_collect::<Vec<()>>()
            .await?;
        if to == blocks.len() {
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
        done: to == blocks.len() || schedule.status != ScheduleStatus::Preparing,
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

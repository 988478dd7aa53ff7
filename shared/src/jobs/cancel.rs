//! Cancelling a schedule, block by block: every seat of a block is
//! released, refunded or marked (each in its own conditional writes), then
//! the block's totals are read off its seats and added to the job with
//! its progress, so a repeated block never counts twice. The last block
//! moves the schedule CANCELLING → CANCELLED.

use crate::app::App;
use crate::domain::catalog::{Schedule, ScheduleStatus, Seat, SeatCancel};
use crate::domain::jobs::{Job, JobKind};
use crate::store::StoreError;
use futures::stream::{self, StreamExt, TryStreamExt};

/// Blocks cancelled at once.
const PARALLEL_BLOCKS: usize = 8;
/// Reads and writes of one seat before a step gives up (and is retried):
/// only fans racing the cancellation on that very seat make it take more
/// than one, and once marked nobody can.
const SEAT_ATTEMPTS: usize = 5;

/// What a cancellation did to a set of seats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub released_holds: u64,
    pub refunded_tickets: u64,
    pub refunded_points: i64,
}

impl Totals {
    /// Read off seats after the cancellation reached them.
    pub fn of(seats: &[Seat]) -> Totals {
        seats
            .iter()
            .fold(Totals::default(), |t, s| match s.cancelled {
                Some(SeatCancel::Hold) => Totals {
                    released_holds: t.released_holds + 1,
                    ..t
                },
                Some(SeatCancel::Ticket) => Totals {
                    refunded_tickets: t.refunded_tickets + 1,
                    refunded_points: t.refunded_points + s.price,
                    ..t
                },
                _ => t,
            })
    }

    fn add(self, o: Totals) -> Totals {
        Totals {
            released_holds: self.released_holds + o.released_holds,
            refunded_tickets: self.refunded_tickets + o.refunded_tickets,
            refunded_points: self.refunded_points + o.refunded_points,
        }
    }
}

/// One step of a cancel job as read; `true` when it saved progress.
pub async fn step(app: &App, job: &Job) -> Result<bool, StoreError> {
    let Some(schedule) = app.db.schedule_now(job.schedule_id).await? else {
        return Ok(false);
    };
    let blocks: Vec<u64> = schedule.blocks().collect();
    let (step, last) = job.this_step(blocks.len());
    let to = step.end;
    let totals = stream::iter(blocks[step].to_vec())
        .map(|b| cancel_block(app, &schedule, b))
        .buffer_unordered(PARALLEL_BLOCKS)
        .try_fold(Totals::default(), |sum, t| async move { Ok(sum.add(t)) })
        .await?;
    if last {
        app.db
            .set_schedule_status(
                &schedule,
                &[ScheduleStatus::Cancelling],
                ScheduleStatus::Cancelled,
            )
            .await?;
    }
    let next = Job {
        next_block: to as u64,
        done: last,
        released_holds: job.released_holds + totals.released_holds,
        refunded_tickets: job.refunded_tickets + totals.refunded_tickets,
        refunded_points: job.refunded_points + totals.refunded_points,
        ..job.clone()
    };
    let advanced = app.db.advance_job(job, &next).await;
    if advanced.is_ok() {
        crate::counters::refunds(totals.refunded_tickets);
    }
    advanced
}

async fn cancel_block(app: &App, schedule: &Schedule, block: u64) -> Result<Totals, StoreError> {
    for seat in app.db.block_now(schedule.schedule_id, block).await? {
        cancel_one(app, seat).await?;
    }
    Ok(Totals::of(
        &app.db.block_now(schedule.schedule_id, block).await?,
    ))
}

async fn cancel_one(app: &App, mut seat: Seat) -> Result<(), StoreError> {
    for _ in 0..SEAT_ATTEMPTS {
        if app.db.cancel_seat(&seat, app.now_ms()).await? {
            return Ok(());
        }
        match app.db.seat_now(&seat).await? {
            Some(now) => seat = now,
            None => return Ok(()),
        }
    }
    Err(StoreError::failed(format!(
        "seat {} kept changing under the cancellation",
        seat.seat_id
    )))
}

/// Runs a cancel job to its end (within the organiser's call).
pub async fn run(app: &App, schedule_id: u64) -> Result<Option<Job>, StoreError> {
    loop {
        let job = app.db.job(JobKind::Cancel, schedule_id).await?;
        match job {
            Some(job) if !job.done => {
                step(app, &job).await?;
            }
            other => return Ok(other),
        }
    }
}

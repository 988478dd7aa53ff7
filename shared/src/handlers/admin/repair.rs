//! `POST /admin/schedules/{scheduleId}/repair`: what an organiser does when
//! a seats-left count drifted (an availability message dead-lettered) or a
//! schedule's job stopped (its retries ran out). Safe to repeat.

use super::named_schedule;
use super::report::tally;
use crate::app::App;
use crate::domain::catalog::ScheduleStatus;
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::{AppError, Reply};
use crate::jobs::{availability, schedule_jobs};
use lambda_http::Request;
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairBody {
    schedule_id: u64,
    status: ScheduleStatus,
    /// A `PREPARING` or `CANCELLING` schedule's job was started again.
    job_restarted: bool,
    /// The seats as read by the repair, counted as the report counts them.
    available: u64,
    held: u64,
    sold: u64,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "repair_schedule",
        post, path = "/admin/schedules/{scheduleId}/repair", tag = "organiser",
        security(("organiser" = [])),
        params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "Seats-left counts rebuilt from the seats; a stopped job started again", body = RepairBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "Unknown schedule", body = ErrorBody),
        )
    )
)]
pub async fn repair(app: &App, req: &Request) -> Result<Reply, AppError> {
    let schedule = named_schedule(app, req).await?;
    let schedule_id = schedule.schedule_id;
    let seats = availability::rebuild(app, &schedule).await?;
    let job_restarted = schedule_jobs::restart(app, &schedule).await?;
    let counted = tally(&schedule, &seats, app.now_ms());
    Reply::ok(&RepairBody {
        schedule_id,
        status: schedule.status,
        job_restarted,
        available: counted.available,
        held: counted.held,
        sold: counted.sold,
    })
}

//! `POST /admin/concerts/{concertId}/schedules`, `PATCH /admin/schedules/{scheduleId}`
//! and `POST /admin/schedules/{scheduleId}/cancel`.

use super::{idempotency_scope, named_schedule, organiser, parse_opt_time};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::catalog::{Schedule, ScheduleStatus};
use crate::domain::jobs::{Job, JobKind};
use crate::domain::layout::Layout;
use crate::domain::organiser::{
    check_window, plan_schedule, PlannedSchedule, ScheduleRequest, Section,
};
use crate::handlers::idempotency::{self, Done, Keyed};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::request::path_id;
use crate::http::{AppError, Reply};
use crate::jobs::cancel;
use crate::store::idempotency::Claim;
use crate::store::StoreError;
use chrono::NaiveDate;
use futures::stream::{self, StreamExt, TryStreamExt};
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// Schedules up to this many seats are written within the call (READY at
/// once); bigger ones by the jobs table's worker (PREPARING first).
pub const INLINE_SEATS: u32 = 5_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSchedule {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-12-02"))]
    date: NaiveDate,
    /// ISO-8601 with an offset or `Z`; default: now.
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-28T20:00:00+09:00"))]
    sale_opens_at: Option<String>,
    /// ISO-8601 with an offset or `Z`; default: the start of the show's day.
    sale_closes_at: Option<String>,
    sections: Vec<SectionBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectionBody {
    /// 1–20 letters or digits, unique in the schedule.
    #[cfg_attr(feature = "openapi", schema(example = "A"))]
    name: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 10))]
    #[serde(deserialize_with = "crate::domain::number::int::u64")]
    rows: u64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 30))]
    #[serde(deserialize_with = "crate::domain::number::int::u64")]
    seats_per_row: u64,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 10000000, example = 165000)
    )]
    #[serde(deserialize_with = "crate::domain::number::int::i64")]
    price: i64,
}

/// A schedule as the organiser sees it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleBody {
    schedule_id: u64,
    concert_id: u64,
    date: NaiveDate,
    sale_opens_at: String,
    sale_closes_at: String,
    total_seats: u32,
    status: ScheduleStatus,
}

impl From<&Schedule> for ScheduleBody {
    fn from(s: &Schedule) -> Self {
        ScheduleBody {
            schedule_id: s.schedule_id,
            concert_id: s.concert_id,
            date: s.date,
            sale_opens_at: format_ms(s.sale_opens_at),
            sale_closes_at: format_ms(s.sale_closes_at),
            total_seats: s.total_seats,
            status: s.status,
        }
    }
}

impl NewSchedule {
    fn request(&self) -> Result<ScheduleRequest, AppError> {
        let sections = self
            .sections
            .iter()
            .map(|s| {
                let too_many = || AppError::bad_request("좌석 수는 1~60000이어야 합니다.");
                Ok(Section {
                    name: s.name.clone(),
                    rows: u32::try_from(s.rows).map_err(|_| too_many())?,
                    seats_per_row: u32::try_from(s.seats_per_row).map_err(|_| too_many())?,
                    price: s.price,
                })
            })
            .collect::<Result<_, AppError>>()?;
        Ok(ScheduleRequest {
            date: self.date,
            sale_opens_at: parse_opt_time(self.sale_opens_at.as_deref(), "saleOpensAt")?,
            sale_closes_at: parse_opt_time(self.sale_closes_at.as_deref(), "saleClosesAt")?,
            sections,
        })
    }
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "create_schedule",
        post, path = "/admin/concerts/{concertId}/schedules", tag = "organiser",
        security(("organiser" = [])),
        params(
            ("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64),
            ("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
                description = "Same key and body: the first reply again, nothing created twice"),
        ),
        request_body = NewSchedule,
        responses(
            JsonBodyRefusals,
            (status = 201, description = "READY (up to 5,000 seats, written in the call) or PREPARING (finished in the background)", body = ScheduleBody),
            (status = 400, description = "Date outside the concert, no or duplicate sections, seats not in 1..60000, price not in 1..10000000, opens ≥ closes", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "Unknown concert", body = ErrorBody),
            (status = 422, description = "Key reused with another body", body = ErrorBody),
        )
    )
)]
pub async fn create(app: &App, req: &Request) -> Result<Reply, AppError> {
    let who = organiser(req)?;
    let concert_id = path_id(req, "concertId")?;
    let (value, body): (_, NewSchedule) = typed_body(req)?;
    let request = body.request()?;
    let concert = app
        .db
        .cached_concert(concert_id)
        .await?
        .ok_or(AppError::ConcertNotFound)?;
    let plan = plan_schedule(&concert, &request, app.config.sale_timezone, app.now_ms())?;
    let scope = idempotency_scope(&who);
    // The key covers the concert too: its path is part of the request.
    let keyed_request = serde_json::json!({ "concertId": concert_id, "body": value });
    let keyed = Keyed {
        scope: &scope,
        op: "schedule",
        request: &keyed_request,
    };
    let (plan, sections) = (&plan, &request.sections);
    idempotency::once(app, req, keyed, |claim| async move {
        insert(app, concert_id, plan, sections, claim.as_ref()).await
    })
    .await
}

/// A small schedule's seats are written first (invisible without their
/// schedule), then the schedule appears READY with its answer recorded in
/// one transaction. A big one appears PREPARING with the job that writes
/// its seats, in one transaction: an interrupted creation finishes.
async fn insert(
    app: &App,
    concert_id: u64,
    plan: &PlannedSchedule,
    sections: &[Section],
    claim: Option<&Claim>,
) -> Result<Done, AppError> {
    let schedule_id = app.db.next_id("schedule").await?;
    let first_seat = app.db.seat_ids(plan.total_seats).await?;
    let mut schedule = plan.with_ids(schedule_id, concert_id, first_seat);
    let job = if plan.total_seats <= INLINE_SEATS {
        write_all_blocks(app, &schedule, sections).await?;
        schedule.status = ScheduleStatus::Ready;
        None
    } else {
        Some(
            app.db
                .new_job(&Job::prepare(schedule_id, sections.to_vec()))?,
        )
    };
    let reply = Reply::created(&ScheduleBody::from(&schedule))?;
    let commit = idempotency::commit(app, claim, Some(&reply))?;
    let layout = Layout::place(&schedule, sections);
    match app
        .db
        .create_schedule(&schedule, &layout, job, commit)
        .await
    {
        Ok(()) => Ok(Done {
            reply,
            recorded: claim.is_some(),
        }),
        Err(StoreError::IdTaken) => Err(AppError::internal("schedule id already used")),
        Err(e) => Err(e.into()),
    }
}

async fn write_all_blocks(
    app: &App,
    schedule: &Schedule,
    sections: &[Section],
) -> Result<(), AppError> {
    stream::iter(schedule.blocks())
        .map(|b| app.db.write_seat_block(schedule, sections, b))
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowChange {
    /// ISO-8601 with an offset or `Z`.
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-28T20:00:00+09:00"))]
    sale_opens_at: Option<String>,
    sale_closes_at: Option<String>,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "change_schedule",
        patch, path = "/admin/schedules/{scheduleId}", tag = "organiser",
        security(("organiser" = [])),
        params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        request_body = WindowChange,
        responses(
            (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
            (status = 200, description = "The schedule with its new sale window", body = ScheduleBody),
            (status = 400, description = "Malformed body, or a window that closes before it opens", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "Unknown schedule", body = ErrorBody),
            (status = 409, description = "취소된 공연입니다.", body = ErrorBody),
        )
    )
)]
pub async fn patch(app: &App, req: &Request) -> Result<Reply, AppError> {
    organiser(req)?;
    let schedule_id = path_id(req, "scheduleId")?;
    let (_, body): (_, WindowChange) = typed_body(req)?;
    let opens = parse_opt_time(body.sale_opens_at.as_deref(), "saleOpensAt")?;
    let closes = parse_opt_time(body.sale_closes_at.as_deref(), "saleClosesAt")?;
    let mut schedule = app
        .db
        .schedule_now(schedule_id)
        .await?
        .ok_or(AppError::ScheduleNotFound)?;
    if matches!(
        schedule.status,
        ScheduleStatus::Cancelling | ScheduleStatus::Cancelled
    ) {
        return Err(AppError::ScheduleCancelled);
    }
    schedule.sale_opens_at = opens.unwrap_or(schedule.sale_opens_at);
    schedule.sale_closes_at = closes.unwrap_or(schedule.sale_closes_at);
    check_window(schedule.sale_opens_at, schedule.sale_closes_at)?;
    if !app
        .db
        .set_sale_window(&schedule, schedule.sale_opens_at, schedule.sale_closes_at)
        .await?
    {
        return Err(AppError::ScheduleCancelled);
    }
    Reply::ok(&ScheduleBody::from(&schedule))
}

/// The cancellation's progress: totals so far, or final once CANCELLED.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelBody {
    schedule_id: u64,
    status: ScheduleStatus,
    released_holds: u64,
    refunded_tickets: u64,
    refunded_points: i64,
}

// Safe to call at any point: it starts the job once, runs a small
// schedule's to the end within the call, and otherwise reports the job
// as it stands (the jobs table's worker carries it on).
#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "cancel_schedule",
        post, path = "/admin/schedules/{scheduleId}/cancel", tag = "organiser",
        security(("organiser" = [])),
        params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "CANCELLED, with the final totals (the same on every later call)", body = CancelBody),
            (status = 202, description = "CANCELLING: the job runs on; totals so far", body = CancelBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "Unknown schedule", body = ErrorBody),
        )
    )
)]
pub async fn cancel(app: &App, req: &Request) -> Result<Reply, AppError> {
    let schedule = named_schedule(app, req).await?;
    let schedule_id = schedule.schedule_id;
    if matches!(
        schedule.status,
        ScheduleStatus::Preparing | ScheduleStatus::Ready
    ) {
        app.db
            .start_cancel(&schedule, &Job::cancel(schedule_id))
            .await?;
    }
    let job = if schedule.total_seats <= INLINE_SEATS {
        cancel::run(app, schedule_id).await?
    } else {
        app.db.job(JobKind::Cancel, schedule_id).await?
    };
    let job = job.ok_or_else(|| AppError::internal("cancelled schedule without its job"))?;
    let status = if job.done {
        lambda_http::http::StatusCode::OK
    } else {
        lambda_http::http::StatusCode::ACCEPTED
    };
    Reply::json(status, &CancelBody::from(&job))
}

impl From<&Job> for CancelBody {
    fn from(job: &Job) -> Self {
        CancelBody {
            schedule_id: job.schedule_id,
            status: if job.done {
                ScheduleStatus::Cancelled
            } else {
                ScheduleStatus::Cancelling
            },
            released_holds: job.released_holds,
            refunded_tickets: job.refunded_tickets,
            refunded_points: job.refunded_points,
        }
    }
}

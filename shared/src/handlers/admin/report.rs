//! `GET /admin/schedules/{scheduleId}/report`: the schedule's seats as
//! they are at the request, counted exactly.

use super::named_schedule;
use crate::app::App;
use crate::domain::catalog::{Schedule, ScheduleStatus, Seat, SeatCancel};
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::{AppError, Reply};
use lambda_http::Request;
use serde::Serialize;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBody {
    pub schedule_id: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = ScheduleStatus))]
    pub status: Option<ScheduleStatus>,
    pub total_seats: u32,
    /// totalSeats − held − sold; 0 once cancelling.
    pub available: u64,
    /// Unexpired holds.
    pub held: u64,
    /// Tickets sold and not cancelled.
    pub sold: u64,
    /// Tickets cancelled with a refund (by their fans or the cancellation).
    pub cancelled: i64,
    /// Σ price of `sold`.
    pub revenue: i64,
    /// Σ points refunded.
    pub refunded: i64,
}

/// Counts seats as they are at `now_ms`.
pub fn count(seats: &[Seat], now_ms: i64) -> ReportBody {
    let mut r = ReportBody::default();
    for s in seats {
        r.cancelled += s.refunded_tickets;
        r.refunded += s.refunded_points;
        let refunded_by_cancel = s.cancelled == Some(SeatCancel::Ticket);
        if s.sold_reserve_id.is_some() && !refunded_by_cancel {
            r.sold += 1;
            r.revenue += s.price;
        } else if s.cancelled.is_none() && s.hold_until.is_some_and(|u| u > now_ms) {
            r.held += 1;
        }
    }
    r
}

/// The report of `schedule` whose seats are `seats` at `now_ms`.
pub fn tally(schedule: &Schedule, seats: &[Seat], now_ms: i64) -> ReportBody {
    let counted = count(seats, now_ms);
    let on_offer = matches!(
        schedule.status,
        ScheduleStatus::Preparing | ScheduleStatus::Ready
    );
    let available = if on_offer {
        u64::from(schedule.total_seats).saturating_sub(counted.held + counted.sold)
    } else {
        0
    };
    ReportBody {
        schedule_id: schedule.schedule_id,
        status: Some(schedule.status),
        total_seats: schedule.total_seats,
        available,
        ..counted
    }
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "schedule_report",
        get, path = "/admin/schedules/{scheduleId}/report", tag = "organiser",
        security(("organiser" = [])),
        params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "Seats, sales and refunds as they are now", body = ReportBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "Unknown schedule", body = ErrorBody),
        )
    )
)]
pub async fn report(app: &App, req: &Request) -> Result<Reply, AppError> {
    let schedule = named_schedule(app, req).await?;
    let seats: Vec<Seat> = app.db.all_seats(&schedule).await?.concat();
    Reply::ok(&tally(&schedule, &seats, app.now_ms()))
}

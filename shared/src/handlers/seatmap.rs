//! `GET /concerts/schedules/{scheduleId}/layout` and
//! `GET /concerts/schedules/{scheduleId}/availability`: what a seat map
//! draws (SPEC §13), without paging through the seats.

use super::catalog::{browsable, listed};
use super::gate;
use crate::app::App;
use crate::clock::format_ms;
#[cfg(feature = "openapi")]
use crate::domain::layout::Layout;
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::request::path_id;
use crate::http::{AppError, Reply};
use base64::Engine;
use lambda_http::Request;
use serde::Serialize;

/// A layout never changes once written: shared caches keep it a day.
const LAYOUT_CACHE_SECONDS: u64 = 86_400;

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_layout",
        get, path = "/concerts/schedules/{scheduleId}/layout", tag = "catalogue",
        params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "The schedule's sections, one run of seat ids each (cacheable for a day)", body = Layout),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 404, description = "Unknown schedule, or one whose seats are still being written", body = ErrorBody),
        )
    )
)]
pub async fn layout(app: &App, req: &Request) -> Result<Reply, AppError> {
    let schedule_id = path_id(req, "scheduleId")?;
    listed(app, schedule_id).await?;
    let layout = app.db.cached_layout(schedule_id).await?;
    Ok(Reply::ok(&layout.ok_or(AppError::ScheduleNotFound)?)?.public_for(LAYOUT_CACHE_SECONDS))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AvailabilityBody {
    schedule_id: u64,
    first_seat_id: u64,
    seats: u32,
    /// Base64 of one bit per seat in id order from `firstSeatId`, most
    /// significant bit first; 1 = reservable now.
    free: String,
    /// When the seats behind the bits were read (UTC, ms precision).
    as_of: String,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_availability",
        get, path = "/concerts/schedules/{scheduleId}/availability", tag = "catalogue",
        security(("queueToken" = [])),
        params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "Which seats are free, one bit each (may lag a hold by up to 1 s, like the seat list)", body = AvailabilityBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
            (status = 403, description = "Token still waiting, or of another concert's room (TOKEN_SCOPE)", body = ErrorBody),
            (status = 404, description = "Unknown schedule, or one whose seats are still being written", body = ErrorBody),
            (status = 409, description = "취소된 공연입니다.", body = ErrorBody),
        )
    )
)]
pub async fn availability(app: &App, req: &Request) -> Result<Reply, AppError> {
    let schedule_id = path_id(req, "scheduleId")?;
    let token = gate::admit(app, req, None).await?;
    let schedule = browsable(app, &token, schedule_id).await?;
    let (read_at, bits) = app.db.cached_free_seats(&schedule, app.now_ms()).await?;
    Reply::ok(&AvailabilityBody {
        schedule_id,
        first_seat_id: schedule.first_seat_id,
        seats: schedule.total_seats,
        free: base64::engine::general_purpose::STANDARD.encode(bits),
        as_of: format_ms(read_at),
    })
}

//! `GET /concerts`, `GET /concerts/{concertId}`,
//! `GET /concerts/{concertId}/schedules`, `GET /concerts/schedules/{scheduleId}/seats`.

use super::gate;
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::availability::available_seats;
use crate::domain::catalog::{SaleState, Schedule};
use crate::domain::ids::parse_id;
use crate::domain::organiser::day_of;
use crate::domain::queue::QueueToken;
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::request::{path_id, query_param};
use crate::http::{AppError, Reply};
use chrono::NaiveDate;
use lambda_http::Request;
use serde::Serialize;

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "list_concerts",
        get, path = "/concerts", tag = "catalogue",
        responses((status = 200, description = "Every concert", body = [crate::domain::catalog::Concert]))
    )
)]
pub async fn list_concerts(app: &App, _req: &Request) -> Result<Reply, AppError> {
    Reply::ok(&app.db.list_concerts().await?)
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_concert",
        get, path = "/concerts/{concertId}", tag = "catalogue",
        params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "The concert", body = crate::domain::catalog::Concert),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 404, description = "등록되지 않은 콘서트입니다.", body = ErrorBody),
        )
    )
)]
pub async fn get_concert(app: &App, req: &Request) -> Result<Reply, AppError> {
    let id = path_id(req, "concertId")?;
    let concert = app
        .db
        .cached_concert(id)
        .await?
        .ok_or(AppError::ConcertNotFound)?;
    Reply::ok(&concert)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchedulesBody {
    concert_id: u64,
    schedules: Vec<ScheduleEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleEntry {
    schedule_id: u64,
    date: NaiveDate,
    /// Seats can be held from here (UTC, ms precision) …
    sale_opens_at: String,
    /// … until here, exclusive.
    sale_closes_at: String,
    /// Within its sale window now.
    on_sale: bool,
    /// Seats left: eventually consistent, maintained off the sale path.
    available_seats: u32,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "list_schedules",
        get, path = "/concerts/{concertId}/schedules", tag = "catalogue",
        security(("queueToken" = [])),
        params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "Dates still on sale, with seats left", body = SchedulesBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
            (status = 403, description = "Token still waiting, or of another concert's room (TOKEN_SCOPE)", body = ErrorBody),
            (status = 404, description = "Unknown concert", body = ErrorBody),
        )
    )
)]
pub async fn list_schedules(app: &App, req: &Request) -> Result<Reply, AppError> {
    let concert_id = path_id(req, "concertId")?;
    let token = gate::admit(app, req, None).await?;
    let concert = app
        .db
        .cached_concert(concert_id)
        .await?
        .ok_or(AppError::ConcertNotFound)?;
    gate::scope(&token, &concert)?;
    let now = app.now_ms();
    let today = day_of(app.config.sale_timezone, now);
    let listed: Vec<_> = app
        .db
        .list_schedules(concert_id)
        .await?
        .into_iter()
        .filter(|s| s.listed_on(today))
        .collect();
    let blocks = app.db.cached_seat_blocks(&listed).await?;
    let schedules = listed
        .iter()
        .zip(blocks)
        .map(|(s, blocks)| ScheduleEntry {
            schedule_id: s.schedule_id,
            date: s.date,
            sale_opens_at: format_ms(s.sale_opens_at),
            sale_closes_at: format_ms(s.sale_closes_at),
            on_sale: s.sale_at(now) == SaleState::Open,
            available_seats: available_seats(s.total_seats, &blocks, now),
        })
        .collect();
    Reply::ok(&SchedulesBody {
        concert_id,
        schedules,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatsBody {
    schedule_id: u64,
    seats: Vec<SeatEntry>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    next_cursor: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatEntry {
    seat_id: u64,
    seat_number: String,
    price: i64,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "list_seats",
        get, path = "/concerts/schedules/{scheduleId}/seats", tag = "catalogue",
        security(("queueToken" = [])),
        params(
            ("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64),
            ("limit" = Option<u64>, Query, minimum = 1, maximum = 9007199254740991_u64,
                description = "Page size (at most SEAT_PAGE_SIZE, 500 by default)"),
            ("cursor" = Option<u64>, Query, minimum = 1, maximum = 9007199254740991_u64,
                description = "`nextCursor` of the previous page"),
        ),
        responses(
            (status = 200, description = "A page of the seats reservable now, with price", body = SeatsBody),
            (status = 400, description = "Malformed id, limit or cursor", body = ErrorBody),
            (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
            (status = 403, description = "Token still waiting, or of another concert's room (TOKEN_SCOPE)", body = ErrorBody),
            (status = 404, description = "Unknown schedule, or one whose seats are still being written", body = ErrorBody),
            (status = 409, description = "취소된 공연입니다.", body = ErrorBody),
        )
    )
)]
pub async fn list_seats(app: &App, req: &Request) -> Result<Reply, AppError> {
    let schedule_id = path_id(req, "scheduleId")?;
    let max = app.config.seat_page_size as usize;
    let limit = match query_param(req, "limit") {
        None => max,
        Some(raw) => (parse_id(&raw, "limit")? as usize).min(max),
    };
    let after = query_param(req, "cursor")
        .map(|raw| parse_id(&raw, "cursor"))
        .transpose()?;
    let token = gate::admit(app, req, None).await?;
    let schedule = browsable(app, &token, schedule_id).await?;
    let page = app
        .db
        .reservable_seats(&schedule, after, limit, app.now_ms())
        .await?;
    Reply::ok(&SeatsBody {
        schedule_id,
        seats: page
            .seats
            .into_iter()
            .map(|s| SeatEntry {
                seat_id: s.seat_id,
                seat_number: s.seat_number,
                price: s.price,
            })
            .collect(),
        next_cursor: page.next_after.map(|id| id.to_string()),
    })
}

/// A schedule that is listed: known, its seats written (404 otherwise).
pub(super) async fn listed(app: &App, schedule_id: u64) -> Result<Schedule, AppError> {
    let schedule = app.db.cached_schedule(schedule_id).await?;
    let listed = schedule.filter(|s| s.sale_at(app.now_ms()) != SaleState::Unlisted);
    listed.ok_or(AppError::ScheduleNotFound)
}

/// A schedule whose seats `token` may browse: before, during and after its
/// sale window, not while its seats are being written or once cancelled.
/// The 404s, then the token's scope, then the 409s (SPEC §12).
pub(super) async fn browsable(
    app: &App,
    token: &QueueToken,
    schedule_id: u64,
) -> Result<Schedule, AppError> {
    let listed = listed(app, schedule_id).await?;
    // A room's token on its own concert needs no concert read (every
    // room's pages would meet on the one partition of the concerts).
    if token.room != listed.concert_id {
        let concert = app.db.cached_concert(listed.concert_id).await?;
        gate::scope(token, &concert.ok_or(AppError::ScheduleNotFound)?)?;
    }
    match listed.sale_at(app.now_ms()) {
        SaleState::Cancelled => Err(AppError::ScheduleCancelled),
        _ => Ok(listed),
    }
}

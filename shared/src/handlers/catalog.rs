//! `GET /concerts`, `GET /concerts/{concertId}`,
//! `GET /concerts/{concertId}/schedules`, `GET /concerts/schedules/{scheduleId}/seats`.

use super::gate;
use crate::app::App;
use crate::domain::availability::available_seats;
use crate::domain::catalog::schedule_open;
use crate::domain::ids::parse_id;
use crate::http::request::{path_id, query_param};
use crate::http::{AppError, Reply};
use chrono::NaiveDate;
use lambda_http::Request;
use serde::Serialize;

pub async fn list_concerts(app: &App, _req: &Request) -> Result<Reply, AppError> {
    Reply::ok(&app.db.list_concerts().await?)
}

pub async fn get_concert(app: &App, req: &Request) -> Result<Reply, AppError> {
    let id = path_id(req, "concertId")?;
    let concert = app
        .db
        .get_concert(id)
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
    /// Seats left: eventually consistent, maintained off the sale path.
    available_seats: u32,
}

pub async fn list_schedules(app: &App, req: &Request) -> Result<Reply, AppError> {
    let concert_id = path_id(req, "concertId")?;
    gate::admit(app, req, None).await?;
    app.db
        .get_concert(concert_id)
        .await?
        .ok_or(AppError::ConcertNotFound)?;
    let today = app.clock.now().date_naive();
    let now = app.now_ms();
    let open: Vec<_> = app
        .db
        .list_schedules(concert_id)
        .await?
        .into_iter()
        .filter(|s| schedule_open(s, today))
        .collect();
    let blocks = app.db.seat_blocks(&open).await?;
    let schedules = open
        .iter()
        .zip(blocks)
        .map(|(s, blocks)| ScheduleEntry {
            schedule_id: s.schedule_id,
            date: s.date,
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
    gate::admit(app, req, None).await?;
    let schedule = app
        .db
        .get_schedule(schedule_id)
        .await?
        .ok_or(AppError::ScheduleNotFound)?;
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

//! `PUT` and `GET /admin/concerts/{concertId}/room`: a concert's own
//! waiting room (SPEC §12).

use super::{organiser, parse_opt_time};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::draw::Seed;
use crate::domain::room::{Guard, Room, RoomChange, DEFAULT_ROOM};
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::json::typed_body;
use crate::http::request::path_id;
use crate::http::{AppError, Reply};
use crate::store::rooms::RoomWrite;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomRequest {
    /// Most tokens ACTIVE at once (required to create the room).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1000000, example = 2000)
    )]
    #[serde(default, deserialize_with = "opt_u64")]
    max_active: Option<u64>,
    /// New admissions per second; null: no limit (the default).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, minimum = 1, maximum = 100000))]
    #[serde(default, deserialize_with = "crate::domain::number::int::nullable_u64")]
    admit_per_second: Option<Option<u64>>,
    /// ISO-8601 with an offset; defaults to now; fixed once open.
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-01T20:00:00+09:00"))]
    opens_at: Option<String>,
    paused: Option<bool>,
    guard: Option<Guard>,
}

fn opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    crate::domain::number::int::u64(d).map(Some)
}

/// A room as the organiser sees it: its settings and its line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomBody {
    concert_id: u64,
    max_active: u32,
    admit_per_second: Option<u32>,
    opens_at: String,
    paused: bool,
    /// Joined before `opensAt` and not yet drawn.
    prequeued: u64,
    /// Has a place in line.
    waiting: u64,
    /// ACTIVE now.
    active: u64,
    /// Ever admitted.
    admitted: u64,
    guard: Guard,
    /// `HOLDING` while the guard holds admission, else `OK`.
    #[cfg_attr(feature = "openapi", schema(example = "OK"))]
    guard_state: &'static str,
    sold_out: bool,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_room",
        get, path = "/admin/concerts/{concertId}/room", tag = "organiser",
        security(("organiser" = [])),
        params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "The room's settings and line", body = RoomBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "No such concert, or 대기실이 없는 공연입니다. (ROOM_NOT_FOUND)", body = ErrorBody),
        )
    )
)]
pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    organiser(req)?;
    let concert_id = path_id(req, "concertId")?;
    app.db
        .cached_concert(concert_id)
        .await?
        .ok_or(AppError::ConcertNotFound)?;
    let room = app
        .db
        .room(concert_id)
        .await?
        .ok_or(AppError::RoomNotFound)?;
    reply(app, &room).await
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "put_room",
        put, path = "/admin/concerts/{concertId}/room", tag = "organiser",
        security(("organiser" = [])),
        params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        request_body = RoomRequest,
        responses(
            (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
            (status = 200, description = "The room; it takes effect at the next admission round", body = RoomBody),
            (status = 400, description = "Malformed body, a value out of range, or no maxActive for a new room", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "등록되지 않은 콘서트입니다.", body = ErrorBody),
            (status = 409, description = "이미 열린 대기실입니다. (ROOM_OPENED)", body = ErrorBody),
        )
    )
)]
pub async fn put(app: &App, req: &Request) -> Result<Reply, AppError> {
    organiser(req)?;
    let concert_id = path_id(req, "concertId")?;
    let (_, body): (_, RoomRequest) = typed_body(req)?;
    let change = RoomChange {
        max_active: body.max_active,
        admit_per_second: body.admit_per_second,
        opens_at: parse_opt_time(body.opens_at.as_deref(), "opensAt")?,
        paused: body.paused,
        guard: body.guard,
    };
    let checked = change.check()?;
    app.db
        .concert_now(concert_id)
        .await?
        .ok_or(AppError::ConcertNotFound)?;
    // Changed if it exists; else made (a create that lost a race to
    // another changes what that one made).
    for _ in 0..2 {
        let now = app.now_ms();
        let written = match app.db.change_room(concert_id, &checked, now).await? {
            RoomWrite::Missing => {
                let room = change.create(concert_id, &Seed::draw(app.entropy()), now)?;
                app.db.create_room(&room).await?
            }
            other => other,
        };
        match written {
            RoomWrite::Done(room) => return reply(app, &room).await,
            RoomWrite::Opened => return Err(AppError::RoomOpened),
            RoomWrite::Missing => return Err(AppError::ConcertNotFound),
            RoomWrite::Exists => continue,
        }
    }
    Err(AppError::internal("a room neither made nor changed"))
}

async fn reply(app: &App, room: &Room) -> Result<Reply, AppError> {
    let now = app.now_ms();
    let active = app.db.active_now(room.concert_id, now).await?;
    let totals = app
        .db
        .line_totals(room.concert_id, app.config.queue_shards)
        .await?;
    let holding = room.guard == Guard::Auto && app.db.guard_holding().await?;
    debug_assert_ne!(room.concert_id, DEFAULT_ROOM);
    Reply::ok(&RoomBody {
        concert_id: room.concert_id,
        max_active: room.max_active,
        admit_per_second: room.admit_per_second,
        opens_at: format_ms(room.opens_at),
        paused: room.paused,
        prequeued: if room.is_open(now) { 0 } else { totals.pre },
        waiting: totals.waiting(),
        active,
        admitted: totals.admitted,
        guard: room.guard,
        guard_state: if holding { "HOLDING" } else { "OK" },
        sold_out: room.sold_out,
    })
}

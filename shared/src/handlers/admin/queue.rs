//! `GET /admin/queue` and `PUT /admin/queue`: pause, resume and size the
//! waiting room at run time.

use super::organiser;
use crate::app::App;
use crate::domain::room::{RoomChange, DEFAULT_ROOM};
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::json::typed_body;
use crate::http::{AppError, Reply};
use crate::store::queue_control::QueueControl;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueBody {
    /// Joins are accepted, nobody is admitted.
    paused: bool,
    /// Most tokens ACTIVE at once (the stored value, else `QUEUE_MAX_ACTIVE`).
    max_active: u32,
    /// Tokens ACTIVE now.
    active: u64,
    /// Tickets issued and not yet admitted.
    waiting: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueChange {
    paused: Option<bool>,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1000000, example = 2000)
    )]
    #[serde(default, deserialize_with = "opt_u64")]
    max_active: Option<u64>,
}

fn opt_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    crate::domain::number::int::u64(d).map(Some)
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_queue_control",
        get, path = "/admin/queue", tag = "organiser",
        security(("organiser" = [])),
        responses(
            (status = 200, description = "The waiting room's control and size", body = QueueBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        )
    )
)]
pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    organiser(req)?;
    let control = app.db.queue_control().await?;
    reply(app, control).await
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "set_queue_control",
        put, path = "/admin/queue", tag = "organiser",
        security(("organiser" = [])),
        request_body = QueueChange,
        responses(
            (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
            (status = 200, description = "The control as stored; it applies from the next admission round", body = QueueBody),
            (status = 400, description = "Malformed body or maxActive not in 1..1000000", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        )
    )
)]
pub async fn put(app: &App, req: &Request) -> Result<Reply, AppError> {
    organiser(req)?;
    let (_, body): (_, QueueChange) = typed_body(req)?;
    // The same limits as a room's.
    let max = RoomChange {
        max_active: body.max_active,
        ..RoomChange::default()
    }
    .check()?
    .max_active;
    let control = app.db.set_queue_control(body.paused, max).await?;
    reply(app, control).await
}

async fn reply(app: &App, control: QueueControl) -> Result<Reply, AppError> {
    let now = app.now_ms();
    let max_active = control.max_active.unwrap_or(app.config.queue_max_active);
    let active = app.db.active_now(DEFAULT_ROOM, now).await?;
    let totals = app
        .db
        .line_totals(DEFAULT_ROOM, app.config.queue_shards)
        .await?;
    Reply::ok(&QueueBody {
        paused: control.paused.unwrap_or(false),
        max_active,
        active,
        waiting: totals.waiting(),
    })
}

//! `GET /concerts/{concertId}/room`: a room as every fan may see it (SPEC
//! §12), with the draw's commitment and, from the opening, its seed.

use crate::app::App;
use crate::clock::format_ms;
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::request::path_id;
use crate::http::{AppError, Reply};
use lambda_http::Request;
use serde::Serialize;

/// Shared caches may keep the answer this long.
const CACHE_SECONDS: u64 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicRoomBody {
    concert_id: u64,
    opens_at: String,
    paused: bool,
    sold_out: bool,
    /// SHA-256 of the draw's 32-byte seed, in hex: public from the start.
    seed_hash: String,
    /// The seed (64 hex characters), null until `opensAt`. Each pre-queued
    /// token's draw key is HMAC-SHA256(seed bytes, tokenId); the draw is
    /// ascending by key.
    seed: Option<String>,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_public_room",
        get, path = "/concerts/{concertId}/room", tag = "queue",
        params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
        responses(
            (status = 200, description = "The room, with the draw's commitment (cacheable for 1 s)", body = PublicRoomBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 404, description = "등록되지 않은 콘서트입니다. / 대기실이 없는 공연입니다. (ROOM_NOT_FOUND)", body = ErrorBody),
        )
    )
)]
pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    let concert_id = path_id(req, "concertId")?;
    let concert = app.db.cached_concert(concert_id).await?;
    if !concert.ok_or(AppError::ConcertNotFound)?.has_room {
        return Err(AppError::RoomNotFound);
    }
    let now = app.now_ms();
    let room = app
        .db
        .room_at(concert_id, now)
        .await?
        .ok_or(AppError::RoomNotFound)?;
    Ok(Reply::ok(&PublicRoomBody {
        concert_id,
        opens_at: format_ms(room.opens_at),
        paused: room.paused,
        sold_out: room.sold_out,
        seed_hash: room.seed_hash.clone(),
        seed: room.published_seed(now).map(str::to_string),
    })?
    .public_for(CACHE_SECONDS))
}

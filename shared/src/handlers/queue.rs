//! `POST /queues` and `GET /queues/{userId}`: the default room, or a
//! concert's own room (SPEC §12).

use super::gate::{owned_by, parse_token_id};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::draw::{after_opening, drawn_place, poll_after_opening_ms};
use crate::domain::ids::{token_id, ConcertId, UserId};
use crate::domain::queue::{
    estimated_wait_seconds, place_in_line, poll_after_ms, seen_is_stale, shard_of, ticket_number,
    Line, Pace, QueueToken, TokenState, TokenStatus,
};
use crate::domain::room::{Room, DEFAULT_ROOM};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, IdentityRefusals, JsonBodyRefusals};
use crate::http::request::{bearer, json_body, path_user};
use crate::http::{AppError, Reply};
use crate::store::queue::JoinOutcome;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequest {
    user_id: UserId,
    /// The concert whose room to join; without it (or for a concert with
    /// no room of its own) the default room.
    #[serde(default)]
    concert_id: Option<ConcertId>,
}

/// The seed's token body, plus the estimated wait while waiting and,
/// in a concert's room, the room's opening.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenBody {
    token_id: String,
    user_id: String,
    /// The room's concert; null in the default room.
    concert_id: Option<u64>,
    /// Place in line; null while the room has not opened (the draw).
    priority: Option<u64>,
    status: TokenStatus,
    token_issued_at: String,
    active_at: Option<String>,
    expire_at: Option<String>,
    estimated_wait_seconds: Option<u64>,
    /// While waiting: when to ask again, in ms (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    poll_after_ms: Option<u64>,
    /// A concert's room: when it opens (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    opens_at: Option<String>,
    /// A concert's room: no seat free or held, nobody is admitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    sold_out: Option<bool>,
}

/// The line as a fan's counter shard shows it, and that shard's share of
/// the pre-queue scaled to a guess of its whole.
struct Seen {
    line: Line,
    guessed_prequeued: u64,
}

fn token_body(app: &App, t: &QueueToken, room: Option<&Room>, seen: &Seen) -> TokenBody {
    let now = app.now_ms();
    let waiting = t.status == TokenStatus::Wait;
    let before_opening = room.is_some_and(|r| !r.is_open(now));
    let priority = match (waiting, before_opening) {
        (false, _) => Some(0),
        (true, true) => None,
        (true, false) => Some(place_in_line(t, seen.line, seen.guessed_prequeued)),
    };
    let pace = Pace {
        max_active: room.map_or(app.config.queue_max_active, |r| r.max_active),
        active_seconds: app.config.queue_active_seconds,
        tick_seconds: app.config.queue_tick_seconds,
    };
    // Before the opening: the seconds until it.
    let wait = match (room, priority) {
        (_, Some(p)) => estimated_wait_seconds(p, seen.line, pace),
        (Some(r), None) => ((r.opens_at - now).max(0) as u64).div_ceil(1000),
        (None, None) => 0,
    };
    let poll = match (room, priority) {
        (Some(r), None) => poll_after_opening_ms(t.ticket, seen.guessed_prequeued, now, r.opens_at),
        (_, p) => poll_after_ms(p.unwrap_or(1), seen.line, pace),
    };
    TokenBody {
        token_id: t.token_id.clone(),
        user_id: t.user_id.clone(),
        concert_id: room.map(|r| r.concert_id),
        priority,
        status: t.status,
        token_issued_at: format_ms(t.issued_at),
        active_at: t.active_at.map(format_ms),
        expire_at: t.expire_at.map(format_ms),
        estimated_wait_seconds: waiting.then_some(wait),
        poll_after_ms: waiting.then_some(poll),
        opens_at: room.map(|r| format_ms(r.opens_at)),
        sold_out: room.map(|r| r.sold_out),
    }
}

/// A token reply; a waiting one also says when to ask again.
fn token_reply(body: &TokenBody, status: StatusCode) -> Result<Reply, AppError> {
    Ok(Reply::json(status, body)?.retry_after_ms(body.poll_after_ms))
}

/// The room a join names: the concert's own, or None for the default
/// room. 404 for an unknown concert.
async fn joined_room(app: &App, concert: Option<ConcertId>) -> Result<Option<Room>, AppError> {
    let Some(concert_id) = concert.map(|c| c.get()) else {
        return Ok(None);
    };
    let concert = app.db.cached_concert(concert_id).await?;
    if !concert.ok_or(AppError::ConcertNotFound)?.has_room {
        return Ok(None);
    }
    // A concert marked as having a room always has it (one transaction).
    // The cached copy: at the opening every join reads it, and a strong
    // read of one item would be the sale's hottest key.
    app.db
        .cached_room(concert_id)
        .await?
        .map(Some)
        .ok_or_else(|| AppError::internal("a concert marked with a room has none"))
}

/// A new WAIT token's place in its room: a ticket from the user's counter
/// shard; in a room before its opening, the draw's place instead (the
/// room's seed over the token's id), after it, behind every drawn fan.
async fn take_place(
    app: &App,
    user_id: &UserId,
    room: Option<&Room>,
) -> Result<(QueueToken, u32, Seen), AppError> {
    let room_id = room.map_or(DEFAULT_ROOM, |r| r.concert_id);
    let shards = app.config.queue_shards;
    let shard = shard_of(user_id, shards);
    let before_opening = room.is_some_and(|r| !r.is_open(app.now_ms()));
    let ticket = app.db.take_ticket(room_id, shard, before_opening).await?;
    let now = app.now_ms();
    let id = token_id(app.entropy());
    let sequence = ticket_number(shard, shards, ticket.count);
    let place = match room {
        None => sequence,
        Some(_) if !before_opening => after_opening(sequence),
        Some(r) => {
            let seed = r
                .seed()
                .ok_or_else(|| AppError::internal("a room's seed is unreadable"))?;
            drawn_place(&seed.key(&id))
        }
    };
    let token = QueueToken::waiting(id, user_id, room_id, place, now);
    let seen = Seen {
        line: ticket.line,
        guessed_prequeued: ticket.pre * u64::from(shards),
    };
    Ok((token, shard, seen))
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "join_queue",
        security((), ("identityToken" = [])),
        post, path = "/queues", tag = "queue",
        request_body = JoinRequest,
        responses(
            JsonBodyRefusals,
            IdentityRefusals,
            (status = 201, description = "A WAIT token with its position (null before its room opens)", body = TokenBody),
            (status = 400, description = "Malformed body", body = ErrorBody),
            (status = 404, description = "등록되지 않은 콘서트입니다.", body = ErrorBody),
            (status = 409, description = "이미 토큰이 존재합니다.", body = ErrorBody),
        )
    )
)]
pub async fn join(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = super::identity::caller(app, req)?;
    let body: JoinRequest = json_body(req)?;
    super::identity::acts_for(caller.as_deref(), &body.user_id)?;
    let room = joined_room(app, body.concert_id).await?;
    let room_id = room.as_ref().map_or(DEFAULT_ROOM, |r| r.concert_id);
    // Refused before a ticket is taken; only the user's own concurrent
    // joins can pass this read together, and the transaction admits one.
    if app
        .db
        .has_live_token(&body.user_id, room_id, app.now_ms())
        .await?
    {
        return Err(AppError::TokenExists);
    }
    let (token, shard, seen) = take_place(app, &body.user_id, room.as_ref()).await?;
    let now = token.issued_at;
    match app.db.create_token(&token, shard, now).await? {
        JoinOutcome::Joined => token_reply(
            &token_body(app, &token, room.as_ref(), &seen),
            StatusCode::CREATED,
        ),
        JoinOutcome::TokenExists => Err(AppError::TokenExists),
    }
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "queue_status",
        get, path = "/queues/{userId}", tag = "queue",
        security(("queueToken" = [])),
        params(("userId" = UserId, Path)),
        responses(
            (status = 200, description = "WAIT with position and estimated wait, or ACTIVE with its window", body = TokenBody),
            (status = 400, description = "Malformed user id", body = ErrorBody),
            (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
            (status = 403, description = "Another user's token", body = ErrorBody),
        )
    )
)]
pub async fn status(app: &App, req: &Request) -> Result<Reply, AppError> {
    let user_id = path_user(req)?;
    let bearer = bearer(req)
        .ok_or(AppError::Unauthorized)
        .and_then(parse_token_id)?;
    let shards = app.config.queue_shards;
    let shard = shard_of(&user_id, shards);
    let token = app.db.polled_token(&bearer).await?;
    let token = owned_by(token.ok_or(AppError::Unauthorized)?, Some(&user_id))?;
    let now = app.now_ms();
    match token.state_at(now) {
        TokenState::Over => return Err(AppError::Unauthorized),
        // A fan who polls keeps their place, or their slot once admitted:
        // the mark is rewritten only when it is some seconds old.
        TokenState::Waiting | TokenState::Active if seen_is_stale(token.seen_at(), now) => {
            app.db.mark_seen(&token.token_id, token.status, now).await?;
        }
        _ => {}
    }
    // The line of the token's own room, from the fan's counter shard: no
    // room's polls read another room's items.
    let (line, pre) = app.db.room_line(token.room, shard).await?;
    let room = match token.room {
        DEFAULT_ROOM => None,
        concert_id => app.db.cached_room(concert_id).await?,
    };
    let seen = Seen {
        line,
        guessed_prequeued: pre * u64::from(shards),
    };
    token_reply(
        &token_body(app, &token, room.as_ref(), &seen),
        StatusCode::OK,
    )
}

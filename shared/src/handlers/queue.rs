//! `POST /queues` and `GET /queues/{userId}`.

use super::gate::{owned_by, parse_token_id};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::{token_id, UserId};
use crate::domain::queue::{
    estimated_wait_seconds, poll_after_ms, position, seen_is_stale, shard_of, ticket_number, Line,
    Pace, QueueToken, TokenState, TokenStatus,
};
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
}

/// The seed's token body, plus the estimated wait while waiting.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenBody {
    token_id: String,
    user_id: String,
    priority: u64,
    status: TokenStatus,
    token_issued_at: String,
    active_at: Option<String>,
    expire_at: Option<String>,
    estimated_wait_seconds: Option<u64>,
    /// While waiting: when to ask again, in ms (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    poll_after_ms: Option<u64>,
}

fn token_body(app: &App, t: &QueueToken, line: Line) -> TokenBody {
    let waiting = t.status == TokenStatus::Wait;
    let priority = if waiting {
        position(t.ticket, line.admitted)
    } else {
        0
    };
    let pace = Pace {
        max_active: app.config.queue_max_active,
        active_seconds: app.config.queue_active_seconds,
        tick_seconds: app.config.queue_tick_seconds,
    };
    TokenBody {
        token_id: t.token_id.clone(),
        user_id: t.user_id.clone(),
        priority,
        status: t.status,
        token_issued_at: format_ms(t.issued_at),
        active_at: t.active_at.map(format_ms),
        expire_at: t.expire_at.map(format_ms),
        estimated_wait_seconds: waiting.then(|| estimated_wait_seconds(priority, line, pace)),
        poll_after_ms: waiting.then(|| poll_after_ms(priority, line, pace)),
    }
}

/// A token reply; a waiting one also says when to ask again.
fn token_reply(body: &TokenBody, status: StatusCode) -> Result<Reply, AppError> {
    Ok(Reply::json(status, body)?.retry_after_ms(body.poll_after_ms))
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
            (status = 201, description = "A WAIT token with its position", body = TokenBody),
            (status = 400, description = "Malformed body", body = ErrorBody),
            (status = 409, description = "이미 토큰이 존재합니다.", body = ErrorBody),
        )
    )
)]
pub async fn join(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = super::identity::caller(app, req)?;
    let body: JoinRequest = json_body(req)?;
    super::identity::acts_for(caller.as_deref(), &body.user_id)?;
    // Refused before a ticket is taken; only the user's own concurrent
    // joins can pass this read together, and the transaction admits one.
    if app.db.has_live_token(&body.user_id, app.now_ms()).await? {
        return Err(AppError::TokenExists);
    }
    let shards = app.config.queue_shards;
    let shard = shard_of(&body.user_id, shards);
    let (count, line) = app.db.take_ticket(shard).await?;
    let now = app.now_ms();
    let token = QueueToken {
        token_id: token_id(app.entropy()),
        user_id: body.user_id.to_string(),
        ticket: ticket_number(shard, shards, count),
        status: TokenStatus::Wait,
        issued_at: now,
        active_at: None,
        expire_at: None,
        slot: None,
        holds: Default::default(),
        version: 0,
        last_seen: Some(now),
    };
    match app.db.create_token(&token, shard, now).await? {
        JoinOutcome::Joined => token_reply(&token_body(app, &token, line), StatusCode::CREATED),
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
    let shard = shard_of(&user_id, app.config.queue_shards);
    // One read call answers the common case: the token and the admitted count.
    let (token, line) = app.db.token_and_admitted(&bearer, shard).await?;
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
    token_reply(&token_body(app, &token, line), StatusCode::OK)
}

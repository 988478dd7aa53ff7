//! The token gate of the protected endpoints: the request must carry the
//! ACTIVE token of its own user.

use crate::app::App;
use crate::domain::catalog::Concert;
use crate::domain::queue::{seen_is_stale, QueueToken, TokenState, TokenStatus};
use crate::domain::room::in_scope;
use crate::http::request::bearer;
use crate::http::AppError;
use lambda_http::Request;

/// Token ids are random UUIDs; anything else is malformed and never looked up.
pub fn parse_token_id(raw: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| AppError::Unauthorized)
}

/// The token in the request's `Authorization` header, read by its id (one
/// read). 401 when missing, malformed or unknown; 403 when it is another
/// user's. `user_id` is the user the request acts for, when it names one.
pub async fn current_token(
    app: &App,
    req: &Request,
    user_id: Option<&str>,
) -> Result<QueueToken, AppError> {
    let token_id = parse_token_id(bearer(req).ok_or(AppError::Unauthorized)?)?;
    let token = app
        .db
        .token(&token_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    owned_by(token, user_id)
}

/// The token, if it belongs to the user the request names.
pub fn owned_by(token: QueueToken, user_id: Option<&str>) -> Result<QueueToken, AppError> {
    match user_id {
        Some(u) if u != token.user_id => Err(AppError::Forbidden),
        _ => Ok(token),
    }
}

/// Lets the request through only with an ACTIVE token of its user; a
/// waiting token gets 403, an expired or ended one 401.
pub async fn admit(
    app: &App,
    req: &Request,
    user_id: Option<&str>,
) -> Result<QueueToken, AppError> {
    let token = current_token(app, req, user_id).await?;
    active(app, token).await
}

/// The token, if it is ACTIVE now (403 waiting, 401 over); keeps its slot.
pub async fn active(app: &App, token: QueueToken) -> Result<QueueToken, AppError> {
    let now = app.now_ms();
    match token.state_at(now) {
        TokenState::Active => {
            seen(app, &token, now).await?;
            Ok(token)
        }
        TokenState::Waiting => Err(AppError::TokenNotActive),
        TokenState::Over => Err(AppError::Unauthorized),
    }
}

/// Keeps an ACTIVE fan's slot: the token's last-seen mark, rewritten only
/// when it is some seconds old (one write per fan per 10 s at most).
async fn seen(app: &App, token: &QueueToken, now: i64) -> Result<(), AppError> {
    if seen_is_stale(token.seen_at(), now) {
        app.db
            .mark_seen(&token.token_id, TokenStatus::Active, now)
            .await?;
    }
    Ok(())
}

/// The token `POST /payments` may go on with: any token of the user, in
/// any state. Whether it may pay the hold is the hold's to say (SPEC §7:
/// the token it was made with, even after its window, or a later one of
/// the fan in its room), checked against the reservation; an ACTIVE one
/// keeps its slot, as the fan paying is still there.
pub async fn payable(app: &App, token: QueueToken) -> Result<QueueToken, AppError> {
    let now = app.now_ms();
    if token.state_at(now) == TokenState::Active {
        seen(app, &token, now).await?;
    }
    Ok(token)
}

/// 403 `TOKEN_SCOPE` unless the token may act on `concert` (SPEC §12):
/// its room's concert, or for a default-room token a concert without a
/// room. No extra call: the concert is the one the route read anyway.
pub fn scope(token: &QueueToken, concert: &Concert) -> Result<(), AppError> {
    match in_scope(token.room, concert.id, concert.has_room) {
        true => Ok(()),
        false => Err(AppError::TokenScope),
    }
}

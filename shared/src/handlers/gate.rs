//! The token gate of the protected endpoints: the request must carry the
//! ACTIVE token of its own user.

use crate::app::App;
use crate::domain::queue::{QueueToken, TokenState, TokenStatus};
use crate::http::request::bearer;
use crate::http::AppError;
use lambda_http::Request;

/// Token ids are random UUIDs; anything else is malformed and never looked up.
pub fn parse_token_id(raw: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| AppError::Unauthorized)
}

/// The token in the request's `Authorization` header, as the user's current
/// token record. 401 when missing, malformed, unknown, replaced or over;
/// 403 when it is another user's. `user_id` is the user the request acts
/// for, when the request names one.
pub async fn current_token(
    app: &App,
    req: &Request,
    user_id: Option<&str>,
) -> Result<QueueToken, AppError> {
    let token_id = parse_token_id(bearer(req).ok_or(AppError::Unauthorized)?)?;
    let owner = match user_id {
        Some(u) => u.to_string(),
        None => app
            .db
            .token_owner(&token_id)
            .await?
            .ok_or(AppError::Unauthorized)?,
    };
    match app.db.user_token(&owner).await? {
        Some(t) if t.token_id == token_id => Ok(t),
        // Not this user's current token: someone else's (403), or stale or
        // unknown (401). Looked up only on this error path.
        _ => match app.db.token_owner(&token_id).await? {
            Some(other) if other != owner => Err(AppError::Forbidden),
            _ => Err(AppError::Unauthorized),
        },
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
    match token.state_at(app.now_ms()) {
        TokenState::Active => Ok(token),
        TokenState::Waiting => Err(AppError::TokenNotActive),
        TokenState::Over => Err(AppError::Unauthorized),
    }
}

/// The gate of `POST /payments`: an ACTIVE token, or one that a payment
/// has just ended, so that a retried payment is answered with its 409 or
/// its replay rather than a 401. The payment transaction itself still
/// requires the token to be ACTIVE before it can pay anything.
pub async fn admit_payment(
    app: &App,
    req: &Request,
    user_id: &str,
) -> Result<QueueToken, AppError> {
    let token = current_token(app, req, Some(user_id)).await?;
    match (token.status, token.state_at(app.now_ms())) {
        (_, TokenState::Active) | (TokenStatus::Ended, _) => Ok(token),
        (_, TokenState::Waiting) => Err(AppError::TokenNotActive),
        (_, TokenState::Over) => Err(AppError::Unauthorized),
    }
}

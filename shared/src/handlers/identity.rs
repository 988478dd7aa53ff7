//! Who calls the user-scoped routes that carry no queue token (SPEC §8).
//! In `jwt` mode API Gateway's JWT authorizer (locally, the gateway) has
//! verified the identity token and put its claims in the event; the
//! handler only compares the claim's `sub` with the user the request
//! names. No DynamoDB call is added.

use crate::app::App;
use crate::config::AuthMode;
use crate::domain::ids::UserId;
use crate::http::request::{query_param, verified_user};
use crate::http::AppError;
use lambda_http::Request;

/// The verified caller in `jwt` mode (401 without one); None in `open`
/// mode, where the request's `userId` is trusted.
pub fn caller(app: &App, req: &Request) -> Result<Option<String>, AppError> {
    match app.config.auth_mode {
        AuthMode::Open => Ok(None),
        AuthMode::Jwt => verified_user(req)
            .map(Some)
            .ok_or(AppError::IdentityInvalid),
    }
}

/// The request may act for `user` only if it is the verified caller.
pub fn acts_for(caller: Option<&str>, user: &str) -> Result<(), AppError> {
    match caller {
        Some(sub) if sub != user => Err(AppError::IdentityMismatch),
        _ => Ok(()),
    }
}

/// The `?userId=` a read names, checked, once the caller may act for it.
pub fn query_user(app: &App, req: &Request) -> Result<UserId, AppError> {
    let caller = caller(app, req)?;
    let user =
        query_param(req, "userId").ok_or_else(|| AppError::bad_request("userId가 필요합니다."))?;
    let user = UserId::parse(&user)?;
    acts_for(caller.as_deref(), &user)?;
    Ok(user)
}

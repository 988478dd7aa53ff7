//! `PATCH /points` and `GET /points/{userId}`.

use super::idempotency::{self, Done, Keyed};
use super::identity;
use crate::app::App;
use crate::domain::ids::UserId;
use crate::domain::points::{validate_charge, LedgerEntry};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, IdentityRefusals, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::request::path_user;
use crate::http::{AppError, Reply};
use crate::store::idempotency::Claim;
use crate::store::points::ChargeOutcome;
use crate::store::StoreError;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// Attempts when a random ledger id is already taken.
const ID_ATTEMPTS: usize = 3;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChargeRequest {
    user_id: UserId,
    /// Points to add: 1 to `POINTS_MAX_CHARGE` (1,000,000 by default).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1000000, example = 50000)
    )]
    #[serde(deserialize_with = "crate::domain::number::int::i64")]
    amount: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsBody {
    user_id: String,
    point: i64,
}

async fn balance_reply(app: &App, user_id: &str) -> Result<Reply, AppError> {
    let point = app.db.balance(user_id).await?;
    Reply::ok(&PointsBody {
        user_id: user_id.to_string(),
        point,
    })
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "charge_points",
        security((), ("identityToken" = [])),
        patch, path = "/points", tag = "points",
        params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
            description = "Same key and body: the first reply again, no second charge")),
        request_body = ChargeRequest,
        responses(
            JsonBodyRefusals,
            IdentityRefusals,
            (status = 200, description = "The balance after the charge", body = PointsBody),
            (status = 400, description = "Malformed body or key, amount out of range, or balance limit", body = ErrorBody),
            (status = 403, description = "A payment provider is configured: top up through it (CHARGE_VIA_PROVIDER)", body = ErrorBody),
            (status = 409, description = "Key in use by a request still running", body = ErrorBody),
            (status = 422, description = "Key reused with another body", body = ErrorBody),
        )
    )
)]
pub async fn charge(app: &App, req: &Request) -> Result<Reply, AppError> {
    // With a payment provider, points come only from its confirmed charges.
    if app.provider.is_some() {
        return Err(AppError::ChargeViaProvider);
    }
    let caller = identity::caller(app, req)?;
    let (value, body): (_, ChargeRequest) = typed_body(req)?;
    identity::acts_for(caller.as_deref(), &body.user_id)?;
    validate_charge(body.amount, app.config.points_max_charge)?;
    let user = body.user_id.as_str();
    let keyed = Keyed {
        scope: user,
        op: "charge",
        request: &value,
    };
    let amount = body.amount;
    idempotency::once_or_rebuild(
        app,
        req,
        keyed,
        |claim| async move { add_points(app, user, amount, claim.as_ref()).await },
        // Committed before its answer was stored: the answer is the balance.
        || balance_now(app, user),
    )
    .await
}

/// Credits the points with their ledger entry, drawing another entry id
/// in the (vanishingly rare) case of a collision.
async fn add_points(
    app: &App,
    user: &str,
    amount: i64,
    claim: Option<&Claim>,
) -> Result<Done, AppError> {
    for _ in 0..ID_ATTEMPTS {
        let entry = LedgerEntry::charge(app.entropy(), user, amount, app.now_ms());
        let commit = idempotency::commit(app, claim, None)?;
        match app
            .db
            .charge(&entry, app.config.points_max_balance, commit)
            .await
        {
            Ok(ChargeOutcome::Charged) => {
                crate::counters::points_charged(amount);
                return balance_now(app, user).await;
            }
            Ok(ChargeOutcome::OverLimit) => return Err(AppError::BalanceLimit),
            Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal("no free ledger id"))
}

/// A charge's answer, read after it: the balance now.
async fn balance_now(app: &App, user: &str) -> Result<Done, AppError> {
    let reply = balance_reply(app, user).await?;
    Ok(Done {
        reply,
        recorded: false,
    })
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_points",
        security((), ("identityToken" = [])),
        get, path = "/points/{userId}", tag = "points",
        params(("userId" = UserId, Path)),
        responses(
            IdentityRefusals,
            (status = 200, description = "The balance (0 if never charged)", body = PointsBody),
            (status = 400, description = "Malformed user id", body = ErrorBody),
        )
    )
)]
pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = identity::caller(app, req)?;
    let user = path_user(req)?;
    identity::acts_for(caller.as_deref(), &user)?;
    balance_reply(app, &user).await
}

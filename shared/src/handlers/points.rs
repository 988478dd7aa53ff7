//! `PATCH /points` and `GET /points/{userId}`.

use super::idempotency::{self, Done, Keyed};
use super::identity;
use crate::app::App;
use crate::domain::ids::validate_user_id;
use crate::domain::points::{validate_charge, LedgerEntry};
use crate::http::json::typed_body;
use crate::http::request::path_param;
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
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[A-Za-z0-9._@-]{1,64}$",
            example = "user1234"
        )
    )]
    user_id: String,
    /// Points to add: 1 to `POINTS_MAX_CHARGE` (1,000,000 by default).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1000000, example = 50000)
    )]
    #[serde(deserialize_with = "crate::http::json::int::i64")]
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

pub async fn charge(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = identity::caller(app, req)?;
    let (value, body): (_, ChargeRequest) = typed_body(req)?;
    validate_user_id(&body.user_id)?;
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
        let entry = LedgerEntry::charge(user, amount, app.now_ms());
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

pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = identity::caller(app, req)?;
    let user = path_param(req, "userId")?;
    validate_user_id(&user)?;
    identity::acts_for(caller.as_deref(), &user)?;
    balance_reply(app, &user).await
}

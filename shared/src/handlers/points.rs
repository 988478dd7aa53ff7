//! `PATCH /points` and `GET /points/{userId}`.

use crate::app::App;
use crate::domain::ids::{random_id, validate_user_id};
use crate::domain::points::{validate_charge, EntryKind, LedgerEntry};
use crate::error::AppError;
use crate::http::request::{json_body, path_param};
use crate::http::Reply;
use crate::idempotency::{self, Done};
use crate::store::points::ChargeOutcome;
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
    #[serde(deserialize_with = "crate::domain::ids::json_int::i64")]
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

/// Parses a JSON body twice over: as a value (the idempotency record
/// compares it) and as the request type.
pub fn typed_body<T: serde::de::DeserializeOwned>(
    req: &Request,
) -> Result<(serde_json::Value, T), AppError> {
    let value: serde_json::Value = json_body(req)?;
    let typed = serde_json::from_value(value.clone())
        .map_err(|e| AppError::bad_request(format!("요청 본문을 읽을 수 없습니다: {e}")))?;
    Ok((value, typed))
}

pub async fn charge(app: &App, req: &Request) -> Result<Reply, AppError> {
    let (value, body): (_, ChargeRequest) = typed_body(req)?;
    validate_user_id(&body.user_id)?;
    validate_charge(body.amount, app.config.points_max_charge)?;
    let user = body.user_id.as_str();
    let apply = |claim: Option<crate::store::idempotency::IdemClaim>| async move {
        for _ in 0..ID_ATTEMPTS {
            let entry = LedgerEntry {
                entry_id: random_id(),
                user_id: user.to_string(),
                kind: EntryKind::Charge,
                amount: body.amount,
                at: app.now_ms(),
                reserve_id: None,
            };
            let commit = claim
                .as_ref()
                .map(|c| app.db.idem_commit_write(c, None))
                .transpose()?;
            match app
                .db
                .charge(&entry, app.config.points_max_balance, commit)
                .await?
            {
                ChargeOutcome::Charged => {
                    return Ok(Done {
                        reply: balance_reply(app, user).await?,
                        recorded: false,
                    })
                }
                ChargeOutcome::OverLimit => return Err(AppError::BalanceLimit),
                ChargeOutcome::IdTaken => continue,
            }
        }
        Err(AppError::internal("no free ledger id"))
    };
    idempotency::once(app, req, user, "charge", &value, apply, || {
        balance_reply(app, user)
    })
    .await
}

pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    let user = path_param(req, "userId")?;
    validate_user_id(&user)?;
    balance_reply(app, &user).await
}

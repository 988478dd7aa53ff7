//! `POST /points/withdrawals` and `GET /points/withdrawals/{withdrawalId}`
//! (SPEC §11): unspent points back to the cards they came from.

use super::idempotency::{self, Done, Keyed};
use super::identity;
use crate::app::App;
use crate::domain::ids::UserId;
use crate::domain::money::{
    keyed_withdrawal_id, plan_withdrawal, valid_order_id, validate_withdrawal, withdrawal_id, Part,
    Withdrawal, WithdrawalStatus,
};
use crate::domain::points::{EntryKind, LedgerEntry, Source};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, IdentityRefusals, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::request::path_param;
use crate::http::{AppError, Reply};
use crate::settlement::provider;
use crate::settlement::withdrawals::{advance, REQUEST_BUDGET};
use crate::store::idempotency::Claim;
use crate::store::withdrawals::WithdrawOutcome;
use crate::store::StoreError;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// Plans tried when concurrent withdrawals keep moving the funds.
const PLAN_ATTEMPTS: usize = 5;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalRequest {
    user_id: UserId,
    /// Points to send back to the card(s).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 20000))]
    #[serde(deserialize_with = "crate::domain::number::int::i64")]
    amount: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundBody {
    order_id: String,
    amount: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalBody {
    withdrawal_id: String,
    user_id: String,
    amount: i64,
    /// PENDING while a cancel is unanswered; DONE, PARTIAL or FAILED after.
    status: WithdrawalStatus,
    /// The balance now.
    point: i64,
    /// One partial cancel per top-up, newest top-up first.
    refunds: Vec<RefundBody>,
}

async fn body_of(app: &App, w: &Withdrawal, parts: &[Part]) -> Result<WithdrawalBody, AppError> {
    Ok(WithdrawalBody {
        withdrawal_id: w.withdrawal_id.clone(),
        user_id: w.user_id.clone(),
        amount: w.amount,
        status: w.status,
        point: app.db.balance(&w.user_id).await?,
        refunds: parts
            .iter()
            .map(|p| RefundBody {
                order_id: p.order_id.clone(),
                amount: p.amount,
            })
            .collect(),
    })
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "create_withdrawal",
        security((), ("identityToken" = [])),
        post, path = "/points/withdrawals", tag = "money",
        params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
            description = "Same key and body: the same withdrawal, never a second")),
        request_body = WithdrawalRequest,
        responses(
            JsonBodyRefusals,
            IdentityRefusals,
            (status = 201, description = "Debited and sent back as partial cancels of the user's top-ups, newest first", body = WithdrawalBody),
            (status = 400, description = "Malformed body or amount", body = ErrorBody),
            (status = 404, description = "PAYMENT_PROVIDER=none (NOT_FOUND)", body = ErrorBody),
            (status = 409, description = "More than the balance or the top-ups' uncancelled remainder (WITHDRAWAL_EXCEEDS_REFUNDABLE)", body = ErrorBody),
            (status = 503, description = "Busy", body = ErrorBody),
        )
    )
)]
pub async fn create(app: &App, req: &Request) -> Result<Reply, AppError> {
    provider(app)?;
    let caller = identity::caller(app, req)?;
    let (value, body): (_, WithdrawalRequest) = typed_body(req)?;
    identity::acts_for(caller.as_deref(), &body.user_id)?;
    validate_withdrawal(body.amount, app.config.points_max_balance)?;
    let user = body.user_id.as_str();
    let keyed = Keyed {
        scope: user,
        op: "withdrawal",
        request: &value,
    };
    // A keyed withdrawal's id follows from its key, so a retry after a
    // crash finds the withdrawal its first attempt recorded.
    let id = idempotency::key_of(req)?.map(|k| keyed_withdrawal_id(user, &k));
    let answer = |id: String| async move {
        let (w, parts) = advance(app, &id, REQUEST_BUDGET).await?;
        Ok(Done {
            reply: Reply::created(&body_of(app, &w, &parts).await?)?,
            recorded: false,
        })
    };
    let rebuild_id = id.clone();
    idempotency::once_or_rebuild(
        app,
        req,
        keyed,
        |claim| async move { answer(record(app, user, body.amount, id, claim.as_ref()).await?).await },
        || async move { answer(rebuild_id.ok_or_else(|| AppError::internal("unkeyed rebuild"))?).await },
    )
    .await
}

/// Debits the balance and plans the cancels in one transaction; the new
/// withdrawal's id.
async fn record(
    app: &App,
    user: &str,
    amount: i64,
    keyed_id: Option<String>,
    claim: Option<&Claim>,
) -> Result<String, AppError> {
    for _ in 0..PLAN_ATTEMPTS {
        let funds = app.db.funds_of(user).await?;
        let parts = plan_withdrawal(&funds, amount).ok_or(AppError::WithdrawalExceedsRefundable)?;
        let w = Withdrawal {
            withdrawal_id: keyed_id
                .clone()
                .unwrap_or_else(|| withdrawal_id(app.entropy())),
            user_id: user.to_string(),
            amount,
            status: WithdrawalStatus::Pending,
            created_at: app.now_ms(),
        };
        let source = Source::Withdrawal(&w.withdrawal_id);
        let entry = LedgerEntry::provider(
            app.entropy(),
            EntryKind::Withdrawal,
            user,
            -amount,
            w.created_at,
            source,
        );
        let commit = idempotency::commit(app, claim, None)?;
        match app.db.record_withdrawal(&w, &parts, &entry, commit).await {
            Ok(WithdrawOutcome::Recorded) => return Ok(w.withdrawal_id),
            Ok(WithdrawOutcome::OverBalance) => return Err(AppError::WithdrawalExceedsRefundable),
            Ok(WithdrawOutcome::FundsMoved) | Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Busy("funds kept moving".into()))
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_withdrawal",
        security((), ("identityToken" = [])),
        get, path = "/points/withdrawals/{withdrawalId}", tag = "money",
        params(("withdrawalId" = String, Path, pattern = "^[A-Za-z0-9_-]{6,64}$"), ("userId" = UserId, Query)),
        responses(
            IdentityRefusals,
            (status = 200, description = "The withdrawal", body = WithdrawalBody),
            (status = 400, description = "Malformed id", body = ErrorBody),
            (status = 403, description = "Another user's withdrawal (WITHDRAWAL_FORBIDDEN)", body = ErrorBody),
            (status = 404, description = "Unknown withdrawal, or no provider (NOT_FOUND)", body = ErrorBody),
        )
    )
)]
pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    provider(app)?;
    let user = identity::query_user(app, req)?;
    let id = path_param(req, "withdrawalId")?;
    if !valid_order_id(&id) {
        return Err(AppError::bad_request(
            "withdrawalId는 6~64자의 영문, 숫자, _, -여야 합니다.",
        ));
    }
    let (w, parts) = app.db.withdrawal(&id).await?.ok_or(AppError::NotFound)?;
    if w.user_id != *user {
        return Err(AppError::WithdrawalForbidden);
    }
    Reply::ok(&body_of(app, &w, &parts).await?)
}

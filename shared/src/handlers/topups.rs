//! `POST /points/topups`, `POST /points/topups/{orderId}/confirm` and
//! `GET /points/topups/{orderId}` (SPEC §11): points bought with a card
//! through the payment provider.

use super::idempotency::{self, Done, Keyed};
use super::identity;
use crate::app::App;
use crate::domain::ids::UserId;
use crate::domain::money::{
    check_confirm, order_id, order_name, valid_order_id, ConfirmCheck, Topup, TopupRefusal,
    TopupStatus,
};
use crate::domain::points::validate_charge;
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, IdentityRefusals, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::request::path_param;
use crate::http::{AppError, Reply};
use crate::provider::toss::ALREADY_PROCESSED;
use crate::provider::ProviderError;
use crate::settlement::{provider, settle};
use crate::store::idempotency::Claim;
use crate::store::topups::TopupLimits;
use crate::store::StoreError;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// Most top-ups one user may have PENDING (SPEC §11).
pub const MAX_PENDING: i64 = 3;

/// Attempts when a random order id is already taken.
const ID_ATTEMPTS: usize = 3;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupRequest {
    user_id: UserId,
    /// Points to buy (KRW): 1 to `POINTS_MAX_CHARGE`.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1000000, example = 50000)
    )]
    #[serde(deserialize_with = "crate::domain::number::int::i64")]
    amount: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmRequest {
    user_id: UserId,
    /// What the provider's checkout handed the app.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    payment_key: String,
    /// Must equal the top-up's amount.
    #[serde(deserialize_with = "crate::domain::number::int::i64")]
    amount: i64,
}

/// What the fan's app opens the provider's checkout with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkout {
    /// `toss`, or `sandbox` on the local stack.
    provider: &'static str,
    client_key: String,
    order_id: String,
    order_name: String,
    amount: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopupBody {
    order_id: String,
    user_id: String,
    amount: i64,
    status: TopupStatus,
    /// Unconfirmed by then, the top-up lapses.
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_key: Option<String>,
    /// DONE: the balance right after the credit.
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<i64>,
    /// New top-ups only.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<Checkout>,
}

fn body_of(t: &Topup, checkout: Option<Checkout>) -> TopupBody {
    TopupBody {
        order_id: t.order_id.clone(),
        user_id: t.user_id.clone(),
        amount: t.amount,
        status: t.status,
        expires_at: crate::clock::format_ms(t.expires_at),
        payment_key: t.payment_key.clone(),
        point: t.point,
        checkout,
    }
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "create_topup",
        security((), ("identityToken" = [])),
        post, path = "/points/topups", tag = "money",
        params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
            description = "Same key and body: the first reply again, no second top-up")),
        request_body = TopupRequest,
        responses(
            JsonBodyRefusals,
            IdentityRefusals,
            (status = 201, description = "A PENDING top-up and what the app's checkout needs", body = TopupBody,
                links(("confirm" = (operation_id = "confirm_topup",
                    parameters(("orderId" = "$response.body#/orderId")),
                    description = "After the provider's checkout, confirm with its paymentKey")))),
            (status = 400, description = "Malformed body, amount out of range, or balance + pending top-ups + amount over the cap", body = ErrorBody),
            (status = 404, description = "PAYMENT_PROVIDER=none: no top-ups (NOT_FOUND)", body = ErrorBody),
            (status = 409, description = "3 top-ups already PENDING (TOPUP_PENDING_LIMIT), or the key in use", body = ErrorBody),
            (status = 503, description = "Busy", body = ErrorBody),
        )
    )
)]
pub async fn create(app: &App, req: &Request) -> Result<Reply, AppError> {
    let provider = provider(app)?;
    let caller = identity::caller(app, req)?;
    let (value, body): (_, TopupRequest) = typed_body(req)?;
    identity::acts_for(caller.as_deref(), &body.user_id)?;
    validate_charge(body.amount, app.config.points_max_charge)?;
    let user = body.user_id.as_str();
    let keyed = Keyed {
        scope: user,
        op: "topup",
        request: &value,
    };
    idempotency::once(app, req, keyed, |claim| async move {
        for _ in 0..ID_ATTEMPTS {
            let topup = new_topup(app, user, body.amount);
            let checkout = Checkout {
                provider: provider.name,
                client_key: provider.client_key.clone(),
                order_id: topup.order_id.clone(),
                order_name: order_name(topup.amount),
                amount: topup.amount,
            };
            let reply = Reply::created(&body_of(&topup, Some(checkout)))?;
            if let Some(done) = record(app, &topup, claim.as_ref(), reply).await? {
                return Ok(done);
            }
        }
        Err(AppError::internal("no free order id"))
    })
    .await
}

fn new_topup(app: &App, user: &str, amount: i64) -> Topup {
    let now = app.now_ms();
    Topup {
        order_id: order_id(app.entropy()),
        user_id: user.to_string(),
        amount,
        status: TopupStatus::Pending,
        created_at: now,
        expires_at: now + app.config.payment.topup_pending_seconds * 1000,
        payment_key: None,
        done_at: None,
        point: None,
        provider_code: None,
        reversed: 0,
        shortfall: 0,
    }
}

/// Writes the new top-up with its answer; None when its id was taken.
async fn record(
    app: &App,
    topup: &Topup,
    claim: Option<&Claim>,
    reply: Reply,
) -> Result<Option<Done>, AppError> {
    let limits = TopupLimits {
        max_pending: MAX_PENDING,
        max_balance: app.config.points_max_balance,
    };
    let commit = idempotency::commit(app, claim, Some(&reply))?;
    match app.db.create_topup(topup, limits, commit).await {
        Ok(Ok(())) => Ok(Some(Done {
            reply,
            recorded: claim.is_some(),
        })),
        Ok(Err(TopupRefusal::TooManyPending)) => Err(AppError::TopupPendingLimit),
        Ok(Err(TopupRefusal::OverBalance)) => Err(AppError::BalanceLimit),
        Err(StoreError::IdTaken) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The top-up the path names, for `user`: 400 malformed, 404 unknown,
/// 403 another's.
async fn owned_topup(app: &App, req: &Request, user: &str) -> Result<Topup, AppError> {
    let order_id = path_param(req, "orderId")?;
    if !valid_order_id(&order_id) {
        return Err(AppError::bad_request(
            "orderId는 6~64자의 영문, 숫자, _, -여야 합니다.",
        ));
    }
    let topup = app.db.topup(&order_id).await?.ok_or(AppError::NotFound)?;
    if topup.user_id != user {
        return Err(AppError::TopupForbidden);
    }
    Ok(topup)
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "confirm_topup",
        security((), ("identityToken" = [])),
        post, path = "/points/topups/{orderId}/confirm", tag = "money",
        params(("orderId" = String, Path, pattern = "^[A-Za-z0-9_-]{6,64}$"),
            ("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$")),
        request_body = ConfirmRequest,
        responses(
            JsonBodyRefusals,
            IdentityRefusals,
            (status = 200, description = "Confirmed with the provider and credited (again: the same answer, no second credit)", body = TopupBody),
            (status = 400, description = "Malformed body, or the amount differs from the order's (AMOUNT_MISMATCH; the provider is not asked)", body = ErrorBody),
            (status = 402, description = "The provider refused the charge (PAYMENT_DECLINED, with providerCode); the top-up is FAILED", body = ErrorBody),
            (status = 403, description = "Another user's top-up (TOPUP_FORBIDDEN)", body = ErrorBody),
            (status = 404, description = "Unknown order (NOT_FOUND)", body = ErrorBody),
            (status = 409, description = "Lapsed, failed, or DONE with another paymentKey (TOPUP_CLOSED)", body = ErrorBody),
            (status = 503, description = "The provider could not be reached: the top-up stays PENDING and reconciliation settles it", body = ErrorBody),
        )
    )
)]
pub async fn confirm(app: &App, req: &Request) -> Result<Reply, AppError> {
    provider(app)?;
    let caller = identity::caller(app, req)?;
    let (value, body): (_, ConfirmRequest) = typed_body(req)?;
    if body.payment_key.is_empty() || body.payment_key.len() > 200 {
        return Err(AppError::bad_request("paymentKey는 1~200자여야 합니다."));
    }
    identity::acts_for(caller.as_deref(), &body.user_id)?;
    let topup = owned_topup(app, req, &body.user_id).await?;
    let request = serde_json::json!({ "orderId": topup.order_id, "body": value });
    let keyed = Keyed {
        scope: body.user_id.as_str(),
        op: "topup-confirm",
        request: &request,
    };
    idempotency::once(app, req, keyed, |_claim| async move {
        let after = confirm_topup(app, topup, &body.payment_key, body.amount).await?;
        Ok(Done {
            reply: Reply::ok(&body_of(&after, None))?,
            recorded: false,
        })
    })
    .await
}

/// SPEC §11's confirm after the owner check: the amount, the state, then
/// the provider, whose record settles the top-up.
async fn confirm_topup(app: &App, topup: Topup, key: &str, amount: i64) -> Result<Topup, AppError> {
    match check_confirm(&topup, key, amount, app.now_ms()) {
        ConfirmCheck::AmountMismatch => return Err(AppError::TopupAmountMismatch),
        ConfirmCheck::Closed => return Err(AppError::TopupClosed),
        ConfirmCheck::Replay => return Ok(topup),
        ConfirmCheck::Confirm => {}
    }
    let client = &provider(app)?.client;
    let payment = match client.confirm(key, &topup.order_id, amount).await {
        Ok(p) => p,
        // Confirmed before (an answer lost on the way): its record decides.
        Err(ProviderError::Refused { code, .. }) if code == ALREADY_PROCESSED => client
            .payment(key)
            .await
            .map_err(|e| AppError::Busy(e.to_string()))?
            .ok_or(AppError::TopupClosed)?,
        Err(ProviderError::Refused { code, .. }) => return declined(app, topup, key, code).await,
        Err(ProviderError::Unavailable(why)) => return Err(AppError::Busy(why)),
    };
    let after = settle(app, topup, &payment).await?;
    match after.status {
        TopupStatus::Done if after.payment_key.as_deref() == Some(key) => Ok(after),
        TopupStatus::Done => Err(AppError::TopupClosed),
        _ => Err(AppError::Busy(format!(
            "the provider reports the payment {}",
            payment.status
        ))),
    }
}

/// The provider refused the charge: FAILED, unless something settled it
/// meanwhile.
async fn declined(app: &App, topup: Topup, key: &str, code: String) -> Result<Topup, AppError> {
    if !app
        .db
        .close_topup(&topup, TopupStatus::Failed, Some(&code))
        .await?
    {
        let now = crate::settlement::reread(app, &topup.order_id).await?;
        if now.status == TopupStatus::Done && now.payment_key.as_deref() == Some(key) {
            return Ok(now);
        }
    }
    Err(AppError::PaymentDeclined(code))
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "get_topup",
        security((), ("identityToken" = [])),
        get, path = "/points/topups/{orderId}", tag = "money",
        params(("orderId" = String, Path, pattern = "^[A-Za-z0-9_-]{6,64}$"), ("userId" = UserId, Query)),
        responses(
            IdentityRefusals,
            (status = 200, description = "The top-up: PENDING, DONE, FAILED or EXPIRED", body = TopupBody),
            (status = 400, description = "Malformed order or user id", body = ErrorBody),
            (status = 403, description = "Another user's top-up (TOPUP_FORBIDDEN)", body = ErrorBody),
            (status = 404, description = "Unknown order, or no provider (NOT_FOUND)", body = ErrorBody),
        )
    )
)]
pub async fn get(app: &App, req: &Request) -> Result<Reply, AppError> {
    provider(app)?;
    let user = identity::query_user(app, req)?;
    let topup = owned_topup(app, req, &user).await?;
    Reply::ok(&body_of(&topup, None))
}

//! `POST /payments`: pay a hold with points, in one transaction.

use super::gate;
use super::idempotency::{self, Done, Keyed};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::{check_id, random_id, validate_user_id};
use crate::domain::points::Payment;
use crate::domain::queue::QueueToken;
use crate::domain::reservation::{check_payable, PayRefusal};
use crate::http::json::typed_body;
use crate::http::{AppError, Reply};
use crate::store::idempotency::Claim;
use crate::store::payments::PayOutcome;
use crate::store::StoreError;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

const ID_ATTEMPTS: usize = 3;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayRequest {
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
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740991_u64)
    )]
    #[serde(deserialize_with = "crate::http::json::int::u64")]
    reserve_id: u64,
    /// Must equal the reservation's price.
    #[serde(deserialize_with = "crate::http::json::int::i64")]
    amount: i64,
}

/// The seed's payment receipt.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentBody {
    payment_id: u64,
    reserve_id: u64,
    user_id: String,
    price: i64,
    status: PaymentStatus,
    created_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentStatus {
    Success,
}

impl From<&Payment> for PaymentBody {
    fn from(p: &Payment) -> Self {
        PaymentBody {
            payment_id: p.payment_id,
            reserve_id: p.reserve_id,
            user_id: p.user_id.clone(),
            price: p.price,
            status: PaymentStatus::Success,
            created_at: format_ms(p.created_at),
        }
    }
}

pub async fn pay(app: &App, req: &Request) -> Result<Reply, AppError> {
    let (value, body): (_, PayRequest) = typed_body(req)?;
    validate_user_id(&body.user_id)?;
    check_id(body.reserve_id, "reserveId")?;
    // A retry is answered even after its token ended: the token is only
    // required to be the user's here, and able to pay below.
    let token = gate::current_token(app, req, Some(&body.user_id)).await?;
    let keyed = Keyed {
        scope: &body.user_id,
        op: "pay",
        request: &value,
    };
    let body = &body;
    idempotency::once(app, req, keyed, |claim| async move {
        let token = gate::payable(app, token)?;
        settle(app, body, token, claim.as_ref()).await
    })
    .await
}

/// Checks the reservation as read (the contract's order: 404, 403, 400,
/// 409, 410), then pays it in one transaction, whose refusals are read
/// with the same checks (402 and a spent token come only from there).
async fn settle(
    app: &App,
    body: &PayRequest,
    mut token: QueueToken,
    claim: Option<&Claim>,
) -> Result<Done, AppError> {
    let now = app.now_ms();
    let r = app.db.reservation(body.reserve_id).await?;
    let r = check_payable(r.as_ref(), &body.user_id, body.amount, now)?;
    for _ in 0..ID_ATTEMPTS {
        let payment = Payment {
            payment_id: random_id(),
            reserve_id: r.reserve_id,
            user_id: body.user_id.clone(),
            price: r.price,
            created_at: now,
        };
        let reply = Reply::created(&PaymentBody::from(&payment))?;
        let commit = idempotency::commit(app, claim, Some(&reply))?;
        match app.db.pay(r, &payment, &token, commit).await {
            Ok(PayOutcome::Paid) => {
                return Ok(Done {
                    reply,
                    recorded: claim.is_some(),
                })
            }
            // A hold taken since the token was read: pay with it as it is now.
            Ok(PayOutcome::TokenOver) => match app.db.token(&token.token_id).await? {
                Some(now_token) if now_token.version != token.version => token = now_token,
                _ => return Err(AppError::Unauthorized),
            },
            Ok(refused) => return Err(refusal(refused, body, now)),
            Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal("no free payment id"))
}

/// Why the payment's transaction refused.
fn refusal(outcome: PayOutcome, body: &PayRequest, now: i64) -> AppError {
    let refusal = match outcome {
        PayOutcome::ReservationMoved(current) => {
            match check_payable(current.as_deref(), &body.user_id, body.amount, now) {
                Err(refusal) => refusal,
                Ok(_) => {
                    return AppError::internal("reservation condition failed on a payable hold")
                }
            }
        }
        PayOutcome::InsufficientPoints => PayRefusal::InsufficientPoints,
        PayOutcome::HoldEnded => PayRefusal::Expired,
        PayOutcome::TokenOver => PayRefusal::TokenOver,
        PayOutcome::SeatCancelled => PayRefusal::ScheduleCancelled,
        PayOutcome::Paid => return AppError::internal("a paid outcome is no refusal"),
    };
    refusal.into()
}

impl From<PayRefusal> for AppError {
    fn from(r: PayRefusal) -> Self {
        match r {
            PayRefusal::NotFound => AppError::ReservationNotFound,
            PayRefusal::NotYours => AppError::NotYourReservation,
            PayRefusal::AmountMismatch => AppError::AmountMismatch,
            PayRefusal::AlreadyPaid => AppError::NotPayable,
            PayRefusal::Expired => AppError::HoldExpired,
            PayRefusal::InsufficientPoints => AppError::InsufficientPoints,
            // A token that a payment has already ended gets no further.
            PayRefusal::TokenOver => AppError::Unauthorized,
            PayRefusal::ScheduleCancelled => AppError::ScheduleCancelled,
        }
    }
}

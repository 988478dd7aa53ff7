//! `POST /payments`: pay a hold with points, in one transaction.

use super::gate;
use super::idempotency::{self, Done, Keyed};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::{random_id, ReserveId, UserId};
use crate::domain::points::Payment;
use crate::domain::queue::QueueToken;
use crate::domain::reservation::{check_payable, PayRefusal};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::{AppError, Reply};
use crate::store::idempotency::Claim;
use crate::store::payments::PayOutcome;
use crate::store::StoreError;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// Payment attempts: a fresh id, or the token and holds read again.
const ATTEMPTS: usize = 5;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayRequest {
    user_id: UserId,
    reserve_id: ReserveId,
    /// Must equal the reservation's price.
    #[serde(deserialize_with = "crate::domain::number::int::i64")]
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

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "pay",
        post, path = "/payments", tag = "points",
        security(("queueToken" = [])),
        params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
            description = "Same key and body: the first reply again, no second payment")),
        request_body = PayRequest,
        responses(
            JsonBodyRefusals,
            (status = 201, description = "Paid: points debited, seat sold; the paying token ends unless another hold of the fan in the room runs", body = PaymentBody),
            (status = 400, description = "결제 금액이 일치하지 않습니다. / malformed body", body = ErrorBody),
            (status = 401, description = "Token missing, malformed or unknown, or an earlier token of the fan than the hold's (a hold is paid with its own token, even after its window, or a later one in its room)", body = ErrorBody),
            (status = 402, description = "잔액이 부족합니다.", body = ErrorBody),
            (status = 403, description = "Another user's token or reservation, another room's token (TOKEN_SCOPE), or an earlier waiting token", body = ErrorBody),
            (status = 404, description = "Unknown reservation", body = ErrorBody),
            (status = 409, description = "결제할 수 없는 예약 내역입니다. / key in use", body = ErrorBody),
            (status = 410, description = "임시 예약 시간이 만료되었습니다.", body = ErrorBody),
            (status = 422, description = "Key reused with another body", body = ErrorBody),
        )
    )
)]
pub async fn pay(app: &App, req: &Request) -> Result<Reply, AppError> {
    let (value, body): (_, PayRequest) = typed_body(req)?;
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
        let token = gate::payable(app, token).await?;
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
    let r = app.db.reservation(body.reserve_id.get()).await?;
    let r = check_payable(r.as_ref(), &token, body.amount, now)?;
    for _ in 0..ATTEMPTS {
        let payment = Payment::of(r, random_id(app.entropy()), now);
        let reply = Reply::created(&PaymentBody::from(&payment))?;
        let commit = idempotency::commit(app, claim, Some(&reply))?;
        let holds = app.db.room_holds(&r.user_id, r.room).await?;
        match app.db.pay(r, &payment, &token, &holds, commit).await {
            Ok(PayOutcome::Paid) => {
                return Ok(Done {
                    reply,
                    recorded: claim.is_some(),
                })
            }
            // The token or the fan's holds moved since read (a hold taken,
            // another payment): decide again on them as they are now.
            Ok(PayOutcome::TokenOver) => {
                token = app
                    .db
                    .token(&token.token_id)
                    .await?
                    .ok_or(AppError::Unauthorized)?
            }
            Ok(PayOutcome::HoldsMoved) | Err(StoreError::IdTaken) => continue,
            Ok(refused) => return Err(refusal(refused, body, &token, now)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal("the payment kept meeting changes"))
}

/// Why the payment's transaction refused.
fn refusal(outcome: PayOutcome, body: &PayRequest, payer: &QueueToken, now: i64) -> AppError {
    let refusal = match outcome {
        PayOutcome::ReservationMoved(current) => {
            match check_payable(current.as_deref(), payer, body.amount, now) {
                Err(refusal) => refusal,
                Ok(_) => {
                    return AppError::internal("reservation condition failed on a payable hold")
                }
            }
        }
        PayOutcome::InsufficientPoints => PayRefusal::InsufficientPoints,
        PayOutcome::HoldEnded => PayRefusal::Expired,
        PayOutcome::TokenOver | PayOutcome::HoldsMoved => PayRefusal::TokenOver,
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
            PayRefusal::TokenScope => AppError::TokenScope,
            PayRefusal::TokenWaiting => AppError::TokenNotActive,
        }
    }
}

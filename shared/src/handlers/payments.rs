//! `POST /payments`: pay a hold with points, in one transaction.

use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::{random_id, validate_user_id, MAX_JSON_ID};
use crate::domain::points::{EntryKind, LedgerEntry, Payment};
use crate::domain::reservation::HoldState;
use crate::error::AppError;
use crate::gate;
use crate::handlers::points::typed_body;
use crate::http::Reply;
use crate::idempotency::{self, Done};
use crate::store::idempotency::IdemClaim;
use crate::store::points::{PayOutcome, PaymentPlan};
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
    #[serde(deserialize_with = "crate::domain::ids::json_int::u64")]
    reserve_id: u64,
    /// Must equal the reservation's price.
    #[serde(deserialize_with = "crate::domain::ids::json_int::i64")]
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

pub async fn pay(app: &App, req: &Request) -> Result<Reply, AppError> {
    let (value, body): (_, PayRequest) = typed_body(req)?;
    validate_user_id(&body.user_id)?;
    if !(1..=MAX_JSON_ID).contains(&body.reserve_id) {
        return Err(AppError::bad_request("reserveId는 양의 정수여야 합니다."));
    }
    let token = gate::admit_payment(app, req, &body.user_id).await?;
    let user = body.user_id.as_str();
    let apply = |claim: Option<IdemClaim>| async move {
        let now = app.now_ms();
        // The contract's check order: 404, 403, 400, 409, 410, then 402
        // (decided by the transaction's balance condition).
        let r = app
            .db
            .reservation(body.reserve_id)
            .await?
            .ok_or(AppError::ReservationNotFound)?;
        if r.user_id != user {
            return Err(AppError::NotYourReservation);
        }
        if body.amount != r.price {
            return Err(AppError::AmountMismatch);
        }
        match r.state_at(now) {
            HoldState::Paid => return Err(AppError::NotPayable),
            HoldState::Lapsed => return Err(AppError::HoldExpired),
            HoldState::Held => {}
        }
        // A token that a payment has already ended gets no further: the
        // transaction's token condition refuses it (401), after the
        // reservation and balance checks had their say.
        for _ in 0..ID_ATTEMPTS {
            let payment = Payment {
                payment_id: random_id(),
                reserve_id: r.reserve_id,
                user_id: user.to_string(),
                price: r.price,
                created_at: now,
            };
            let reply = Reply::created(&PaymentBody {
                payment_id: payment.payment_id,
                reserve_id: payment.reserve_id,
                user_id: user.to_string(),
                price: payment.price,
                status: PaymentStatus::Success,
                created_at: format_ms(now),
            })?;
            let entry = LedgerEntry {
                entry_id: payment.payment_id,
                user_id: user.to_string(),
                kind: EntryKind::Payment,
                amount: -payment.price,
                at: now,
                reserve_id: Some(r.reserve_id),
            };
            let idempotency = claim
                .as_ref()
                .map(|c| app.db.idem_commit_write(c, Some(&reply)))
                .transpose()?;
            let plan = PaymentPlan {
                reservation: &r,
                token: &token,
                payment: &payment,
                entry: &entry,
                now_ms: now,
                idempotency,
            };
            match app.db.pay(plan).await? {
                PayOutcome::Paid => {
                    return Ok(Done {
                        reply,
                        recorded: claim.is_some(),
                    })
                }
                PayOutcome::Refused(e) => return Err(e),
                PayOutcome::IdTaken => continue,
            }
        }
        Err(AppError::internal("no free payment id"))
    };
    // A payment's reply is stored by its own transaction, so a committed
    // payment is never without it.
    let rebuild = || async { Err(AppError::internal("payment committed without its reply")) };
    idempotency::once(app, req, user, "pay", &value, apply, rebuild).await
}

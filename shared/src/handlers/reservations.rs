//! `POST /reservations`: hold a seat for the user for `HOLD_SECONDS`;
//! `POST /reservations/{reserveId}/cancel`: let it go, or return the ticket.

use super::gate;
use super::idempotency::{self, Done, Keyed};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::{random_id, ConcertId, ScheduleId, SeatId, UserId};
use crate::domain::organiser::refund_deadline;
use crate::domain::points::LedgerEntry;
use crate::domain::queue::QueueToken;
use crate::domain::reservation::{
    plan_cancel, plan_hold, CancelPlan, CancelRefusal, HoldRefusal, Reservation, ReservationStatus,
};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::{AppError, Reply};
use crate::store::cancellation::FanCancel;
use crate::store::idempotency::Claim;
use crate::store::reservations::HoldOutcome;
use crate::store::StoreError;
use chrono::NaiveDate;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// Attempts when the user's own concurrent requests race for a hold slot.
const SLOT_ATTEMPTS: usize = 4;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReserveRequest {
    pub user_id: UserId,
    pub concert_id: ConcertId,
    pub schedule_id: ScheduleId,
    pub seat_id: SeatId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConcertBody {
    concert_id: u64,
    title: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
}

/// The seed's reservation body, plus the ids a client needs next.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReservationBody {
    reserve_id: u64,
    schedule: NaiveDate,
    schedule_id: u64,
    seat_id: u64,
    seat_number: String,
    concert: ConcertBody,
    price: i64,
    status: ReservationStatus,
    created_at: String,
    expired_at: String,
}

impl From<&Reservation> for ReservationBody {
    fn from(r: &Reservation) -> Self {
        ReservationBody {
            reserve_id: r.reserve_id,
            schedule: r.schedule_date,
            schedule_id: r.schedule_id,
            seat_id: r.seat_id,
            seat_number: r.seat_number.clone(),
            concert: ConcertBody {
                concert_id: r.concert_id,
                title: r.concert_title.clone(),
                start_date: r.concert_start_date,
                end_date: r.concert_end_date,
            },
            price: r.price,
            status: r.status,
            created_at: format_ms(r.created_at),
            expired_at: format_ms(r.expires_at),
        }
    }
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "reserve",
        post, path = "/reservations", tag = "reservations",
        security(("queueToken" = [])),
        params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
            description = "Same key and body: the first reply again, no second hold")),
        request_body = ReserveRequest,
        responses(
            JsonBodyRefusals,
            (status = 201, description = "Held (TEMP) until expiredAt", body = ReservationBody),
            (status = 400, description = "Malformed body or key", body = ErrorBody),
            (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
            (status = 403, description = "Token waiting or another user's", body = ErrorBody),
            (status = 404, description = "Unknown concert, schedule or seat, or not of each other", body = ErrorBody),
            (status = 409, description = "이미 예약된 좌석입니다. / the hold limit / key in use", body = ErrorBody),
            (status = 422, description = "Key reused with another body", body = ErrorBody),
        )
    )
)]
pub async fn reserve(app: &App, req: &Request) -> Result<Reply, AppError> {
    let (value, body): (_, ReserveRequest) = typed_body(req)?;
    // A retry is answered even after its token ended, so the token is
    // only required to be the user's here, and ACTIVE to hold.
    let token = gate::current_token(app, req, Some(&body.user_id)).await?;
    let keyed = Keyed {
        scope: &body.user_id,
        op: "reserve",
        request: &value,
    };
    let body = &body;
    idempotency::once(app, req, keyed, |claim| async move {
        let token = gate::active(app, token).await?;
        hold(app, body, &token, claim.as_ref()).await
    })
    .await
}

/// Holds the seat, retrying only when the user's own concurrent requests
/// took the hold slot first or a random id collided.
async fn hold(
    app: &App,
    body: &ReserveRequest,
    token: &QueueToken,
    claim: Option<&Claim>,
) -> Result<Done, AppError> {
    let cap = app.config.tickets_max_per_user;
    let (concert, schedule, seat) = (body.concert_id, body.schedule_id, body.seat_id);
    let ids = (concert.get(), schedule.get(), seat.get());
    let hold_ms = app.config.hold_seconds * 1000;
    for _ in 0..SLOT_ATTEMPTS {
        let now = app.now_ms();
        let ctx = app.db.hold_context(&body.user_id, ids, cap).await?;
        let holder = (body.user_id.as_str(), token.room);
        let r = Reservation {
            token_id: Some(token.token_id.clone()),
            ..plan_hold(ctx, holder, cap, now, hold_ms, random_id(app.entropy()))?
        };
        let reply = Reply::created(&ReservationBody::from(&r))?;
        let commit = idempotency::commit(app, claim, Some(&reply))?;
        match app.db.hold_seat(&r, token, now, commit).await {
            Ok(HoldOutcome::Held) => {
                return Ok(Done {
                    reply,
                    recorded: claim.is_some(),
                })
            }
            Ok(HoldOutcome::SeatTaken) => return Err(AppError::SeatTaken),
            Ok(HoldOutcome::SeatCancelled) => return Err(AppError::ScheduleCancelled),
            Ok(HoldOutcome::SeatMissing) => return Err(AppError::SeatNotFound),
            Ok(HoldOutcome::TokenOver) => return Err(AppError::Unauthorized),
            Ok(HoldOutcome::SlotTaken) | Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    // The user's own parallel requests kept filling the slots first.
    Err(AppError::TicketLimit)
}

impl From<HoldRefusal> for AppError {
    fn from(r: HoldRefusal) -> Self {
        match r {
            HoldRefusal::ConcertNotFound => AppError::ConcertNotFound,
            HoldRefusal::ScheduleNotFound => AppError::ScheduleNotFound,
            HoldRefusal::SeatNotFound => AppError::SeatNotFound,
            HoldRefusal::ScheduleCancelled => AppError::ScheduleCancelled,
            HoldRefusal::SaleNotOpen => AppError::SaleNotOpen,
            HoldRefusal::SaleClosed => AppError::SaleClosed,
            HoldRefusal::TicketLimit => AppError::TicketLimit,
            HoldRefusal::SeatTaken => AppError::SeatTaken,
            HoldRefusal::TokenScope => AppError::TokenScope,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelRequest {
    pub user_id: UserId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelledBody {
    reserve_id: u64,
    status: ReservationStatus,
    /// Points refunded (0 for a hold).
    refund: i64,
}

// `POST /reservations/{reserveId}/cancel`: a fan lets a hold go, or
// returns a paid ticket for a full refund.
#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "cancel_reservation",
        security((), ("identityToken" = [])),
        post, path = "/reservations/{reserveId}/cancel", tag = "reservations",
        params(
            ("reserveId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64),
            ("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
                description = "Same key and body: the first reply again, no second refund"),
        ),
        request_body = CancelRequest,
        responses(
            JsonBodyRefusals,
            (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
            (status = 200, description = "Cancelled: a hold released (refund 0) or a ticket refunded in full, its seat back on sale", body = CancelledBody),
            (status = 400, description = "Malformed id, body or key", body = ErrorBody),
            (status = 403, description = "Another user's reservation", body = ErrorBody),
            (status = 404, description = "Unknown reservation", body = ErrorBody),
            (status = 409, description = "취소할 수 없는 예약입니다. / 취소 가능 기간이 지났습니다. / 취소된 공연입니다.", body = ErrorBody),
            (status = 422, description = "Key reused with another body", body = ErrorBody),
        )
    )
)]
pub async fn cancel(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = super::identity::caller(app, req)?;
    let reserve_id = crate::http::request::path_id(req, "reserveId")?;
    let (value, body): (_, CancelRequest) = typed_body(req)?;
    super::identity::acts_for(caller.as_deref(), &body.user_id)?;
    // The key covers the reservation too: its path is part of the request.
    let request = serde_json::json!({ "reserveId": reserve_id, "body": value });
    let keyed = Keyed {
        scope: &body.user_id,
        op: "cancel",
        request: &request,
    };
    let user = body.user_id.as_str();
    idempotency::once(app, req, keyed, |claim| async move {
        cancel_own(app, reserve_id, user, claim.as_ref()).await
    })
    .await
}

/// Decides on the reservation as read and cancels it in one transaction;
/// when it changed in between, decides again on what it is now.
async fn cancel_own(
    app: &App,
    reserve_id: u64,
    user: &str,
    claim: Option<&Claim>,
) -> Result<Done, AppError> {
    let mut current = app.db.reservation(reserve_id).await?;
    for _ in 0..SLOT_ATTEMPTS {
        let now = app.now_ms();
        let deadline = current.as_ref().map_or(0, |r| {
            let c = &app.config;
            refund_deadline(c.sale_timezone, r.schedule_date, c.refund_cutoff_hours)
        });
        let (r, plan) = plan_cancel(current.as_ref(), user, now, deadline)?;
        let refund = if plan == CancelPlan::RefundTicket {
            r.price
        } else {
            0
        };
        let reply = Reply::ok(&CancelledBody {
            reserve_id,
            status: ReservationStatus::Cancelled,
            refund,
        })?;
        let commit = idempotency::commit(app, claim, Some(&reply))?;
        match cancel_as_planned(app, r, plan, now, commit).await {
            Ok(FanCancel::Cancelled) => {
                let recorded = claim.is_some();
                return Ok(Done { reply, recorded });
            }
            Ok(FanCancel::SeatCancelled) => return Err(AppError::ScheduleCancelled),
            Ok(FanCancel::Moved(now)) => current = now.map(|r| *r),
            Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal(
        "reservation kept changing under its cancellation",
    ))
}

async fn cancel_as_planned(
    app: &App,
    r: &Reservation,
    plan: CancelPlan,
    now: i64,
    commit: Option<aws_sdk_dynamodb::types::Update>,
) -> Result<FanCancel, StoreError> {
    match plan {
        CancelPlan::ReleaseHold => {
            let outcome = own_write(app.db.release_own_hold(r, now, commit).await?, now);
            if outcome == FanCancel::Cancelled {
                // So that paying the user's last other hold ends the
                // token; a token already gone needs nothing.
                if let Err(e) = app.db.forget_hold(r).await {
                    tracing::warn!(error = %e, "released hold left on its token");
                }
                if let Err(e) = app.db.forget_room_hold(r, now).await {
                    tracing::warn!(error = %e, "released hold left among the fan's holds");
                }
            }
            Ok(outcome)
        }
        CancelPlan::RefundTicket => {
            let entry = LedgerEntry::refund(app.entropy(), &r.user_id, r.reserve_id, r.price, now);
            let outcome = app.db.refund_own_ticket(r, &entry, commit).await?;
            if outcome == FanCancel::Cancelled {
                crate::counters::refunds(1);
            }
            Ok(outcome)
        }
    }
}

/// A release whose DynamoDB answer was lost is sent again by the SDK; the
/// repeat finds the hold already released and is refused. The record it
/// reads back is this cancellation's own (by the fan, at this instant): it
/// applied, and is answered so (DynamoDB's `ClientRequestToken` does the
/// same in AWS).
fn own_write(outcome: FanCancel, now: i64) -> FanCancel {
    match outcome {
        FanCancel::Moved(Some(r)) if r.cancelled_by_fan_at(now) => FanCancel::Cancelled,
        other => other,
    }
}

impl From<CancelRefusal> for AppError {
    fn from(r: CancelRefusal) -> Self {
        match r {
            CancelRefusal::NotFound => AppError::ReservationNotFound,
            CancelRefusal::NotYours => AppError::NotYourReservation,
            CancelRefusal::NotCancellable => AppError::NotCancellable,
            CancelRefusal::RefundClosed => AppError::RefundClosed,
            CancelRefusal::ScheduleCancelled => AppError::ScheduleCancelled,
        }
    }
}

//! `POST /reservations`: hold a seat for the user for `HOLD_SECONDS`.

use super::gate;
use super::idempotency::{self, Begun, Done};
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::{check_id, validate_user_id};
use crate::domain::reservation::{plan_hold, HoldRefusal, Reservation, ReservationStatus};
use crate::http::json::typed_body;
use crate::http::{AppError, Reply};
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
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[A-Za-z0-9._@-]{1,64}$",
            example = "user1234"
        )
    )]
    pub user_id: String,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740991_u64)
    )]
    #[serde(deserialize_with = "crate::http::json::int::u64")]
    pub concert_id: u64,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740991_u64)
    )]
    #[serde(deserialize_with = "crate::http::json::int::u64")]
    pub schedule_id: u64,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740991_u64)
    )]
    #[serde(deserialize_with = "crate::http::json::int::u64")]
    pub seat_id: u64,
}

impl ReserveRequest {
    fn validate(&self) -> Result<(), AppError> {
        validate_user_id(&self.user_id)?;
        check_id(self.concert_id, "concertId")?;
        check_id(self.schedule_id, "scheduleId")?;
        check_id(self.seat_id, "seatId")?;
        Ok(())
    }
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

pub async fn reserve(app: &App, req: &Request) -> Result<Reply, AppError> {
    let (value, body): (_, ReserveRequest) = typed_body(req)?;
    body.validate()?;
    gate::admit(app, req, Some(&body.user_id)).await?;
    let claim = match idempotency::begin(app, req, &body.user_id, "reserve", &value).await? {
        Begun::Run(claim) => claim,
        Begun::Replay(reply) => return Ok(reply),
        // A hold's answer commits with it: it cannot be missing.
        Begun::Rebuild(_) => return Err(AppError::internal("hold committed without its reply")),
    };
    let held = hold(app, &body, claim.as_ref()).await;
    idempotency::finish(app, claim, held).await
}

/// Holds the seat, retrying only when the user's own concurrent requests
/// took the hold slot first or a random id collided.
async fn hold(app: &App, body: &ReserveRequest, claim: Option<&Claim>) -> Result<Done, AppError> {
    let cap = app.config.hold_max_per_user;
    let ids = (body.concert_id, body.schedule_id, body.seat_id);
    for _ in 0..SLOT_ATTEMPTS {
        let now = app.now_ms();
        let ctx = app.db.hold_context(&body.user_id, ids, cap).await?;
        let today = app.clock.now().date_naive();
        let hold_ms = app.config.hold_seconds * 1000;
        let r = plan_hold(ctx, &body.user_id, cap, now, hold_ms, today)?;
        let reply = Reply::created(&ReservationBody::from(&r))?;
        let commit = idempotency::commit(app, claim, Some(&reply))?;
        match app.db.hold_seat(&r, now, commit).await {
            Ok(HoldOutcome::Held) => {
                return Ok(Done {
                    reply,
                    recorded: claim.is_some(),
                })
            }
            Ok(HoldOutcome::SeatTaken) => return Err(AppError::SeatTaken),
            Ok(HoldOutcome::SeatMissing) => return Err(AppError::SeatNotFound),
            Ok(HoldOutcome::SlotTaken) | Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    // The user's own parallel requests kept filling the slots first.
    Err(AppError::HoldLimit)
}

impl From<HoldRefusal> for AppError {
    fn from(r: HoldRefusal) -> Self {
        match r {
            HoldRefusal::ConcertNotFound => AppError::ConcertNotFound,
            HoldRefusal::ScheduleNotFound => AppError::ScheduleNotFound,
            HoldRefusal::SeatNotFound => AppError::SeatNotFound,
            HoldRefusal::SeatTaken => AppError::SeatTaken,
            HoldRefusal::HoldLimit => AppError::HoldLimit,
        }
    }
}

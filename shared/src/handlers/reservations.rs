//! `POST /reservations`: hold a seat for the user for `HOLD_SECONDS`.

use crate::app::App;
use crate::clock::format_ms;
use crate::domain::catalog::schedule_open;
use crate::domain::ids::{random_id, validate_user_id, MAX_JSON_ID};
use crate::domain::reservation::{free_hold_slot, Reservation, ReservationStatus};
use crate::error::AppError;
use crate::gate;
use crate::handlers::points::typed_body;
use crate::http::Reply;
use crate::idempotency::{self, Done};
use crate::store::idempotency::IdemClaim;
use crate::store::reservations::HoldOutcome;
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
    #[serde(deserialize_with = "crate::domain::ids::json_int::u64")]
    pub concert_id: u64,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740991_u64)
    )]
    #[serde(deserialize_with = "crate::domain::ids::json_int::u64")]
    pub schedule_id: u64,
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9007199254740991_u64)
    )]
    #[serde(deserialize_with = "crate::domain::ids::json_int::u64")]
    pub seat_id: u64,
}

impl ReserveRequest {
    fn validate(&self) -> Result<(), AppError> {
        validate_user_id(&self.user_id)?;
        for (name, id) in [
            ("concertId", self.concert_id),
            ("scheduleId", self.schedule_id),
            ("seatId", self.seat_id),
        ] {
            if !(1..=MAX_JSON_ID).contains(&id) {
                return Err(AppError::bad_request(format!(
                    "{name}는 양의 정수여야 합니다."
                )));
            }
        }
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
    let apply = |claim: Option<IdemClaim>| hold(app, &body, claim);
    let rebuild = || async { Err(AppError::internal("hold committed without its reply")) };
    idempotency::once(app, req, &body.user_id, "reserve", &value, apply, rebuild).await
}

/// Holds the seat, retrying only when the user's own concurrent requests
/// took the hold slot or a random id collided.
async fn hold(
    app: &App,
    body: &ReserveRequest,
    claim: Option<IdemClaim>,
) -> Result<Done, AppError> {
    let cap = app.config.hold_max_per_user;
    for _ in 0..SLOT_ATTEMPTS {
        let now = app.now_ms();
        let ctx = app
            .db
            .hold_context(
                &body.user_id,
                body.concert_id,
                body.schedule_id,
                body.seat_id,
                cap,
            )
            .await?;
        let concert = ctx.concert.ok_or(AppError::ConcertNotFound)?;
        let schedule = ctx
            .schedule
            .filter(|s| {
                s.concert_id == concert.id && schedule_open(s, app.clock.now().date_naive())
            })
            .ok_or(AppError::ScheduleNotFound)?;
        let seat = ctx.seat.ok_or(AppError::SeatNotFound)?;
        if !seat.reservable_at(now) {
            return Err(AppError::SeatTaken);
        }
        let slot = free_hold_slot(&ctx.slots, cap, now).ok_or(AppError::HoldLimit)?;
        let reservation = Reservation {
            reserve_id: random_id(),
            user_id: body.user_id.clone(),
            concert_id: concert.id,
            schedule_id: schedule.schedule_id,
            seat_id: seat.seat_id,
            seat_number: seat.seat_number,
            price: seat.price,
            status: ReservationStatus::Temp,
            created_at: now,
            expires_at: now + app.config.hold_seconds * 1000,
            hold_slot: slot,
            concert_title: concert.title,
            concert_start_date: concert.start_date,
            concert_end_date: concert.end_date,
            schedule_date: schedule.date,
            payment_id: None,
        };
        let reply = Reply::created(&ReservationBody::from(&reservation))?;
        let commit = claim
            .as_ref()
            .map(|c| app.db.idem_commit_write(c, Some(&reply)))
            .transpose()?;
        match app.db.hold_seat(&reservation, now, commit).await? {
            HoldOutcome::Held => {
                return Ok(Done {
                    reply,
                    recorded: claim.is_some(),
                })
            }
            HoldOutcome::SeatTaken => return Err(AppError::SeatTaken),
            HoldOutcome::SeatMissing => return Err(AppError::SeatNotFound),
            HoldOutcome::SlotTaken | HoldOutcome::IdTaken => continue,
        }
    }
    // The user's own parallel requests kept filling the slots first.
    Err(AppError::HoldLimit)
}

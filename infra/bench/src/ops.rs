//! The operations of a ticket journey, two ways: over HTTP through the
//! service, and as the same DynamoDB calls straight through the adapter
//! (the baseline: no HTTP, no handler).

use crate::http::Client;
use serde_json::json;
use shared::domain::ids::random_id;
use shared::domain::points::{EntryKind, LedgerEntry, Payment};
use shared::domain::queue::{shard_of, ticket_number, QueueToken, TokenState, TokenStatus};
use shared::domain::reservation::{free_hold_slot, Reservation, ReservationStatus};
use shared::store::idempotency::{idem_pk, Begin};
use shared::store::points::{ChargeOutcome, PayOutcome, PaymentPlan};
use shared::store::reservations::HoldOutcome;
use shared::App;
use std::time::Duration;

pub const CONCERT: u64 = 1;
pub const SCHEDULE: u64 = 1;
pub const CHARGE: i64 = 1_000_000;

/// What a step returned: a status label and what later steps need.
pub struct Step<T = ()> {
    pub status: String,
    pub took: Duration,
    pub value: Option<T>,
}

pub enum Ops {
    Http(Client),
    Direct(App),
}

fn st(code: u16) -> String {
    code.to_string()
}

fn err_status(e: &shared::AppError) -> String {
    e.status().as_u16().to_string()
}

macro_rules! timed {
    ($body:expr) => {{
        let started = std::time::Instant::now();
        let (status, value) = $body;
        Step {
            status,
            took: started.elapsed(),
            value,
        }
    }};
}

impl Ops {
    pub async fn join(&self, user: &str) -> Step<String> {
        match self {
            Ops::Http(c) => timed!(match c
                .call(
                    "POST",
                    "/queues",
                    None,
                    Some(&json!({"userId": user})),
                    None
                )
                .await
            {
                Ok(a) => (st(a.status), a.body["tokenId"].as_str().map(str::to_string)),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let shards = app.config.queue_shards;
                let shard = shard_of(user, shards);
                let result = async {
                    let (count, _) = app.db.take_ticket(shard).await?;
                    let token = QueueToken {
                        token_id: uuid::Uuid::new_v4().to_string(),
                        user_id: user.to_string(),
                        ticket: ticket_number(shard, shards, count),
                        status: TokenStatus::Wait,
                        issued_at: app.now_ms(),
                        active_at: None,
                        expire_at: None,
                        slot: None,
                    };
                    app.db.create_token(&token, shard, app.now_ms()).await?;
                    Ok::<_, shared::AppError>(token.token_id)
                }
                .await;
                match result {
                    Ok(t) => ("201".to_string(), Some(t)),
                    Err(e) => (err_status(&e), None),
                }
            }),
        }
    }

    /// One status poll; the value says whether the token is ACTIVE.
    pub async fn poll(&self, user: &str, token: &str) -> Step<bool> {
        match self {
            Ops::Http(c) => timed!(match c
                .call("GET", &format!("/queues/{user}"), Some(token), None, None)
                .await
            {
                Ok(a) => (st(a.status), Some(a.body["status"] == "ACTIVE")),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let shard = shard_of(user, app.config.queue_shards);
                match app.db.token_and_admitted(user, shard).await {
                    Ok((Some(t), _)) => (
                        "200".to_string(),
                        Some(t.state_at(app.now_ms()) == TokenState::Active),
                    ),
                    Ok((None, _)) => ("401".to_string(), None),
                    Err(e) => (err_status(&e), None),
                }
            }),
        }
    }

    /// The gate's reads for a request that names no user.
    async fn gate_by_token(app: &App, token: &str) -> Result<(), shared::AppError> {
        let owner = app
            .db
            .token_owner(token)
            .await?
            .ok_or(shared::AppError::Unauthorized)?;
        app.db.user_token(&owner).await?;
        Ok(())
    }

    pub async fn schedules(&self, token: &str) -> Step {
        match self {
            Ops::Http(c) => timed!(match c
                .call(
                    "GET",
                    &format!("/concerts/{CONCERT}/schedules"),
                    Some(token),
                    None,
                    None
                )
                .await
            {
                Ok(a) => (st(a.status), None),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let r = async {
                    Self::gate_by_token(app, token).await?;
                    app.db.get_concert(CONCERT).await?;
                    app.db.list_schedules(CONCERT).await?;
                    Ok::<_, shared::AppError>(())
                }
                .await;
                (
                    r.map(|_| "200".to_string())
                        .unwrap_or_else(|e| err_status(&e)),
                    None,
                )
            }),
        }
    }

    pub async fn seats(&self, token: &str) -> Step {
        match self {
            Ops::Http(c) => timed!(match c
                .call(
                    "GET",
                    &format!("/concerts/schedules/{SCHEDULE}/seats?limit=100"),
                    Some(token),
                    None,
                    None
                )
                .await
            {
                Ok(a) => (st(a.status), None),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let r = async {
                    Self::gate_by_token(app, token).await?;
                    app.db.get_schedule(SCHEDULE).await?;
                    app.db
                        .reservable_seats(SCHEDULE, None, 100, app.now_ms())
                        .await?;
                    Ok::<_, shared::AppError>(())
                }
                .await;
                (
                    r.map(|_| "200".to_string())
                        .unwrap_or_else(|e| err_status(&e)),
                    None,
                )
            }),
        }
    }

    pub async fn charge(&self, user: &str, key: &str) -> Step {
        let body = json!({"userId": user, "amount": CHARGE});
        match self {
            Ops::Http(c) => timed!(match c
                .call("PATCH", "/points", None, Some(&body), Some(key))
                .await
            {
                Ok(a) => (st(a.status), None),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let r = async {
                    let Begin::Fresh(claim) = app
                        .db
                        .idem_begin(
                            idem_pk(user, "charge", key),
                            &body.to_string(),
                            app.now_ms(),
                        )
                        .await?
                    else {
                        return Ok("409".to_string());
                    };
                    let entry = LedgerEntry {
                        entry_id: random_id(),
                        user_id: user.to_string(),
                        kind: EntryKind::Charge,
                        amount: CHARGE,
                        at: app.now_ms(),
                        reserve_id: None,
                    };
                    let commit = app.db.idem_commit_write(&claim, None)?;
                    let outcome = app
                        .db
                        .charge(&entry, app.config.points_max_balance, Some(commit))
                        .await?;
                    let point = app.db.balance(user).await?;
                    let reply = shared::http::Reply::ok(&json!({"userId": user, "point": point}))?;
                    app.db.idem_finish(&claim, &reply).await?;
                    Ok(if outcome == ChargeOutcome::Charged {
                        "200"
                    } else {
                        "400"
                    }
                    .to_string())
                }
                .await;
                (r.unwrap_or_else(|e: shared::AppError| err_status(&e)), None)
            }),
        }
    }

    /// One hold attempt; the value is `(reserveId, price)` when held.
    pub async fn reserve(&self, user: &str, token: &str, seat: u64, key: &str) -> Step<(u64, i64)> {
        let body =
            json!({"userId": user, "concertId": CONCERT, "scheduleId": SCHEDULE, "seatId": seat});
        match self {
            Ops::Http(c) => timed!(match c
                .call("POST", "/reservations", Some(token), Some(&body), Some(key))
                .await
            {
                Ok(a) => {
                    let held = (a.status == 201)
                        .then(|| Some((a.body["reserveId"].as_u64()?, a.body["price"].as_i64()?)))
                        .flatten();
                    (st(a.status), held)
                }
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let r = async {
                    app.db.user_token(user).await?;
                    let Begin::Fresh(claim) = app
                        .db
                        .idem_begin(
                            idem_pk(user, "reserve", key),
                            &body.to_string(),
                            app.now_ms(),
                        )
                        .await?
                    else {
                        return Ok(("409".to_string(), None));
                    };
                    let now = app.now_ms();
                    let cap = app.config.hold_max_per_user;
                    let ctx = app
                        .db
                        .hold_context(user, CONCERT, SCHEDULE, seat, cap)
                        .await?;
                    let (Some(concert), Some(schedule), Some(s)) =
                        (ctx.concert, ctx.schedule, ctx.seat)
                    else {
                        return Ok(("404".to_string(), None));
                    };
                    if !s.reservable_at(now) {
                        let reply = shared::http::Reply::error(&shared::AppError::SeatTaken);
                        app.db.idem_finish(&claim, &reply).await?;
                        return Ok(("409".to_string(), None));
                    }
                    let slot = free_hold_slot(&ctx.slots, cap, now).unwrap_or(0);
                    let r = Reservation {
                        reserve_id: random_id(),
                        user_id: user.to_string(),
                        concert_id: concert.id,
                        schedule_id: schedule.schedule_id,
                        seat_id: s.seat_id,
                        seat_number: s.seat_number,
                        price: s.price,
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
                    let reply = shared::http::Reply::created(&json!({"reserveId": r.reserve_id}))?;
                    let commit = app.db.idem_commit_write(&claim, Some(&reply))?;
                    Ok(match app.db.hold_seat(&r, now, Some(commit)).await? {
                        HoldOutcome::Held => ("201".to_string(), Some((r.reserve_id, r.price))),
                        _ => {
                            app.db
                                .idem_finish(
                                    &claim,
                                    &shared::http::Reply::error(&shared::AppError::SeatTaken),
                                )
                                .await?;
                            ("409".to_string(), None)
                        }
                    })
                }
                .await;
                r.unwrap_or_else(|e: shared::AppError| (err_status(&e), None))
            }),
        }
    }

    pub async fn pay(&self, user: &str, token: &str, hold: (u64, i64), key: &str) -> Step {
        let body = json!({"userId": user, "reserveId": hold.0, "amount": hold.1});
        match self {
            Ops::Http(c) => timed!(match c
                .call("POST", "/payments", Some(token), Some(&body), Some(key))
                .await
            {
                Ok(a) => (st(a.status), None),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let r = async {
                    let token = app
                        .db
                        .user_token(user)
                        .await?
                        .ok_or(shared::AppError::Unauthorized)?;
                    let Begin::Fresh(claim) = app
                        .db
                        .idem_begin(idem_pk(user, "pay", key), &body.to_string(), app.now_ms())
                        .await?
                    else {
                        return Ok("409".to_string());
                    };
                    let r = app
                        .db
                        .reservation(hold.0)
                        .await?
                        .ok_or(shared::AppError::ReservationNotFound)?;
                    let now = app.now_ms();
                    let payment = Payment {
                        payment_id: random_id(),
                        reserve_id: r.reserve_id,
                        user_id: user.to_string(),
                        price: r.price,
                        created_at: now,
                    };
                    let entry = LedgerEntry {
                        entry_id: payment.payment_id,
                        user_id: user.to_string(),
                        kind: EntryKind::Payment,
                        amount: -payment.price,
                        at: now,
                        reserve_id: Some(r.reserve_id),
                    };
                    let reply =
                        shared::http::Reply::created(&json!({"paymentId": payment.payment_id}))?;
                    let plan = PaymentPlan {
                        reservation: &r,
                        token: &token,
                        payment: &payment,
                        entry: &entry,
                        now_ms: now,
                        idempotency: Some(app.db.idem_commit_write(&claim, Some(&reply))?),
                    };
                    Ok(match app.db.pay(plan).await? {
                        PayOutcome::Paid => "201".to_string(),
                        PayOutcome::Refused(e) => err_status(&e),
                        PayOutcome::IdTaken => "500".to_string(),
                    })
                }
                .await;
                (r.unwrap_or_else(|e: shared::AppError| err_status(&e)), None)
            }),
        }
    }
}

//! The operations of a ticket journey, two ways: over HTTP through the
//! service, and as the same DynamoDB calls straight through the adapter
//! (the baseline: no HTTP, no handler).

use client::Client;
use serde_json::json;
use shared::domain::ids::random_id;
use shared::domain::points::{LedgerEntry, Payment};
use shared::domain::queue::{shard_of, ticket_number, QueueToken, TokenState, TokenStatus};
use shared::domain::reservation::plan_hold;
use shared::store::idempotency::{Begin, Claim, Commit, Recorded};
use shared::store::payments::PayOutcome;
use shared::store::points::ChargeOutcome;
use shared::store::queue::JoinOutcome;
use shared::store::reservations::HoldOutcome;
use shared::store::schema::idempotency::idem_pk;
use shared::store::StoreError;
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
    Http(Box<Client>),
    Direct(Box<App>),
}

fn st(code: u16) -> String {
    code.to_string()
}

/// A failure of the baseline's calls counts as the service's 500.
fn err_status(_: &StoreError) -> String {
    "500".to_string()
}

/// The record that completes `claim` with `answer` (None: APPLIED).
fn commit(
    app: &App,
    claim: &Claim,
    answer: Option<(u16, String)>,
) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
    let answer = answer.map(|(status, body)| Recorded { status, body });
    app.db.idem_commit(&Commit {
        claim: claim.clone(),
        answer,
    })
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
                    let count = app.db.take_ticket(0, shard, false).await?.count;
                    let token = QueueToken {
                        token_id: uuid::Uuid::new_v4().to_string(),
                        user_id: user.to_string(),
                        ticket: ticket_number(shard, shards, count),
                        status: TokenStatus::Wait,
                        issued_at: app.now_ms(),
                        active_at: None,
                        expire_at: None,
                        slot: None,
                        holds: Default::default(),
                        version: 0,
                        last_seen: None,
                        room: 0,
                    };
                    let joined = app.db.create_token(&token, shard, app.now_ms()).await?;
                    Ok::<_, StoreError>((joined, token.token_id))
                }
                .await;
                match result {
                    Ok((JoinOutcome::Joined, t)) => ("201".to_string(), Some(t)),
                    Ok((JoinOutcome::TokenExists, _)) => ("409".to_string(), None),
                    Err(e) => (err_status(&e), None),
                }
            }),
        }
    }

    /// One status poll; the value says whether the token is ACTIVE, and
    /// when a waiting fan is told to ask again.
    pub async fn poll(&self, user: &str, token: &str) -> Step<(bool, Option<u64>)> {
        match self {
            Ops::Http(c) => timed!(match c
                .call("GET", &format!("/queues/{user}"), Some(token), None, None)
                .await
            {
                Ok(a) => (
                    st(a.status),
                    Some((a.body["status"] == "ACTIVE", a.body["pollAfterMs"].as_u64())),
                ),
                Err(e) => (format!("io: {e}"), None),
            }),
            Ops::Direct(app) => timed!({
                let shard = shard_of(user, app.config.queue_shards);
                let polled = match app.db.polled_token(token).await {
                    Ok(Some(t)) => app.db.room_line(t.room, shard).await.map(|_| Some(t)),
                    other => other,
                };
                match polled {
                    Ok(Some(t)) => (
                        "200".to_string(),
                        Some((t.state_at(app.now_ms()) == TokenState::Active, None)),
                    ),
                    Ok(None) => ("401".to_string(), None),
                    Err(e) => (err_status(&e), None),
                }
            }),
        }
    }

    /// The gate's reads for a request that names no user.
    async fn gate_by_token(app: &App, token: &str) -> Result<(), StoreError> {
        app.db.token(token).await?;
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
                    app.db.cached_concert(CONCERT).await?;
                    let schedules = app.db.list_schedules(CONCERT).await?;
                    app.db.cached_seat_blocks(&schedules).await?;
                    Ok::<_, StoreError>(())
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
                    if let Some(schedule) = app.db.cached_schedule(SCHEDULE).await? {
                        app.db
                            .reservable_seats(&schedule, None, 100, app.now_ms())
                            .await?;
                    }
                    Ok::<_, StoreError>(())
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
                    let Begin::Claimed(claim) = app
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
                    let entry = LedgerEntry::charge(app.entropy(), user, CHARGE, app.now_ms());
                    let commit = commit(app, &claim, None)?;
                    let outcome = app
                        .db
                        .charge(&entry, app.config.points_max_balance, Some(commit))
                        .await?;
                    let point = app.db.balance(user).await?;
                    let body = json!({"userId": user, "point": point}).to_string();
                    let reply = Recorded { status: 200, body };
                    app.db.idem_finish(&claim, &reply).await?;
                    Ok(if outcome == ChargeOutcome::Charged {
                        "200"
                    } else {
                        "400"
                    }
                    .to_string())
                }
                .await;
                (r.unwrap_or_else(|e: StoreError| err_status(&e)), None)
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
                    let Some(token) = app.db.token(token).await? else {
                        return Ok(("401".to_string(), None));
                    };
                    let Begin::Claimed(claim) = app
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
                    let cap = app.config.tickets_max_per_user;
                    let ctx = app
                        .db
                        .hold_context(user, (CONCERT, SCHEDULE, seat), cap)
                        .await?;
                    let hold_ms = app.config.hold_seconds * 1000;
                    let taken = shared::http::Reply::error(&shared::AppError::SeatTaken);
                    let taken = Recorded {
                        status: taken.status,
                        body: taken.body,
                    };
                    let Ok(r) =
                        plan_hold(ctx, (user, 0), cap, now, hold_ms, random_id(app.entropy()))
                    else {
                        app.db.idem_finish(&claim, &taken).await?;
                        return Ok(("409".to_string(), None));
                    };
                    let reply = json!({"reserveId": r.reserve_id}).to_string();
                    let commit = commit(app, &claim, Some((201, reply)))?;
                    Ok(
                        match app.db.hold_seat(&r, &token, now, Some(commit)).await? {
                            HoldOutcome::Held => ("201".to_string(), Some((r.reserve_id, r.price))),
                            _ => {
                                app.db.idem_finish(&claim, &taken).await?;
                                ("409".to_string(), None)
                            }
                        },
                    )
                }
                .await;
                r.unwrap_or_else(|e: StoreError| (err_status(&e), None))
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
                    let Some(token) = app.db.token(token).await? else {
                        return Ok("401".to_string());
                    };
                    let Begin::Claimed(claim) = app
                        .db
                        .idem_begin(idem_pk(user, "pay", key), &body.to_string(), app.now_ms())
                        .await?
                    else {
                        return Ok("409".to_string());
                    };
                    let Some(r) = app.db.reservation(hold.0).await? else {
                        return Ok("404".to_string());
                    };
                    let payment = Payment {
                        payment_id: random_id(app.entropy()),
                        reserve_id: r.reserve_id,
                        user_id: user.to_string(),
                        price: r.price,
                        created_at: app.now_ms(),
                    };
                    let reply = json!({"paymentId": payment.payment_id}).to_string();
                    let commit = commit(app, &claim, Some((201, reply)))?;
                    let holds = app.db.room_holds(user, r.room).await?;
                    Ok(
                        match app
                            .db
                            .pay(&r, &payment, &token, &holds, Some(commit))
                            .await?
                        {
                            PayOutcome::Paid => "201".to_string(),
                            PayOutcome::InsufficientPoints => "402".to_string(),
                            PayOutcome::TokenOver | PayOutcome::HoldsMoved => "401".to_string(),
                            PayOutcome::HoldEnded => "410".to_string(),
                            PayOutcome::ReservationMoved(_) | PayOutcome::SeatCancelled => {
                                "409".to_string()
                            }
                        },
                    )
                }
                .await;
                (r.unwrap_or_else(|e: StoreError| err_status(&e)), None)
            }),
        }
    }
}

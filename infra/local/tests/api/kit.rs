//! The test kit: a fresh in-memory service per test (dynoxide behind the
//! real SDK, tables from template.yaml, the gateway's routing, a clock the
//! test moves) and named steps of a fan's journey, so each test reads as
//! one scenario. Nothing here builds DynamoDB calls or key strings: reads
//! behind the API go through `devkit`.

use emulator::{Emulator, Template};
use local::gateway::{routes, Call, Gateway};
use serde_json::{json, Value};
use shared::clock::ManualClock;
use shared::config::{Config, Tables};
use shared::domain::catalog::{Concert, Schedule, ScheduleStatus};
use shared::domain::organiser::start_of_day;
use shared::domain::organiser::Section;
use shared::domain::queue::TokenState;
use shared::domain::reservation::Reservation;
use shared::store::catalog::CatalogData;
use shared::store::Db;
use shared::App;
use std::collections::BTreeSet;
use std::sync::Arc;

/// 2026-01-01T00:00:00Z
pub const T0: i64 = 1_767_225_600_000;
/// The development identity provider's issuer in tests.
pub const ISSUER: &str = "http://127.0.0.1:8080";
/// The organiser's bearer token in tests.
pub const ADMIN_TOKEN: &str = "test-organiser-token";

pub struct TestApp {
    pub emu: Emulator,
    pub gw: Gateway,
    pub clock: ManualClock,
    /// Every DynamoDB call the app makes, by operation.
    pub meter: devkit::meter::Meter,
    /// The IAM permissions those calls need.
    pub perms: devkit::permissions::Permissions,
    /// Faults injected into the app's DynamoDB calls (none until armed).
    pub faults: devkit::faults::Faults,
    /// Where [`TestApp::run_jobs`] has read the jobs table's stream to.
    jobs_stream: std::sync::Mutex<local::streams::StreamReader>,
    /// The payment provider's stand-in, on a loopback port of its own
    /// (see [`TestApp::with_sandbox`]).
    pub sandbox: Option<sandbox::http::Served>,
    /// The one activator of this service's admission rounds.
    pub activator: std::sync::Arc<shared::jobs::activator::Activator>,
    /// Every room's activator (the default room's is `activator`).
    pub admissions: shared::jobs::admissions::Admissions,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    /// The `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
    /// `Cache-Control: public, max-age=` seconds.
    pub max_age: Option<u64>,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with(|_| {}).await
    }

    /// A service paying through the sandbox, which its Toss client reaches
    /// over HTTP; provider calls time out after 300 ms (a lost answer).
    pub async fn with_sandbox(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let (served, url, _task) = local::payments::serve_alone("test_sk_sandbox")
            .await
            .expect("sandbox");
        let mut h = Self::with(|c| {
            c.payment.provider = shared::config::PaymentProvider::Sandbox;
            c.payment.api_url = Some(url.clone());
            c.payment.secret_key = "test_sk_sandbox".into();
            c.payment.timeout_ms = 300;
            tweak(c);
        })
        .await;
        let provider = local::payments::provider(&h.app().config.payment, "").expect("provider");
        let app = h.gw.app.clone().with_provider(provider);
        h.gw.app = app;
        h.sandbox = Some(served);
        h
    }

    pub async fn with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let clock = ManualClock::at_ms(T0);
        let emu =
            Emulator::memory_with_clock(Arc::new(local::SharedClock(Arc::new(clock.clone()))))
                .expect("emulator");
        let template = Template::builtin().expect("template");
        emu.create_tables(&template).await.expect("tables");
        let config = Config {
            tables: Tables::default(),
            // Tests read what they just wrote; one test turns the cache on.
            catalog_cache_ms: 0,
            ..Config::default()
        };
        let mut config = devkit::patient(config);
        tweak(&mut config);
        let meter = devkit::meter::Meter::default();
        let perms = devkit::permissions::Permissions::default();
        // The SDK answered by the emulator in-process: no socket between.
        let sdk = emulator::inprocess::InProcess::client(emu.db.clone());
        let db = devkit::meter::metered(&Db::new(sdk, config.tables.clone()), &meter);
        let db = devkit::permissions::recorded(&db, &perms);
        let faults = devkit::faults::Faults::default();
        let db = devkit::faults::faulty(&db, &faults);
        let identity = (config.auth_mode == shared::config::AuthMode::Jwt).then(|| {
            Arc::new(local::identity::DevIdentity::new(ISSUER, "concert-local").expect("keys"))
        });
        let app = App::new(db, Arc::new(clock.clone()), config);
        let gw = Gateway {
            app,
            routes: routes(&template).expect("routes"),
            admin_token: ADMIN_TOKEN.into(),
            identity,
            busy: Default::default(),
        };
        let jobs_stream = std::sync::Mutex::new(local::streams::StreamReader::new(
            emu.db.clone(),
            "JobsTable",
        ));
        let admissions = shared::jobs::admissions::Admissions::new(&shared::domain::ids::OsEntropy);
        TestApp {
            emu,
            gw,
            clock,
            meter,
            perms,
            faults,
            jobs_stream,
            sandbox: None,
            activator: admissions.room(0).expect("the default room's activator"),
            admissions,
        }
    }

    pub fn app(&self) -> &App {
        &self.gw.app
    }

    /// One request through the gateway: `path` may carry a query string.
    pub async fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        self.raw(
            method,
            path,
            token,
            body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            &[],
        )
        .await
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        extra_headers: &[(&str, &str)],
    ) -> Resp {
        // JSON unless the test sends its own Content-Type (or "" for none).
        let own_type = extra_headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let mut headers = Vec::new();
        if !own_type {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        if let Some(t) = token {
            headers.push(("authorization".into(), format!("Bearer {t}")));
        }
        for (k, v) in extra_headers.iter().filter(|(_, v)| !v.is_empty()) {
            headers.push((k.to_string(), v.to_string()));
        }
        let reply = self
            .gw
            .call(Call::loopback(method, path, headers, &body))
            .await
            .reply;
        Resp {
            status: reply.status,
            body: serde_json::from_str(&reply.body).unwrap_or(Value::Null),
            retry_after: reply.retry_after,
            max_age: reply.max_age,
        }
    }

    /// Fails when a DynamoDB call since the last `perms.reset()` needs a
    /// permission the template does not grant the function `handler`.
    pub fn assert_granted(&self, handler: &str) {
        let template = sam::Template::builtin().expect("template");
        let grants: BTreeSet<_> = template.dynamodb_grants(handler).into_iter().collect();
        let missing: Vec<_> = self
            .perms
            .used()
            .into_iter()
            .filter(|p| !grants.contains(p))
            .collect();
        assert!(missing.is_empty(), "{handler} lacks {missing:?}");
    }

    /// An organiser's request (`ADMIN_TOKEN`).
    pub async fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.req(method, path, Some(ADMIN_TOKEN), body).await
    }

    /// Runs the schedule jobs as their stream would: every job record
    /// written since the last call, and the records those steps write,
    /// until none is left. Returns how many records were delivered.
    pub async fn run_jobs(&self) -> usize {
        let mut delivered = 0;
        loop {
            let batch = {
                let mut reader = self.jobs_stream.lock().expect("jobs stream");
                reader.next_batch(10).expect("stream")
            };
            if batch.is_empty() {
                return delivered;
            }
            delivered += batch.len();
            let mut event = aws_lambda_events::event::dynamodb::Event::default();
            event.records = batch;
            let out = shared::jobs::StreamConsumer::ScheduleJobs
                .handle(self.app(), event)
                .await;
            assert!(out.batch_item_failures.is_empty(), "a job step failed");
        }
    }

    /// Reads the job records written since the last call and drops them,
    /// as if every retry of their steps had failed and they had gone to
    /// the dead-letter queue: the jobs stop where they are.
    pub fn lose_job_records(&self) -> usize {
        let mut reader = self.jobs_stream.lock().expect("jobs stream");
        reader.next_batch(1_000).expect("stream").len()
    }

    /// Joins the queue; returns the token id.
    pub async fn join(&self, user: &str) -> String {
        let r = self
            .req(
                "POST",
                "/queues",
                None,
                Some(&serde_json::json!({ "userId": user })),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["tokenId"].as_str().expect("tokenId").to_string()
    }

    /// One round in every room; each room's round by room.
    pub async fn rooms_round(
        &self,
    ) -> std::collections::BTreeMap<u64, shared::jobs::activator::Round> {
        self.admissions
            .round(self.app())
            .await
            .expect("rounds")
            .into_iter()
            .map(|(room, r)| (room, r.expect("the test's activators hold the leases")))
            .collect()
    }

    pub async fn admission_round(&self) -> shared::jobs::activator::Round {
        self.activator
            .round(self.app())
            .await
            .expect("round")
            .expect("the test's activator holds the lease")
    }

    /// Joins and is admitted at once; returns the ACTIVE token id.
    pub async fn active(&self, user: &str) -> String {
        let token = self.join(user).await;
        self.admission_round().await;
        let r = self
            .req("GET", &format!("/queues/{user}"), Some(&token), None)
            .await;
        assert_eq!(r.body["status"], "ACTIVE", "{r:?}");
        token
    }

    /// `n` users `{prefix}{i}` joined at once and admitted; their tokens.
    pub async fn active_many(self: &Arc<Self>, prefix: &str, n: usize) -> Vec<(String, String)> {
        let joins = (0..n).map(|i| {
            let h = self.clone();
            let user = format!("{prefix}{i}");
            tokio::spawn(async move {
                let token = h.join(&user).await;
                (user, token)
            })
        });
        let users: Vec<(String, String)> = futures::future::join_all(joins)
            .await
            .into_iter()
            .map(|r| r.expect("join task"))
            .collect();
        let round = self.admission_round().await;
        assert_eq!(round.admitted, n, "raise queue_max_active for this test");
        users
    }

    pub async fn reserve(
        &self,
        user: &str,
        token: &str,
        concert: u64,
        schedule: u64,
        seat: u64,
    ) -> Resp {
        let body = serde_json::json!({"userId": user, "concertId": concert, "scheduleId": schedule, "seatId": seat});
        self.req("POST", "/reservations", Some(token), Some(&body))
            .await
    }

    /// Every stream record of the reservations table so far.
    pub fn reservation_stream(&self) -> Vec<aws_lambda_events::event::dynamodb::EventRecord> {
        let mut reader =
            local::streams::StreamReader::new(self.emu.db.clone(), "ReservationsTable");
        let mut all = Vec::new();
        loop {
            let batch = reader.next_batch(1000).expect("stream");
            if batch.is_empty() {
                return all;
            }
            all.extend(batch);
        }
    }

    /// Runs DynamoDB's TTL deletion as of the test clock.
    pub fn sweep_ttl(&self) -> usize {
        self.emu.db.sweep_ttl().expect("sweep")
    }

    pub async fn load(&self, data: &CatalogData) {
        self.app().db.load_catalog(data).await.expect("catalog");
    }

    /// Moves the service's clock (and the emulator's TTL clock) forward.
    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance_ms(ms);
    }

    /// `PATCH /points`, with an idempotency key when given.
    pub async fn charge(&self, user: &str, amount: Value, key: Option<&str>) -> Resp {
        let body = json!({"userId": user, "amount": amount});
        self.raw(
            "PATCH",
            "/points",
            None,
            body.to_string().into_bytes(),
            &key_header(key),
        )
        .await
    }

    /// The balance `GET /points/{userId}` reports.
    pub async fn points(&self, user: &str) -> i64 {
        let r = self
            .req("GET", &format!("/points/{user}"), None, None)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["point"].as_i64().expect("point")
    }

    /// Holds a seat of concert 1, schedule 1 that must be free:
    /// `(reserveId, price)`.
    pub async fn hold(&self, user: &str, token: &str, seat: u64) -> (u64, i64) {
        let r = self.reserve(user, token, 1, 1, seat).await;
        assert_eq!(r.status, 201, "{r:?}");
        (
            r.body["reserveId"].as_u64().expect("reserveId"),
            r.body["price"].as_i64().expect("price"),
        )
    }

    /// `POST /payments`, with an idempotency key when given.
    pub async fn pay(
        &self,
        user: &str,
        token: &str,
        reserve_id: u64,
        amount: i64,
        key: Option<&str>,
    ) -> Resp {
        let body = json!({"userId": user, "reserveId": reserve_id, "amount": amount});
        self.raw(
            "POST",
            "/payments",
            Some(token),
            body.to_string().into_bytes(),
            &key_header(key),
        )
        .await
    }

    /// The full invariant scan of SPEC §4 over all data; asserts it is
    /// clean and returns the number of sold seats.
    pub async fn audit(&self) -> usize {
        let audit = devkit::audit::audit(&self.app().db, self.app().now_ms())
            .await
            .expect("audit");
        assert!(audit.violations.is_empty(), "{:#?}", audit.violations);
        assert_eq!(audit.points_in_balances, audit.points_in_ledger);
        assert_eq!(audit.payments, audit.seats_sold + audit.refunds);
        audit.seats_sold
    }

    /// `(seat, holder, reserveId)` of every seat of `schedule` held or sold now.
    pub async fn seats_taken(&self, schedule: u64) -> Vec<(u64, String, u64)> {
        let now = self.app().now_ms();
        let mut out: Vec<(u64, String, u64)> = devkit::inspect::seats(&self.app().db)
            .await
            .expect("seats")
            .into_iter()
            .filter(|s| s.schedule_id == schedule && !s.reservable_at(now))
            .map(|s| {
                (
                    s.seat_id,
                    s.holder.unwrap_or_default(),
                    s.hold_id.unwrap_or(0),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Every reservation record, by id.
    pub async fn reservations(&self) -> Vec<Reservation> {
        let mut all = devkit::inspect::reservations(&self.app().db)
            .await
            .expect("reservations");
        all.sort_by_key(|r| r.reserve_id);
        all
    }

    /// Users whose token is ACTIVE now.
    pub async fn active_users(&self) -> BTreeSet<String> {
        let now = self.app().now_ms();
        devkit::inspect::tokens(&self.app().db)
            .await
            .expect("tokens")
            .into_iter()
            .filter(|t| t.state_at(now) == TokenState::Active)
            .map(|t| t.user_id)
            .collect()
    }
}

fn key_header(key: Option<&str>) -> Vec<(&str, &str)> {
    key.map(|k| vec![("Idempotency-Key", k)])
        .unwrap_or_default()
}

/// Concert 1 with an open schedule 1 of `seats` seats (ids 1..=seats:
/// seats 1–4 at 60,000–90,000 in sections of their own, the rest a row of
/// section `A` at 50,000) and a past schedule 2 with one seat;
/// concert 2 with schedule 3 of 10 seats (ids 100001.., section `B` at
/// 60,000). Every schedule has its seat map.
pub fn catalog(seats: u64) -> CatalogData {
    let date = |s: &str| s.parse().expect("date");
    // On sale from long before T0 until the start of the show's day.
    let schedule = |schedule_id, concert_id, day: &str, total_seats, first_seat_id| {
        let date: chrono::NaiveDate = date(day);
        Schedule {
            schedule_id,
            concert_id,
            date,
            total_seats,
            first_seat_id,
            sale_opens_at: 0,
            sale_closes_at: start_of_day(chrono_tz::Asia::Seoul, date),
            status: ScheduleStatus::Ready,
        }
    };
    let row = |name: &str, seats: u64, price| Section {
        name: name.into(),
        rows: 1,
        seats_per_row: seats as u32,
        price,
    };
    // Seats 1–4 priced apart (a payment test's cheap and pricey seats), the
    // rest of the row at 50,000.
    let first_hall: Vec<Section> = [
        ("S", 60_000),
        ("R", 70_000),
        ("VIP", 80_000),
        ("VVIP", 90_000),
    ]
    .into_iter()
    .take(seats as usize)
    .map(|(name, price)| row(name, 1, price))
    .chain((seats > 4).then(|| row("A", seats - 4, 50_000)))
    .collect();
    let mut data = CatalogData {
        concerts: vec![
            Concert {
                id: 1,
                title: "A 콘서트".into(),
                start_date: date("2025-12-01"),
                end_date: date("2026-02-01"),
                has_room: false,
            },
            Concert {
                id: 2,
                title: "B 콘서트".into(),
                start_date: date("2026-03-01"),
                end_date: date("2026-03-01"),
                has_room: false,
            },
        ],
        ..CatalogData::default()
    };
    let first = schedule(1, 1, "2026-02-01", seats as u32, 1);
    data.add_schedule(first, &first_hall);
    let past = schedule(2, 1, "2025-12-01", 1, seats + 1);
    data.add_schedule(past, &[row("A", 1, 50_000)]);
    data.add_schedule(
        schedule(3, 2, "2026-03-01", 10, 100_001),
        &[row("B", 10, 60_000)],
    );
    data
}

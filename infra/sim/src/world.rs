//! One seed's world: the service as Lambda runs it (the gateway's routes
//! to the real handlers, the activators, the hold-cleanup consumer) over
//! the emulator reached in-process, on a clock and a source of randomness
//! that only the seed moves.

use crate::Error;
use aws_lambda_events::event::sqs::SqsMessage;
use devkit::faults::Faults;
use local::gateway::{Call, Gateway};
use local::streams::{Sink, StreamReader, Subscription};
use sandbox::Sandbox;
use serde_json::json;
use shared::app::App;
use shared::clock::{Clock, ManualClock};
use shared::config::{Config, PaymentProvider};
use shared::domain::ids::SeededEntropy;
use shared::jobs::admissions::Admissions;
use shared::jobs::StreamConsumer;
use shared::provider::secret::SecretKey;
use shared::provider::Provider;
use shared::store::Db;
use std::sync::Arc;

/// 2025-12-01T10:50:00Z: the world's first instant, ten minutes before
/// the refund cut-off of its shows ([`SHOW_DATE`], [`REFUND_CUTOFF_HOURS`]).
pub const START_MS: i64 = 1_764_586_200_000;
/// The day of both shows (from 2025-12-01T15:00Z in Seoul), and refunds
/// until this many hours before: 2025-12-01T11:00Z.
pub const SHOW_DATE: &str = "2025-12-02";
pub const REFUND_CUTOFF_HOURS: i64 = 4;
/// The organiser's bearer token in the world's gateway.
pub const ADMIN: &str = "sim-organiser";
/// The concert with a room (SPEC §12) and the one without.
pub const ROOM_CONCERT: u64 = 1;
pub const PLAIN_CONCERT: u64 = 2;

/// A schedule: (id, its concert, its seats' first id as the service
/// numbers them, how many seats).
pub const SCHEDULES: [(u64, u64, u64, u64); 2] =
    [(1, ROOM_CONCERT, 100, 8), (2, PLAIN_CONCERT, 200, 6)];

pub struct World {
    pub clock: ManualClock,
    pub db: emulator::Database,
    pub gw: Gateway,
    /// The same store without the fault injector: what the checks read.
    pub clean: Db,
    pub faults: Faults,
    /// Two activator processes: usually one runs, sometimes both at once.
    pub admissions: [Admissions; 2],
    /// The reservations table's stream as the hold cleanup reads it.
    pub holds_stream: StreamReader,
    /// The same stream as the pipe reads it into the seats-left queue,
    /// and the messages in that queue (SQS: any order, now and then
    /// twice).
    pub pipe: StreamReader,
    pub queue: Vec<SqsMessage>,
    /// The jobs table's stream, as the schedule jobs' event source
    /// mapping delivers it (a failed record comes again).
    pub jobs: Subscription,
    /// The payment provider, in-process, when the world's points come
    /// from it (`PAYMENT_PROVIDER=sandbox`); else `PATCH /points`.
    pub sandbox: Option<Arc<Sandbox>>,
}

/// An answer as a fan or the organiser gets it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// The store's client with nothing left to real time or to other worlds
/// in the process, each call a millisecond of the world's clock: a retry's pause is one yield to the other tasks (no
/// timer decides which of two pausing requests goes first), without
/// jitter, from a retry quota of this world's own (the SDK otherwise
/// shares one per process), and no timeout (an in-process call never
/// hangs; a timeout would race a yielding pause).
fn stepwise(mut db: Db, seed: u64, clock: ManualClock) -> Db {
    use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
    use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition, TokenBucket};
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    use aws_sdk_dynamodb::config::{AsyncSleep, ConfigBag, Intercept, RuntimeComponents, Sleep};

    /// Each call to DynamoDB takes a millisecond: requests sent together
    /// do not all happen at one instant.
    #[derive(Debug)]
    struct Tick(ManualClock);
    impl Intercept for Tick {
        fn name(&self) -> &'static str {
            "SimulatedCallTime"
        }
        fn read_before_transmit(
            &self,
            _: &BeforeTransmitInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
            self.0.advance_ms(1);
            Ok(())
        }
    }

    #[derive(Debug)]
    struct OneYield;
    impl AsyncSleep for OneYield {
        fn sleep(&self, _: std::time::Duration) -> Sleep {
            Sleep::new(tokio::task::yield_now())
        }
    }

    let config = db
        .client
        .config()
        .to_builder()
        .sleep_impl(OneYield)
        .interceptor(Tick(clock))
        .timeout_config(TimeoutConfig::disabled())
        .retry_config(RetryConfig::standard().with_use_static_exponential_base(true))
        .retry_partition(
            RetryPartition::custom(format!("sim-{seed}"))
                .token_bucket(TokenBucket::default())
                .build(),
        )
        .build();
    db.client = aws_sdk_dynamodb::Client::from_conf(config);
    db
}

impl World {
    /// The world of `seed`: its settings, catalogue and room drawn from it.
    pub async fn new(seed: u64, config: Config) -> Result<World, Error> {
        let clock = ManualClock::at_ms(START_MS);
        let shared_clock = Arc::new(local::SharedClock(Arc::new(clock.clone())));
        let db = emulator::Database::memory_with_clock(shared_clock)
            .map_err(emulator::EmulatorError::from)?;
        let sdk = emulator::inprocess::InProcess::client(db.clone());
        let template = sam::Template::builtin()?;
        emulator::tables::create_all(&sdk, &template).await?;
        let faults = Faults::default();
        let clean = Db::new(sdk, config.tables.clone());
        let store = devkit::faults::faulty(&clean, &faults);
        let entropy = Arc::new(SeededEntropy::new(seed));
        let sandbox = (config.payment.provider == PaymentProvider::Sandbox).then(|| {
            Arc::new(Sandbox::with(
                &config.payment.secret_key,
                Arc::new(clock.clone()),
                Arc::new(SeededEntropy::new(!seed)),
            ))
        });
        let provider = sandbox.as_ref().and_then(|s| {
            Provider::new(
                &config.payment,
                "http://sandbox.in-process",
                SecretKey::Given(config.payment.secret_key.clone()),
                Arc::new(sandbox::in_process::InProcess(s.clone())),
            )
        });
        let mut app = App::new(store, Arc::new(clock.clone()), config)
            .with_entropy(entropy.clone())
            .with_provider(provider);
        app.db = stepwise(app.db, seed, clock.clone());
        let gw = Gateway {
            app,
            routes: local::gateway::routes(&template)?,
            admin_token: ADMIN.into(),
            identity: None,
            busy: Default::default(),
        };
        let admissions = [Admissions::new(&*entropy), Admissions::new(&*entropy)];
        let holds_stream = StreamReader::new(db.clone(), "ReservationsTable");
        let pipe = StreamReader::new(db.clone(), "ReservationsTable");
        let jobs = Subscription::new(
            Sink::Lambda(StreamConsumer::ScheduleJobs),
            StreamReader::new(db.clone(), "JobsTable"),
        );
        let world = World {
            clock,
            db,
            gw,
            clean,
            faults,
            admissions,
            holds_stream,
            pipe,
            queue: Vec::new(),
            jobs,
            sandbox,
        };
        make_catalogue(&world).await?;
        Ok(world)
    }

    pub fn app(&self) -> &App {
        &self.gw.app
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// One request through the gateway, with a bearer token when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        key: Option<&str>,
    ) -> Answer {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(t) = token {
            headers.push(("authorization".into(), format!("Bearer {t}")));
        }
        if let Some(k) = key {
            headers.push(("idempotency-key".into(), k.to_string()));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let reply = self
            .gw
            .call(Call::loopback(method, path, headers, &bytes))
            .await
            .reply;
        Answer {
            status: reply.status,
            body: serde_json::from_str(&reply.body).unwrap_or(serde_json::Value::Null),
        }
    }

    /// An organiser's request.
    pub async fn admin(&self, method: &str, path: &str, body: &serde_json::Value) -> Answer {
        self.call(method, path, Some(ADMIN), Some(body), None).await
    }
}

/// Two concerts, each with one schedule of a few seats on sale (few
/// seats, many fans, so every race is met), made through the organiser's
/// routes; the ids they are given are the ones [`SCHEDULES`] names.
async fn make_catalogue(world: &World) -> Result<(), Error> {
    let date = SHOW_DATE;
    for (concert, _) in [(ROOM_CONCERT, 0), (PLAIN_CONCERT, 1)] {
        let body =
            json!({"title": format!("시뮬레이션 {concert}"), "startDate": date, "endDate": date});
        let made = world.admin("POST", "/admin/concerts", &body).await;
        expect(&made, 201, "id", concert, "a concert")?;
    }
    for (id, concert, first, seats) in SCHEDULES {
        let half = seats / 2;
        let body = json!({"date": date, "sections": [
            {"name": "A", "rows": 1, "seatsPerRow": half, "price": 10_000},
            {"name": "B", "rows": 1, "seatsPerRow": seats - half, "price": 20_000 + 10_000 * concert},
        ]});
        let path = format!("/admin/concerts/{concert}/schedules");
        let made = world.admin("POST", &path, &body).await;
        expect(&made, 201, "scheduleId", id, "a schedule")?;
        let made = world.clean.cached_schedule(id).await;
        let made = made.map_err(|e| Error::Setup(e.to_string()))?;
        let shape = made
            .as_ref()
            .map(|s| (s.first_seat_id, u64::from(s.total_seats)));
        if shape != Some((first, seats)) {
            return Err(Error::Setup(format!("schedule {id}: {made:?}")));
        }
    }
    Ok(())
}

/// An organiser's answer as the world's set-up needs it.
fn expect(a: &Answer, status: u16, field: &str, id: u64, what: &str) -> Result<(), Error> {
    if a.status == status && a.body[field].as_u64() == Some(id) {
        Ok(())
    } else {
        Err(Error::Setup(format!("{what}: {} {}", a.status, a.body)))
    }
}

//! The whole service on one machine: an embedded dynoxide database, the
//! API Gateway stand-in, the EventBridge timer and the DynamoDB Streams
//! poller, all running the same handler code as the Lambda functions.

pub mod error;
pub mod gateway;
pub mod guard;
pub mod identity;
pub mod payments;
pub mod sample;
pub mod settings;
pub mod streams;
pub mod webapp;

use emulator::streamlog::StreamLog;
use emulator::{Emulator, Template};
pub use error::Error;
use gateway::Gateway;
use settings::Settings;
use shared::clock::{Clock, SystemClock};
use shared::config::{Config, Tables};
use shared::domain::room::DEFAULT_ROOM;
use shared::jobs::activator::Activator;
use shared::jobs::admissions::Admissions;
use shared::jobs::{Job, QueueConsumer, Scheduled, StreamConsumer};
use shared::store::Db;
use shared::App;
use std::net::SocketAddr;
use std::sync::Arc;
use streams::{Sink, StreamReader, Subscription};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The service's clock as the emulator sees it (TTL sweeps judge expiry by it).
#[derive(Debug)]
pub struct SharedClock(pub Arc<dyn Clock>);

impl emulator::EmulatorClock for SharedClock {
    fn now_unix_secs(&self) -> u64 {
        (self.0.now_ms() / 1000) as u64
    }
    fn now_unix_secs_f64(&self) -> f64 {
        self.0.now_ms() as f64 / 1000.0
    }
}

/// A running local stack.
pub struct Stack {
    pub addr: SocketAddr,
    /// The organiser's bearer token for `/admin/*`.
    pub admin_token: String,
    pub app: App,
    pub emulator: Emulator,
    /// The admission rounds' runner the timer uses: a tool's extra rounds
    /// go through it too (another activator would stand by for the lease).
    pub activator: Arc<Activator>,
    /// Every room's activator (the default room's is `activator`), as the
    /// timer runs them.
    pub admissions: Arc<Admissions>,
    /// The payment provider's stand-in (`PAYMENT_PROVIDER=sandbox`).
    pub sandbox: Option<sandbox::http::Served>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    pub async fn start(settings: Settings, config: Config) -> Result<Stack, Error> {
        Self::start_with_clock(settings, config, Arc::new(SystemClock)).await
    }

    pub async fn start_with_clock(
        settings: Settings,
        mut config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Stack, Error> {
        let template = Template::builtin().map_err(emulator::EmulatorError::from)?;
        let (emulator, stream_log) = open_store(&settings, &clock, &template).await?;
        // Locally the tables carry the template's logical ids.
        config.tables = Tables::default();
        let mut db = Db::new(emulator.client(), config.tables.clone());
        if let Some(meter) = &settings.meter {
            db = devkit::meter::metered(&db, meter);
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", settings.port))
            .await
            .map_err(Error::io(format!(
                "listening on 127.0.0.1:{}",
                settings.port
            )))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("the listener's address"))?;
        let base_url = format!("http://{addr}");
        let sandbox = payments::sandbox(&config.payment, &base_url);
        let provider = payments::provider(&config.payment, &base_url)?;
        let app = App::new(db, clock, config).with_provider(provider);
        if settings.seed_sample_data {
            seed(&app).await?;
        }
        let (stop, stopped) = watch::channel(false);
        let admissions = Arc::new(Admissions::new(app.entropy()));
        let activator = admissions.room(DEFAULT_ROOM)?;
        let background = Background {
            app: &app,
            emulator: &emulator,
            admissions: &admissions,
        };
        let mut tasks = background.run(&template, &settings, stream_log, &stopped)?;
        let admin_token = settings.admin_token.clone().unwrap_or_else(|| {
            let made = uuid::Uuid::new_v4().simple().to_string();
            tracing::info!("ADMIN_TOKEN is not set; the organiser's token for /admin/* is {made}");
            made
        });
        let server = serve(
            Listening { listener, addr },
            &template,
            &app,
            &settings,
            &admin_token,
            sandbox.as_ref(),
            stopped,
        )?;
        tasks.extend(server);
        Ok(Stack {
            addr,
            admin_token,
            app,
            emulator,
            activator,
            admissions,
            sandbox,
            stop,
            tasks,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets running ones finish, stops the timer
    /// and poller, then closes the database.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Some(s) = &self.sandbox {
            s.release();
        }
        for t in self.tasks {
            let _ = t.await;
        }
        self.emulator.stop();
    }
}

/// The emulator on its database — a file under `DATA_DIR`, or memory —
/// with the template's tables, and the file's stream log.
async fn open_store(
    settings: &Settings,
    clock: &Arc<dyn Clock>,
    template: &Template,
) -> Result<(Emulator, Option<StreamLog>), Error> {
    let file = match &settings.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(Error::io(format!("DATA_DIR {}", dir.display())))?;
            Some(dir.join("dynamodb.sqlite").to_string_lossy().into_owned())
        }
        None => None,
    };
    // An in-memory stack (tests) sweeps TTL by the service's own clock,
    // so a test that sets the time expires exactly what it should.
    let database = match &file {
        Some(path) => emulator::open_file(path)?,
        None => emulator::Database::memory_with_clock(Arc::new(SharedClock(clock.clone())))
            .map_err(emulator::EmulatorError::from)?,
    };
    let emulator = Emulator::serve_at(database, settings.emulator_addr).map_err(|e| match e {
        emulator::EmulatorError::Io(source) => Error::Io {
            what: format!("EMULATOR_ADDR {}", settings.emulator_addr),
            source,
        },
        other => other.into(),
    })?;
    tracing::info!(endpoint = %emulator.endpoint(), "DynamoDB emulator listening");
    emulator.create_tables(template).await?;
    // A file database keeps its stream log indexed and trimmed; an
    // in-memory one lives too briefly to need it.
    let stream_log = file
        .as_deref()
        .map(StreamLog::open)
        .transpose()
        .map_err(|e| Error::Stream {
            table: "every table".into(),
            detail: format!("its log: {e}"),
        })?;
    Ok((emulator, stream_log))
}

/// The sample catalogue, loaded into an empty database only.
async fn seed(app: &App) -> Result<(), Error> {
    if !app.db.list_concerts().await?.is_empty() {
        return Ok(());
    }
    let data = sample::catalog(app.now_ms(), app.config.sale_timezone);
    app.db.load_catalog(&data).await?;
    tracing::info!(
        concerts = data.concerts.len(),
        seats = data.seats.len(),
        "loaded sample catalogue"
    );
    Ok(())
}

/// What AWS runs beside the API, run here as the template declares it:
/// each schedule's job on a timer, each stream subscription and pipe fed
/// from the emulator's streams, and DynamoDB's TTL sweep.
struct Background<'a> {
    app: &'a App,
    emulator: &'a Emulator,
    admissions: &'a Arc<Admissions>,
}

impl Background<'_> {
    fn run(
        &self,
        template: &Template,
        settings: &Settings,
        stream_log: Option<StreamLog>,
        stopped: &watch::Receiver<bool>,
    ) -> Result<Vec<JoinHandle<()>>, Error> {
        let Background {
            app,
            emulator,
            admissions,
        } = self;
        let mut tasks = Vec::new();
        for job in scheduled_jobs(template)? {
            let runner = match job {
                Scheduled::Activator => Job::Activator(Arc::clone(admissions)),
                other => other.start(app.entropy()),
            };
            tasks.push(tokio::spawn(run_timer(
                job,
                runner,
                (*app).clone(),
                stopped.clone(),
            )));
        }
        let positions_file = settings
            .data_dir
            .as_ref()
            .map(|d| d.join("stream-positions.json"));
        let positions = read_positions(positions_file.as_deref());
        let subscriptions = stream_sinks(template)?
            .into_iter()
            .map(|(sink, table)| {
                let reader = StreamReader::new(emulator.db.clone(), &table)
                    .resume_after(positions.get(sink.name()).cloned());
                Subscription::new(sink, reader)
            })
            .collect();
        tasks.push(tokio::spawn(run_ttl(
            emulator.db.clone(),
            settings.stream_poll,
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(run_streams(
            subscriptions,
            (*app).clone(),
            settings.stream_poll,
            Persistence {
                positions_file,
                stream_log,
            },
            stopped.clone(),
        )));
        Ok(tasks)
    }
}

/// The jobs of the template's scheduled functions.
fn scheduled_jobs(template: &Template) -> Result<Vec<Scheduled>, Error> {
    template
        .functions
        .iter()
        .filter(|f| {
            f.triggers
                .iter()
                .any(|t| matches!(t, sam::Trigger::Schedule { .. }))
        })
        .map(|f| {
            Scheduled::by_name(&f.handler).ok_or_else(|| {
                Error::Template(format!("it schedules unknown function {}", f.handler))
            })
        })
        .collect()
}

/// Every reader of a table's stream, with the table: the functions fed
/// by a stream, and those fed by a pipe's queue.
fn stream_sinks(template: &Template) -> Result<Vec<(Sink, String)>, Error> {
    let mut sinks = Vec::new();
    for f in &template.functions {
        for t in &f.triggers {
            if let sam::Trigger::Stream { table, .. } = t {
                let consumer = StreamConsumer::by_name(&f.handler).ok_or_else(|| {
                    Error::Template(format!("it streams to unknown function {}", f.handler))
                })?;
                sinks.push((Sink::Lambda(consumer), table.clone()));
            }
        }
    }
    for pipe in &template.pipes {
        for f in &template.functions {
            let reads_target = f
                .triggers
                .iter()
                .any(|t| matches!(t, sam::Trigger::Sqs { queue } if *queue == pipe.target_queue));
            if reads_target {
                let consumer = QueueConsumer::by_name(&f.handler).ok_or_else(|| {
                    Error::Template(format!("it queues to unknown function {}", f.handler))
                })?;
                sinks.push((Sink::Pipe(consumer), pipe.source_table.clone()));
            }
        }
    }
    Ok(sinks)
}

/// The gateway's socket, bound before the app is built (the sandbox's
/// address is the stack's own).
struct Listening {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

/// The gateway on `127.0.0.1:PORT`: the template's routes, the OpenAPI
/// document and its page, in jwt mode the development identity provider,
/// and the payment sandbox when there is one. Returns its task.
fn serve(
    Listening { listener, addr }: Listening,
    template: &Template,
    app: &App,
    settings: &Settings,
    admin_token: &str,
    sandbox: Option<&sandbox::http::Served>,
    stopped: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, Error> {
    // In jwt mode the stack is also the development identity provider.
    let identity = match app.config.auth_mode {
        shared::config::AuthMode::Open => None,
        shared::config::AuthMode::Jwt => {
            let issuer = settings
                .auth_issuer
                .clone()
                .unwrap_or_else(|| format!("http://{addr}"));
            Some(Arc::new(identity::DevIdentity::new(
                &issuer,
                &settings.auth_audience,
            )?))
        }
    };
    let busy = guard::BusyShare::default();
    let watching = tokio::spawn(guard::run(
        app.clone(),
        busy.clone(),
        settings.busy_ratio,
        stopped.clone(),
    ));
    let gateway = Arc::new(Gateway {
        app: app.clone(),
        routes: gateway::routes(template)?,
        admin_token: admin_token.to_string(),
        identity: identity.clone(),
        busy,
    });
    // The API's OpenAPI document and a browsable page, served from
    // assets built into the binary: nothing is fetched at run time.
    let docs = utoipa_swagger_ui::SwaggerUi::new("/swagger-ui").url(
        "/openapi.json",
        <shared::openapi::ApiDoc as utoipa::OpenApi>::openapi(),
    );
    let mut router = axum::Router::new().merge(docs);
    if identity.is_some() {
        router = router
            .route(
                "/.well-known/jwks.json",
                axum::routing::get(gateway::serve_jwks),
            )
            .route("/dev/tokens", axum::routing::post(gateway::serve_token));
    }
    let mut router = router
        .fallback(gateway::serve)
        .with_state(gateway)
        .merge(webapp::router(&app.config));
    if let Some(s) = sandbox {
        router = router.nest(sandbox::http::PREFIX, s.router());
    }
    let router = router.layer(axum::middleware::from_fn(gateway::log_request));
    let mut server_stop = stopped;
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|s| *s).await;
        };
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "gateway stopped");
        }
    });
    Ok(vec![task, watching])
}

/// EventBridge stand-in: one step of the job every `QUEUE_TICK_SECONDS`.
async fn run_timer(job: Scheduled, runner: Job, app: App, mut stopped: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(
        app.config.queue_tick_seconds,
    ));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {
                if let Err(e) = runner.step(&app).await {
                    tracing::error!(job = job.name(), error = %e, "scheduled job failed");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// Where each stream consumer had got to, so a restart resumes there.
fn read_positions(file: Option<&std::path::Path>) -> std::collections::BTreeMap<String, String> {
    file.and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Saves each consumer's position; `false` when it could not.
fn write_positions(file: &std::path::Path, subs: &[Subscription]) -> bool {
    let map: std::collections::BTreeMap<&str, &str> = subs
        .iter()
        .filter_map(|s| Some((s.sink.name(), s.reader.last_sequence()?)))
        .collect();
    let written = serde_json::to_string_pretty(&map)
        .map_err(|e| e.to_string())
        .and_then(|json| write_atomically(file, &json).map_err(|e| e.to_string()));
    if let Err(e) = &written {
        tracing::warn!(error = %e, "cannot save stream positions");
    }
    written.is_ok()
}

/// Writes through a temporary file and a rename, so a crash leaves the old
/// positions or the new ones, never half a file.
fn write_atomically(file: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

/// Where the stream consumers' progress is kept.
struct Persistence {
    positions_file: Option<std::path::PathBuf>,
    stream_log: Option<StreamLog>,
}

impl Persistence {
    /// Saves the positions, then trims each table's stream log to what
    /// every one of its consumers has read and saved.
    fn save(&self, subs: &[Subscription]) {
        let Some(file) = &self.positions_file else {
            return;
        };
        if !write_positions(file, subs) {
            return;
        }
        let Some(log) = &self.stream_log else {
            return;
        };
        // The least advanced consumer of each table bounds what may go; one
        // that has read nothing yet keeps everything. Public sequence numbers
        // have a fixed width, so text order is numeric order.
        let mut read: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        for s in subs {
            let position = s.reader.last_sequence().unwrap_or("");
            read.entry(s.reader.table())
                .and_modify(|p| *p = (*p).min(position))
                .or_insert(position);
        }
        for (table, through) in read {
            if let Err(e) = log.trim(table, through) {
                tracing::warn!(table, error = %e, "stream log not trimmed");
            }
        }
    }
}

/// The longest wait between TTL sweeps.
const MAX_SWEEP_GAP: std::time::Duration = std::time::Duration::from_secs(30);

/// The TTL sweep takes at most 1/SWEEP_SHARE of the poller's time (up to
/// [`MAX_SWEEP_GAP`]).
const SWEEP_SHARE: u32 = 20;

/// Past [`MAX_SWEEP_GAP`], the sweep still takes at most 1/BUSY_SWEEP_SHARE
/// of the time.
const BUSY_SWEEP_SHARE: u32 = 2;

/// One run of dynoxide's TTL deletion.
async fn sweep_ttl(db: &emulator::Database) {
    let sweeper = db.clone();
    let started = std::time::Instant::now();
    let swept = tokio::task::spawn_blocking(move || sweeper.sweep_ttl()).await;
    let ms = started.elapsed().as_millis() as u64;
    match swept {
        Ok(Ok(0)) => tracing::debug!(ms, "TTL sweep: nothing expired"),
        Ok(Ok(n)) => tracing::info!(deleted = n, ms, "TTL sweep"),
        Ok(Err(e)) => tracing::error!(error = %e, "TTL sweep failed"),
        Err(e) => tracing::error!(error = %e, "TTL sweep panicked"),
    }
}

/// Batches one subscription may take per tick when it has a backlog.
const DRAIN_BATCHES: usize = 20;

/// DynamoDB TTL stand-in: sweeps expired items, on its own timer (as
/// AWS's TTL runs apart from the stream's consumers).
async fn run_ttl(
    db: emulator::Database,
    every: std::time::Duration,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let started = tokio::time::Instant::now();
        sweep_ttl(&db).await;
        // dynoxide's sweep reads every item of every TTL table, so its
        // cost grows with the data: keep it to a twentieth of the time.
        // (TTL is cleanup, never correctness; AWS takes up to two days.)
        // The gap is capped: a sweep's time is also its deletions, and
        // a longer gap would mean more of them next time, and so on. But
        // its reading grows with the table, so once a sweep no longer fits
        // half the cap the gap grows with it (sweeping at most half the
        // time): its deletions grow with the gap too, but at a fraction
        // of a millisecond each they stay a small part of it.
        let took = started.elapsed();
        let gap = (took * SWEEP_SHARE)
            .min(MAX_SWEEP_GAP)
            .max(took * BUSY_SWEEP_SHARE)
            .max(every);
        tokio::select! {
            _ = tokio::time::sleep_until(started + gap) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Lambda event source stand-in: delivers new stream records to their
/// consumers, each subscription at its own pace within a tick (as each
/// event source mapping polls its shard on its own).
async fn run_streams(
    mut subs: Vec<Subscription>,
    app: App,
    every: std::time::Duration,
    persistence: Persistence,
    mut stopped: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        let tick_started = tokio::time::Instant::now();
        let app = &app;
        let drained = futures::future::join_all(subs.iter_mut().map(|sub| async move {
            let started = tokio::time::Instant::now();
            let outcome = sub.drain(app, DRAIN_BATCHES).await;
            (sub.sink.name(), started.elapsed(), outcome)
        }))
        .await;
        let mut delivered = 0;
        for (consumer, took, outcome) in drained {
            match outcome {
                Ok(n) => {
                    delivered += n;
                    tracing::debug!(
                        consumer,
                        records = n,
                        ms = took.as_millis() as u64,
                        "stream delivery"
                    );
                }
                Err(e) => tracing::error!(consumer, error = %e, "stream poll failed"),
            }
        }
        if delivered > 0 {
            persistence.save(&subs);
        }
        tracing::debug!(
            delivered,
            ms = tick_started.elapsed().as_millis() as u64,
            "stream tick"
        );
    }
}

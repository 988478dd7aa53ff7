//! One run of the journey: through the service (HTTP → gateway → handler →
//! SDK → dynoxide) or as the same DynamoDB calls straight through the SDK
//! (the baseline), each on a fresh copy of the local stack with its
//! background work running; the hall optionally filled first; the audit
//! and the largest items read at the end.

use crate::cost::{largest_items, ItemSize};
use crate::error::{unexpected, Error};
use crate::hall::{self, Hall};
use crate::journey::{self, Scenario};
use crate::layers::{self, Layers};
use crate::ops::Ops;
use crate::stack;
use crate::stack::local_client;
use crate::stats::{OpSummary, Recorder};
use futures::stream::{self, StreamExt};
use shared::config::{Config, Tables};
use shared::jobs::activator::Activator;
use shared::store::catalog::CatalogData;
use shared::App;
use std::time::Duration;

#[derive(Clone)]
pub struct RunResult {
    pub summaries: Vec<OpSummary>,
    pub sold: usize,
    pub polls: usize,
    /// Each fan's (polls, time to admission), when the run waited.
    pub admissions: Vec<(usize, Duration)>,
    pub audit: devkit::audit::Audit,
    pub largest: Vec<ItemSize>,
    pub hall: Option<Hall>,
    pub layers: Vec<Layers>,
}

pub fn config(sc: &Scenario) -> Config {
    let queued = sc.max_active < sc.users;
    devkit::patient(Config {
        tables: Tables::default(),
        // One more for the viewer who inspects the hall.
        queue_max_active: sc.max_active as u32 + 1,
        queue_tick_seconds: 1,
        // A queued crowd moves as payments end tokens; a fan who gets no
        // seat gives the place back after a minute.
        queue_active_seconds: if queued { 60 } else { 3600 },
        // Fillers wait their turn to hold after being admitted; they must
        // not be taken for fans who left.
        queue_active_idle_seconds: if sc.fill > 0.0 { 3600 } else { 60 },
        ..Config::default()
    })
}

/// Holds `fill` of the hall's seats, from the last seat down, through the
/// same hold path the fans use (four seats per filler, the hold cap).
async fn fill_hall(app: &App, activator: &Activator, sc: &Scenario) -> Result<(), Error> {
    let count = (sc.seats as f64 * sc.fill) as u64;
    if count == 0 {
        return Ok(());
    }
    let ops = Ops::Direct(Box::new(app.clone()));
    let seats: Vec<u64> = (sc.seats - count + 1..=sc.seats).collect();
    // A filler's holds go one after another: its hold slots are shared.
    let fillers: Vec<Vec<u64>> = seats.chunks(4).map(<[u64]>::to_vec).collect();
    let total = fillers.len();
    let tokens = admit_fillers(app, activator, &ops, total).await?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let failed: usize = stream::iter(fillers.into_iter().zip(tokens).enumerate())
        .map(|(i, (seats, token))| {
            let (ops, done) = (&ops, &done);
            async move {
                let user = format!("filler{i}");
                let mut failed = 0;
                for seat in seats {
                    let step = ops
                        .reserve(&user, &token, seat, &format!("fill-{seat}"))
                        .await;
                    failed += usize::from(step.status != "201");
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if n % 500 == 0 || n == total {
                    crate::stats::progress("fill", n, total);
                }
                failed
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .sum();
    eprintln!("  filled {} of {} seats", count as usize - failed, sc.seats);
    (failed == 0)
        .then_some(())
        .ok_or_else(|| unexpected(format!("filling the hall: {failed} holds refused")))
}

/// The fillers are fans like any other: they join and are admitted before
/// they hold (the gate wants an ACTIVE token). Their slots come on top of
/// the run's, so the fans after them find the run's own number free.
async fn admit_fillers(
    app: &App,
    activator: &Activator,
    ops: &Ops,
    total: usize,
) -> Result<Vec<String>, Error> {
    let max = app.config.queue_max_active + total as u32;
    app.db.set_queue_control(Some(false), Some(max)).await?;
    let joins: Vec<Option<String>> = stream::iter(0..total)
        .map(|i| async move { ops.join(&format!("filler{i}")).await.value })
        .buffered(32)
        .collect()
        .await;
    let tokens: Vec<String> = joins.into_iter().flatten().collect();
    if tokens.len() != total {
        return Err(unexpected(format!(
            "filling the hall: {} of {total} fillers joined",
            tokens.len()
        )));
    }
    // Rounds of our own besides the stack's timer, until the line's count
    // says every filler is in (nobody else has joined yet).
    for _ in 0..100 {
        activator.round(app).await?;
        let left = app.db.line_totals(0, app.config.queue_shards).await?.left;
        if left >= total as u64 {
            return Ok(tokens);
        }
    }
    Err(unexpected(format!(
        "filling the hall: not every one of {total} fillers was admitted"
    )))
}

async fn finish(
    app: &App,
    rec: &Recorder,
    sold: usize,
    polls: usize,
    admissions: Vec<(usize, Duration)>,
) -> Result<RunResult, Error> {
    let audit = devkit::audit::audit(&app.db, app.now_ms()).await?;
    Ok(RunResult {
        summaries: rec.summaries(),
        sold,
        polls,
        admissions,
        audit,
        largest: largest_items(&app.db).await?,
        hall: None,
        layers: Vec::new(),
    })
}

/// A run through the service; with `inspect`, the hall is timed and
/// counted before and after it is filled.
pub async fn service(sc: &Scenario, data: &CatalogData, inspect: bool) -> Result<RunResult, Error> {
    let (stack, dir) = on_file(sc, "run")?;
    let app = stack.app.clone();
    app.db.load_catalog(data).await?;
    let client = local_client(&stack.url)?;
    let mut hall = Hall {
        seats: sc.seats,
        held_before_fans: (sc.seats as f64 * sc.fill) as u64,
        ..Hall::default()
    };
    let viewer = match inspect {
        true => Some(hall::viewer(&client).await?),
        false => None,
    };
    if let Some(token) = &viewer {
        hall.page_ms_empty = hall::page_ms(&client, token, sc.seats).await?;
    }
    fill_hall(&app, &stack.activator, sc).await?;
    if let Some(token) = &viewer {
        hall.page_ms_filled = hall::page_ms(&client, token, sc.seats).await?;
        hall::count(&client, token, &mut hall).await?;
    }
    let layers = match &viewer {
        Some(token) => layers::profile(&stack, "viewer", token).await?,
        None => Vec::new(),
    };
    let hall = viewer.map(|_| hall);
    let ops = Ops::Http(Box::new(client));
    let rec = Recorder::default();
    let limit = Duration::from_secs(600);
    if sc.max_active < sc.users {
        let (sold, admissions) = journey::crowd(&ops, &rec, sc, limit).await;
        let polls = admissions.iter().map(|a| a.0).sum();
        let result = finish(&app, &rec, sold, polls, admissions).await;
        stack.stop();
        let _ = std::fs::remove_dir_all(&dir);
        return result.map(|r| RunResult { hall, layers, ..r });
    }
    let fans = journey::join(&ops, &rec, sc, "fan").await;
    let admissions = journey::wait_for_admission(&ops, &rec, sc, &fans, limit).await;
    let polls = admissions.iter().map(|a| a.0).sum::<usize>().max(1);
    // Polling throughput, measured back to back like the baseline's.
    journey::poll_times(&ops, &rec, sc, &fans, polls).await;
    journey::browse(&ops, &rec, sc, &fans).await;
    journey::charge(&ops, &rec, sc, &fans).await;
    let fans = journey::reserve(&ops, &rec, sc, fans).await;
    let sold = journey::pay(&ops, &rec, sc, &fans).await;
    let result = finish(&app, &rec, sold, polls, admissions).await;
    stack.stop();
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|r| RunResult { hall, layers, ..r })
}

fn on_file(sc: &Scenario, name: &str) -> Result<(stack::Running, std::path::PathBuf), Error> {
    stack::Running::on_file(name, Duration::from_millis(500), config(sc))
}

pub async fn baseline(sc: &Scenario, data: &CatalogData, polls: usize) -> Result<RunResult, Error> {
    // The same stack, with its activator timer and stream consumers doing
    // the same background work as in the service run, but the fans' calls
    // go straight to the store: what is left between the two is the HTTP
    // hop, the gateway and the handlers.
    let (stack, dir) = on_file(sc, "base")?;
    let app = stack.app.clone();
    app.db.load_catalog(data).await?;
    fill_hall(&app, &stack.activator, sc).await?;
    let ops = Ops::Direct(Box::new(app.clone()));
    let rec = Recorder::default();
    let fans = journey::join(&ops, &rec, sc, "base").await;
    // Admission is the activator's, not a request's: done between phases.
    while stack
        .activator
        .round(&app)
        .await?
        .is_some_and(|r| r.admitted > 0)
    {}
    journey::poll_times(&ops, &rec, sc, &fans, polls).await;
    journey::browse(&ops, &rec, sc, &fans).await;
    journey::charge(&ops, &rec, sc, &fans).await;
    let fans = journey::reserve(&ops, &rec, sc, fans).await;
    let sold = journey::pay(&ops, &rec, sc, &fans).await;
    let result = finish(&app, &rec, sold, polls, Vec::new()).await;
    stack.stop();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

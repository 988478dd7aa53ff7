//! One run of the journey: through the service (HTTP → gateway → handler →
//! SDK → dynoxide) or as the same DynamoDB calls straight through the SDK
//! (the baseline), each on a fresh database; the hall optionally filled
//! first; the audit and the largest items read at the end.

use crate::cost::{largest_items, ItemSize};
use crate::journey::{self, Scenario};
use crate::ops::Ops;
use crate::stats::{OpSummary, Recorder};
use crate::{http, stack};
use futures::stream::{self, StreamExt};
use local::settings::Settings;
use shared::config::{Config, Tables};
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
}

pub fn config(sc: &Scenario) -> Config {
    let queued = sc.max_active < sc.users;
    Config {
        tables: Tables::default(),
        queue_max_active: sc.max_active as u32,
        queue_tick_seconds: 1,
        // A queued crowd moves as payments end tokens; a fan who gets no
        // seat gives the place back after a minute.
        queue_active_seconds: if queued { 60 } else { 3600 },
        ..Config::default()
    }
}

/// Holds `fill` of the hall's seats, from the last seat down, through the
/// same hold path the fans use (four seats per filler, the hold cap).
async fn fill_hall(app: &App, sc: &Scenario) -> Result<(), String> {
    let count = (sc.seats as f64 * sc.fill) as u64;
    if count == 0 {
        return Ok(());
    }
    let ops = Ops::Direct(app.clone());
    let seats: Vec<u64> = (sc.seats - count + 1..=sc.seats).collect();
    let failed: usize = stream::iter(seats)
        .map(|seat| {
            let ops = &ops;
            async move {
                let user = format!("filler{}", seat / 4);
                let key = format!("fill-{seat}");
                let step = ops.reserve(&user, "", seat, &key).await;
                usize::from(step.status != "201")
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
        .ok_or_else(|| format!("filling the hall: {failed} holds refused"))
}

async fn finish(
    app: &App,
    rec: &Recorder,
    sold: usize,
    polls: usize,
    admissions: Vec<(usize, Duration)>,
) -> Result<RunResult, String> {
    let audit = devkit::audit::audit(&app.db, app.now_ms())
        .await
        .map_err(|e| e.to_string())?;
    Ok(RunResult {
        summaries: rec.summaries(),
        sold,
        polls,
        admissions,
        audit,
        largest: largest_items(&app.db).await?,
    })
}

pub async fn service(sc: &Scenario, data: &CatalogData) -> Result<RunResult, String> {
    let settings = Settings {
        seed_sample_data: false,
        stream_poll: Duration::from_millis(500),
        ..Settings::ephemeral()
    };
    let stack = stack::Running::start(settings, config(sc))?;
    let app = stack.app.clone();
    app.db.load_catalog(data).await.map_err(|e| e.to_string())?;
    fill_hall(&app, sc).await?;
    let ops = Ops::Http(http::Client::new(&stack.url));
    let rec = Recorder::default();
    let limit = Duration::from_secs(600);
    if sc.max_active < sc.users {
        let (sold, admissions) = journey::crowd(&ops, &rec, sc, limit).await;
        let polls = admissions.iter().map(|a| a.0).sum();
        let result = finish(&app, &rec, sold, polls, admissions).await;
        stack.stop();
        return result;
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
    result
}

pub async fn baseline(
    sc: &Scenario,
    data: &CatalogData,
    polls: usize,
) -> Result<RunResult, String> {
    // A fresh emulator with the same tables, TTL and streams as the stack's.
    let emu = emulator::Emulator::memory().map_err(|e| e.to_string())?;
    emu.create_tables(&emulator::Template::builtin().map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let config = config(sc);
    let db = shared::store::Db::new(emu.client(), config.tables.clone());
    let app = App::new(db, std::sync::Arc::new(shared::clock::SystemClock), config);
    app.db.load_catalog(data).await.map_err(|e| e.to_string())?;
    fill_hall(&app, sc).await?;
    let ops = Ops::Direct(app.clone());
    let rec = Recorder::default();
    let fans = journey::join(&ops, &rec, sc, "base").await;
    // Admission is the activator's, not a request's: done between phases.
    while shared::jobs::activator::round(&app)
        .await
        .map_err(|e| e.to_string())?
        .admitted
        > 0
    {}
    journey::poll_times(&ops, &rec, sc, &fans, polls).await;
    journey::browse(&ops, &rec, sc, &fans).await;
    journey::charge(&ops, &rec, sc, &fans).await;
    let fans = journey::reserve(&ops, &rec, sc, fans).await;
    let sold = journey::pay(&ops, &rec, sc, &fans).await;
    let result = finish(&app, &rec, sold, polls, Vec::new()).await;
    emu.stop();
    result
}

//! `--soak SECONDS`: sustained hold traffic against a file-backed local
//! stack, as a user load-testing locally would run it, reporting
//! throughput per minute. The stack must keep its speed: the last minute
//! at ≥ 80% of the first (dynoxide's stream log is indexed and trimmed by
//! the local stack; without that, each write slowed as records piled up).
//!
//! A warm-up minute comes first and is reported apart: until the first
//! holds lapse (10 s) and the first TTL sweep finds them, a cold stack
//! does none of the lapse work every later minute carries, so its first
//! minute is not the sustained rate.

use crate::error::{unexpected, Error};
use crate::stack::local_client;
use crate::stack::Running;
use client::Client;
use serde_json::json;
use shared::config::{Config, Tables};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FANS: usize = 2_000;
const WORKERS: usize = 16;
const SEATS: u64 = 20_000;
const WARMUP: Duration = Duration::from_secs(60);
/// Each minute is also shown in slices, so a dip is seen when it happens.
const SLICE_SECONDS: u64 = 10;
const SLICES: usize = (60 / SLICE_SECONDS) as usize;

/// One measured minute's answers.
#[derive(Default)]
struct Minute {
    /// Hold requests answered 201 or 409, per slice.
    answered: [AtomicUsize; SLICES],
    /// Holds made (201s).
    made: AtomicUsize,
}

impl Minute {
    fn requests(&self) -> usize {
        self.answered
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .sum()
    }
}

/// Runs the soak; `Ok(true)` when throughput held up.
pub async fn run(seconds: u64) -> Result<bool, Error> {
    let config = devkit::patient(Config {
        tables: Tables::default(),
        queue_max_active: FANS as u32,
        queue_tick_seconds: 1,
        queue_active_seconds: 3 * 3600,
        // Short holds, so seats come back and TTL deletions feed the stream too.
        hold_seconds: 10,
        ..Config::default()
    });
    let (stack, dir) = Running::on_file("soak", Duration::from_millis(1000), config)?;
    stack.app.db.load_catalog(&crate::catalog(SEATS)).await?;
    let client = local_client(&stack.url)?;
    let fans = admitted_fans(&client, &stack).await?;
    let minutes = seconds.div_ceil(60).max(1) as usize;
    let per_minute: Arc<Vec<Minute>> = Arc::new((0..minutes).map(|_| Minute::default()).collect());
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let warmup = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let end = WARMUP + Duration::from_secs(seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let workers = (0..WORKERS).map(|_| {
        let (client, fans, per_minute) = (client.clone(), fans.clone(), per_minute.clone());
        let (next, unexpected, warmup) = (next.clone(), unexpected.clone(), warmup.clone());
        tokio::spawn(async move {
            while started.elapsed() < end {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (user, token) = &fans[i % fans.len()];
                let seat = rand::random::<u64>() % SEATS + 1;
                let body = json!({"userId": user, "concertId": crate::ops::CONCERT,
                    "scheduleId": crate::ops::SCHEDULE, "seatId": seat});
                let answer = client
                    .call("POST", "/reservations", Some(token), Some(&body), None)
                    .await;
                let measured = started.elapsed().checked_sub(WARMUP);
                record(answer, measured, &per_minute, &warmup, &unexpected);
            }
        })
    });
    // Marks the measured window among the stack's own logs (RUST_LOG).
    let announce = tokio::spawn(async move {
        tokio::time::sleep_until((started + WARMUP).into()).await;
        println!("soak: warm-up over, measuring {seconds} s");
    });
    for w in futures::future::join_all(workers).await {
        w?;
    }
    announce.abort();
    let audit = devkit::audit::audit(&stack.app.db, stack.app.now_ms()).await?;
    let log_records = stream_log_len(&dir);
    stack.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let warmup = warmup.load(Ordering::Relaxed);
    report(
        &per_minute,
        warmup,
        seconds,
        &unexpected,
        &audit,
        log_records,
    )
}

/// Counts one hold attempt's answer: in the warm-up, in its minute's
/// slice (and as a hold made when it is one), or as unexpected.
fn record(
    answer: Result<client::Answer, client::ClientError>,
    measured: Option<Duration>,
    per_minute: &[Minute],
    warmup: &AtomicUsize,
    unexpected: &Mutex<Vec<String>>,
) {
    let status = match answer {
        Ok(a) if a.status == 201 || a.status == 409 => a.status,
        Ok(a) => {
            return unexpected
                .lock()
                .map(|mut u| u.push(a.status.to_string()))
                .unwrap_or(())
        }
        Err(e) => {
            return unexpected
                .lock()
                .map(|mut u| u.push(e.to_string()))
                .unwrap_or(())
        }
    };
    let Some(t) = measured else {
        warmup.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if let Some(m) = per_minute.get((t.as_secs() / 60) as usize) {
        let slice = (t.as_secs() % 60 / SLICE_SECONDS) as usize;
        m.answered[slice].fetch_add(1, Ordering::Relaxed);
        if status == 201 {
            m.made.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `FANS` users joined and admitted, with their tokens.
async fn admitted_fans(client: &Client, stack: &Running) -> Result<Vec<(String, String)>, Error> {
    let ops = crate::ops::Ops::Http(Box::new(client.clone()));
    let mut fans = Vec::with_capacity(FANS);
    for i in 0..FANS {
        let user = format!("soak{i}");
        let joined = ops.join(&user).await;
        let token = joined
            .value
            .ok_or_else(|| unexpected(format!("join: {}", joined.status)))?;
        fans.push((user, token));
    }
    while stack
        .activator
        .round(&stack.app)
        .await?
        .is_some_and(|r| r.admitted > 0)
    {}
    Ok(fans)
}

fn stream_log_len(dir: &std::path::Path) -> Option<usize> {
    let file = dir.join("dynamodb.sqlite");
    let log = emulator::streamlog::StreamLog::open(&file.to_string_lossy()).ok()?;
    log.len("ReservationsTable").ok()
}

fn report(
    per_minute: &[Minute],
    warmup: usize,
    seconds: u64,
    unexpected: &Mutex<Vec<String>>,
    audit: &devkit::audit::Audit,
    log_records: Option<usize>,
) -> Result<bool, Error> {
    let counts: Vec<usize> = per_minute.iter().map(Minute::requests).collect();
    println!(
        "soak: {} s warm-up + {seconds} s, {WORKERS} workers, {FANS} fans, {SEATS} seats, 10 s holds",
        WARMUP.as_secs()
    );
    let per_second = |n: usize| n as f64 / WARMUP.as_secs_f64();
    println!(
        "  warm-up:   {warmup:>7} hold requests ({:.0}/s, no hold lapsed yet)",
        per_second(warmup)
    );
    for (i, (n, minute)) in counts.iter().zip(per_minute).enumerate() {
        let slices: Vec<String> = minute
            .answered
            .iter()
            .map(|s| {
                format!(
                    "{:.0}",
                    s.load(Ordering::Relaxed) as f64 / SLICE_SECONDS as f64
                )
            })
            .collect();
        println!(
            "  minute {:>2}: {:>7} hold requests ({:.0}/s; per {SLICE_SECONDS} s: {}), {} holds made",
            i + 1,
            n,
            *n as f64 / 60.0,
            slices.join(" "),
            minute.made.load(Ordering::Relaxed)
        );
    }
    // A partial last minute is not compared.
    let full: Vec<usize> = counts
        .iter()
        .copied()
        .take((seconds / 60) as usize)
        .collect();
    let ratio = match (full.first(), full.last()) {
        (Some(&first), Some(&last)) if first > 0 => last as f64 / first as f64,
        _ => 0.0,
    };
    let unexpected = unexpected.lock().map(|u| u.clone()).unwrap_or_default();
    println!("  last full minute ÷ first: {ratio:.2} (target ≥ 0.80)");
    if let (Some(&last), true) = (full.last(), warmup > 0) {
        println!(
            "  last full minute ÷ warm-up: {:.2}",
            last as f64 / warmup as f64 * WARMUP.as_secs_f64() / 60.0
        );
    }
    println!("  unexpected answers: {}", unexpected.len());
    println!("  stream log records left: {log_records:?}");
    println!("  audit violations: {}", audit.violations.len());
    Ok(ratio >= 0.8 && unexpected.is_empty() && audit.violations.is_empty())
}

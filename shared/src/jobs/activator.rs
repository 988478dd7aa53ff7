//! Admission rounds: fill every free slot with the earliest waiting tokens.
//!
//! Correctness lives in [`Db::activate`](crate::store::Db::activate)'s
//! transaction (a slot is taken only while free, a token admitted only
//! while still waiting), so overlapping rounds can never exceed the slot
//! count or admit a token twice.

use crate::app::App;
use crate::domain::queue::{idle, Line, TokenState};
use crate::store::queue::Waiting;
use crate::store::StoreError;
use futures::stream::{self, StreamExt};
use std::collections::BTreeSet;
use std::time::Duration;

/// Transactions in flight at once within one round: at 15–30 ms per
/// transaction on AWS, 2,000–4,000 admissions a second (SPEC §10 asks 2,000).
const PARALLEL_ADMISSIONS: usize = 64;

/// What one round did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    pub free_slots: usize,
    pub admitted: usize,
    /// Waiting tokens ended for want of a poll in `QUEUE_IDLE_SECONDS`.
    pub skipped: usize,
    /// ACTIVE tokens ended, their slots freed: no request for
    /// `QUEUE_ACTIVE_IDLE_SECONDS` and no seat held.
    pub released: usize,
}

pub async fn round(app: &App) -> Result<Round, StoreError> {
    let now = app.now_ms();
    // The organiser's control, read every round: pausing and resizing
    // take effect at the next round, with no redeploy.
    let control = app.db.queue_control().await?;
    if control.paused == Some(true) {
        return Ok(Round::default());
    }
    let max = control.max_active.unwrap_or(app.config.queue_max_active);
    let released = release_idle(app, now).await?;
    let sizing = free_slots(app, now, max).await?;
    if sizing.is_empty() {
        return Ok(Round {
            released,
            ..Round::default()
        });
    }
    let (waiting, skipped) = candidates(app, sizing.len(), now).await?;
    // Slots are read again after the waiting list: a round that overlaps
    // another then fills only what is still free, with the earliest tokens
    // that were waiting, so nobody is admitted ahead of an earlier arrival.
    let free = free_slots(app, now, max).await?;
    let until = now + app.config.queue_active_seconds * 1000;
    let chosen: Vec<(Waiting, u32)> = waiting.into_iter().zip(free.iter().copied()).collect();
    let results: Vec<Result<bool, StoreError>> = stream::iter(chosen)
        .map(|(w, slot)| {
            let db = app.db.clone();
            async move { db.activate(&w, slot, now, until).await }
        })
        .buffer_unordered(PARALLEL_ADMISSIONS)
        .collect()
        .await;
    let mut admitted = 0;
    for r in results {
        admitted += usize::from(r?);
    }
    if admitted + skipped > 0 {
        // Positions count everyone who has left the line ahead: admitted
        // or skipped; the pace, only those admitted.
        app.db
            .add_admitted(
                app.config.queue_shards,
                Line {
                    admitted: (admitted + skipped) as u64,
                    free: Some(free.len().saturating_sub(admitted) as u64),
                    per_minute: admitted as u64 * 60 / app.config.queue_tick_seconds.max(1),
                },
            )
            .await?;
    }
    Ok(Round {
        free_slots: free.len(),
        admitted,
        skipped,
        released,
    })
}

/// Frees the slots of ACTIVE fans who have made no request for
/// `QUEUE_ACTIVE_IDLE_SECONDS` and hold no seat (they left), so the line
/// moves without waiting out their windows. Only tokens admitted at least
/// that long ago are read; every end is conditional on nothing having
/// moved since (a request, a hold).
async fn release_idle(app: &App, now: i64) -> Result<usize, StoreError> {
    let cutoff = now - app.config.queue_active_idle_seconds * 1000;
    let window = app.config.queue_active_seconds * 1000;
    let ids: Vec<String> = app
        .db
        .slots(u32::MAX)
        .await?
        .into_iter()
        .filter(|s| s.until > now && s.until - window <= cutoff)
        .filter_map(|s| s.token_id)
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let mut released = 0;
    for t in app.db.tokens(&ids).await? {
        let idle = t.state_at(now) == TokenState::Active && t.seen_at() <= cutoff;
        if idle && !t.holds_a_seat(now) {
            released += usize::from(app.db.release_idle(&t, cutoff, now).await?);
        }
    }
    Ok(released)
}

/// Rounds of skipping one round may make before it admits what it has:
/// a line whose head was abandoned still moves at once.
const SKIP_PASSES: usize = 4;

/// The `limit` earliest waiting tokens still wanted, having ended the
/// abandoned ones in front of them; and how many were ended.
async fn candidates(
    app: &App,
    limit: usize,
    now: i64,
) -> Result<(Vec<Waiting>, usize), StoreError> {
    let mut skipped = 0;
    for _ in 1..SKIP_PASSES {
        let (live, ended) = skip_idle(app, earliest_waiting(app, limit).await?, now).await?;
        skipped += ended;
        if ended == 0 || live.len() >= limit {
            return Ok((live, skipped));
        }
    }
    let (live, ended) = skip_idle(app, earliest_waiting(app, limit).await?, now).await?;
    Ok((live, skipped + ended))
}

/// Ends the candidates nobody has polled for `QUEUE_IDLE_SECONDS` (an
/// abandoned or squatted place) and returns the others in order, with the
/// count ended. The index's copy of a mark may be behind (an index is
/// eventually consistent): the end is conditional on the token itself
/// being that idle, and a token it spares stays a candidate.
async fn skip_idle(
    app: &App,
    waiting: Vec<Waiting>,
    now: i64,
) -> Result<(Vec<Waiting>, usize), StoreError> {
    let idle_seconds = app.config.queue_idle_seconds;
    let cutoff = now - idle_seconds * 1000;
    let (mut live, mut skipped) = (Vec::with_capacity(waiting.len()), 0);
    for w in waiting {
        if idle(w.seen_at(), now, idle_seconds) && app.db.skip_idle(&w, cutoff, now).await? {
            skipped += 1;
        } else {
            live.push(w);
        }
    }
    Ok((live, skipped))
}

/// Admission slots below `max` free at `now_ms`.
async fn free_slots(app: &App, now_ms: i64, max: u32) -> Result<Vec<u32>, StoreError> {
    let taken: BTreeSet<u32> = app
        .db
        .slots(max)
        .await?
        .into_iter()
        .filter(|s| s.slot < max && s.until > now_ms)
        .map(|s| s.slot)
        .collect();
    Ok((0..max).filter(|k| !taken.contains(k)).collect())
}

/// The `limit` earliest waiting tokens. Each shard's waiting index is in
/// arrival order; merging the heads of all shards gives the earliest
/// arrivals overall, ties by ticket.
async fn earliest_waiting(app: &App, limit: usize) -> Result<Vec<Waiting>, StoreError> {
    let mut waiting: Vec<Waiting> = Vec::new();
    for shard in 0..app.config.queue_shards {
        waiting.extend(app.db.waiting(shard, limit).await?);
    }
    waiting.sort_by_key(|w| (w.issued_at, w.ticket));
    waiting.truncate(limit);
    Ok(waiting)
}

/// Runs rounds every `QUEUE_TICK_SECONDS` for `budget`. EventBridge starts
/// the activator at most once a minute, so each invocation works through
/// its minute in short steps.
pub async fn run_for(app: &App, budget: Duration) -> Result<usize, StoreError> {
    let tick = Duration::from_secs(app.config.queue_tick_seconds);
    let started = tokio::time::Instant::now();
    let mut admitted = 0;
    loop {
        let r = round(app).await?;
        admitted += r.admitted;
        tracing::info!(
            free = r.free_slots,
            admitted = r.admitted,
            "admission round"
        );
        if started.elapsed() + tick > budget {
            return Ok(admitted);
        }
        tokio::time::sleep(tick).await;
    }
}

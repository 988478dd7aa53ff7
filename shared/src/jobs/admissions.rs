//! Admission for every room at once (SPEC §12): one [`Activator`] per room,
//! each with its own lease, slots and line, all run side by side every
//! round, so a stadium's line never slows a club's.

use super::activator::{log_round, Activator, Round};
use crate::app::App;
use crate::domain::room::{RoomId, DEFAULT_ROOM};
use crate::store::StoreError;
use futures::future::join_all;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One process's activators, by room: made as rooms appear, kept between
/// rounds (each keeps its lease and its count of its line).
#[derive(Debug)]
pub struct Admissions {
    name: u64,
    rooms: Mutex<BTreeMap<RoomId, Arc<Activator>>>,
}

impl Admissions {
    pub fn new(entropy: &dyn crate::domain::ids::Entropy) -> Self {
        let name = entropy.next_u64();
        let default = Arc::new(Activator::named(name, DEFAULT_ROOM));
        Admissions {
            name,
            rooms: Mutex::new(BTreeMap::from([(DEFAULT_ROOM, default)])),
        }
    }

    /// The activator of a room (made on first use).
    pub fn room(&self, room: RoomId) -> Result<Arc<Activator>, StoreError> {
        let mut rooms = self.rooms.lock().map_err(StoreError::failed)?;
        let a = rooms
            .entry(room)
            .or_insert_with(|| Arc::new(Activator::named(self.name, room)));
        Ok(Arc::clone(a))
    }

    /// One round in every room, side by side: each room's round, or None
    /// where another process holds that room's lease. Every room runs even
    /// when one fails; the first failure is returned after.
    pub async fn round(&self, app: &App) -> Result<Vec<(RoomId, Option<Round>)>, StoreError> {
        let mut ids = vec![DEFAULT_ROOM];
        ids.extend(app.db.rooms().await?);
        let activators = ids
            .iter()
            .map(|id| self.room(*id))
            .collect::<Result<Vec<_>, _>>()?;
        let rounds = join_all(activators.iter().map(|a| Box::pin(a.round(app)))).await;
        let mut done = Vec::with_capacity(rounds.len());
        let mut failed = None;
        for (id, r) in ids.into_iter().zip(rounds) {
            match r {
                Ok(r) => done.push((id, r)),
                Err(e) => {
                    tracing::error!(room = id, error = %e, "admission round failed");
                    failed = failed.or(Some(e));
                }
            }
        }
        failed.map_or(Ok(done), Err)
    }

    /// Runs rounds every `QUEUE_TICK_SECONDS` for `budget`, then lets the
    /// leases go. EventBridge starts the activator at most once a minute,
    /// so each invocation works through its minute in short steps.
    pub async fn run_for(&self, app: &App, budget: Duration) -> Result<usize, StoreError> {
        let tick = Duration::from_secs(app.config.queue_tick_seconds);
        let started = tokio::time::Instant::now();
        let (mut admitted, mut rounds, mut failures) = (0, 0, 0);
        loop {
            rounds += 1;
            // A failed round is logged and the next one runs: one throttled
            // call must not stop a minute of admissions.
            match Box::pin(self.round(app)).await {
                Ok(done) => admitted += log_rounds(&done),
                Err(_) => failures += 1,
            }
            if started.elapsed() + tick > budget {
                break;
            }
            tokio::time::sleep(tick).await;
        }
        let all: Vec<Arc<Activator>> = match self.rooms.lock() {
            Ok(rooms) => rooms.values().cloned().collect(),
            Err(_) => Vec::new(),
        };
        join_all(all.iter().map(|a| a.let_go(app))).await;
        if let Ok(totals) = app
            .db
            .line_totals(DEFAULT_ROOM, app.config.queue_shards)
            .await
        {
            crate::counters::waiting(totals.waiting());
        }
        // A minute in which no round worked fails the invocation, so the
        // function's Errors metric (and its alarm) sees it.
        if failures == rounds {
            return Err(StoreError::failed(format!(
                "all {rounds} admission rounds failed"
            )));
        }
        Ok(admitted)
    }
}

/// Logs each room's round; the admissions of all.
fn log_rounds(done: &[(RoomId, Option<Round>)]) -> usize {
    let mut admitted = 0;
    for (room, r) in done {
        match r {
            Some(r) => {
                admitted += r.admitted;
                log_round(*room, r);
            }
            None => tracing::info!(room, "another activator holds the lease: standing by"),
        }
    }
    admitted
}

//! Admission for every room at once (SPEC §12): one [`Activator`] per room,
//! each with its own lease, slots and line, all run side by side every
//! round, so a stadium's line never slows a club's.

use super::activator::{log_round, Activator, Round};
use super::fanout::RoomStarter;
use crate::app::App;
use crate::domain::room::{RoomId, DEFAULT_ROOM};
use crate::store::StoreError;
use futures::future::join_all;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The rooms a process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every room (the local stack).
    All,
    /// The default room only (AWS: each room has its own invocation).
    Default,
    /// One room (AWS: that room's invocation).
    Room(RoomId),
}

/// The function role that serves one room for a minute.
pub const ROOM_ACTIVATOR: &str = "room-activator";

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

    /// One round in every room, side by side (the local stack's step).
    pub async fn round(&self, app: &App) -> Result<Vec<(RoomId, Option<Round>)>, StoreError> {
        self.round_in(app, Scope::All).await
    }

    /// One round in each room of `scope`, side by side: each room's round,
    /// or None where another process holds that room's lease. Every room
    /// runs even when one fails; the first failure is returned after.
    pub async fn round_in(
        &self,
        app: &App,
        scope: Scope,
    ) -> Result<Vec<(RoomId, Option<Round>)>, StoreError> {
        let ids = match scope {
            Scope::Default => vec![DEFAULT_ROOM],
            Scope::Room(id) => vec![id],
            Scope::All => {
                let mut ids = vec![DEFAULT_ROOM];
                ids.extend(app.db.rooms().await?);
                ids
            }
        };
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

    /// The scheduled activator's minute: with a room activator function
    /// (AWS), one invocation started per room and the default room served
    /// here; without, every room served here.
    pub async fn minute(&self, app: &App, budget: Duration) -> Result<usize, StoreError> {
        let Some(function) = &app.config.room_activator_function else {
            return self.run_for(app, budget, Scope::All).await;
        };
        let rooms = app.db.rooms().await?;
        match RoomStarter::from_env(function).await {
            Ok(starter) => {
                let started = starter.start_all(&rooms).await?;
                tracing::info!(rooms = rooms.len(), started, "room activators started");
            }
            Err(e) => tracing::error!(error = %e, "no room activator started this minute"),
        }
        self.run_for(app, budget, Scope::Default).await
    }

    /// Runs rounds in `scope` every `QUEUE_TICK_SECONDS` for `budget`, then
    /// lets the leases go; a single room with nothing to do (nobody
    /// waiting, or its opening minutes away) ends early. EventBridge starts
    /// the activator at most once a minute, so each invocation works
    /// through its minute in short steps.
    pub async fn run_for(
        &self,
        app: &App,
        budget: Duration,
        scope: Scope,
    ) -> Result<usize, StoreError> {
        let tick = Duration::from_secs(app.config.queue_tick_seconds);
        let started = tokio::time::Instant::now();
        let (mut admitted, mut rounds, mut failures) = (0, 0, 0);
        loop {
            rounds += 1;
            // A failed round is logged and the next one runs: one throttled
            // call must not stop a minute of admissions.
            let idle = match Box::pin(self.round_in(app, scope)).await {
                Ok(done) => {
                    admitted += log_rounds(&done);
                    done.iter().all(|(_, r)| r.as_ref().is_some_and(|r| r.idle))
                }
                Err(_) => {
                    failures += 1;
                    false
                }
            };
            let alone = matches!(scope, Scope::Room(_));
            if (alone && idle) || started.elapsed() + tick > budget {
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

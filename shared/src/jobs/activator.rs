//! Admission rounds: fill every free slot with the earliest waiting tokens,
//! one room at a time (SPEC §12): each room has its own activator, lease,
//! slots and line, so rooms never wait on each other.
//!
//! Correctness lives in [`Db::activate`](crate::store::Db::activate)'s
//! transaction (a slot is taken only while free, a token admitted only
//! while still waiting), so overlapping rounds can never exceed the slot
//! count or admit a token twice. The line's count (positions, the pace)
//! is kept by one activator at a time: each round first holds the
//! activator's lease, and the count it publishes is fenced by the lease's
//! epoch, so a second activator (two overlapping invocations, a process
//! frozen past its lease) stands by instead of miscounting.

use crate::app::App;
use crate::domain::draw::DRAWN_BELOW;
use crate::domain::ids::Entropy;
use crate::domain::queue::{idle, line_key, Line, TokenState, TokenStatus};
use crate::domain::room::{inlet, Guard, RoomId, DEFAULT_ROOM};
use crate::store::lease::Lease;
use crate::store::queue::Waiting;
use crate::store::schema::queue::activator_lease;
use crate::store::StoreError;
use futures::stream::{self, StreamExt};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Transactions in flight at once within one round: at 15–30 ms per
/// transaction on AWS, 2,000–4,000 admissions a second (SPEC §10 asks 2,000).
const PARALLEL_ADMISSIONS: usize = 64;

/// A room whose opening is further away than this needs no activator yet.
const IDLE_BEFORE_OPENING_MS: i64 = 60_000;

/// A pre-queued fan is never ended as idle before this long after the
/// opening (SPEC §12): they were told to come back within 30 s of it.
const PREQUEUE_GRACE_MS: i64 = 60_000;

/// A held lease lasts this many ticks past a round's start: a holder that
/// stops is replaced within seconds. A round that outlasts it is harmless:
/// its holder takes the lease again as its own successor (or, if another
/// took it meanwhile, its count is fenced out).
const LEASE_TICKS: u64 = 3;

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
    /// Why nobody could be admitted this round, if so.
    pub held: Option<Held>,
    /// Nothing for the room's activator to do: nobody waits, or its
    /// opening is more than a minute away.
    pub idle: bool,
}

/// Why a round admitted nobody though it could have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    NotOpen,
    Paused,
    Guard,
    SoldOut,
}

/// A room's admission settings as a round reads them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    max_active: u32,
    admit_per_second: Option<u32>,
    opens_at: Option<i64>,
    paused: bool,
    guard: Guard,
    sold_out: bool,
}

/// One process's activator: its name in the lease, the lease it holds and
/// its count of the line. Made once per process (a Lambda cold start, the
/// local stack's timer) and kept between rounds.
#[derive(Debug)]
pub struct Activator {
    me: String,
    room: RoomId,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    lease: Option<Lease>,
    line: Option<LineCount>,
    /// The inlet's fraction of an admission left over, and when the last
    /// round's admission ran.
    carry: f64,
    last_round: Option<i64>,
}

/// The waiting line as this activator knows it: everyone who has left it
/// (admitted or skipped), the slots the last admitting round left free,
/// its pace, and whether every counter shard has all that yet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct LineCount {
    line: Line,
    published: bool,
    /// Tokens whose admission or skip failed without an answer: it may
    /// have applied. Each is read again until its fate is known.
    uncertain: Vec<String>,
}

impl Activator {
    /// The default room's activator.
    pub fn new(entropy: &dyn Entropy) -> Self {
        Self::named(entropy.next_u64(), DEFAULT_ROOM)
    }

    /// The activator of `room` in the process called `name`.
    pub fn named(name: u64, room: RoomId) -> Self {
        Activator {
            me: format!("{name:016x}"),
            room,
            state: Mutex::default(),
        }
    }

    pub fn room(&self) -> RoomId {
        self.room
    }

    /// One admission round, or None while another activator holds the lease.
    pub async fn round(&self, app: &App) -> Result<Option<Round>, StoreError> {
        let Some(epoch) = self.hold_lease(app).await? else {
            return Ok(None);
        };
        let Some(settings) = self.settings(app).await? else {
            return Ok(Some(Round::default()));
        };
        // Before anyone is admitted: the count every admission adds to,
        // with the fates of earlier admissions that ended without an answer.
        self.know_line(app, settings).await?;
        self.settle(app).await?;
        let outcome = Box::pin(self.admission(app, settings)).await;
        // Whatever happened, the line's count is written if it changed, so
        // positions never drift; a write that fails is done by the next round.
        let published = self.publish(app, epoch).await;
        let round = outcome?;
        published?;
        Ok(Some(round))
    }

    /// The lease's epoch if this activator holds the lease now (extended
    /// or newly taken), None while another does. A lease taken after
    /// someone else's tenure starts the count afresh from the shards.
    async fn hold_lease(&self, app: &App) -> Result<Option<u64>, StoreError> {
        let now = app.now_ms();
        let until = now + (app.config.queue_tick_seconds * LEASE_TICKS * 1000) as i64;
        let held = self.lock()?.lease;
        if let Some(lease) = held {
            if app
                .db
                .extend_lease(&activator_lease(self.room), &self.me, lease, now, until)
                .await?
            {
                self.lock()?.lease = Some(Lease { until, ..lease });
                return Ok(Some(lease.epoch));
            }
        }
        let taken = app
            .db
            .take_lease(&activator_lease(self.room), &self.me, now, until)
            .await?;
        let mut state = self.lock()?;
        state.lease = taken;
        // Nobody held it between our tenures: what we know still holds.
        let successor = held.map(|h| h.epoch + 1);
        if taken.is_some_and(|t| Some(t.epoch) != successor) {
            state.line = None;
        }
        Ok(taken.map(|t| t.epoch))
    }

    /// Ends this activator's lease, so the next invocation's activator
    /// (perhaps another process) takes it at once.
    pub async fn let_go(&self, app: &App) {
        let Ok(Some(lease)) = self.lock().map(|s| s.lease) else {
            return;
        };
        let now = app.now_ms();
        if let Err(e) = app
            .db
            .extend_lease(&activator_lease(self.room), &self.me, lease, now, now)
            .await
        {
            tracing::warn!(error = %e, "the activator's lease runs out instead");
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        self.state.lock().map_err(StoreError::failed)
    }

    /// The organiser's settings of this activator's room, read every
    /// round: pausing and resizing take effect at the next round, with no
    /// redeploy. None when the room is gone.
    async fn settings(&self, app: &App) -> Result<Option<Settings>, StoreError> {
        if self.room == DEFAULT_ROOM {
            let control = app.db.queue_control().await?;
            return Ok(Some(Settings {
                max_active: control.max_active.unwrap_or(app.config.queue_max_active),
                admit_per_second: None,
                opens_at: None,
                paused: control.paused == Some(true),
                guard: Guard::Auto,
                sold_out: false,
            }));
        }
        let Some(room) = app.db.room(self.room).await? else {
            return Ok(None);
        };
        let sold_out = sold_out(app, self.room).await?;
        if sold_out != room.sold_out {
            app.db.set_sold_out(self.room, sold_out).await?;
            tracing::info!(room = self.room, sold_out, "room sold out changed");
        }
        Ok(Some(Settings {
            max_active: room.max_active,
            admit_per_second: room.admit_per_second,
            opens_at: Some(room.opens_at),
            paused: room.paused,
            guard: room.guard,
            sold_out,
        }))
    }

    /// Why this round may admit nobody, if so.
    async fn held(&self, app: &App, s: Settings, now: i64) -> Result<Option<Held>, StoreError> {
        Ok(if s.opens_at.is_some_and(|at| now < at) {
            Some(Held::NotOpen)
        } else if s.paused {
            Some(Held::Paused)
        } else if s.sold_out {
            Some(Held::SoldOut)
        } else if s.guard == Guard::Auto && app.db.guard_holding().await? {
            Some(Held::Guard)
        } else {
            None
        })
    }

    /// How many this round may admit: the free slots, within the inlet's
    /// rate (its fraction carried to the next round).
    fn allowance(
        &self,
        app: &App,
        s: Settings,
        now: i64,
        free: usize,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock()?;
        let elapsed = state.last_round.map_or(0, |at| now - at);
        let most = 2 * 1000 * app.config.queue_tick_seconds as i64;
        let first = state.last_round.is_none() && s.admit_per_second.is_some();
        // The first round of a rate-limited room admits one tick's worth.
        let elapsed = if first { most / 2 } else { elapsed };
        let (allowed, carry) = inlet(s.admit_per_second, elapsed, most, state.carry);
        state.carry = carry;
        state.last_round = Some(now);
        Ok(free.min(usize::try_from(allowed).unwrap_or(usize::MAX)))
    }

    /// One round's admissions, as the room's settings allow.
    async fn admission(&self, app: &App, settings: Settings) -> Result<Round, StoreError> {
        let now = app.now_ms();
        if let Some(held) = self.held(app, settings, now).await? {
            if held != Held::NotOpen {
                tracing::info!(room = self.room, ?held, "admission held");
            }
            self.lock()?.last_round = Some(now);
            let far = settings
                .opens_at
                .is_some_and(|at| at - now > IDLE_BEFORE_OPENING_MS);
            return Ok(Round {
                held: Some(held),
                idle: held == Held::NotOpen && far,
                ..Round::default()
            });
        }
        let max = settings.max_active;
        let released = release_idle(app, self.room, now).await?;
        let sizing = free_slots(app, self.room, now, max).await?;
        let allowed = self.allowance(app, settings, now, sizing.len())?;
        if allowed == 0 {
            return Ok(Round {
                released,
                ..Round::default()
            });
        }
        let grace_until = settings.opens_at.map_or(0, |at| at + PREQUEUE_GRACE_MS);
        let (waiting, skipped) = self.candidates(app, allowed, now, grace_until).await?;
        let idle = waiting.is_empty() && skipped == 0;
        let (admitted, free, failed) = self.admit(app, waiting, skipped, now, max).await;
        crate::counters::admitted(admitted);
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(Round {
            free_slots: free,
            admitted,
            skipped,
            released,
            held: None,
            idle,
        })
    }

    /// Reads the line's count from the counter shards on this activator's
    /// first round of a tenure (afterwards it is kept here), and a room's
    /// pre-queue once it has opened: nobody joins it any more.
    async fn know_line(&self, app: &App, settings: Settings) -> Result<(), StoreError> {
        let opened = settings.opens_at.is_some_and(|at| app.now_ms() >= at);
        let known = self
            .lock()?
            .line
            .as_ref()
            .map(|k| k.line.prequeued.is_some());
        if known == Some(true) || (known == Some(false) && !opened) {
            return Ok(());
        }
        let totals = app
            .db
            .line_totals(self.room, app.config.queue_shards)
            .await?;
        let mut state = self.lock()?;
        let k = state.line.get_or_insert(LineCount {
            line: Line {
                admitted: totals.left,
                entered: totals.admitted,
                ..Line::default()
            },
            published: true,
            uncertain: Vec::new(),
        });
        if opened {
            k.line.prequeued = Some(totals.pre);
            k.published = false;
        }
        Ok(())
    }

    /// Notes a token whose admission or skip may or may not have applied.
    fn uncertain(&self, token_id: &str) {
        if let Ok(mut state) = self.lock() {
            if let Some(k) = state.line.as_mut() {
                k.uncertain.push(token_id.to_string());
            }
        }
    }

    /// Reads each uncertain token: one no longer waiting has left the line
    /// (counted once); one still waiting was not touched. One that cannot be
    /// read yet stays uncertain.
    async fn settle(&self, app: &App) -> Result<(), StoreError> {
        let pending = match self.lock()?.line.as_mut() {
            Some(k) => std::mem::take(&mut k.uncertain),
            None => return Ok(()),
        };
        let mut failed = None;
        for token_id in pending {
            match app.db.token(&token_id).await {
                Ok(Some(t)) if t.status == TokenStatus::Wait => {}
                Ok(t) => self.note(
                    1,
                    usize::from(t.is_some_and(|t| t.active_at.is_some())),
                    None,
                ),
                Err(e) => {
                    self.uncertain(&token_id);
                    failed = failed.or(Some(e));
                }
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Counts `left` more fans out of the line (of them `entered`
    /// admitted, the rest skipped) and, for an admitting round, the slots
    /// it left free and its pace.
    fn note(&self, left: usize, entered: usize, free_and_pace: Option<(u64, u64)>) {
        if let Ok(mut state) = self.lock() {
            if let Some(k) = state.line.as_mut() {
                k.line.admitted += left as u64;
                k.line.entered += entered as u64;
                if let Some((free, pace)) = free_and_pace {
                    k.line.free = Some(free);
                    k.line.per_minute = pace;
                }
                // Free slots and pace go out with the next change of count.
                k.published &= left == 0;
            }
        }
    }

    /// Writes the line to every counter shard when it changed since the last
    /// write that reached them all, fenced by the lease's `epoch`. The count
    /// is written whole, so a write repeated after a timeout changes nothing.
    async fn publish(&self, app: &App, epoch: u64) -> Result<(), StoreError> {
        let due = match self.lock()?.line.as_ref() {
            Some(k) if !k.published => k.line,
            _ => return Ok(()),
        };
        app.db
            .publish_line(self.room, app.config.queue_shards, due, epoch)
            .await?;
        if let Ok(mut state) = self.lock() {
            if let Some(k) = state.line.as_mut().filter(|k| k.line == due) {
                k.published = true;
            }
        }
        Ok(())
    }

    /// Admits `waiting` into the slots still free: how many were admitted, how
    /// many slots were free, and the first failure if any admission failed.
    /// The round's pace counts the `skipped` too: the line moved by both.
    async fn admit(
        &self,
        app: &App,
        waiting: Vec<Waiting>,
        skipped: usize,
        now: i64,
        max: u32,
    ) -> (usize, usize, Option<StoreError>) {
        // Slots are read again after the waiting list: a round that overlaps
        // another then fills only what is still free, with the earliest tokens
        // that were waiting, so nobody is admitted ahead of an earlier arrival.
        let free = match free_slots(app, self.room, now, max).await {
            Ok(free) => free,
            Err(e) => return (0, 0, Some(e)),
        };
        let until = now + app.config.queue_active_seconds * 1000;
        let chosen: Vec<(Waiting, u32)> = waiting.into_iter().zip(free.iter().copied()).collect();
        let results: Vec<(String, Result<bool, StoreError>)> = stream::iter(chosen)
            .map(|(w, slot)| {
                let db = app.db.clone();
                async move { (w.token_id.clone(), db.activate(&w, slot, now, until).await) }
            })
            .buffer_unordered(PARALLEL_ADMISSIONS)
            .collect()
            .await;
        let mut admitted = 0;
        let mut failed = None;
        for (token_id, r) in results {
            match r {
                Ok(a) => admitted += usize::from(a),
                Err(e) => {
                    self.uncertain(&token_id);
                    failed = failed.or(Some(e));
                }
            }
        }
        let moved = (admitted + skipped) as u64;
        let pace = moved * 60 / app.config.queue_tick_seconds.max(1);
        let left_free = free.len().saturating_sub(admitted) as u64;
        self.note(admitted, admitted, Some((left_free, pace)));
        (admitted, free.len(), failed)
    }

    /// The `limit` earliest waiting tokens still wanted, having ended the
    /// abandoned ones in front of them; and how many were ended.
    async fn candidates(
        &self,
        app: &App,
        limit: usize,
        now: i64,
        grace_until: i64,
    ) -> Result<(Vec<Waiting>, usize), StoreError> {
        let mut skipped = 0;
        for _ in 1..SKIP_PASSES {
            let head = earliest_waiting(app, self.room, limit).await?;
            let (live, ended) = self.skip_idle(app, head, now, grace_until).await?;
            skipped += ended;
            if ended == 0 || live.len() >= limit {
                return Ok((live, skipped));
            }
        }
        let head = earliest_waiting(app, self.room, limit).await?;
        let (live, ended) = self.skip_idle(app, head, now, grace_until).await?;
        Ok((live, skipped + ended))
    }

    /// Ends the candidates nobody has polled for `QUEUE_IDLE_SECONDS` (an
    /// abandoned or squatted place) and returns the others in order, with the
    /// count ended. The index's copy of a mark may be behind (an index is
    /// eventually consistent): the end is conditional on the token itself
    /// being that idle, and a token it spares stays a candidate. A drawn
    /// fan is spared until `grace_until`.
    async fn skip_idle(
        &self,
        app: &App,
        waiting: Vec<Waiting>,
        now: i64,
        grace_until: i64,
    ) -> Result<(Vec<Waiting>, usize), StoreError> {
        let idle_seconds = app.config.queue_idle_seconds;
        let cutoff = now - idle_seconds * 1000;
        let (mut live, mut skipped) = (Vec::with_capacity(waiting.len()), 0);
        for w in waiting {
            let drawn = self.room != DEFAULT_ROOM && w.ticket < DRAWN_BELOW;
            let spared = drawn && now < grace_until;
            let ended = match !spared && idle(w.seen_at(), now, idle_seconds) {
                true => app.db.skip_idle(&w, cutoff, now).await.inspect_err(|_| {
                    self.uncertain(&w.token_id);
                })?,
                false => false,
            };
            if ended {
                self.note(1, 0, None);
                skipped += 1;
            } else {
                live.push(w);
            }
        }
        Ok((live, skipped))
    }
}

/// Frees the slots of ACTIVE fans who have made no request for
/// `QUEUE_ACTIVE_IDLE_SECONDS` and hold no seat (they left), so the line
/// moves without waiting out their windows. Only tokens admitted at least
/// that long ago are read; every end is conditional on nothing having
/// moved since (a request, a hold).
async fn release_idle(app: &App, room: RoomId, now: i64) -> Result<usize, StoreError> {
    let cutoff = now - app.config.queue_active_idle_seconds * 1000;
    let window = app.config.queue_active_seconds * 1000;
    let ids: Vec<String> = app
        .db
        .slots(room, u32::MAX)
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

/// Admission slots below `max` free at `now_ms`.
async fn free_slots(
    app: &App,
    room: RoomId,
    now_ms: i64,
    max: u32,
) -> Result<Vec<u32>, StoreError> {
    let taken: BTreeSet<u32> = app
        .db
        .slots(room, max)
        .await?
        .into_iter()
        .filter(|s| s.slot < max && s.until > now_ms)
        .map(|s| s.slot)
        .collect();
    Ok((0..max).filter(|k| !taken.contains(k)).collect())
}

/// The `limit` earliest waiting tokens of a room. Each shard's waiting
/// index is in line order (the drawn pre-queue by place, then arrivals);
/// merging the heads of all shards gives the head of the whole line.
async fn earliest_waiting(
    app: &App,
    room: RoomId,
    limit: usize,
) -> Result<Vec<Waiting>, StoreError> {
    let mut waiting: Vec<Waiting> = Vec::new();
    for shard in 0..app.config.queue_shards {
        waiting.extend(app.db.waiting(room, shard, limit).await?);
    }
    waiting.sort_by_key(|w| line_key(room, w.ticket, w.issued_at));
    waiting.truncate(limit);
    Ok(waiting)
}

/// Whether every schedule of the room's concert on sale has sold every
/// seat (from the seats-left records, as the schedule list reads them).
async fn sold_out(app: &App, concert_id: u64) -> Result<bool, StoreError> {
    use crate::domain::catalog::ScheduleStatus;
    let schedules: Vec<_> = app
        .db
        .list_schedules(concert_id)
        .await?
        .into_iter()
        .filter(|s| s.status == ScheduleStatus::Ready)
        .collect();
    if schedules.is_empty() {
        return Ok(false);
    }
    let blocks = app.db.cached_seat_blocks(&schedules).await?;
    Ok(schedules
        .iter()
        .zip(blocks)
        .all(|(s, b)| crate::domain::availability::sold_out(s.total_seats, &b)))
}

pub(crate) fn log_round(room: RoomId, r: &Round) {
    tracing::info!(
        room,
        free = r.free_slots,
        admitted = r.admitted,
        skipped = r.skipped,
        released = r.released,
        "admission round"
    );
}

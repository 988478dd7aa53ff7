//! After every step: the SPEC §4 invariants over all data, and the
//! promises the answers made — read past the fault injector, so a fault
//! armed for the next step is not spent on the checks.

use crate::steps::Sim;
use crate::Error;
use devkit::money_audit::{money_in_flight, money_source, provider_records};
use shared::domain::availability::available_seats;
use shared::domain::catalog::ScheduleStatus;
use shared::domain::money::TopupStatus;
use shared::domain::queue::{line_key, QueueToken, TokenState, TokenStatus};
use shared::domain::reservation::ReservationStatus;
use std::collections::BTreeMap;

/// A broken check: what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken(pub String);

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A check's verdict on the world now.
pub type Verdict = Result<(), Broken>;

/// `Ok(Err(check))` names the first broken check.
pub async fn all(sim: &mut Sim) -> Result<Verdict, Error> {
    if let Some(broken) = sim.broken.take() {
        return Ok(Err(Broken(broken)));
    }
    let checks = [
        audit(sim).await?,
        balances(sim).await?,
        admission(sim).await?,
        holds(sim).await?,
        money(sim, Phase::InFlight).await?,
        cancelled_dates(sim).await?,
        draw(sim).await?,
    ];
    Ok(checks.into_iter().find_map(Result::err).map_or(Ok(()), Err))
}

/// §4.1, 4.3, 4.6: no seat held or sold twice, balance = Σ ledger ≥ 0,
/// every payment one sale or one refund.
async fn audit(sim: &Sim) -> Result<Verdict, Error> {
    let a = devkit::audit::audit(&sim.world.clean, sim.latest).await?;
    Ok(if let Some(v) = a.violations.first() {
        Err(Broken(format!("audit: {v}")))
    } else if a.points_in_balances != a.points_in_ledger {
        Err(Broken(format!(
            "balances {} ≠ ledger {}",
            a.points_in_balances, a.points_in_ledger
        )))
    } else if a.payments != a.seats_sold + a.refunds {
        Err(Broken(format!(
            "{} payments ≠ {} sold + {} refunded",
            a.payments, a.seats_sold, a.refunds
        )))
    } else {
        Ok(())
    })
}

/// Every fan's balance is what the answers they got add up to; after an
/// answer that left it unknown (a 5xx) it is read back instead.
async fn balances(sim: &mut Sim) -> Result<Verdict, Error> {
    for fan in &mut sim.fans {
        let stored = sim
            .world
            .clean
            .balance(&fan.user)
            .await
            .map_err(|e| Error::Inspect(e.to_string()))?;
        if fan.unsure {
            // What the balance now holds counts as heard of.
            for t in fan.topups.iter_mut().filter(|t| !t.credited) {
                let done = sim.world.clean.topup(&t.order).await;
                let done = done.map_err(|e| Error::Inspect(e.to_string()))?;
                t.credited = done.is_some_and(|d| d.status == TopupStatus::Done);
            }
            fan.balance = stored;
            fan.unsure = false;
        } else if stored != fan.balance {
            return Ok(Err(Broken(format!(
                "{}: balance {stored}, the answers say {}",
                fan.user, fan.balance
            ))));
        }
    }
    Ok(Ok(()))
}

/// §4.4, §4.8: never more ACTIVE in a room than its `maxActive` (the
/// highest it has had: a lowered maximum lets admitted fans finish), and
/// nobody waiting ahead of anyone admitted (by the line's order: the
/// drawn pre-queue, then arrivals).
async fn admission(sim: &Sim) -> Result<Verdict, Error> {
    // The latest instant any host has seen: a clock stepped back must
    // not make an ended hold or window look live again.
    let now = sim.latest;
    let tokens = devkit::inspect::tokens(&sim.world.clean).await?;
    let mut by_room: BTreeMap<u64, Vec<&QueueToken>> = BTreeMap::new();
    for t in &tokens {
        by_room.entry(t.room).or_default().push(t);
    }
    for (room, tokens) in by_room {
        let most = match room {
            0 => sim.default_max,
            _ => sim.room_max_ever,
        };
        let active = tokens
            .iter()
            .filter(|t| t.state_at(now) == TokenState::Active)
            .count();
        if active > most as usize {
            return Ok(Err(Broken(format!(
                "room {room}: {active} ACTIVE, at most {most}"
            ))));
        }
        let key = |t: &QueueToken| line_key(room, t.ticket, t.issued_at);
        let last_in = tokens
            .iter()
            .filter(|t| t.active_at.is_some())
            .max_by_key(|t| key(t));
        let first_waiting = tokens
            .iter()
            .filter(|t| t.status == TokenStatus::Wait)
            .min_by_key(|t| key(t));
        if let (Some(last), Some(w)) = (last_in, first_waiting) {
            // Arrivals are ordered by the joining host's clock: one a
            // moment behind files a join that much earlier.
            let (l, k) = (key(last), key(w));
            let ahead = match (k.0, l.0) {
                (1, 1) => w.issued_at + sim.skew < last.issued_at,
                _ => k < l,
            };
            if ahead {
                return Ok(Err(Broken(format!(
                    "room {room}: {} waits ahead of someone admitted",
                    w.user_id
                ))));
            }
        }
    }
    Ok(Ok(()))
}

/// Every hold answered 201, neither paid nor let go since, is its seat's
/// hold until it ends (§4.1, §4.2); every ticket paid with a 201 is its
/// seat's sale to that fan.
async fn holds(sim: &Sim) -> Result<Verdict, Error> {
    // The latest instant any host has seen: a clock stepped back must
    // not make an ended hold or window look live again.
    let now = sim.latest;
    for fan in &sim.fans {
        // A cancelled date's holds are the job's to end.
        let live =
            |h: &&crate::model::Hold| h.until > now && !sim.cancelled.contains_key(&h.schedule);
        for h in fan.holds.iter().filter(live) {
            let seat = devkit::inspect::seat(&sim.world.clean, h.schedule, h.seat).await?;
            let theirs = seat.as_ref().is_some_and(|s| {
                s.hold_id == Some(h.reserve_id) || s.sold_reserve_id == Some(h.reserve_id)
            });
            if !theirs {
                return Ok(Err(Broken(format!(
                    "{}'s hold {} of seat {} (until {}) is not the seat's",
                    fan.user, h.reserve_id, h.seat, h.until
                ))));
            }
        }
        // Every 201 payment sold its seat to that fan, for as long as
        // they keep the ticket.
        let kept = |t: &&crate::model::Hold| !sim.cancelled.contains_key(&t.schedule);
        for t in fan.tickets.iter().filter(kept) {
            let seat = devkit::inspect::seat(&sim.world.clean, t.schedule, t.seat).await?;
            let sold = seat.as_ref().is_some_and(|s| {
                s.sold_reserve_id == Some(t.reserve_id) && s.sold_to.as_deref() == Some(&fan.user)
            });
            if !sold {
                return Ok(Err(Broken(format!(
                    "{}'s ticket {} is not seat {}'s sale",
                    fan.user, t.reserve_id, t.seat
                ))));
            }
        }
    }
    Ok(Ok(()))
}

/// Where §4.7 stands: amounts may be in flight, or every fault is off and
/// reconciliation has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    InFlight,
    Settled,
}

/// §4.7 against the provider's own records: in flight, never a point
/// credited before its charge nor a card given back more than was
/// debited; settled, equal sums per user.
pub async fn money(sim: &Sim, phase: Phase) -> Result<Verdict, Error> {
    let Some(sandbox) = &sim.world.sandbox else {
        return Ok(Ok(()));
    };
    let records = provider_records(sandbox);
    let db = &sim.world.clean;
    let violations = match phase {
        Phase::InFlight => money_in_flight(db, &records).await?,
        Phase::Settled => money_source(db, &records).await?,
    };
    Ok(match violations.first() {
        Some(v) => Err(Broken(format!("money ({phase:?}): {v}"))),
        None => Ok(()),
    })
}

/// The seats each schedule has taken at `now` by its reservations (one
/// scan): sold, or under a hold still running.
async fn taken(sim: &Sim, now: i64) -> Result<BTreeMap<u64, usize>, Error> {
    let mut taken = BTreeMap::new();
    for r in devkit::inspect::reservations(&sim.world.clean).await? {
        let holds_seat = match r.status {
            ReservationStatus::Complete => true,
            ReservationStatus::Temp => r.expires_at > now,
            _ => false,
        };
        if holds_seat {
            *taken.entry(r.schedule_id).or_insert(0) += 1;
        }
    }
    Ok(taken)
}

/// §6: once a date's cancellation is done, none of its seats is held or
/// sold, ever after.
async fn cancelled_dates(sim: &Sim) -> Result<Verdict, Error> {
    // The latest instant any host has seen: a clock stepped back must
    // not make an ended hold or window look live again.
    let now = sim.latest;
    for schedule in sim.cancelled.keys() {
        let status = sim.world.clean.schedule_now(*schedule).await;
        let status = status.map_err(|e| Error::Inspect(e.to_string()))?;
        if status.is_some_and(|s| s.status == ScheduleStatus::Cancelled) {
            let n = taken(sim, now).await?.get(schedule).copied().unwrap_or(0);
            if n > 0 {
                return Ok(Err(Broken(format!(
                    "schedule {schedule} is cancelled, yet {n} of its seats are taken"
                ))));
            }
        }
    }
    Ok(Ok(()))
}

/// With the seats-left queue empty and the stream read to its end, every
/// date on sale counts its seats left as they are (§6: the list may lag,
/// never stay wrong).
pub async fn seats_left(sim: &Sim) -> Result<Verdict, Error> {
    let now = sim.world.now();
    let taken = taken(sim, now).await?;
    for (id, ..) in crate::world::SCHEDULES {
        if sim.cancelled.contains_key(&id) {
            continue;
        }
        let db = &sim.world.clean;
        let inspect = |e: shared::store::StoreError| Error::Inspect(e.to_string());
        let Some(schedule) = db.schedule_now(id).await.map_err(inspect)? else {
            continue;
        };
        let records = db.seat_block_records(&schedule).await.map_err(inspect)?;
        let blocks: Vec<_> = records.into_iter().flatten().collect();
        let counted = available_seats(schedule.total_seats, &blocks, now) as usize;
        let left = schedule.total_seats as usize - taken.get(&id).copied().unwrap_or(0);
        if counted != left {
            return Ok(Err(Broken(format!(
                "schedule {id}: {counted} seats left counted, {left} left"
            ))));
        }
    }
    Ok(Ok(()))
}

/// §4.8 checked as anyone can, from outside: the seed the room reveals at
/// its opening hashes to the commitment it published before, every token
/// that joined before the opening holds the place HMAC-SHA256(seed,
/// tokenId) gives it, and every later one a place after them all (the
/// admission check then holds the line to these places).
async fn draw(sim: &Sim) -> Result<Verdict, Error> {
    use aws_lc_rs::{digest, hmac};
    let room = sim.world.clean.room(crate::world::ROOM_CONCERT).await;
    let Some(room) = room.map_err(|e| Error::Inspect(e.to_string()))? else {
        return Ok(Ok(()));
    };
    if room.seed_hash != sim.seed_hash {
        return Ok(Err(Broken(format!(
            "the room's commitment changed from {} to {}",
            sim.seed_hash, room.seed_hash
        ))));
    }
    let seed = from_hex(&room.seed);
    if hex(digest::digest(&digest::SHA256, &seed).as_ref()) != sim.seed_hash {
        return Ok(Err(Broken(
            "the seed does not hash to the commitment".into(),
        )));
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, &seed);
    let tokens = devkit::inspect::tokens(&sim.world.clean).await?;
    for t in tokens.iter().filter(|t| t.room == room.concert_id) {
        let tag = hmac::sign(&key, t.token_id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&tag.as_ref()[..8]);
        let drawn = u64::from_be_bytes(first) >> 12;
        let fair = match t.issued_at < room.opens_at {
            true => t.ticket == drawn,
            false => t.ticket >= 1 << 53,
        };
        if !fair {
            return Ok(Err(Broken(format!(
                "{}'s token joined at {} has place {}, the draw gives {drawn}",
                t.user_id, t.issued_at, t.ticket
            ))));
        }
    }
    Ok(Ok(()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

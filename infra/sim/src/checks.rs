//! After every step: the SPEC §4 invariants over all data, and the
//! promises the answers made — read past the fault injector, so a fault
//! armed for the next step is not spent on the checks.

use crate::steps::Sim;
use crate::Error;
use shared::domain::queue::{line_key, QueueToken, TokenState, TokenStatus};
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
    ];
    Ok(checks.into_iter().find_map(Result::err).map_or(Ok(()), Err))
}

/// §4.1, 4.3, 4.6: no seat held or sold twice, balance = Σ ledger ≥ 0,
/// every payment one sale or one refund.
async fn audit(sim: &Sim) -> Result<Verdict, Error> {
    let a = devkit::audit::audit(&sim.world.clean, sim.world.now()).await?;
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
    let now = sim.world.now();
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
            .map(|t| key(t))
            .max();
        let first_waiting = tokens
            .iter()
            .filter(|t| t.status == TokenStatus::Wait)
            .min_by_key(|t| key(t));
        if let (Some(last), Some(w)) = (last_in, first_waiting) {
            if key(w) < last {
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
/// hold until it ends (§4.1, §4.2).
async fn holds(sim: &Sim) -> Result<Verdict, Error> {
    let now = sim.world.now();
    for fan in &sim.fans {
        for h in fan.holds.iter().filter(|h| h.until > now) {
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
    }
    Ok(Ok(()))
}

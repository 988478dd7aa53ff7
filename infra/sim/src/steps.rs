//! One step, drawn from the seed: a fan's request (fans.rs), money
//! through the provider (money.rs), the organiser's schedules and the
//! streams behind them (schedules.rs), or the service's own machinery and
//! faults (service.rs). Each step returns its trace line.

use crate::model::{Fan, Window};
use crate::world::World;
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::BTreeMap;

/// Fans in a world.
pub const FANS: usize = 12;

/// How far behind the latest instant a host's clock may be.
pub const MAX_SKEW_MS: i64 = 1_500;

pub struct Sim {
    pub world: World,
    pub fans: Vec<Fan>,
    /// The room's `maxActive` and the default room's, as set, and the
    /// room's highest so far.
    pub room_max: u32,
    pub room_max_ever: u32,
    pub default_max: u32,
    /// A fault armed for one step: cleared after it.
    pub outage: bool,
    /// An answer that broke a promise an earlier answer made.
    pub broken: Option<String>,
    /// Each schedule's sale windows as the organiser set them, newest
    /// last.
    pub windows: BTreeMap<u64, Vec<Window>>,
    /// Dates the organiser cancelled, and when they asked.
    pub cancelled: BTreeMap<u64, i64>,
    /// The room's draw commitment, as published before its opening.
    pub seed_hash: String,
    /// The latest the clock has shown (it is stepped back now and then),
    /// and the furthest behind it the clock has been.
    pub latest: i64,
    pub skew: i64,
}

impl Sim {
    /// One step drawn from `rng`; its trace line.
    pub async fn step(&mut self, rng: &mut StdRng) -> String {
        // A millisecond a step at least: no two joins share an instant.
        self.world.clock.advance_ms(1);
        let outage = std::mem::take(&mut self.outage);
        let line = match rng.random_range(0..100) {
            0..44 => self.fan_acts(rng).await,
            44..46 => self.schedule_change(rng).await,
            46..50 => self.crowd(rng).await,
            50..54 => self.join(rng).await,
            54..58 => self.hold(rng).await,
            58..62 => self.retry(rng).await,
            62..74 => self.rounds(rng).await,
            74..84 => self.time_passes(rng),
            84..88 => self.ttl(rng).await,
            92 => self.organiser(rng).await,
            88..92 => match rng.random_bool(0.5) {
                true => self.job_stream(rng).await,
                false => self.seats_left_pipe(rng).await,
            },
            93 => {
                // Most often a fan whose points came from several charges.
                let f = match rng.random_bool(0.6) {
                    true => self.fan_with(rng, |fan| {
                        fan.topups.iter().filter(|t| t.credited).count() > 1
                    }),
                    false => self.fan_with(rng, |fan| fan.balance > 0),
                };
                self.withdraw_as(f, rng).await
            }
            94 => self.webhook(rng).await,
            95 => self.reconcile().await,
            96 => self.provider_fault(rng),
            _ => self.arm_fault(rng),
        };
        if outage {
            self.world.faults.clear();
        }
        self.latest = self.latest.max(self.world.now());
        line
    }

    pub(crate) fn fan(&self, rng: &mut StdRng) -> usize {
        rng.random_range(0..self.fans.len())
    }

    /// A fan for whom `has` holds, if any (else any fan).
    pub(crate) fn fan_with(&self, rng: &mut StdRng, has: impl Fn(&Fan) -> bool) -> usize {
        let some: Vec<usize> = (0..self.fans.len())
            .filter(|f| has(&self.fans[*f]))
            .collect();
        match some.len() {
            0 => self.fan(rng),
            n => some[rng.random_range(0..n)],
        }
    }
}

/// A reply's UTC time in ms (0 when absent).
pub(crate) fn shared_ms(value: &serde_json::Value) -> i64 {
    value
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp_millis())
}

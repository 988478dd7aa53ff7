//! A seed's world made ready: its settings drawn, the room opened
//! through the organiser's route, its commitment read as the public sees
//! it, and the fans.

use crate::model::{Fan, Window};
use crate::steps::{shared_ms, Sim, FANS};
use crate::world::{World, ROOM_CONCERT, SCHEDULES};
use crate::Error;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;
use shared::config::{Config, PaymentConfig, PaymentProvider};
use std::collections::BTreeMap;

impl Sim {
    pub(crate) async fn new(seed: u64, rng: &mut StdRng) -> Result<Sim, Error> {
        let config = settings(rng);
        let default_max = config.queue_max_active;
        let world = World::new(seed, config).await?;
        let room_max = rng.random_range(2..6);
        let seed_hash = open_room(&world, room_max, rng).await?;
        let fans = (0..FANS)
            .map(|i| Fan {
                user: format!("fan{i:02}"),
                ..Fan::default()
            })
            .collect();
        Ok(Sim {
            latest: world.now(),
            skew: 0,
            windows: first_windows(&world).await,
            world,
            seed_hash,
            cancelled: BTreeMap::new(),
            fans,
            room_max,
            room_max_ever: room_max,
            default_max,
            outage: false,
            broken: None,
        })
    }
}

/// The world's settings, drawn from the seed.
fn settings(rng: &mut StdRng) -> Config {
    devkit::patient(Config {
        queue_max_active: rng.random_range(2..6),
        queue_shards: rng.random_range(1..4),
        queue_tick_seconds: 1,
        // Short windows and holds: many of them come and go in a run.
        queue_active_seconds: rng.random_range(30..120),
        queue_active_idle_seconds: 11,
        queue_idle_seconds: 40,
        hold_seconds: rng.random_range(20..90),
        tickets_max_per_user: rng.random_range(1..4),
        refund_cutoff_hours: crate::world::REFUND_CUTOFF_HOURS,
        // Most worlds take points from the provider; some from the fan's
        // word (`PATCH /points`).
        payment: PaymentConfig {
            provider: match rng.random_bool(0.75) {
                true => PaymentProvider::Sandbox,
                false => PaymentProvider::None,
            },
            secret_key: "test_sk_sim".into(),
            reconcile_after_seconds: rng.random_range(10..90),
            topup_pending_seconds: rng.random_range(120..900),
            ..Config::default().payment
        },
        // Short attempts: an outage's retries end soon.
        dynamodb_attempt_timeout_ms: 2_000,
        dynamodb_timeout_ms: 4_000,
        ..Config::default()
    })
}

/// The room on its concert, opening within 30 s, with or without a rate;
/// its draw commitment as the public route shows it before the opening.
async fn open_room(world: &World, room_max: u32, rng: &mut StdRng) -> Result<String, Error> {
    let opens = shared::clock::format_ms(world.now() + rng.random_range(0..30) * 1000);
    let rate = match rng.random_bool(0.5) {
        true => json!(rng.random_range(1..4)),
        false => json!(null),
    };
    let body = json!({"maxActive": room_max, "admitPerSecond": rate, "opensAt": opens});
    let path = format!("/admin/concerts/{ROOM_CONCERT}/room");
    let made = world.admin("PUT", &path, &body).await;
    if made.status != 200 {
        return Err(Error::Setup(format!(
            "the room: {} {}",
            made.status, made.body
        )));
    }
    // Read once the catalogue's copies of the concert without a room are
    // gone: the commitment, and no seed before the opening.
    world
        .clock
        .advance_ms(world.app().config.catalog_cache_ms as i64);
    let public = format!("/concerts/{ROOM_CONCERT}/room");
    let room = world.call("GET", &public, None, None, None).await;
    let seed_hash = room.body["seedHash"].as_str().unwrap_or_default();
    let opens_ms = shared_ms(&room.body["opensAt"]);
    if seed_hash.is_empty() || (world.now() < opens_ms && !room.body["seed"].is_null()) {
        return Err(Error::Setup(format!("the public room: {}", room.body)));
    }
    Ok(seed_hash.to_string())
}

/// Each schedule's sale window as made.
async fn first_windows(world: &World) -> BTreeMap<u64, Vec<Window>> {
    let mut windows = BTreeMap::new();
    for (id, ..) in SCHEDULES {
        if let Ok(Some(s)) = world.clean.cached_schedule(id).await {
            let first = Window {
                from: 0,
                opens: s.sale_opens_at,
                closes: s.sale_closes_at,
                certain: true,
            };
            windows.insert(id, vec![first]);
        }
    }
    windows
}

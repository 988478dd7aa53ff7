//! `--rooms`: two rooms opening together (SPEC §12) — a stadium and a club,
//! each with its own pre-queue, cap and rate — served by the local stack's
//! own activator timer. Prints each room's admissions per second, and
//! fails if a room admits past its rate or its cap, or one room waits on
//! the other.

use crate::error::{unexpected, Error};
use crate::stack::Running;
use chrono::{Days, Utc};
use client::{Auth, Client};
use futures::stream::{self, StreamExt};
use local::settings::Settings;
use serde_json::{json, Value};
use shared::config::Config;
use shared::domain::catalog::Concert;
use shared::store::catalog::CatalogData;
use std::time::{Duration, Instant};

/// One room of the profile.
struct Room {
    concert: u64,
    name: &'static str,
    fans: usize,
    max_active: u64,
    per_second: u64,
}

const ROOMS: [Room; 2] = [
    Room {
        concert: 1,
        name: "stadium",
        fans: 3_000,
        max_active: 20_000,
        per_second: 400,
    },
    Room {
        concert: 2,
        name: "club",
        fans: 600,
        max_active: 150,
        per_second: 40,
    },
];

const ADMIN: &str = "bench-organiser";

fn concerts() -> CatalogData {
    let date = Utc::now().date_naive() + Days::new(30);
    CatalogData {
        concerts: ROOMS
            .iter()
            .map(|r| Concert {
                id: r.concert,
                title: format!("{} 공연", r.name),
                start_date: date,
                end_date: date,
                has_room: false,
            })
            .collect(),
        ..CatalogData::default()
    }
}

async fn organiser(
    admin: &Client,
    method: &str,
    concert: u64,
    body: Option<Value>,
) -> Result<Value, Error> {
    let path = format!("/admin/concerts/{concert}/room");
    let a = admin.call(method, &path, None, body.as_ref(), None).await?;
    match a.status {
        200 => Ok(a.body),
        s => Err(unexpected(format!("{method} {path}: {s} {}", a.body))),
    }
}

/// Every fan of every room joins before the opening.
async fn pre_queue(fans: &Client, concurrency: usize) -> Result<(), Error> {
    let joins = ROOMS
        .iter()
        .flat_map(|r| (0..r.fans).map(move |i| (r.concert, format!("{}-{i}", r.name))));
    let failed = stream::iter(joins)
        .map(|(concert, user)| {
            let fans = fans.clone();
            async move {
                let body = json!({"userId": user, "concertId": concert});
                let a = fans.call("POST", "/queues", None, Some(&body), None).await;
                a.map_err(Error::from).and_then(|a| match a.status {
                    201 if a.body["priority"].is_null() => Ok(()),
                    s => Err(unexpected(format!("join: {s} {}", a.body))),
                })
            }
        })
        .buffer_unordered(concurrency)
        .filter_map(|r| async move { r.err() })
        .collect::<Vec<_>>()
        .await;
    failed.into_iter().next().map_or(Ok(()), Err)
}

pub async fn run(concurrency: usize) -> Result<bool, Error> {
    let config = devkit::patient(Config {
        queue_tick_seconds: 1,
        ..Config::default()
    });
    let settings = Settings {
        seed_sample_data: false,
        admin_token: Some(ADMIN.into()),
        ..Settings::ephemeral()
    };
    let running = Running::start(settings, config)?;
    running
        .app
        .db
        .load_catalog(&concerts())
        .await
        .map_err(|e| unexpected(e.to_string()))?;
    let admin = Client::new(&running.url, Auth::Bearer(ADMIN.into()))?;
    let fans = Client::new(&running.url, Auth::None)?;
    let later = shared::clock::format_ms(running.app.now_ms() + 3_600_000);
    for r in &ROOMS {
        let body =
            json!({"maxActive": r.max_active, "admitPerSecond": r.per_second, "opensAt": later});
        organiser(&admin, "PUT", r.concert, Some(body)).await?;
    }
    let joined = Instant::now();
    pre_queue(&fans, concurrency).await?;
    println!(
        "{} fans pre-queued in {:.1} s",
        ROOMS.iter().map(|r| r.fans).sum::<usize>(),
        joined.elapsed().as_secs_f64()
    );
    // Both rooms open together, two seconds from now.
    let opening = shared::clock::format_ms(running.app.now_ms() + 2_000);
    for r in &ROOMS {
        organiser(&admin, "PUT", r.concert, Some(json!({"opensAt": opening}))).await?;
    }
    let per_second = watch(&admin).await?;
    let ok = report(&per_second);
    running.stop();
    Ok(ok)
}

/// Each room's `admitted`, once a second, until both are done or stuck.
async fn watch(admin: &Client) -> Result<Vec<Vec<u64>>, Error> {
    let mut seen: Vec<Vec<u64>> = vec![Vec::new(); ROOMS.len()];
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..40 {
        for (i, r) in ROOMS.iter().enumerate() {
            let room = organiser(admin, "GET", r.concert, None).await?;
            seen[i].push(room["admitted"].as_u64().unwrap_or(0));
        }
        let done = ROOMS.iter().zip(&seen).all(|(r, s)| {
            s.last()
                .is_some_and(|a| *a as usize >= r.fans.min(r.max_active as usize))
        });
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(seen)
}

/// Prints each room's admissions per second; whether every room kept to
/// its rate and cap and got everyone it could in.
fn report(seen: &[Vec<u64>]) -> bool {
    let mut ok = true;
    let mut rows = Vec::new();
    for (r, s) in ROOMS.iter().zip(seen) {
        let deltas: Vec<u64> = s.windows(2).map(|w| w[1] - w[0]).collect();
        let busiest = deltas.iter().copied().max().unwrap_or(0);
        let last = s.last().copied().unwrap_or(0);
        let target = r.fans.min(r.max_active as usize) as u64;
        let seconds = s.iter().position(|a| *a >= target).unwrap_or(s.len());
        // A round lands on either side of a sample now and then: two
        // rounds' worth in one second, none in the next.
        let within = busiest <= 2 * r.per_second && last <= r.max_active && last == target;
        ok &= within;
        rows.push(vec![
            r.name.to_string(),
            format!("{}", r.per_second),
            format!("{}", r.max_active),
            format!("{last}"),
            format!("{:.0}", last as f64 / seconds.max(1) as f64),
            format!("{busiest}"),
            format!("{seconds}"),
            if within { "ok" } else { "FAILED" }.to_string(),
        ]);
    }
    println!(
        "two rooms opening together (admissions counted once a second):\n{}",
        crate::stats::table(
            &[
                "room",
                "admitPerSecond",
                "maxActive",
                "admitted",
                "per s (mean)",
                "busiest s",
                "seconds",
                "check"
            ],
            &rows
        )
    );
    ok
}

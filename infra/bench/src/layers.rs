//! Where a read's time goes on this machine: the same request one at a
//! time through each layer — the DynamoDB calls alone (the baseline's
//! path), the gateway and handler in process (no HTTP), and the whole
//! HTTP round trip — so the difference between layers is each layer's
//! cost. Throughput ratios of the fast reads fall below 1 on two cores
//! because client, server and emulator share them; this shows which part
//! the service adds.

use crate::error::Error;
use crate::ops::{Ops, CONCERT, SCHEDULE};
use crate::stack::local_client;
use crate::stack::Running;
use crate::stats::table;
use local::gateway::{routes, Call, Gateway};
use serde::Serialize;
use std::time::Instant;

/// Calls per layer and request.
const CALLS: usize = 400;

#[derive(Debug, Clone, Serialize)]
pub struct Layers {
    pub request: String,
    /// Median µs per call of the DynamoDB calls alone, the gateway and
    /// handler in process, and the HTTP round trip.
    pub store_us: f64,
    pub in_process_us: f64,
    pub http_us: f64,
}

fn median_us(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

async fn time<F, Fut>(f: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut took = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        f().await;
        took.push(started.elapsed().as_secs_f64() * 1e6);
    }
    median_us(took)
}

/// Profiles the three fast reads on a running stack with an ACTIVE
/// `token` of `user`.
pub async fn profile(stack: &Running, user: &str, token: &str) -> Result<Vec<Layers>, Error> {
    let template = sam::Template::builtin()?;
    let gw = Gateway {
        app: stack.app.clone(),
        routes: routes(&template)?,
        admin_token: uuid::Uuid::new_v4().to_string(),
        identity: None,
        busy: Default::default(),
    };
    let client = local_client(&stack.url)?;
    let direct = Ops::Direct(Box::new(stack.app.clone()));
    let requests = [
        ("poll", format!("/queues/{user}")),
        ("schedules", format!("/concerts/{CONCERT}/schedules")),
        (
            "seats",
            format!("/concerts/schedules/{SCHEDULE}/seats?limit=100"),
        ),
    ];
    let mut out = Vec::new();
    for (name, path) in requests {
        let store_us = time(|| async {
            match name {
                "poll" => drop(direct.poll(user, token).await),
                "schedules" => drop(direct.schedules(token).await),
                _ => drop(direct.seats(token).await),
            }
        })
        .await;
        let in_process_us = time(|| async {
            let headers = vec![("authorization".into(), format!("Bearer {token}"))];
            drop(gw.call(Call::loopback("GET", &path, headers, &[])).await);
        })
        .await;
        let http_us = time(|| async {
            drop(client.call("GET", &path, Some(token), None, None).await);
        })
        .await;
        out.push(Layers {
            request: name.to_string(),
            store_us,
            in_process_us,
            http_us,
        });
    }
    Ok(out)
}

pub fn render(layers: &[Layers]) -> String {
    let rows: Vec<Vec<String>> = layers
        .iter()
        .map(|l| {
            vec![
                l.request.clone(),
                format!("{:.0}", l.store_us),
                format!("{:.0}", l.in_process_us - l.store_us),
                format!("{:.0}", l.http_us - l.in_process_us),
                format!("{:.0}", l.http_us),
            ]
        })
        .collect();
    format!(
        "where a read's time goes, one call at a time (median µs):\n{}",
        table(
            &[
                "request",
                "DynamoDB calls",
                "+ gateway and handler",
                "+ HTTP",
                "total",
            ],
            &rows
        )
    )
}

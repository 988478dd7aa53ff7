//! `--topups N`: a top-up's confirm against the sandbox over HTTP (SPEC
//! §11) — the fan's `POST /points/topups/{orderId}/confirm`, and the
//! provider's own confirm called alone with the service's client — so the
//! difference is the service's part: the checks, the provider call's
//! overhead and the credit transaction.

use crate::error::{unexpected, Error};
use crate::stack::Running;
use futures::stream::{self, StreamExt};
use local::settings::Settings;
use serde_json::json;
use shared::config::{Config, PaymentProvider};
use shared::provider::secret::SecretKey;
use shared::provider::transport::HyperTransport;
use shared::provider::Toss;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// p50 and p95 of `samples`, in ms.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.95))
}

/// Top-ups of `n` fans, each paid in the sandbox's window: (user, order, key).
async fn paid_topups(
    c: &client::Client,
    sandbox: &sandbox::Sandbox,
    n: usize,
) -> Result<Vec<(String, String, String)>, Error> {
    let mut out = Vec::new();
    for i in 0..n {
        let user = format!("payer{i}");
        let a = c
            .call(
                "POST",
                "/points/topups",
                None,
                Some(&json!({"userId": user, "amount": 10_000})),
                None,
            )
            .await?;
        let order = a.body["orderId"]
            .as_str()
            .ok_or_else(|| unexpected(format!("top-up: {} {}", a.status, a.body)))?
            .to_string();
        let key = sandbox
            .checkout(&order, 10_000, false)
            .map_err(|e| unexpected(format!("{e:?}")))?
            .payment_key;
        out.push((user, order, key));
    }
    Ok(out)
}

/// Each fan's confirm through the service, timed.
async fn through_the_service(
    c: &client::Client,
    topups: Vec<(String, String, String)>,
    concurrency: usize,
) -> Result<Vec<Duration>, Error> {
    stream::iter(topups)
        .map(|(user, order, key)| {
            let c = c.clone();
            async move {
                let body = json!({"userId": user, "paymentKey": key, "amount": 10_000});
                let path = format!("/points/topups/{order}/confirm");
                let started = Instant::now();
                let a = c.call("POST", &path, None, Some(&body), None).await?;
                let took = started.elapsed();
                (a.status == 200)
                    .then_some(took)
                    .ok_or_else(|| unexpected(format!("confirm: {} {}", a.status, a.body)))
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<Result<Duration, Error>>>()
        .await
        .into_iter()
        .collect()
}

/// `n` confirms of the provider alone, with the service's own client.
async fn the_provider_alone(
    base: &str,
    sandbox: &Arc<sandbox::Sandbox>,
    n: usize,
    concurrency: usize,
) -> Result<Vec<Duration>, Error> {
    let toss = Toss::new(
        &format!("{base}{}", sandbox::http::PREFIX),
        SecretKey::Given(sandbox.secret_key.clone()),
        Arc::new(HyperTransport::new().map_err(|e| unexpected(format!("TLS: {e}")))?),
        Duration::from_secs(10),
    );
    stream::iter(0..n)
        .map(|i| {
            let (toss, sandbox) = (toss.clone(), sandbox.clone());
            async move {
                let order = format!("bench_provider_{i}");
                let paid = sandbox.checkout(&order, 10_000, false);
                let key = paid.map_err(|e| unexpected(format!("{e:?}")))?.payment_key;
                let started = Instant::now();
                toss.confirm(&key, &order, 10_000)
                    .await
                    .map_err(|e| unexpected(format!("the provider's confirm: {e}")))?;
                Ok::<_, Error>(started.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

fn render(n: usize, concurrency: usize, service: (f64, f64), alone: (f64, f64)) -> String {
    let row = |what: &str, (p50, p95): (f64, f64)| {
        vec![what.to_string(), format!("{p50:.1}"), format!("{p95:.1}")]
    };
    let rows = [
        row("POST /points/topups/{id}/confirm", service),
        row("the provider's confirm alone", alone),
        row(
            "the service's part",
            (service.0 - alone.0, service.1 - alone.1),
        ),
    ];
    format!(
        "top-up confirm, {n} fans, concurrency {concurrency} (ms):\n{}",
        crate::stats::table(&["", "p50", "p95"], &rows)
    )
}

pub async fn run(n: usize, concurrency: usize) -> Result<bool, Error> {
    let mut config = Config::default();
    config.payment.provider = PaymentProvider::Sandbox;
    let settings = Settings {
        seed_sample_data: false,
        ..Settings::ephemeral()
    };
    let running = Running::start(settings, config)?;
    let sandbox = running
        .sandbox
        .clone()
        .ok_or_else(|| unexpected("the stack has no sandbox"))?
        .sandbox;
    let c = client::Client::new(&running.url, client::Auth::None)?;
    let topups = paid_topups(&c, &sandbox, n).await?;
    let service = percentiles(through_the_service(&c, topups, concurrency).await?);
    let alone = percentiles(the_provider_alone(&running.url, &sandbox, n, concurrency).await?);
    println!("{}", render(n, concurrency, service, alone));
    let audit = devkit::audit::audit(&running.app.db, running.app.now_ms()).await?;
    println!(
        "audit: {} users, {} points, violations {:?}",
        audit.users, audit.points_in_ledger, audit.violations
    );
    Ok(audit.violations.is_empty() && audit.points_in_ledger == n as i64 * 10_000)
}

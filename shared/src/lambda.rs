//! The one Lambda entry point. Every function deploys the same binary and
//! runs as what its `Handler` names (Lambda passes it as `_HANDLER`): an
//! endpoint of the route table, a scheduled job, a stream or a queue
//! consumer. The app is built once per cold start, then serves every
//! invocation; the metric recorder is flushed after each one.

use crate::app::App;
use crate::domain::ids::OsEntropy;
use crate::jobs::admissions::{Admissions, Scope};
use crate::jobs::fanout::RoomEvent;
use crate::jobs::{Job, QueueConsumer, Scheduled, StreamConsumer, SCHEDULED_RUN};
use crate::Endpoint;
use futures::future::BoxFuture;
pub use lambda_http::Error;
use lambda_runtime::LambdaEvent;
use metrics_cloudwatch_embedded::Collector;
use serde::{de::DeserializeOwned, Serialize};

/// The environment variable Lambda sets to the function's `Handler`.
pub const HANDLER_VAR: &str = "_HANDLER";

/// The one binary every function deploys (`functions/src/main.rs`).
pub const BINARY: &str = "functions";

/// Every role the binary can play: the `Handler`s of the template.
pub fn names() -> impl Iterator<Item = &'static str> {
    let endpoints = crate::endpoints::ENDPOINTS.iter().map(|e| e.name());
    let jobs = Scheduled::ALL.iter().map(|j| j.name());
    let streams = StreamConsumer::ALL.iter().map(|c| c.name());
    let queues = QueueConsumer::ALL.iter().map(|c| c.name());
    let signals = [
        crate::jobs::guard::NAME,
        crate::jobs::admissions::ROOM_ACTIVATOR,
    ];
    endpoints
        .chain(jobs)
        .chain(streams)
        .chain(queues)
        .chain(signals)
}

/// Human-readable logs for the local stack and tools; colours only on a
/// terminal, never into a log file.
pub fn init_tracing() {
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
}

/// Runs this process as the function its `_HANDLER` names.
pub async fn serve_from_env() -> Result<(), Error> {
    let name = std::env::var(HANDLER_VAR)
        .map_err(|_| format!("{HANDLER_VAR} is not set: the function's Handler names its role"))?;
    serve(&name).await
}

/// Runs this process as the function called `name`.
pub async fn serve(name: &str) -> Result<(), Error> {
    if let Some(endpoint) = Endpoint::by_name(name) {
        return serve_http(endpoint).await;
    }
    if let Some(job) = Scheduled::by_name(name) {
        // One runner per process, kept for its life (the activator's lease).
        let job: &'static Job = Box::leak(Box::new(job.start(&OsEntropy)));
        // A job that fails returns its error, so the function's `Errors`
        // metric counts it.
        return serve_events(move |app, _: serde_json::Value| {
            Box::pin(async move {
                job.invocation(app, SCHEDULED_RUN)
                    .await
                    .map_err(Error::from)
            })
        })
        .await;
    }
    if let Some(consumer) = StreamConsumer::by_name(name) {
        return serve_events(move |app, event| {
            Box::pin(async move { Ok(consumer.handle(app, event).await) })
        })
        .await;
    }
    if name == crate::jobs::admissions::ROOM_ACTIVATOR {
        // One room's activator per process, kept for its life (its lease).
        let rooms: &'static Admissions = Box::leak(Box::new(Admissions::new(&OsEntropy)));
        return serve_events(move |app, event: RoomEvent| {
            Box::pin(async move {
                rooms
                    .run_for(app, SCHEDULED_RUN, Scope::Room(event.room))
                    .await
                    .map(|_| ())
                    .map_err(Error::from)
            })
        })
        .await;
    }
    if name == crate::jobs::guard::NAME {
        return serve_events(move |app, event| {
            Box::pin(async move {
                crate::jobs::guard::handle(app, event)
                    .await
                    .map_err(Error::from)
            })
        })
        .await;
    }
    if let Some(consumer) = QueueConsumer::by_name(name) {
        return serve_events(move |app, event| {
            Box::pin(async move { Ok(consumer.handle(app, event).await) })
        })
        .await;
    }
    Err(format!("no function is called {name:?}").into())
}

/// What every invocation needs, made once per cold start.
async fn boot() -> Result<(App, Option<&'static Collector>), Error> {
    // Logs as Lambda's logging configuration asks: JSON lines when the
    // function's `LogFormat` is JSON, at its `ApplicationLogLevel`.
    lambda_runtime::tracing::init_default_subscriber();
    let app = App::from_env().await?;
    let metrics = crate::counters::install(&app.config.service);
    Ok((app, metrics))
}

async fn serve_http(endpoint: Endpoint) -> Result<(), Error> {
    let (app, metrics) = boot().await?;
    lambda_http::run(lambda_http::service_fn(move |req| {
        let app = app.clone();
        async move {
            let response = endpoint.handle(&app, req).await;
            crate::counters::flush(metrics);
            Ok::<_, std::convert::Infallible>(response)
        }
    }))
    .await
}

/// Serves events of type `E` with `handle`, answering `R`.
async fn serve_events<E, R, F>(handle: F) -> Result<(), Error>
where
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: for<'a> Fn(&'a App, E) -> BoxFuture<'a, Result<R, Error>> + Copy + Send + 'static,
{
    let (app, metrics) = boot().await?;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<E>| {
        let app = app.clone();
        async move {
            let answer = handle(&app, event.payload).await;
            crate::counters::flush(metrics);
            answer
        }
    }))
    .await
}

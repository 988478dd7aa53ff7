//! The payment provider of the local stack: Toss itself (`toss`, with
//! `PAYMENT_SECRET_KEY`), or the sandbox served on the stack's own port
//! (`sandbox`) — both through the service's one Toss client over HTTP.

use crate::Error;
use sandbox::http::{Served, PREFIX};
use sandbox::Sandbox;
use shared::config::{PaymentConfig, PaymentProvider};
use shared::provider::secret::SecretKey;
use shared::provider::transport::HyperTransport;
use shared::provider::{Provider, TOSS_API};
use std::sync::Arc;

/// The sandbox of a stack at `base_url`, when the config asks for it.
pub fn sandbox(config: &PaymentConfig, base_url: &str) -> Option<Served> {
    (config.provider == PaymentProvider::Sandbox).then(|| {
        Served::new(
            Arc::new(Sandbox::new(&config.secret_key)),
            base_url.to_string(),
        )
    })
}

/// The service's provider client for a stack at `base_url`.
pub fn provider(config: &PaymentConfig, base_url: &str) -> Result<Option<Provider>, Error> {
    let default_url = match config.provider {
        PaymentProvider::Sandbox => format!("{base_url}{PREFIX}"),
        _ => TOSS_API.to_string(),
    };
    let transport = HyperTransport::new()
        .map_err(|e| Error::crypto("the payment client's TLS")(e.to_string()))?;
    Ok(Provider::new(
        config,
        &default_url,
        SecretKey::Given(config.secret_key.clone()),
        Arc::new(transport),
    ))
}

/// A sandbox on a port of its own (tests that drive the service in-process).
pub async fn serve_alone(
    secret_key: &str,
) -> Result<(Served, String, tokio::task::JoinHandle<()>), Error> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(Error::io("the sandbox's port"))?;
    let addr = listener
        .local_addr()
        .map_err(Error::io("the sandbox's address"))?;
    let served = Served::new(Arc::new(Sandbox::new(secret_key)), String::new());
    let router = axum::Router::new().nest(PREFIX, served.router());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "sandbox stopped");
        }
    });
    Ok((served, format!("http://{addr}{PREFIX}"), task))
}

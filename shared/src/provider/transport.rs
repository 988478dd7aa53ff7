//! The seam for the service's outgoing HTTP: the provider client sends
//! through a [`Transport`], so AWS and the local stack use HTTPS/HTTP over
//! a connection pool while a simulation can answer in-process.

use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client as Pool};
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// One request, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

/// One answer, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no answer came. Either way the request may have taken effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Failed(String),
}

pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `req`, giving up after `timeout`.
    fn send(
        &self,
        req: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, TransportError>>;
}

/// HTTPS (rustls, the system's roots) or plain HTTP with keep-alive.
#[derive(Clone)]
pub struct HyperTransport {
    pool: Pool<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HyperTransport")
    }
}

impl HyperTransport {
    pub fn new() -> Result<Self, TransportError> {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| TransportError::Failed(format!("no TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool = Pool::builder(TokioExecutor::new()).build(connector);
        Ok(HyperTransport { pool })
    }

    async fn exchange(&self, req: Outgoing) -> Result<Incoming, TransportError> {
        let failed = |e: &dyn std::fmt::Display| TransportError::Failed(e.to_string());
        let mut builder = hyper::Request::builder().method(req.method).uri(&req.url);
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        let body = Full::new(Bytes::from(req.body.unwrap_or_default()));
        let request = builder.body(body).map_err(|e| failed(&e))?;
        let response = self.pool.request(request).await.map_err(|e| failed(&e))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| failed(&e))?
            .to_bytes()
            .to_vec();
        Ok(Incoming { status, body })
    }
}

impl Transport for HyperTransport {
    fn send(
        &self,
        req: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, TransportError>> {
        Box::pin(async move {
            tokio::time::timeout(timeout, self.exchange(req))
                .await
                .map_err(|_| TransportError::Timeout(timeout))?
        })
    }
}

/// A transport that cannot send (its TLS setup failed): every call is
/// an unknown outcome.
#[derive(Debug)]
pub struct Unreachable(pub String);

impl Transport for Unreachable {
    fn send(
        &self,
        _req: Outgoing,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, TransportError>> {
        Box::pin(async move { Err(TransportError::Failed(self.0.clone())) })
    }
}

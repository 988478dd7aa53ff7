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

/// [`HyperTransport`] built on its first send (reading the system's TLS
/// roots is work a function that never sends should not do at its cold
/// start); a failure to build is a failure of every send.
#[derive(Debug, Default)]
pub struct LazyHyper(std::sync::OnceLock<Result<HyperTransport, TransportError>>);

impl Transport for LazyHyper {
    fn send(
        &self,
        req: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, TransportError>> {
        match self.0.get_or_init(HyperTransport::new) {
            Ok(hyper) => hyper.send(req, timeout),
            Err(e) => {
                let e = e.clone();
                Box::pin(async move { Err(e) })
            }
        }
    }
}

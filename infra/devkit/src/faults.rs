//! Fault injection for DynamoDB calls: an HTTP client in front of the
//! emulator that, from a chosen call on, answers as a throttled, failing,
//! hung or slow DynamoDB would. Tests arm it just before the request under
//! test and count calls from there (SPEC §9).

use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::config::{RuntimeComponents, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use shared::store::Db;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a faulty call goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// DynamoDB answers `ProvisionedThroughputExceededException`.
    Throttle,
    /// DynamoDB answers 500 `InternalServerError`.
    ServerError,
    /// No answer at all: the call runs into its timeout, nothing applied.
    Hang,
    /// The call applies, but its answer never arrives in time.
    LateAnswer,
    /// The call applies, then DynamoDB answers 500 `InternalServerError`
    /// and the SDK sends it again — as AWS can; AWS makes a transaction's
    /// repeat a no-op by its `ClientRequestToken`.
    AppliedThenError,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Hang,
        Fault::LateAnswer,
        Fault::AppliedThenError,
    ];
}

/// Longer than any timeout a fault test configures.
const TOO_LATE: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Plan {
    /// Calls seen since the plan was armed.
    calls: usize,
    /// `(fault, from, through)`: calls `from..=through` (1-based) go wrong.
    armed: Option<(Fault, usize, usize)>,
}

/// The switch a test holds: arm a fault, count calls, clear it.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<Plan>>);

impl Faults {
    /// From the `nth` call on (counting from now), every call fails with
    /// `fault`: an outage that starts mid-request.
    pub fn from_call(&self, nth: usize, fault: Fault) {
        self.arm(fault, nth, usize::MAX);
    }

    /// Only the `nth` call from now fails with `fault`.
    pub fn only_call(&self, nth: usize, fault: Fault) {
        self.arm(fault, nth, nth);
    }

    /// Counts calls from now on, with no fault.
    pub fn count(&self) {
        if let Ok(mut p) = self.0.lock() {
            *p = Plan::default();
        }
    }

    /// Calls made since the last arm or count.
    pub fn calls(&self) -> usize {
        self.0.lock().map(|p| p.calls).unwrap_or(0)
    }

    /// Back to a healthy DynamoDB.
    pub fn clear(&self) {
        if let Ok(mut p) = self.0.lock() {
            p.armed = None;
        }
    }

    fn arm(&self, fault: Fault, from: usize, through: usize) {
        if let Ok(mut p) = self.0.lock() {
            *p = Plan {
                calls: 0,
                armed: Some((fault, from, through)),
            };
        }
    }

    /// The fault the next call meets, if any.
    fn next(&self) -> Option<Fault> {
        let mut p = self.0.lock().ok()?;
        p.calls += 1;
        let n = p.calls;
        match p.armed {
            Some((fault, from, through)) if (from..=through).contains(&n) => Some(fault),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct FaultyClient {
    inner: SharedHttpClient,
    faults: Faults,
}

impl HttpClient for FaultyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.faults.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Faults,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.faults.next() {
            None => self.inner.call(request),
            Some(Fault::Throttle) => {
                HttpConnectorFuture::ready(Ok(error(400, "ProvisionedThroughputExceededException")))
            }
            Some(Fault::ServerError) => {
                HttpConnectorFuture::ready(Ok(error(500, "InternalServerError")))
            }
            Some(Fault::Hang) => HttpConnectorFuture::new(async move {
                tokio::time::sleep(TOO_LATE).await;
                Ok(error(500, "InternalServerError"))
            }),
            Some(Fault::AppliedThenError) => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let _applied = sent.await;
                    Ok(error(500, "InternalServerError"))
                })
            }
            Some(Fault::LateAnswer) => {
                let sent = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    let answer = sent.await;
                    tokio::time::sleep(TOO_LATE).await;
                    answer
                })
            }
        }
    }
}

/// A DynamoDB error answer as the service sends it.
fn error(status: u16, code: &str) -> HttpResponse {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"injected fault"}}"#
    );
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).unwrap_or(StatusCode::try_from(500).expect("500")),
        SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    response
        .headers_mut()
        .insert("x-amzn-errortype", code.to_string());
    response
}

/// The same store, its calls passing through `faults`.
pub fn faulty(db: &Db, faults: &Faults) -> Db {
    let config = db.client.config();
    let inner = config
        .http_client()
        .unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let config = config
        .to_builder()
        .http_client(FaultyClient {
            inner,
            faults: faults.clone(),
        })
        .build();
    Db {
        client: aws_sdk_dynamodb::Client::from_conf(config),
        ..db.clone()
    }
}

//! The sandbox as a [`Transport`]: the service's Toss client calls the
//! library directly, with no socket — for a simulation that runs the
//! whole sale in one process. It answers the same routes, with the same
//! authentication, as the HTTP layer; a lost answer is a timeout at once.

use crate::{Answer, Sandbox};
use base64::Engine;
use futures::future::BoxFuture;
use serde_json::{json, Value};
use shared::provider::transport::{Incoming, Outgoing, Transport, TransportError};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct InProcess(pub Arc<Sandbox>);

impl InProcess {
    fn answer(&self, req: &Outgoing) -> Answer {
        let expected =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.0.secret_key));
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        if header("authorization") != Some(&format!("Basic {expected}")) {
            return Answer::Reply(
                401,
                json!({ "code": "UNAUTHORIZED_KEY", "message": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다." }),
            );
        }
        let body: Value = req
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let text = |name: &str| body[name].as_str().unwrap_or_default().to_string();
        let number = |name: &str| body[name].as_i64().unwrap_or_default();
        let key = header("idempotency-key");
        let path = req
            .url
            .split_once("/v1/")
            .map(|(_, p)| p)
            .unwrap_or_default();
        let segments: Vec<String> = path.split('/').map(decode).collect();
        match (
            req.method,
            segments
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
        ) {
            ("POST", ["payments", "confirm"]) => {
                self.0
                    .confirm(&text("paymentKey"), &text("orderId"), number("amount"), key)
            }
            ("GET", ["payments", "orders", order]) => self.0.payment_of_order(order),
            ("GET", ["payments", payment]) => self.0.payment(payment),
            ("POST", ["payments", payment, "cancel"]) => {
                self.0
                    .cancel(payment, &text("cancelReason"), number("cancelAmount"), key)
            }
            _ => Answer::Reply(
                404,
                json!({ "code": "NOT_FOUND", "message": "no such route" }),
            ),
        }
    }
}

/// A percent-encoded path segment, decoded.
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Transport for InProcess {
    fn send(
        &self,
        req: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, TransportError>> {
        let answer = self.answer(&req);
        Box::pin(async move {
            match answer {
                Answer::Reply(status, body) => Ok(Incoming {
                    status,
                    body: body.to_string().into_bytes(),
                }),
                Answer::Hang => Err(TransportError::Timeout(timeout)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_services_client_confirms_and_cancels_in_process() {
        let sandbox = Arc::new(Sandbox::new("sk"));
        let paid = sandbox.checkout("order/1", 700, false).unwrap();
        let toss = shared::provider::Toss::new(
            "http://in-process",
            shared::provider::secret::SecretKey::Given("sk".into()),
            Arc::new(InProcess(sandbox.clone())),
            Duration::from_secs(1),
        );
        let p = toss
            .confirm(&paid.payment_key, "order/1", 700)
            .await
            .unwrap();
        assert_eq!(p.status, "DONE");
        let found = toss.payment_of_order("order/1").await.unwrap().unwrap();
        assert_eq!(found.payment_key, paid.payment_key);
        let c = toss
            .cancel(&paid.payment_key, "r", 200, "k1")
            .await
            .unwrap();
        assert_eq!(
            (c.status.as_str(), c.balance_amount),
            ("PARTIAL_CANCELED", 500)
        );
        let wrong = shared::provider::Toss::new(
            "http://in-process",
            shared::provider::secret::SecretKey::Given("other".into()),
            Arc::new(InProcess(sandbox)),
            Duration::from_secs(1),
        );
        assert!(matches!(
            wrong.payment("x").await,
            Err(shared::provider::ProviderError::Unavailable(_))
        ));
    }
}

//! A small client of Toss Payments API v1: confirm, look up by payment
//! key and by order id, cancel with an amount. Basic auth with the secret
//! key; an idempotency key on every call that changes money. A 401, 429,
//! 5xx or no answer is [`ProviderError::Unavailable`] — never a refusal,
//! since the call may have taken effect.

use super::error::ProviderError;
use super::secret::SecretKey;
use super::transport::{Outgoing, Transport};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The provider's record of a payment (the fields the service reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_key: String,
    pub order_id: String,
    /// `READY`, `IN_PROGRESS`, `DONE`, `CANCELED`, `PARTIAL_CANCELED`,
    /// `ABORTED` or `EXPIRED`.
    pub status: String,
    pub total_amount: i64,
    #[serde(default)]
    pub balance_amount: i64,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub cancels: Option<Vec<CancelRecord>>,
}

/// One cancel of a payment, as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelRecord {
    pub cancel_amount: i64,
    #[serde(default)]
    pub cancel_reason: String,
    #[serde(default)]
    pub canceled_at: Option<String>,
}

impl Payment {
    /// The charge went through (whatever was cancelled of it since).
    pub fn is_paid(&self) -> bool {
        matches!(
            self.status.as_str(),
            "DONE" | "PARTIAL_CANCELED" | "CANCELED"
        )
    }

    /// The payment will never be charged.
    pub fn is_dead(&self) -> bool {
        matches!(self.status.as_str(), "ABORTED" | "EXPIRED")
    }

    pub fn cancels(&self) -> &[CancelRecord] {
        self.cancels.as_deref().unwrap_or_default()
    }
}

/// The provider's error body.
#[derive(Debug, Clone, Deserialize)]
struct ErrorReply {
    code: String,
    #[serde(default)]
    message: String,
}

/// The refusal a confirm meets when the payment was already confirmed.
pub const ALREADY_PROCESSED: &str = "ALREADY_PROCESSED_PAYMENT";

/// Toss Payments API v1 at `base` (`https://api.tosspayments.com`).
#[derive(Debug, Clone)]
pub struct Toss {
    base: String,
    key: Arc<SecretKey>,
    transport: Arc<dyn Transport>,
    timeout: Duration,
}

impl Toss {
    pub fn new(
        base: &str,
        key: SecretKey,
        transport: Arc<dyn Transport>,
        timeout: Duration,
    ) -> Self {
        Toss {
            base: base.trim_end_matches('/').to_string(),
            key: Arc::new(key),
            transport,
            timeout,
        }
    }

    /// Confirms the fan's payment; the order id is the idempotency key, so
    /// a retry is the same confirm.
    pub async fn confirm(
        &self,
        payment_key: &str,
        order_id: &str,
        amount: i64,
    ) -> Result<Payment, ProviderError> {
        let body = serde_json::json!({
            "paymentKey": payment_key, "orderId": order_id, "amount": amount,
        });
        self.call(
            "POST",
            "/v1/payments/confirm".into(),
            Some(body),
            Some(order_id),
        )
        .await
    }

    /// The payment by its key; None when the provider has none.
    pub async fn payment(&self, payment_key: &str) -> Result<Option<Payment>, ProviderError> {
        let path = format!("/v1/payments/{}", segment(payment_key));
        found(self.call("GET", path, None, None).await)
    }

    /// The payment of an order; None when the provider has none.
    pub async fn payment_of_order(&self, order_id: &str) -> Result<Option<Payment>, ProviderError> {
        let path = format!("/v1/payments/orders/{}", segment(order_id));
        found(self.call("GET", path, None, None).await)
    }

    /// Cancels `amount` of the payment, once per `idempotency_key`.
    pub async fn cancel(
        &self,
        payment_key: &str,
        reason: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Payment, ProviderError> {
        let path = format!("/v1/payments/{}/cancel", segment(payment_key));
        let body = serde_json::json!({ "cancelReason": reason, "cancelAmount": amount });
        self.call("POST", path, Some(body), Some(idempotency_key))
            .await
    }

    async fn call(
        &self,
        method: &'static str,
        path: String,
        body: Option<serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Payment, ProviderError> {
        let secret = self.key.get().await?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{secret}:"));
        let mut headers = vec![("authorization", format!("Basic {basic}"))];
        if body.is_some() {
            headers.push(("content-type", "application/json".into()));
        }
        if let Some(k) = idempotency_key {
            headers.push(("idempotency-key", k.to_string()));
        }
        let req = Outgoing {
            method,
            url: format!("{}{path}", self.base),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
        };
        let unavailable = |why: String| {
            crate::counters::provider_error(method, &why);
            ProviderError::Unavailable(why)
        };
        let answer = self
            .transport
            .send(req, self.timeout)
            .await
            .map_err(|e| unavailable(format!("{method} {path}: {e}")))?;
        read_answer(answer.status, &answer.body).map_err(|e| match e {
            ProviderError::Unavailable(why) => unavailable(format!("{method} {path}: {why}")),
            refused => refused,
        })
    }
}

/// A Payment, a refusal, or an unknown outcome, from the status and body.
fn read_answer(status: u16, body: &[u8]) -> Result<Payment, ProviderError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body)
            .map_err(|e| ProviderError::Unavailable(format!("unreadable payment: {e}")));
    }
    let error: Option<ErrorReply> = serde_json::from_slice(body).ok();
    match (status, error) {
        (400..=499, Some(e)) if status != 401 && status != 429 => Err(ProviderError::Refused {
            code: e.code,
            message: e.message,
        }),
        (_, e) => Err(ProviderError::Unavailable(format!(
            "HTTP {status} {}",
            e.map(|e| e.code).unwrap_or_default()
        ))),
    }
}

/// A lookup's "no such payment" is an answer, not an error.
fn found(answer: Result<Payment, ProviderError>) -> Result<Option<Payment>, ProviderError> {
    match answer {
        Ok(p) => Ok(Some(p)),
        Err(ProviderError::Refused { code, .. }) if code.starts_with("NOT_FOUND") => Ok(None),
        Err(e) => Err(e),
    }
}

fn segment(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_about_the_payment_are_refusals() {
        let refused = |status, body: &str| {
            matches!(
                read_answer(status, body.as_bytes()),
                Err(ProviderError::Refused { .. })
            )
        };
        let card = r#"{"code":"REJECT_CARD_PAYMENT","message":"x"}"#;
        assert!(refused(403, card));
        assert!(refused(400, r#"{"code":"NOT_CANCELABLE_AMOUNT"}"#));
        for status in [401, 429, 500, 502, 503] {
            assert!(!refused(status, card), "{status} is not a refusal");
        }
        assert!(
            !refused(404, "<html>gateway</html>"),
            "not the provider's body"
        );
        assert!(matches!(
            read_answer(200, b"{}"),
            Err(ProviderError::Unavailable(_))
        ));
    }

    #[test]
    fn a_missing_payment_is_none() {
        let missing = Err(ProviderError::Refused {
            code: "NOT_FOUND_PAYMENT".into(),
            message: String::new(),
        });
        assert_eq!(found(missing), Ok(None));
        let down = Err(ProviderError::Unavailable("x".into()));
        assert!(found(down).is_err());
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}

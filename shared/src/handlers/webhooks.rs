//! `POST /webhooks/payments` (SPEC §11): the provider says a payment
//! changed. Its body is only a hint: the provider is asked only about an
//! order of ours that is not DONE (or a DONE one's payment, for a cancel
//! the provider made by itself), and its own record decides.

use crate::app::App;
use crate::domain::money::{valid_order_id, TopupStatus};
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::request::body_bytes;
use crate::http::{AppError, Reply};
use crate::provider::Payment;
use crate::settlement::{provider, settle, take_back_reversals};
use lambda_http::Request;
use serde::Deserialize;

/// The one event type this route acts on.
const PAYMENT_STATUS_CHANGED: &str = "PAYMENT_STATUS_CHANGED";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEvent {
    /// `PAYMENT_STATUS_CHANGED`; other events are acknowledged and ignored.
    event_type: String,
    /// The Payment as the provider sent it: only `orderId` and
    /// `paymentKey` are read, and the provider is asked for the rest.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    #[serde(default)]
    data: serde_json::Value,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "payment_webhook",
        post, path = "/webhooks/payments", tag = "money",
        request_body = WebhookEvent,
        responses(
            (status = 200, description = "Settled or given up on: `{}`", body = Object),
            (status = 400, description = "Not JSON, or not an event", body = ErrorBody),
            (status = 404, description = "PAYMENT_PROVIDER=none (NOT_FOUND)", body = ErrorBody),
            (status = 503, description = "The provider could not be asked: send it again", body = ErrorBody),
        )
    )
)]
pub async fn receive(app: &App, req: &Request) -> Result<Reply, AppError> {
    provider(app)?;
    let event: WebhookEvent = serde_json::from_slice(body_bytes(req))
        .map_err(|e| AppError::bad_request(format!("웹훅 본문을 읽을 수 없습니다: {e}")))?;
    let text = |name: &str| {
        event
            .data
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    };
    let (order_id, payment_key) = (text("orderId"), text("paymentKey"));
    if event.event_type == PAYMENT_STATUS_CHANGED && valid_order_id(order_id) {
        act_on(app, order_id, payment_key).await?;
    }
    Reply::ok(&serde_json::json!({}))
}

async fn act_on(app: &App, order_id: &str, payment_key: &str) -> Result<(), AppError> {
    let Some(topup) = app.db.topup(order_id).await? else {
        return Ok(());
    };
    let client = &provider(app)?.client;
    let busy = |e: crate::provider::ProviderError| AppError::Busy(e.to_string());
    if topup.status == TopupStatus::Done {
        // Our own payment's record, never the key the body names.
        let Some(key) = topup.payment_key.as_deref() else {
            return Ok(());
        };
        if let Some(payment) = client.payment(key).await.map_err(busy)? {
            take_back_reversals(app, &topup, &payment).await?;
        }
        return Ok(());
    }
    if payment_key.is_empty() {
        return Ok(());
    }
    let Some(payment) = client.payment(payment_key).await.map_err(busy)? else {
        return Ok(());
    };
    settle_named(app, &payment).await
}

/// Settles the top-up the provider's record names (which may not be the
/// one the body named).
async fn settle_named(app: &App, payment: &Payment) -> Result<(), AppError> {
    if !valid_order_id(&payment.order_id) {
        return Ok(());
    }
    if let Some(topup) = app.db.topup(&payment.order_id).await? {
        settle(app, topup, payment).await?;
    }
    Ok(())
}

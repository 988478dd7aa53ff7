//! The sandbox over HTTP, as the local stack serves it under
//! `/sandbox/toss`: the provider's API subset (`/v1/...`, Basic auth with
//! the sandbox's secret key), the checkout call and page, faults and
//! webhook replay.

use crate::{page, Answer, Mode, Operation, Sandbox};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Where the sandbox is mounted on the stack's port.
pub const PREFIX: &str = "/sandbox/toss";

/// Longest a lost answer keeps its connection open.
const HANG: Duration = Duration::from_secs(30);

/// The sandbox as served: where replayed webhooks go, and the lost
/// answers still holding their connections.
#[derive(Clone)]
pub struct Served {
    pub sandbox: Arc<Sandbox>,
    /// The service's base URL (`http://127.0.0.1:8080`).
    pub service_url: String,
    hangs: Arc<tokio::sync::Notify>,
}

impl Served {
    pub fn new(sandbox: Arc<Sandbox>, service_url: String) -> Served {
        Served {
            sandbox,
            service_url,
            hangs: Arc::default(),
        }
    }

    /// Ends every lost answer's wait (the stack is stopping).
    pub fn release(&self) {
        self.hangs.notify_waiters();
    }

    /// The routes, to nest under [`PREFIX`].
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/payments/confirm", post(confirm))
            .route("/v1/payments/orders/{order_id}", get(by_order))
            .route("/v1/payments/{payment_key}", get(by_key))
            .route("/v1/payments/{payment_key}/cancel", post(cancel))
            .route("/checkout", post(checkout).get(checkout_page))
            .route("/checkout/pay", post(checkout_paid))
            .route("/faults", post(faults))
            .route("/webhooks/replay", post(replay))
            .with_state(self.clone())
    }

    async fn answer(&self, a: Answer) -> Response {
        match a {
            Answer::Reply(status, body) => reply(status, body),
            Answer::Hang => {
                let _ = tokio::time::timeout(HANG, self.hangs.notified()).await;
                reply(
                    504,
                    json!({ "code": "LOST", "message": "answer lost on purpose" }),
                )
            }
        }
    }
}

fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

/// The service's secret key, or the provider's 401.
/// An answer not yet a response: the status and the provider's body.
type Refusal = (u16, Value);

fn authorised(s: &Served, headers: &HeaderMap) -> Result<(), Refusal> {
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", s.sandbox.secret_key));
    let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
    if sent == Some(&format!("Basic {expected}")) {
        Ok(())
    } else {
        Err((
            401,
            json!({ "code": "UNAUTHORIZED_KEY", "message": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다." }),
        ))
    }
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn bad(message: &str) -> Response {
    reply(
        400,
        json!({ "code": "INVALID_REQUEST", "message": message }),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfirmBody {
    payment_key: String,
    order_id: String,
    amount: i64,
}

async fn confirm(
    State(s): State<Served>,
    headers: HeaderMap,
    body: Option<Json<ConfirmBody>>,
) -> Response {
    if let Err((status, body)) = authorised(&s, &headers) {
        return reply(status, body);
    }
    let Some(Json(b)) = body else {
        return bad("paymentKey, orderId, amount are required");
    };
    let key = idempotency_key(&headers);
    let a = s
        .sandbox
        .confirm(&b.payment_key, &b.order_id, b.amount, key.as_deref());
    s.answer(a).await
}

async fn by_key(State(s): State<Served>, headers: HeaderMap, Path(key): Path<String>) -> Response {
    if let Err((status, body)) = authorised(&s, &headers) {
        return reply(status, body);
    }
    s.answer(s.sandbox.payment(&key)).await
}

async fn by_order(
    State(s): State<Served>,
    headers: HeaderMap,
    Path(order): Path<String>,
) -> Response {
    if let Err((status, body)) = authorised(&s, &headers) {
        return reply(status, body);
    }
    s.answer(s.sandbox.payment_of_order(&order)).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CancelBody {
    cancel_reason: String,
    cancel_amount: i64,
}

async fn cancel(
    State(s): State<Served>,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Option<Json<CancelBody>>,
) -> Response {
    if let Err((status, body)) = authorised(&s, &headers) {
        return reply(status, body);
    }
    let Some(Json(b)) = body else {
        return bad("cancelReason and cancelAmount are required");
    };
    let idem = idempotency_key(&headers);
    let a = s
        .sandbox
        .cancel(&key, &b.cancel_reason, b.cancel_amount, idem.as_deref());
    s.answer(a).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckoutBody {
    order_id: String,
    amount: i64,
    #[serde(default)]
    outcome: Option<String>,
}

fn paid(
    s: &Served,
    order_id: &str,
    amount: i64,
    outcome: Option<&str>,
) -> Result<crate::Record, Refusal> {
    let decline = match outcome {
        None | Some("pay") => false,
        Some("decline") => true,
        Some(_) => {
            return Err((
                400,
                json!({ "code": "INVALID_REQUEST", "message": "outcome is `pay` or `decline`" }),
            ))
        }
    };
    s.sandbox
        .checkout(order_id, amount, decline)
        .map_err(|a| match a {
            Answer::Reply(status, body) => (status, body),
            Answer::Hang => (500, json!({ "code": "FAILED_INTERNAL_SYSTEM_PROCESSING" })),
        })
}

/// The fan pays in the provider's window.
async fn checkout(State(s): State<Served>, body: Option<Json<CheckoutBody>>) -> Response {
    let Some(Json(b)) = body else {
        return bad("orderId and amount are required");
    };
    match paid(&s, &b.order_id, b.amount, b.outcome.as_deref()) {
        Ok(p) => reply(
            201,
            json!({ "paymentKey": p.payment_key, "orderId": p.order_id, "amount": p.total_amount }),
        ),
        Err((status, body)) => reply(status, body),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    order_id: String,
    amount: i64,
    success_url: String,
    fail_url: String,
}

async fn checkout_page(Query(q): Query<PageQuery>) -> Html<String> {
    Html(page::checkout(
        &q.order_id,
        q.amount,
        &q.success_url,
        &q.fail_url,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageForm {
    order_id: String,
    amount: i64,
    success_url: String,
    outcome: String,
}

/// The page's buttons: back to the app's success URL, as the provider
/// redirects, with what the app confirms with.
async fn checkout_paid(State(s): State<Served>, Form(f): Form<PageForm>) -> Response {
    match paid(&s, &f.order_id, f.amount, Some(&f.outcome)) {
        Ok(p) => {
            let sep = if f.success_url.contains('?') {
                '&'
            } else {
                '?'
            };
            let query = format!(
                "paymentKey={}&orderId={}&amount={}",
                encode(&p.payment_key),
                encode(&p.order_id),
                p.total_amount
            );
            Redirect::to(&format!("{}{sep}{query}", f.success_url)).into_response()
        }
        Err((status, body)) => reply(status, body),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
struct FaultBody {
    operation: Operation,
    mode: Mode,
    count: u32,
    /// Calls to let through before the fault (default 0: the next ones).
    #[serde(default)]
    after: u32,
}

async fn faults(State(s): State<Served>, body: Option<Json<FaultBody>>) -> Response {
    let Some(Json(f)) = body else {
        return bad("operation (confirm|cancel|any), mode (down|lose-answer|refuse), count");
    };
    s.sandbox.fault(f.operation, f.mode, f.after, f.count);
    reply(200, json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplayBody {
    payment_key: String,
}

/// Sends the payment's webhook, as it is now, to the service.
async fn replay(State(s): State<Served>, body: Option<Json<ReplayBody>>) -> Response {
    let Some(Json(b)) = body else {
        return bad("paymentKey is required");
    };
    let Some(event) = s.sandbox.webhook(&b.payment_key) else {
        return reply(
            404,
            json!({ "code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다." }),
        );
    };
    let sent = match client::Client::new(&s.service_url, client::Auth::None) {
        Ok(c) => {
            c.call("POST", "/webhooks/payments", None, Some(&event), None)
                .await
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(a) => reply(200, json!({ "delivered": a.status, "answer": a.body })),
        Err(e) => reply(
            502,
            json!({ "code": "WEBHOOK_NOT_DELIVERED", "message": e.to_string() }),
        ),
    }
}

//! One log line per request (SPEC §9): what on-call searches by. Route,
//! status, error code, latency, API Gateway's and Lambda's request ids, the
//! user, and the reservation or payment the request touched.

use super::error::ErrorBody;
use super::request::verified_user;
use super::Reply;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;
use std::time::Duration;

/// What the line says about one request.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RequestLine {
    pub route: String,
    pub status: u16,
    pub code: Option<String>,
    pub api_request_id: Option<String>,
    pub lambda_request_id: Option<String>,
    pub user: Option<String>,
    pub reservation: Option<String>,
    pub payment: Option<String>,
}

impl RequestLine {
    /// Gathers the line from the request as API Gateway delivered it and
    /// the reply; `fallback_route` names the function when the event has
    /// no route key.
    pub fn of(req: &Request, reply: &Reply, fallback_route: &str) -> Self {
        let (route, api_request_id) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                (ctx.route_key.clone(), ctx.request_id.clone())
            }
            _ => (None, None),
        };
        // Bodies are read for ids only where they are small: writes (GET
        // has none, and its answers are the big pages) and refusals.
        let write = req.method() != lambda_http::http::Method::GET;
        let sent = write.then(|| json_of(req.body())).flatten();
        let answered: Option<Value> = (write || reply.status >= 400)
            .then(|| serde_json::from_str(&reply.body).ok())
            .flatten();
        let code = (reply.status >= 400)
            .then(|| serde_json::from_str::<ErrorBody>(&reply.body).ok())
            .flatten()
            .map(|e| e.code);
        let field = |name: &str| {
            let path = req.path_parameters_ref().and_then(|p| p.first(name));
            path.map(str::to_string)
                .or_else(|| text_of(sent.as_ref(), name))
                .or_else(|| text_of(answered.as_ref(), name))
        };
        RequestLine {
            route: route.unwrap_or_else(|| fallback_route.to_string()),
            status: reply.status,
            code,
            api_request_id,
            lambda_request_id: req.lambda_context_ref().map(|c| c.request_id.clone()),
            user: verified_user(req).or_else(|| field("userId")),
            reservation: field("reservationId"),
            payment: field("paymentId"),
        }
    }

    /// Writes the line: server errors at `error`, the rest at `info`.
    pub fn log(&self, latency: Duration) {
        let latency_ms = latency.as_secs_f64() * 1000.0;
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    route = %self.route,
                    status = self.status,
                    code = self.code.as_deref(),
                    latency_ms,
                    api_request_id = self.api_request_id.as_deref(),
                    lambda_request_id = self.lambda_request_id.as_deref(),
                    user = self.user.as_deref(),
                    reservation_id = self.reservation.as_deref(),
                    payment_id = self.payment.as_deref(),
                    "request"
                )
            };
        }
        if self.status >= 500 {
            line!(error);
        } else {
            line!(info);
        }
    }
}

fn json_of(body: &Body) -> Option<Value> {
    match body {
        Body::Text(t) => serde_json::from_str(t).ok(),
        Body::Binary(b) => serde_json::from_slice(b).ok(),
        _ => None,
    }
}

/// A string or number field of a JSON object, as text.
fn text_of(value: Option<&Value>, name: &str) -> Option<String> {
    match value?.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

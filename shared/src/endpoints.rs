//! The route table: every API endpoint is one row — the function's name
//! (its `Handler` in `template.yaml`, which routes to it), the handler, and
//! the business counters its answers feed. Each endpoint is its own Lambda
//! function; the local gateway serves the template's routes through this
//! same table.

use crate::app::App;
use crate::counters::Counted;
use crate::handlers::{
    admin, catalog, history, payments, points, queue, reservations, rooms, seatmap, topups,
    webhooks, withdrawals,
};
use crate::http::access_log::RequestLine;
use crate::http::{AppError, Reply};
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};

/// A handler as the table holds it.
pub type Handler = for<'a> fn(&'a App, &'a Request) -> BoxFuture<'a, Result<Reply, AppError>>;

/// Who may call an endpoint when the API sits behind CloudFront.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only requests that came through CloudFront (`X-Origin-Verify`).
    ThroughEdge,
    /// Also straight at the API: the payment provider's webhook, which
    /// nothing it sends is trusted by (the provider's own record decides).
    Direct,
    /// Straight at the API only: the organiser's routes, whose SigV4
    /// signature API Gateway verifies (CloudFront rewrites `Host`, so a
    /// signed request cannot come through it). An operator pauses
    /// admission whether or not the edge is up.
    Signed,
}

/// One row of the route table.
#[derive(Clone, Copy)]
pub struct Endpoint {
    name: &'static str,
    handler: Handler,
    counted: Counted,
    reach: Reach,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Endpoint {}

/// An organiser's route (`/admin/*`, IAM-authorised in the template).
macro_rules! admin {
    ($name:literal, $handler:path) => {
        route!($name, $handler, Counted::Nothing, Reach::Signed)
    };
}

macro_rules! route {
    ($name:literal, $handler:path) => {
        route!($name, $handler, Counted::Nothing)
    };
    ($name:literal, $handler:path, $counted:expr) => {
        route!($name, $handler, $counted, Reach::ThroughEdge)
    };
    ($name:literal, $handler:path, $counted:expr, $reach:expr) => {
        Endpoint {
            name: $name,
            handler: |app, req| Box::pin($handler(app, req)),
            counted: $counted,
            reach: $reach,
        }
    };
}

/// Every endpoint, by the name its function's `Handler` carries.
/// The routes a flash crowd hits (the template's sale-path functions):
/// their answers are what the local admission guard watches.
pub const SALE_PATH: [&str; 4] = [
    "post-queue",
    "get-queue",
    "post-reservation",
    "post-payment",
];

pub static ENDPOINTS: &[Endpoint] = &[
    route!("get-concerts", catalog::list_concerts),
    route!("get-concert", catalog::get_concert),
    route!("get-schedules", catalog::list_schedules),
    route!("get-seats", catalog::list_seats),
    route!("post-queue", queue::join, Counted::Joins),
    route!("get-queue", queue::status),
    route!("post-reservation", reservations::reserve, Counted::Holds),
    route!("patch-points", points::charge),
    route!("get-points", points::get),
    route!("post-payment", payments::pay, Counted::Payments),
    admin!("post-admin-concert", admin::concerts::create),
    admin!("post-admin-schedule", admin::schedules::create),
    admin!("patch-admin-schedule", admin::schedules::patch),
    admin!("post-admin-schedule-cancel", admin::schedules::cancel),
    admin!("get-admin-report", admin::report::report),
    admin!("post-admin-schedule-repair", admin::repair::repair),
    admin!("get-admin-queue", admin::queue::get),
    admin!("put-admin-queue", admin::queue::put),
    route!("post-reservation-cancel", reservations::cancel),
    route!("get-reservations", history::reservations),
    route!("get-points-history", history::points),
    route!("post-topup", topups::create),
    route!("post-topup-confirm", topups::confirm),
    route!("get-topup", topups::get),
    route!("post-withdrawal", withdrawals::create),
    route!("get-withdrawal", withdrawals::get),
    route!(
        "post-payment-webhook",
        webhooks::receive,
        Counted::Nothing,
        Reach::Direct
    ),
    admin!("post-admin-reconcile", admin::reconcile::run),
    admin!("put-admin-room", admin::rooms::put),
    admin!("get-admin-room", admin::rooms::get),
    route!("get-concert-room", rooms::get),
    route!("get-layout", seatmap::layout),
    route!("get-availability", seatmap::availability),
];

impl Endpoint {
    /// The function's name: its `Handler` in the template.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// Who may call it when the API sits behind CloudFront.
    pub fn reach(self) -> Reach {
        self.reach
    }

    pub fn on_sale_path(self) -> bool {
        SALE_PATH.contains(&self.name)
    }

    pub fn by_name(name: &str) -> Option<Endpoint> {
        ENDPOINTS.iter().copied().find(|e| e.name == name)
    }

    /// The endpoint's answer to `req`, logged as one line.
    pub async fn reply(self, app: &App, req: &Request) -> Reply {
        let started = std::time::Instant::now();
        let reply = self.answer(app, req).await;
        let line = RequestLine::of(req, &reply, self.name);
        line.log(started.elapsed());
        crate::counters::answered(self.counted, reply.status, line.code.as_deref());
        reply
    }

    async fn answer(self, app: &App, req: &Request) -> Reply {
        // Behind CloudFront, only requests that came through it count
        // (the provider's webhook and the organiser's signed calls come
        // straight to the API).
        let edge = app.config.edge_origin_secret.as_ref();
        if let Some(secret) = edge.filter(|_| self.reach == Reach::ThroughEdge) {
            let sent = crate::http::request::header(req, "x-origin-verify");
            if sent != Some(secret.as_str()) {
                return Reply::error(&AppError::NotThroughEdge);
            }
        }
        Reply::from((self.handler)(app, req).await)
    }

    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        self.reply(app, &req).await.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = ENDPOINTS.iter().map(|e| e.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ENDPOINTS.len());
        assert_eq!(
            Endpoint::by_name("post-payment").map(Endpoint::name),
            Some("post-payment")
        );
        assert!(Endpoint::by_name("nope").is_none());
    }
}

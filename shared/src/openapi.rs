//! The OpenAPI 3.1 document of the API, built from the request and reply
//! types the handlers use. `docs/openapi.json` is this document; a test
//! fails when the committed file is stale.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Concert ticket reservation API",
        version = "1.0.0",
        description = "A fair waiting room, seat browsing, seat holds, prepaid points and payment. \
            Every error has the body {status, message, code}. Token-gated endpoints need \
            `Authorization: Bearer <tokenId>` of an ACTIVE token of the request's user \
            (POST /queues issues one; GET /queues/{userId} tells when it is ACTIVE).",
    ),
    paths(
        crate::handlers::catalog::list_concerts,
        crate::handlers::catalog::get_concert,
        crate::handlers::catalog::list_schedules,
        crate::handlers::catalog::list_seats,
        crate::handlers::queue::join,
        crate::handlers::queue::status,
        crate::handlers::reservations::reserve,
        crate::handlers::points::charge,
        crate::handlers::points::get,
        crate::handlers::payments::pay,
        crate::handlers::reservations::cancel,
        crate::handlers::history::reservations,
        crate::handlers::history::points,
        crate::handlers::admin::concerts::create,
        crate::handlers::admin::schedules::create,
        crate::handlers::admin::schedules::patch,
        crate::handlers::admin::schedules::cancel,
        crate::handlers::admin::report::report,
        crate::handlers::admin::repair::repair,
        crate::handlers::admin::queue::get,
        crate::handlers::admin::queue::put,
        crate::handlers::admin::rooms::get,
        crate::handlers::admin::rooms::put,
        crate::handlers::rooms::get,
        crate::handlers::seatmap::layout,
        crate::handlers::seatmap::availability,
        crate::handlers::topups::create,
        crate::handlers::topups::confirm,
        crate::handlers::topups::get,
        crate::handlers::withdrawals::create,
        crate::handlers::withdrawals::get,
        crate::handlers::webhooks::receive,
        crate::handlers::admin::reconcile::run,
    ),
    modifiers(&BearerToken, &Links),
    tags(
        (name = "catalogue", description = "Concerts, dates and seats"),
        (name = "queue", description = "The waiting room"),
        (name = "reservations", description = "Seat holds, tickets and their cancellation"),
        (name = "points", description = "Prepaid points and payment"),
        (name = "money", description = "Top-ups through the payment provider and withdrawals back to the card (PAYMENT_PROVIDER toss or sandbox)"),
        (name = "organiser", description = "Putting shows on sale, cancelling them, running the waiting room"),
    )
)]
pub struct ApiDoc;

/// The document as committed in `docs/openapi.json`.
pub fn json() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "queueToken",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        let mut organiser = Http::new(HttpAuthScheme::Bearer);
        organiser.description = Some(
            "In AWS: API Gateway IAM authorization — a SigV4-signed request by a principal \
             with the stack's OrganiserPolicy (a refused signature gets API Gateway's own 403 \
             body). Locally: `Authorization: Bearer <ADMIN_TOKEN>`; missing or wrong → 401 \
             ADMIN_UNAUTHORIZED."
                .into(),
        );
        components.add_security_scheme("organiser", SecurityScheme::Http(organiser));
        let mut identity = Http::new(HttpAuthScheme::Bearer);
        identity.bearer_format = Some("JWT".into());
        identity.description = Some(
            "AUTH_MODE=jwt (the deployed default): an identity token whose `sub` is the \
             request's userId, verified by API Gateway's JWT authorizer (locally by the \
             gateway; `POST /dev/tokens` issues one). AUTH_MODE=open: not needed."
                .into(),
        );
        components.add_security_scheme("identityToken", SecurityScheme::Http(identity));
    }
}

/// OpenAPI links: where an answer's ids lead next, so a client (and the
/// contract fuzzer's stateful phase) can walk join → hold → pay → cancel
/// and concert → schedule → report → cancel.
struct Links;

/// `(path, method, status, link name, target operation, parameters, body)`.
type LinkSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
);

const LINKS: &[LinkSpec] = &[
    (
        "/queues",
        "post",
        "201",
        "QueueStatus",
        "queue_status",
        &[("userId", "$request.body#/userId")],
        None,
    ),
    (
        "/points",
        "patch",
        "200",
        "Balance",
        "get_points",
        &[("userId", "$response.body#/userId")],
        None,
    ),
    (
        "/points",
        "patch",
        "200",
        "History",
        "points_history",
        &[("userId", "$response.body#/userId")],
        None,
    ),
    (
        "/reservations",
        "post",
        "201",
        "Pay",
        "pay",
        &[],
        Some(
            r#"{"userId":"$request.body#/userId","reserveId":"$response.body#/reserveId","amount":"$response.body#/price"}"#,
        ),
    ),
    (
        "/reservations",
        "post",
        "201",
        "Cancel",
        "cancel_reservation",
        &[("reserveId", "$response.body#/reserveId")],
        Some(r#"{"userId":"$request.body#/userId"}"#),
    ),
    (
        "/payments",
        "post",
        "201",
        "Return",
        "cancel_reservation",
        &[("reserveId", "$response.body#/reserveId")],
        Some(r#"{"userId":"$response.body#/userId"}"#),
    ),
    (
        "/admin/concerts",
        "post",
        "201",
        "AddSchedule",
        "create_schedule",
        &[("concertId", "$response.body#/id")],
        None,
    ),
    (
        "/admin/concerts/{concertId}/schedules",
        "post",
        "201",
        "ChangeWindow",
        "change_schedule",
        &[("scheduleId", "$response.body#/scheduleId")],
        None,
    ),
    (
        "/admin/concerts/{concertId}/schedules",
        "post",
        "201",
        "Report",
        "schedule_report",
        &[("scheduleId", "$response.body#/scheduleId")],
        None,
    ),
    (
        "/admin/concerts/{concertId}/schedules",
        "post",
        "201",
        "Cancel",
        "cancel_schedule",
        &[("scheduleId", "$response.body#/scheduleId")],
        None,
    ),
];

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{link::Link, RefOr};
        for (path, method, status, name, target, params, body) in LINKS {
            let Some(item) = openapi.paths.paths.get_mut(*path) else {
                continue;
            };
            let op = match *method {
                "post" => item.post.as_mut(),
                "patch" => item.patch.as_mut(),
                _ => item.get.as_mut(),
            };
            let Some(RefOr::T(response)) = op.and_then(|o| o.responses.responses.get_mut(*status))
            else {
                continue;
            };
            let mut link = Link::builder().operation_id(*target);
            for (k, v) in *params {
                link = link.parameter(*k, *v);
            }
            let body = body.and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok());
            response.links.insert(
                (*name).to_string(),
                RefOr::T(link.request_body(body).build()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_link_leads_to_an_operation() {
        let doc = serde_json::to_value(<super::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let mut links = 0;
        for (path, method, status, name, target, _, _) in super::LINKS {
            let link = &doc["paths"][path][method]["responses"][status]["links"][name];
            assert_eq!(link["operationId"], *target, "{path} {method} {name}");
            assert!(ids.contains(target), "{target} is no operation");
            links += 1;
        }
        assert_eq!(links, super::LINKS.len());
    }

    #[test]
    fn committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
        let current = super::json();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == current,
            "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p shared --features openapi openapi`"
        );
    }
}

//! The OpenAPI 3.1 document of the API, built from the request and reply
//! types the handlers use. `docs/openapi.json` is this document; a test
//! fails when the committed file is stale.

use crate::domain::catalog::Concert;
use crate::handlers::admin::concerts::NewConcert;
use crate::handlers::admin::queue::{QueueBody, QueueChange};
use crate::handlers::admin::report::ReportBody;
use crate::handlers::admin::schedules::{CancelBody, NewSchedule, ScheduleBody, WindowChange};
use crate::handlers::catalog::{SchedulesBody, SeatsBody};
use crate::handlers::history::{HistoryBody, ReservationsBody};
use crate::handlers::payments::{PayRequest, PaymentBody};
use crate::handlers::points::{ChargeRequest, PointsBody};
use crate::handlers::queue::{JoinRequest, TokenBody};
use crate::handlers::reservations::{
    CancelRequest, CancelledBody, ReservationBody, ReserveRequest,
};
use crate::http::error::ErrorBody;
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
        list_concerts,
        get_concert,
        list_schedules,
        list_seats,
        join_queue,
        queue_status,
        reserve,
        charge_points,
        get_points,
        pay,
        cancel_reservation,
        list_reservations,
        points_history,
        create_concert,
        create_schedule,
        change_schedule,
        cancel_schedule,
        schedule_report,
        get_queue_control,
        set_queue_control,
    ),
    modifiers(&BearerToken, &Links),
    tags(
        (name = "catalogue", description = "Concerts, dates and seats"),
        (name = "queue", description = "The waiting room"),
        (name = "reservations", description = "Seat holds, tickets and their cancellation"),
        (name = "points", description = "Prepaid points and payment"),
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

#[utoipa::path(
    get, path = "/concerts", tag = "catalogue",
    responses((status = 200, description = "Every concert", body = [Concert]))
)]
#[allow(dead_code)]
fn list_concerts() {}

#[utoipa::path(
    get, path = "/concerts/{concertId}", tag = "catalogue",
    params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
    responses(
        (status = 200, description = "The concert", body = Concert),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "등록되지 않은 콘서트입니다.", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn get_concert() {}

#[utoipa::path(
    get, path = "/concerts/{concertId}/schedules", tag = "catalogue",
    security(("queueToken" = [])),
    params(("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
    responses(
        (status = 200, description = "Dates still on sale, with seats left", body = SchedulesBody),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
        (status = 403, description = "Token still waiting", body = ErrorBody),
        (status = 404, description = "Unknown concert", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn list_schedules() {}

#[utoipa::path(
    get, path = "/concerts/schedules/{scheduleId}/seats", tag = "catalogue",
    security(("queueToken" = [])),
    params(
        ("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 9007199254740991_u64,
            description = "Page size (at most SEAT_PAGE_SIZE, 500 by default)"),
        ("cursor" = Option<u64>, Query, minimum = 1, maximum = 9007199254740991_u64,
            description = "`nextCursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the seats reservable now, with price", body = SeatsBody),
        (status = 400, description = "Malformed id, limit or cursor", body = ErrorBody),
        (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
        (status = 403, description = "Token still waiting", body = ErrorBody),
        (status = 404, description = "Unknown schedule, or one whose seats are still being written", body = ErrorBody),
        (status = 409, description = "취소된 공연입니다.", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn list_seats() {}

#[utoipa::path(
    security((), ("identityToken" = [])),
    post, path = "/queues", tag = "queue",
    request_body = JoinRequest,
    responses(
        (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
        (status = 403, description = "AUTH_MODE=jwt: the identity token names another user (IDENTITY_MISMATCH)", body = ErrorBody),
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 201, description = "A WAIT token with its position", body = TokenBody),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 409, description = "이미 토큰이 존재합니다.", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn join_queue() {}

#[utoipa::path(
    get, path = "/queues/{userId}", tag = "queue",
    security(("queueToken" = [])),
    params(("userId" = String, Path, min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._@-]{1,64}$")),
    responses(
        (status = 200, description = "WAIT with position and estimated wait, or ACTIVE with its window", body = TokenBody),
        (status = 400, description = "Malformed user id", body = ErrorBody),
        (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
        (status = 403, description = "Another user's token", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn queue_status() {}

#[utoipa::path(
    post, path = "/reservations", tag = "reservations",
    security(("queueToken" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$",
        description = "Same key and body: the first reply again, no second hold")),
    request_body = ReserveRequest,
    responses(
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 201, description = "Held (TEMP) until expiredAt", body = ReservationBody),
        (status = 400, description = "Malformed body or key", body = ErrorBody),
        (status = 401, description = "Token missing, malformed, unknown or over", body = ErrorBody),
        (status = 403, description = "Token waiting or another user's", body = ErrorBody),
        (status = 404, description = "Unknown concert, schedule or seat, or not of each other", body = ErrorBody),
        (status = 409, description = "이미 예약된 좌석입니다. / the hold limit / key in use", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Key reused with another body", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn reserve() {}

#[utoipa::path(
    security((), ("identityToken" = [])),
    patch, path = "/points", tag = "points",
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$",
        description = "Same key and body: the first reply again, no second charge")),
    request_body = ChargeRequest,
    responses(
        (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
        (status = 403, description = "AUTH_MODE=jwt: the identity token names another user (IDENTITY_MISMATCH)", body = ErrorBody),
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 200, description = "The balance after the charge", body = PointsBody),
        (status = 400, description = "Malformed body or key, amount out of range, or balance limit", body = ErrorBody),
        (status = 409, description = "Key in use by a request still running", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Key reused with another body", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn charge_points() {}

#[utoipa::path(
    security((), ("identityToken" = [])),
    get, path = "/points/{userId}", tag = "points",
    params(("userId" = String, Path, min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._@-]{1,64}$")),
    responses(
        (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
        (status = 403, description = "AUTH_MODE=jwt: the identity token names another user (IDENTITY_MISMATCH)", body = ErrorBody),
        (status = 200, description = "The balance (0 if never charged)", body = PointsBody),
        (status = 400, description = "Malformed user id", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn get_points() {}

#[utoipa::path(
    post, path = "/payments", tag = "points",
    security(("queueToken" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$",
        description = "Same key and body: the first reply again, no second payment")),
    request_body = PayRequest,
    responses(
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 201, description = "Paid: points debited, seat sold, token ended", body = PaymentBody),
        (status = 400, description = "결제 금액이 일치하지 않습니다. / malformed body", body = ErrorBody),
        (status = 401, description = "Token missing, malformed, unknown, over or spent", body = ErrorBody),
        (status = 402, description = "잔액이 부족합니다.", body = ErrorBody),
        (status = 403, description = "Another user's token or reservation, or a waiting token", body = ErrorBody),
        (status = 404, description = "Unknown reservation", body = ErrorBody),
        (status = 409, description = "결제할 수 없는 예약 내역입니다. / key in use", body = ErrorBody),
        (status = 410, description = "임시 예약 시간이 만료되었습니다.", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Key reused with another body", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn pay() {}

#[utoipa::path(
    security((), ("identityToken" = [])),
    post, path = "/reservations/{reserveId}/cancel", tag = "reservations",
    params(
        ("reserveId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$",
            description = "Same key and body: the first reply again, no second refund"),
    ),
    request_body = CancelRequest,
    responses(
        (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 200, description = "Cancelled: a hold released (refund 0) or a ticket refunded in full, its seat back on sale", body = CancelledBody),
        (status = 400, description = "Malformed id, body or key", body = ErrorBody),
        (status = 403, description = "Another user's reservation", body = ErrorBody),
        (status = 404, description = "Unknown reservation", body = ErrorBody),
        (status = 409, description = "취소할 수 없는 예약입니다. / 취소 가능 기간이 지났습니다. / 취소된 공연입니다.", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Key reused with another body", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn cancel_reservation() {}

#[utoipa::path(
    security((), ("identityToken" = [])),
    get, path = "/reservations", tag = "reservations",
    params(
        ("userId" = String, Query, min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._@-]{1,64}$"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, pattern = r"^[0-9]{1,16}-[0-9]{1,16}$", description = "`nextCursor` of the previous page"),
    ),
    responses(
        (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
        (status = 403, description = "AUTH_MODE=jwt: the identity token names another user (IDENTITY_MISMATCH)", body = ErrorBody),
        (status = 200, description = "The user's reservations, newest first, each with its status now", body = ReservationsBody),
        (status = 400, description = "Malformed user id, limit or cursor", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn list_reservations() {}

#[utoipa::path(
    security((), ("identityToken" = [])),
    get, path = "/points/{userId}/history", tag = "points",
    params(
        ("userId" = String, Path, min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._@-]{1,64}$"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, pattern = r"^[0-9]{16}#[0-9]{1,16}$", description = "`nextCursor` of the previous page"),
    ),
    responses(
        (status = 401, description = "AUTH_MODE=jwt: identity token missing, malformed, forged or expired (in AWS the JWT authorizer's own 401 body)", body = ErrorBody),
        (status = 403, description = "AUTH_MODE=jwt: the identity token names another user (IDENTITY_MISMATCH)", body = ErrorBody),
        (status = 200, description = "Point movements, newest first; their amounts sum to the balance", body = HistoryBody),
        (status = 400, description = "Malformed user id, limit or cursor", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn points_history() {}

#[utoipa::path(
    post, path = "/admin/concerts", tag = "organiser",
    security(("organiser" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$",
        description = "Same key and body: the first reply again, nothing created twice")),
    request_body = NewConcert,
    responses(
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 201, description = "The concert", body = Concert),
        (status = 400, description = "Malformed body, empty title, or start after end", body = ErrorBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Key reused with another body", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn create_concert() {}

#[utoipa::path(
    post, path = "/admin/concerts/{concertId}/schedules", tag = "organiser",
    security(("organiser" = [])),
    params(
        ("concertId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,128}[ \t]*$",
            description = "Same key and body: the first reply again, nothing created twice"),
    ),
    request_body = NewSchedule,
    responses(
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 201, description = "READY (up to 5,000 seats, written in the call) or PREPARING (finished in the background)", body = ScheduleBody),
        (status = 400, description = "Date outside the concert, no or duplicate sections, seats not in 1..60000, price not in 1..10000000, opens ≥ closes", body = ErrorBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        (status = 404, description = "Unknown concert", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 422, description = "Key reused with another body", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn create_schedule() {}

#[utoipa::path(
    patch, path = "/admin/schedules/{scheduleId}", tag = "organiser",
    security(("organiser" = [])),
    params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
    request_body = WindowChange,
    responses(
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 200, description = "The schedule with its new sale window", body = ScheduleBody),
        (status = 400, description = "Malformed body, or a window that closes before it opens", body = ErrorBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        (status = 404, description = "Unknown schedule", body = ErrorBody),
        (status = 409, description = "취소된 공연입니다.", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn change_schedule() {}

#[utoipa::path(
    post, path = "/admin/schedules/{scheduleId}/cancel", tag = "organiser",
    security(("organiser" = [])),
    params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
    responses(
        (status = 200, description = "CANCELLED, with the final totals (the same on every later call)", body = CancelBody),
        (status = 202, description = "CANCELLING: the job runs on; totals so far", body = CancelBody),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        (status = 404, description = "Unknown schedule", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn cancel_schedule() {}

#[utoipa::path(
    get, path = "/admin/schedules/{scheduleId}/report", tag = "organiser",
    security(("organiser" = [])),
    params(("scheduleId" = u64, Path, minimum = 1, maximum = 9007199254740991_u64)),
    responses(
        (status = 200, description = "Seats, sales and refunds as they are now", body = ReportBody),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
        (status = 404, description = "Unknown schedule", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn schedule_report() {}

#[utoipa::path(
    get, path = "/admin/queue", tag = "organiser",
    security(("organiser" = [])),
    responses(
        (status = 200, description = "The waiting room's control and size", body = QueueBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn get_queue_control() {}

#[utoipa::path(
    put, path = "/admin/queue", tag = "organiser",
    security(("organiser" = [])),
    request_body = QueueChange,
    responses(
        (status = 415, description = "A body sent as anything but JSON", body = ErrorBody),
        (status = 200, description = "The control as stored; it applies from the next admission round", body = QueueBody),
        (status = 400, description = "Malformed body or maxActive not in 1..1000000", body = ErrorBody),
        (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn set_queue_control() {}

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

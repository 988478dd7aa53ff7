//! The organiser's side of a sale (SPEC §6): concerts and schedules made
//! through the API, sale windows to the millisecond, big schedules
//! prepared in the background, runtime queue control.

use crate::kit::{TestApp, ADMIN_TOKEN, T0};
use serde_json::{json, Value};
use shared::domain::jobs::JobKind;
use shared::jobs::prepare;
use std::sync::Arc;

/// A concert from 2026-01-10 to 2026-01-12; its id.
async fn concert(h: &TestApp) -> u64 {
    let r = h
        .admin(
            "POST",
            "/admin/concerts",
            Some(&json!({"title": "겨울 콘서트", "startDate": "2026-01-10", "endDate": "2026-01-12"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_u64().expect("id")
}

fn sections(rows: u64, per_row: u64) -> Value {
    json!([{"name": "A", "rows": rows, "seatsPerRow": per_row, "price": 100_000},
           {"name": "VIP", "rows": 1, "seatsPerRow": 2, "price": 200_000}])
}

async fn schedule(h: &TestApp, concert: u64, body: Value) -> crate::kit::Resp {
    h.admin(
        "POST",
        &format!("/admin/concerts/{concert}/schedules"),
        Some(&body),
    )
    .await
}

#[tokio::test]
async fn only_the_organiser_reaches_the_admin_routes() {
    let h = TestApp::new().await;
    let body = json!({"title": "t", "startDate": "2026-01-10", "endDate": "2026-01-12"});
    for token in [None, Some("wrong"), Some("")] {
        let r = h.req("POST", "/admin/concerts", token, Some(&body)).await;
        assert_eq!(
            (
                r.status,
                r.body["code"].as_str(),
                r.body["message"].as_str()
            ),
            (
                401,
                Some("ADMIN_UNAUTHORIZED"),
                Some("관리자 인증이 필요합니다.")
            ),
            "{token:?}: {r:?}"
        );
    }
    let r = h.req("GET", "/admin/queue", None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(h.req("GET", "/concerts", None, None).await.body, json!([]));
}

#[tokio::test]
async fn a_show_goes_on_sale_through_the_api() {
    let h = TestApp::new().await;
    let c = concert(&h).await;
    let r = schedule(
        &h,
        c,
        json!({"date": "2026-01-11", "sections": sections(2, 3)}),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["status"], "READY");
    assert_eq!(r.body["totalSeats"], 8);
    // Default window: from now until the start of the show's day in Seoul.
    assert_eq!(r.body["saleOpensAt"], "2026-01-01T00:00:00.000Z");
    assert_eq!(r.body["saleClosesAt"], "2026-01-10T15:00:00.000Z");
    let id = r.body["scheduleId"].as_u64().expect("scheduleId");

    let token = h.active("fan").await;
    let listed = h
        .req(
            "GET",
            &format!("/concerts/{c}/schedules"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        listed.body["schedules"][0]["availableSeats"], 8,
        "{listed:?}"
    );
    assert_eq!(listed.body["schedules"][0]["onSale"], true);
    let seats = h
        .req(
            "GET",
            &format!("/concerts/schedules/{id}/seats"),
            Some(&token),
            None,
        )
        .await;
    let numbers: Vec<&str> = seats.body["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["seatNumber"].as_str().expect("number"))
        .collect();
    assert_eq!(
        numbers,
        ["A-1-1", "A-1-2", "A-1-3", "A-2-1", "A-2-2", "A-2-3", "VIP-1-1", "VIP-1-2"]
    );
    let first = seats.body["seats"][6]["seatId"].as_u64().expect("seatId");
    let held = h.reserve("fan", &token, c, id, first).await;
    assert_eq!(
        (held.status, held.body["price"].as_i64()),
        (201, Some(200_000)),
        "{held:?}"
    );

    // Seat ids are unique across schedules, and every block starts fresh.
    let other = schedule(
        &h,
        c,
        json!({"date": "2026-01-12", "sections": sections(1, 1)}),
    )
    .await;
    let other_id = other.body["scheduleId"].as_u64().expect("id");
    let seats = h
        .req(
            "GET",
            &format!("/concerts/schedules/{other_id}/seats"),
            Some(&token),
            None,
        )
        .await;
    let ids: Vec<u64> = seats.body["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["seatId"].as_u64().expect("id"))
        .collect();
    assert!(ids.iter().all(|i| *i > first), "{ids:?}");
    assert_eq!(ids[0] % 100, 0);
}

#[tokio::test]
async fn bad_schedules_change_nothing() {
    let h = TestApp::new().await;
    let c = concert(&h).await;
    let big = json!([{"name": "A", "rows": 200, "seatsPerRow": 300, "price": 1},
                     {"name": "B", "rows": 1, "seatsPerRow": 1, "price": 1}]);
    for (body, why) in [
        (
            json!({"date": "2026-01-09", "sections": sections(1, 1)}),
            "before the concert",
        ),
        (
            json!({"date": "2026-01-13", "sections": sections(1, 1)}),
            "after the concert",
        ),
        (json!({"date": "2026-01-11", "sections": []}), "no sections"),
        (
            json!({"date": "2026-01-11", "sections": [{"name": "A", "rows": 1, "seatsPerRow": 1, "price": 1},
                                                   {"name": "A", "rows": 1, "seatsPerRow": 1, "price": 1}]}),
            "duplicate names",
        ),
        (
            json!({"date": "2026-01-11", "sections": [{"name": "A", "rows": 0, "seatsPerRow": 1, "price": 1}]}),
            "zero seats",
        ),
        (
            json!({"date": "2026-01-11", "sections": big}),
            "60,001 seats",
        ),
        (
            json!({"date": "2026-01-11", "sections": [{"name": "A", "rows": 1, "seatsPerRow": 1, "price": -1}]}),
            "negative price",
        ),
        (
            json!({"date": "2026-01-11", "sections": [{"name": "A", "rows": 1, "seatsPerRow": 1, "price": 10_000_001}]}),
            "price too high",
        ),
        (
            json!({"date": "2026-01-11", "saleOpensAt": "2026-01-05T00:00:00Z", "saleClosesAt": "2026-01-05T00:00:00Z", "sections": sections(1, 1)}),
            "opens = closes",
        ),
        (
            json!({"date": "2026-01-11", "saleOpensAt": "tomorrow", "sections": sections(1, 1)}),
            "not a time",
        ),
        (json!({"date": "2026-01-11"}), "no sections field"),
    ] {
        let r = schedule(&h, c, body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("INVALID_REQUEST")),
            "{why}: {r:?}"
        );
    }
    let r = schedule(
        &h,
        999,
        json!({"date": "2026-01-11", "sections": sections(1, 1)}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("CONCERT_NOT_FOUND"))
    );
    let r = h
        .admin(
            "POST",
            "/admin/concerts",
            Some(&json!({"title": " ", "startDate": "2026-01-10", "endDate": "2026-01-12"})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = h
        .admin(
            "POST",
            "/admin/concerts",
            Some(&json!({"title": "t", "startDate": "2026-01-13", "endDate": "2026-01-12"})),
        )
        .await;
    assert_eq!(r.status, 400);
    // Nothing was written: no schedule, no seat.
    assert!(devkit::inspect::seats(&h.app().db)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(h.app().db.list_schedules(c).await.unwrap().len(), 0);
}

#[tokio::test]
async fn the_same_idempotency_key_creates_nothing_twice() {
    let h = TestApp::new().await;
    let c = concert(&h).await;
    let body = json!({"date": "2026-01-11", "sections": sections(3, 10)}).to_string();
    let path = format!("/admin/concerts/{c}/schedules");
    let send = || {
        h.raw(
            "POST",
            &path,
            Some(ADMIN_TOKEN),
            body.clone().into_bytes(),
            &[("Idempotency-Key", "show-1")],
        )
    };
    let (first, again) = (send().await, send().await);
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(h.app().db.list_schedules(c).await.unwrap().len(), 1);
    assert_eq!(devkit::inspect::seats(&h.app().db).await.unwrap().len(), 32);
}

#[tokio::test]
async fn a_big_schedule_is_prepared_in_the_background_and_then_sold() {
    let h = TestApp::new().await;
    let c = concert(&h).await;
    // 6,002 seats: over the 5,000 written within the call.
    let r = schedule(
        &h,
        c,
        json!({"date": "2026-01-11", "sections": sections(60, 100)}),
    )
    .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (201, Some("PREPARING")),
        "{r:?}"
    );
    let id = r.body["scheduleId"].as_u64().expect("id");
    let first_seat = devkit::inspect::seats(&h.app().db).await.unwrap().len();
    assert!(first_seat < 6_002, "the call wrote every seat itself");
    // Not listed, not reservable, until every seat exists.
    let token = h.active("fan").await;
    let listed = h
        .req(
            "GET",
            &format!("/concerts/{c}/schedules"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(listed.body["schedules"], json!([]));
    let seats = h
        .req(
            "GET",
            &format!("/concerts/schedules/{id}/seats"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(seats.status, 404);
    // An invocation that wrote its blocks and died before saving its
    // progress: the step runs again from the same record and writes no
    // seat twice; a step on a stale read saves nothing.
    let job = h.app().db.job(JobKind::Prepare, id).await.unwrap().unwrap();
    assert!(prepare::step(h.app(), &job).await.unwrap());
    assert!(
        !prepare::step(h.app(), &job).await.unwrap(),
        "stale progress saved"
    );
    let written = devkit::inspect::seats(&h.app().db).await.unwrap().len();
    assert_eq!(written, 2_000, "one step writes 20 blocks");
    // The worker carries on off the jobs table's stream, step by step.
    assert!(h.run_jobs().await >= 2);
    let report = h
        .admin("GET", &format!("/admin/schedules/{id}/report"), None)
        .await;
    assert_eq!(report.body["status"], "READY", "{report:?}");
    assert_eq!(
        (
            report.body["totalSeats"].as_u64(),
            report.body["available"].as_u64()
        ),
        (Some(6_002), Some(6_002))
    );
    assert_eq!(
        devkit::inspect::seats(&h.app().db).await.unwrap().len(),
        6_002
    );
    let listed = h
        .req(
            "GET",
            &format!("/concerts/{c}/schedules"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(listed.body["schedules"][0]["availableSeats"], 6_002);

    // Cancelling it is too big for one call: 202 with the totals so far,
    // the worker carries on, and the same call then answers 200.
    let seats = seat_ids(&h, id).await;
    let held = h.reserve("fan", &token, c, id, seats[6_000]).await;
    assert_eq!(held.status, 201, "{held:?}");
    let path = format!("/admin/schedules/{id}/cancel");
    let first = h.admin("POST", &path, None).await;
    assert_eq!(
        (first.status, first.body["status"].as_str()),
        (202, Some("CANCELLING")),
        "{first:?}"
    );
    let report = h
        .admin("GET", &format!("/admin/schedules/{id}/report"), None)
        .await;
    assert_eq!(
        (
            report.body["status"].as_str(),
            report.body["available"].as_u64()
        ),
        (Some("CANCELLING"), Some(0))
    );
    assert!(h.run_jobs().await >= 2);
    let done = h.admin("POST", &path, None).await;
    let totals = json!({"scheduleId": id, "status": "CANCELLED",
                        "releasedHolds": 1, "refundedTickets": 0, "refundedPoints": 0});
    assert_eq!((done.status, &done.body), (200, &totals));
    let all = devkit::inspect::seats(&h.app().db).await.unwrap();
    assert!(all
        .iter()
        .filter(|s| s.schedule_id == id)
        .all(|s| s.cancelled.is_some()));
    h.audit().await;
}

#[tokio::test]
async fn the_sale_window_holds_to_the_millisecond() {
    let h = Arc::new(TestApp::new().await);
    let c = concert(&h).await;
    // Opens 10 s after T0, closes 20 s after.
    let body = json!({"date": "2026-01-11", "saleOpensAt": "2026-01-01T09:00:10+09:00",
                      "saleClosesAt": "2026-01-01T00:00:20.000Z", "sections": sections(1, 10)});
    let r = schedule(&h, c, body).await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["scheduleId"].as_u64().expect("id");
    let users = h.active_many("win", 3).await;
    let seat = seat_ids(&h, id).await;
    let listed = h
        .req(
            "GET",
            &format!("/concerts/{c}/schedules"),
            Some(&users[0].1),
            None,
        )
        .await;
    assert_eq!(listed.body["schedules"][0]["onSale"], false);
    // Browsing is allowed before the sale opens.
    let seats = h
        .req(
            "GET",
            &format!("/concerts/schedules/{id}/seats"),
            Some(&users[0].1),
            None,
        )
        .await;
    assert_eq!(seats.status, 200);
    let hold = |i: usize, n: usize| {
        let (u, t) = users[i].clone();
        let (h, seat) = (h.clone(), seat[n]);
        async move { h.reserve(&u, &t, c, id, seat).await }
    };
    h.clock.set_ms(T0 + 9_999);
    let r = hold(0, 0).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("SALE_NOT_OPEN")),
        "{r:?}"
    );
    assert_eq!(r.body["message"], "예매 가능한 시간이 아닙니다.");
    h.clock.set_ms(T0 + 10_000);
    assert_eq!(hold(0, 0).await.status, 201);
    h.clock.set_ms(T0 + 19_999);
    assert_eq!(hold(1, 1).await.status, 201);
    h.clock.set_ms(T0 + 20_000);
    let r = hold(2, 2).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("SALE_CLOSED")),
        "{r:?}"
    );
    // The organiser moves the close: on sale again at once.
    let r = h
        .admin(
            "PATCH",
            &format!("/admin/schedules/{id}"),
            Some(&json!({"saleClosesAt": "2026-01-01T00:01:00Z"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["saleClosesAt"].as_str()),
        (200, Some("2026-01-01T00:01:00.000Z")),
        "{r:?}"
    );
    assert_eq!(hold(2, 2).await.status, 201);
    let r = h
        .admin(
            "PATCH",
            &format!("/admin/schedules/{id}"),
            Some(&json!({"saleOpensAt": "2026-01-01T00:02:00Z"})),
        )
        .await;
    assert_eq!(r.status, 400, "a window closing before it opens: {r:?}");
    let r = h
        .admin("PATCH", "/admin/schedules/999", Some(&json!({})))
        .await;
    assert_eq!(r.status, 404);
}

/// A schedule's seat ids in order.
pub async fn seat_ids(h: &TestApp, schedule: u64) -> Vec<u64> {
    let seats = devkit::inspect::seats(&h.app().db).await.unwrap();
    let mut ids: Vec<u64> = seats
        .iter()
        .filter(|s| s.schedule_id == schedule)
        .map(|s| s.seat_id)
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn the_organiser_pauses_and_resizes_admission_without_a_redeploy() {
    let h = TestApp::with(|c| c.queue_max_active = 10).await;
    let r = h.admin("GET", "/admin/queue", None).await;
    assert_eq!(
        r.body,
        json!({"paused": false, "maxActive": 10, "active": 0, "waiting": 0})
    );
    let r = h
        .admin("PUT", "/admin/queue", Some(&json!({"paused": true})))
        .await;
    assert_eq!(
        (r.status, r.body["paused"].as_bool()),
        (200, Some(true)),
        "{r:?}"
    );
    for u in ["p1", "p2", "p3"] {
        h.join(u).await;
    }
    assert_eq!(h.admission_round().await.admitted, 0, "paused: joins only");
    let r = h.admin("GET", "/admin/queue", None).await;
    assert_eq!(
        (r.body["waiting"].as_u64(), r.body["active"].as_u64()),
        (Some(3), Some(0))
    );
    let r = h
        .admin(
            "PUT",
            "/admin/queue",
            Some(&json!({"paused": false, "maxActive": 2})),
        )
        .await;
    assert_eq!(r.body["maxActive"], 2);
    assert_eq!(h.admission_round().await.admitted, 2);
    assert_eq!(
        h.admission_round().await.admitted,
        0,
        "the stored maximum wins"
    );
    let r = h.admin("GET", "/admin/queue", None).await;
    assert_eq!(
        (r.body["waiting"].as_u64(), r.body["active"].as_u64()),
        (Some(1), Some(2))
    );
    for bad in [
        json!({"maxActive": 0}),
        json!({"maxActive": 1_000_001}),
        json!({"maxActive": "5"}),
        json!({"paused": 1}),
    ] {
        let r = h.admin("PUT", "/admin/queue", Some(&bad)).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }
}

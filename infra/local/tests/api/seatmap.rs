//! SPEC §13: a schedule's layout (public) and its free seats as bits
//! (ACTIVE token), matching the seats themselves under racing holds, at
//! most a second behind them.

use crate::kit::{catalog, TestApp};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Seat ids whose bit is 1 in an availability body.
fn free_ids(body: &Value) -> BTreeSet<u64> {
    let bits = base64::engine::general_purpose::STANDARD
        .decode(body["free"].as_str().expect("free"))
        .expect("base64");
    let first = body["firstSeatId"].as_u64().unwrap();
    let seats = body["seats"].as_u64().unwrap();
    assert_eq!(bits.len() as u64, seats.div_ceil(8));
    (0..seats)
        .filter(|i| bits[(i / 8) as usize] & (0x80 >> (i % 8)) != 0)
        .map(|i| first + i)
        .collect()
}

/// Every seat id of schedule 1 the seat list offers now.
async fn listed(h: &TestApp, token: &str) -> BTreeSet<u64> {
    let r = h
        .req(
            "GET",
            "/concerts/schedules/1/seats?limit=500",
            Some(token),
            None,
        )
        .await;
    assert!(r.body["nextCursor"].is_null());
    r.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seatId"].as_u64().unwrap())
        .collect()
}

/// Schedule 1's availability body (asserting a 200).
async fn availability(h: &TestApp, token: &str) -> Value {
    let path = "/concerts/schedules/1/availability";
    let r = h.req("GET", path, Some(token), None).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

#[tokio::test]
async fn a_layout_names_every_seat_as_the_seat_list_does() {
    let h = TestApp::new().await;
    let concert = h
        .admin(
            "POST",
            "/admin/concerts",
            Some(&json!({"title": "맵", "startDate": "2026-03-01", "endDate": "2026-03-01"})),
        )
        .await;
    let sections = json!([
        {"name": "VIP", "rows": 2, "seatsPerRow": 5, "price": 150000},
        {"name": "R", "rows": 3, "seatsPerRow": 4, "price": 99000},
    ]);
    let path = format!("/admin/concerts/{}/schedules", concert.body["id"]);
    let created = h
        .admin(
            "POST",
            &path,
            Some(&json!({"date": "2026-03-01", "sections": sections})),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["scheduleId"].as_u64().unwrap();

    let r = h
        .req(
            "GET",
            &format!("/concerts/schedules/{id}/layout"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.max_age, Some(86_400));
    assert_eq!(r.body["scheduleId"], id);
    let placed = r.body["sections"].as_array().unwrap();
    let first = placed[0]["firstSeatId"].as_u64().unwrap();
    assert_eq!(placed[1]["firstSeatId"].as_u64().unwrap(), first + 10);
    assert_eq!(placed[1]["seatsPerRow"], 4);

    // The seat list agrees with the layout's formula, seat by seat.
    let fan = h.active("mapfan").await;
    let r = h
        .req(
            "GET",
            &format!("/concerts/schedules/{id}/seats"),
            Some(&fan),
            None,
        )
        .await;
    let seats = r.body["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 22);
    for seat in seats {
        let seat_id = seat["seatId"].as_u64().unwrap();
        let section = placed
            .iter()
            .rev()
            .find(|s| s["firstSeatId"].as_u64().unwrap() <= seat_id)
            .unwrap();
        let i = seat_id - section["firstSeatId"].as_u64().unwrap();
        let per_row = section["seatsPerRow"].as_u64().unwrap();
        let name = section["name"].as_str().unwrap();
        let number = format!("{name}-{}-{}", i / per_row + 1, i % per_row + 1);
        assert_eq!(seat["seatNumber"], number.as_str());
        assert_eq!(seat["price"], section["price"]);
    }

    let r = h
        .req("GET", "/concerts/schedules/999/layout", None, None)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("SCHEDULE_NOT_FOUND"))
    );
    let r = h
        .req("GET", "/concerts/schedules/x/layout", None, None)
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn availability_asks_for_an_active_token_and_refuses_a_cancelled_date() {
    let h = TestApp::with(|c| c.queue_max_active = 1).await;
    h.load(&catalog(10)).await;
    let path = "/concerts/schedules/1/availability";
    let r = h.req("GET", path, None, None).await;
    assert_eq!(r.status, 401);
    let active = h.active("first").await;
    let waiting = h.join("second").await;
    let r = h.req("GET", path, Some(&waiting), None).await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = h.req("GET", path, Some(&active), None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (r.body["firstSeatId"].as_u64(), r.body["seats"].as_u64()),
        (Some(1), Some(10))
    );
    assert_eq!(free_ids(&r.body), (1..=10).collect());
    assert!(r.body["asOf"].is_string());
    let r = h
        .req(
            "GET",
            "/concerts/schedules/404/availability",
            Some(&active),
            None,
        )
        .await;
    assert_eq!(r.status, 404);

    let cancelled = h.admin("POST", "/admin/schedules/1/cancel", None).await;
    assert!([200, 202].contains(&cancelled.status), "{cancelled:?}");
    h.run_jobs().await;
    h.advance_ms(1_500);
    let r = h.req("GET", path, Some(&active), None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("SCHEDULE_CANCELLED"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bitmap_matches_the_seats_after_hundreds_of_racing_holds() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(300)).await;
    let fans = h.active_many("bits", 200).await;
    // 200 fans, two holds each, most on the same 120 seats.
    let tasks = fans.iter().cloned().enumerate().map(|(i, (user, token))| {
        let h = h.clone();
        tokio::spawn(async move {
            let mut won = Vec::new();
            for seat in [(i as u64 * 7) % 120 + 1, (i as u64 * 13) % 120 + 1] {
                if h.reserve(&user, &token, 1, 1, seat).await.status == 201 {
                    won.push(seat);
                }
            }
            won
        })
    });
    let won: Vec<u64> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    let distinct: BTreeSet<u64> = won.iter().copied().collect();
    assert_eq!(won.len(), distinct.len(), "a seat held twice");
    assert!(won.len() > 50, "{} holds", won.len());

    // No seat event delivered: the bits read the seats themselves, and
    // lag them by at most the cache's second.
    h.advance_ms(1_001);
    let viewer = &fans[0].1;
    let free = free_ids(&availability(&h, viewer).await);
    assert_eq!(free.len(), 300 - won.len());
    assert!(free.is_disjoint(&distinct));
    // The final word: every seat's own state.
    let taken: BTreeSet<u64> = h.seats_taken(1).await.into_iter().map(|t| t.0).collect();
    assert_eq!(taken, distinct);
    assert_eq!(free, listed(&h, viewer).await);

    // Holds lapse: every seat free again, with no event needed.
    h.advance_ms(301_000);
    assert_eq!(free_ids(&availability(&h, viewer).await).len(), 300);
}

#[tokio::test]
async fn sixty_thousand_seats_come_in_seven_and_a_half_kilobytes_of_bits() {
    let h = TestApp::new().await;
    h.load(&catalog(60_000)).await;
    let fan = h.active("big").await;
    let r = h
        .req(
            "GET",
            "/concerts/schedules/1/availability",
            Some(&fan),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let free = r.body["free"].as_str().unwrap();
    let bits = base64::engine::general_purpose::STANDARD
        .decode(free)
        .unwrap();
    assert_eq!(bits.len(), 7_500);
    assert_eq!(free_ids(&r.body).len(), 60_000);
}

#[tokio::test]
async fn availability_lags_a_hold_by_at_most_a_second() {
    // The catalogue cache on, at its deployed lifetime.
    let h = TestApp::with(|c| c.catalog_cache_ms = 1_000).await;
    h.load(&catalog(10)).await;
    let fan = h.active("lag").await;
    // The seat list keeps the blocks it read; the bits must not build on
    // that copy, or a hold could stay hidden for two lifetimes.
    let r = h
        .req("GET", "/concerts/schedules/1/seats", Some(&fan), None)
        .await;
    assert_eq!(r.status, 200);
    h.advance_ms(1);
    assert_eq!(h.reserve("lag", &fan, 1, 1, 3).await.status, 201);
    h.advance_ms(998);
    availability(&h, &fan).await;
    h.advance_ms(3);
    let free = free_ids(&availability(&h, &fan).await);
    assert!(
        !free.contains(&3),
        "a hold 1,001 ms old is still shown free"
    );
    assert_eq!(free.len(), 9);
}

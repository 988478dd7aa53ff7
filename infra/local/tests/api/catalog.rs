use crate::kit::{catalog, TestApp};
use serde_json::json;
use shared::clock::Clock;
use std::collections::BTreeSet;

#[tokio::test]
async fn concerts_list_and_detail_follow_the_seed() {
    let h = TestApp::new().await;
    h.load(&catalog(3)).await;
    let r = h.req("GET", "/concerts", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body[0],
        json!({"id": 1, "title": "A 콘서트", "startDate": "2025-12-01", "endDate": "2026-02-01"})
    );
    assert_eq!(r.body.as_array().unwrap().len(), 2);

    let r = h.req("GET", "/concerts/2", None, None).await;
    assert_eq!(
        (r.status, r.body["title"].as_str()),
        (200, Some("B 콘서트"))
    );

    let r = h.req("GET", "/concerts/999999", None, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["status"], "NOT_FOUND");
    assert_eq!(r.body["message"], "등록되지 않은 콘서트입니다.");

    for bad in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
        let r = h.req("GET", &format!("/concerts/{bad}"), None, None).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert_eq!(r.body["status"], "BAD_REQUEST");
    }
    let r = h.req("GET", "/nowhere", None, None).await;
    assert_eq!(r.status, 404);
    let r = h.req("DELETE", "/concerts", None, None).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn schedules_list_open_dates_only() {
    let h = TestApp::new().await;
    h.load(&catalog(3)).await;
    let token = h.active("fan1").await;
    let r = h
        .req("GET", "/concerts/1/schedules", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"concertId": 1, "schedules": [{
            "scheduleId": 1,
            "date": "2026-02-01",
            "saleOpensAt": "1970-01-01T00:00:00.000Z",
            // Midnight in Seoul, the default SALE_TIMEZONE.
            "saleClosesAt": "2026-01-31T15:00:00.000Z",
            "onSale": true,
            "availableSeats": 3
        }]})
    );
    let r = h
        .req("GET", "/concerts/77/schedules", Some(&token), None)
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (404, Some("등록되지 않은 콘서트입니다."))
    );
    let r = h
        .req("GET", "/concerts/schedules/77/seats", Some(&token), None)
        .await;
    assert_eq!(r.status, 404);
}

/// Sets a seat's sale state directly, as a hold or a sale would.
async fn mark(h: &TestApp, seat: u64, hold_until: Option<i64>, sold: bool) {
    let seat = devkit::inspect::seat(&h.app().db, 1, seat)
        .await
        .unwrap()
        .unwrap();
    let sold_by = sold.then_some(seat.seat_id);
    devkit::inspect::set_seat_state(&h.app().db, &seat, hold_until, sold_by)
        .await
        .unwrap();
}

#[tokio::test]
async fn seat_pages_return_each_reservable_seat_exactly_once() {
    let h = TestApp::with(|c| c.seat_page_size = 1000).await;
    h.load(&catalog(2_000)).await;
    let now = h.clock.now_ms();
    let mut unreservable = BTreeSet::new();
    for seat in 1..=2_000u64 {
        match seat % 10 {
            // A live hold, a sale and a hold that has lapsed.
            1 => {
                mark(&h, seat, Some(now + 60_000), false).await;
                unreservable.insert(seat);
            }
            2 => {
                mark(&h, seat, None, true).await;
                unreservable.insert(seat);
            }
            3 => mark(&h, seat, Some(now), false).await,
            _ => {}
        }
    }
    let token = h.active("pager").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=333&cursor={c}"),
            None => "?limit=333".to_string(),
        };
        let r = h
            .req(
                "GET",
                &format!("/concerts/schedules/1/seats{q}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        pages += 1;
        for s in r.body["seats"].as_array().unwrap() {
            assert!(s["price"].as_i64().unwrap() >= 50_000);
            assert!(s["seatNumber"].is_string());
            seen.push(s["seatId"].as_u64().unwrap());
        }
        match r.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 50, "paging does not end");
    }
    let expected: Vec<u64> = (1..=2_000).filter(|s| !unreservable.contains(s)).collect();
    assert_eq!(seen, expected);
    assert_eq!(seen.len(), 1_600);

    // Without a limit the configured page size applies: the page reads
    // the first 1,000 seats and returns the reservable ones among them.
    let r = h
        .req("GET", "/concerts/schedules/1/seats", Some(&token), None)
        .await;
    let first_thousand = expected.iter().filter(|s| **s <= 1_000).count();
    assert_eq!(r.body["seats"].as_array().unwrap().len(), first_thousand);
    assert_eq!(r.body["nextCursor"], "1000");
    for bad in ["?limit=0", "?limit=x", "?cursor=-4"] {
        let r = h
            .req(
                "GET",
                &format!("/concerts/schedules/1/seats{bad}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn a_seat_page_costs_the_same_however_many_seats_are_held() {
    let h = TestApp::new().await;
    h.load(&catalog(600)).await;
    let meter = devkit::meter::Meter::default();
    let db = devkit::meter::metered(&h.app().db, &meter);
    let schedule = db.cached_schedule(1).await.unwrap().unwrap();
    let now = h.clock.now_ms();
    let page = |after| {
        let (db, schedule, meter) = (db.clone(), schedule.clone(), meter.clone());
        async move {
            meter.reset();
            let page = db
                .reservable_seats(&schedule, after, 50, now)
                .await
                .unwrap();
            (page, meter.total())
        }
    };
    let (empty, empty_cost) = page(Some(80)).await;
    assert_eq!(empty.seats.len(), 50);
    assert_eq!(empty.next_after, Some(130));
    // Hold all but the last seat: a page now finds nothing reservable,
    // yet reads as many items, in as many calls, as before.
    for seat in 1..600u64 {
        mark(&h, seat, Some(now + 60_000), false).await;
    }
    let (held, held_cost) = page(Some(80)).await;
    assert!(held.seats.is_empty());
    assert_eq!(held.next_after, Some(130));
    assert_eq!(held_cost.calls, empty_cost.calls);
    assert_eq!(held_cost.calls, 2, "one query per block the page spans");
    assert!(held_cost.read_units <= 2.0 * empty_cost.read_units);
    // The last page ends the list.
    let (last, _) = page(Some(590)).await;
    assert_eq!(
        last.seats.iter().map(|s| s.seat_id).collect::<Vec<_>>(),
        [600]
    );
    assert_eq!(last.next_after, None);
}

#[tokio::test]
async fn hot_catalogue_reads_come_from_the_cache() {
    let h = TestApp::with(|c| c.catalog_cache_ms = 60_000).await;
    h.load(&catalog(10)).await;
    let token = h.active("cached").await;
    let gets = |h: &TestApp| h.meter.snapshot().get("GetItem").map_or(0, |u| u.calls);
    let batch_reads = |h: &TestApp| h.meter.total().read_units;
    let seats = "/concerts/schedules/1/seats";
    for (round, schedule_reads) in [(0, 1), (1, 0)] {
        h.meter.reset();
        assert_eq!(h.req("GET", seats, Some(&token), None).await.status, 200);
        // The gate's token read, plus the schedule and its concert (the
        // token's scope) only the first time.
        assert_eq!(gets(&h), 1 + 2 * schedule_reads, "round {round}");
        // The seats of the block, too, are read once.
        let queries = h.meter.snapshot().get("Query").map_or(0, |u| u.calls);
        assert_eq!(queries, schedule_reads, "round {round}");
    }
    // A hold reads the concert and the schedule once, then only the seat
    // and the user's slots; the seat's own condition still decides. (The
    // seat page above kept them already: start from an empty cache.)
    h.app().db.caches.items.clear();
    let mut units = Vec::new();
    for seat in [1, 2] {
        h.meter.reset();
        let r = h.reserve("cached", &token, 1, 1, seat).await;
        assert_eq!(r.status, 201, "{r:?}");
        units.push(batch_reads(&h));
    }
    assert!(units[1] < units[0], "{units:?}");
    h.meter.reset();
    let r = h
        .req("GET", "/concerts/1/schedules", Some(&token), None)
        .await;
    assert_eq!(r.status, 200);
    let first = h.meter.total().calls;
    h.meter.reset();
    h.req("GET", "/concerts/1/schedules", Some(&token), None)
        .await;
    assert!(h.meter.total().calls < first);
    // Taken seats are never served from the cache: the seat's condition
    // refuses a second hold of seat 1.
    let other = h.active("other").await;
    assert_eq!(h.reserve("other", &other, 1, 1, 1).await.status, 409);
}

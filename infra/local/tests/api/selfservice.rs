//! A fan's own side (SPEC §7): letting a hold go, returning a ticket, the
//! refund deadline, the ticket cap under concurrency, and the paged lists
//! of reservations and point movements.

use crate::kit::{catalog, TestApp, T0};
use serde_json::{json, Value};
use std::sync::Arc;

async fn cancel(h: &TestApp, user: &str, reserve_id: u64) -> crate::kit::Resp {
    h.req(
        "POST",
        &format!("/reservations/{reserve_id}/cancel"),
        None,
        Some(&json!({ "userId": user })),
    )
    .await
}

fn code(r: &crate::kit::Resp) -> (u16, Option<&str>) {
    (r.status, r.body["code"].as_str())
}

#[tokio::test]
async fn a_fan_lets_a_hold_go_and_returns_a_ticket() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(10)).await;
    let users = h.active_many("self", 2).await;
    let ((me, mine), (you, yours)) = (users[0].clone(), users[1].clone());
    h.charge(&me, json!(1_000_000), None).await;

    let (hold, _) = h.hold(&me, &mine, 1).await;
    let r = cancel(&h, &me, hold).await;
    assert_eq!(
        r.body,
        json!({"reserveId": hold, "status": "CANCELLED", "refund": 0}),
        "{r:?}"
    );
    // The seat is free a moment later (a new hold ends after the one let
    // go), and the hold cannot be cancelled twice.
    h.clock.advance_ms(1);
    assert_eq!(h.reserve(&you, &yours, 1, 1, 1).await.status, 201);
    assert_eq!(
        code(&cancel(&h, &me, hold).await),
        (409, Some("NOT_CANCELLABLE"))
    );
    assert_eq!(
        cancel(&h, &me, hold).await.body["message"],
        "취소할 수 없는 예약입니다."
    );

    // Movements in one millisecond have no defined order: a moment apart.
    h.advance_ms(1);
    let (ticket, price) = h.hold(&me, &mine, 2).await;
    assert_eq!(h.pay(&me, &mine, ticket, price, None).await.status, 201);
    h.advance_ms(1);
    assert_eq!(
        code(&cancel(&h, &you, ticket).await),
        (403, Some("RESERVATION_FORBIDDEN"))
    );
    assert_eq!(
        code(&cancel(&h, &me, 77).await),
        (404, Some("RESERVATION_NOT_FOUND"))
    );
    let r = cancel(&h, &me, ticket).await;
    assert_eq!(
        r.body,
        json!({"reserveId": ticket, "status": "CANCELLED", "refund": price}),
        "{r:?}"
    );
    assert_eq!(h.points(&me).await, 1_000_000);
    // Back on sale at once.
    assert_eq!(h.reserve(&you, &yours, 1, 1, 2).await.status, 201);

    // The history shows every movement, newest first, summing to the balance.
    let history = h
        .req("GET", &format!("/points/{me}/history"), None, None)
        .await;
    let kinds: Vec<(&str, i64)> = history.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("REFUND", price),
            ("PAYMENT", -price),
            ("CHARGE", 1_000_000)
        ]
    );
    assert_eq!(history.body["entries"][0]["reserveId"], ticket);
    assert!(history.body["entries"][0]["entryId"].is_string());
    assert_eq!(history.body["nextCursor"], Value::Null);

    // My reservations, newest first, each as it is now.
    let mine_now = h
        .req("GET", &format!("/reservations?userId={me}"), None, None)
        .await;
    let listed: Vec<(u64, &str)> = mine_now.body["reservations"]
        .as_array()
        .expect("reservations")
        .iter()
        .map(|r| {
            (
                r["reserveId"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [(ticket, "CANCELLED"), (hold, "CANCELLED")]);
    h.audit().await;
}

#[tokio::test]
async fn a_ticket_can_be_returned_until_the_refund_deadline_to_the_millisecond() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(10)).await;
    let users = h.active_many("late", 1).await;
    let (me, mine) = users[0].clone();
    h.charge(&me, json!(1_000_000), None).await;
    // Both held first: paying the last running hold ends the token.
    let holds = [h.hold(&me, &mine, 1).await, h.hold(&me, &mine, 2).await];
    let mut tickets = Vec::new();
    for (rid, price) in holds {
        assert_eq!(h.pay(&me, &mine, rid, price, None).await.status, 201);
        tickets.push(rid);
    }
    // Schedule 1 is on 2026-02-01 (Seoul): 24 hours before its day starts.
    let deadline = 1_769_871_600_000 - 24 * 3_600_000;
    h.clock.set_ms(deadline - 1);
    assert_eq!(cancel(&h, &me, tickets[0]).await.status, 200);
    h.clock.set_ms(deadline);
    let r = cancel(&h, &me, tickets[1]).await;
    assert_eq!(code(&r), (409, Some("REFUND_CLOSED")), "{r:?}");
    assert_eq!(r.body["message"], "취소 가능 기간이 지났습니다.");
    assert!(deadline > T0);
    h.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_concurrent_holds_never_pass_the_ticket_cap() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 36_000).await);
    h.load(&catalog(40)).await;
    let users = h.active_many("cap", 1).await;
    let (me, mine) = users[0].clone();
    h.charge(&me, json!(1_000_000), None).await;
    let burst = |seats: std::ops::RangeInclusive<u64>| {
        let tasks: Vec<_> = seats
            .map(|seat| {
                let (h, me, mine) = (h.clone(), me.clone(), mine.clone());
                tokio::spawn(async move { h.reserve(&me, &mine, 1, 1, seat).await })
            })
            .collect();
        async move {
            let mut held = Vec::new();
            for t in tasks {
                let r = t.await.expect("task");
                match code(&r) {
                    (201, _) => held.push((
                        r.body["reserveId"].as_u64().unwrap(),
                        r.body["price"].as_i64().unwrap(),
                    )),
                    (409, Some("TICKET_LIMIT")) => {}
                    other => panic!("unexpected {other:?}: {r:?}"),
                }
            }
            held
        }
    };
    // 16 at once: exactly the cap of 4.
    let held = burst(1..=16).await;
    assert_eq!(held.len(), 4);
    // Two bought tickets keep their slots after the other holds lapse.
    for (rid, price) in &held[..2] {
        assert_eq!(h.pay(&me, &mine, *rid, *price, None).await.status, 201);
    }
    h.advance_ms(300_000);
    assert_eq!(burst(17..=24).await.len(), 2, "2 tickets + 2 holds");
    h.advance_ms(300_000);
    // A returned ticket frees its slot.
    assert_eq!(cancel(&h, &me, held[0].0).await.status, 200);
    assert_eq!(burst(25..=32).await.len(), 3, "1 ticket + 3 holds");
    h.audit().await;
}

#[tokio::test]
async fn the_history_pages_sum_to_the_balance() {
    let h = TestApp::new().await;
    for i in 1..=25 {
        assert_eq!(h.charge("pager", json!(i), None).await.status, 200);
        h.advance_ms(1);
    }
    let mut cursor: Option<String> = None;
    let mut amounts = Vec::new();
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/points/pager/history?limit=10&cursor={}", urlencode(c)),
            None => "/points/pager/history?limit=10".to_string(),
        };
        let r = h.req("GET", &path, None, None).await;
        assert_eq!(r.status, 200, "{r:?}");
        pages += 1;
        amounts.extend(
            r.body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["amount"].as_i64().unwrap()),
        );
        match r.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(amounts, (1..=25).rev().collect::<Vec<i64>>());
    assert_eq!(amounts.iter().sum::<i64>(), h.points("pager").await);
    for bad in ["limit=0", "limit=101", "limit=x", "cursor=nonsense"] {
        let r = h
            .req("GET", &format!("/points/pager/history?{bad}"), None, None)
            .await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }
    let r = h
        .req("GET", "/reservations?userId=pager&cursor=x", None, None)
        .await;
    assert_eq!(r.status, 400);
    let r = h.req("GET", "/reservations", None, None).await;
    assert_eq!(r.status, 400, "userId is required");
    let r = h.req("GET", "/reservations?userId=pager", None, None).await;
    assert_eq!(r.body, json!({"reservations": [], "nextCursor": null}));
}

fn urlencode(s: &str) -> String {
    s.replace('#', "%23")
}

/// Found by the simulator (seed 2031): a fan let a hold go, and a host
/// whose clock lagged re-held the seat with an end before the released
/// hold's; the seats-left record, which names a seat's holds by their
/// ends, took the new hold for an old one and counted the seat free for
/// good. A new hold must end after the last one let go or returned.
#[tokio::test]
async fn a_host_whose_clock_lags_cannot_rehold_a_seat_ending_earlier() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(10)).await;
    let users = h.active_many("lag", 2).await;
    let ((me, mine), (you, yours)) = (users[0].clone(), users[1].clone());
    let (hold, _) = h.hold(&me, &mine, 1).await;
    h.clock.advance_ms(500);
    assert_eq!(cancel(&h, &me, hold).await.status, 200);
    // The next request lands on a host 800 ms behind.
    h.clock.advance_ms(-800);
    assert_eq!(
        code(&h.reserve(&you, &yours, 1, 1, 1).await),
        (409, Some("SEAT_TAKEN"))
    );
    h.clock.advance_ms(800);
    assert_eq!(h.reserve(&you, &yours, 1, 1, 1).await.status, 201);
    h.audit().await;
}

//! Seat holds: one holder per seat under any concurrency, the per-user
//! cap, exact expiry without waiting for TTL, and the TTL cleanup.

use crate::kit::{catalog, Resp, TestApp};
use shared::clock::Clock;
use shared::jobs::hold_cleanup::{self, Cleanup};
use shared::jobs::stream::is_ttl_delete;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_users_one_seat_one_winner() {
    let h = Arc::new(TestApp::new().await);
    h.load(&catalog(10)).await;
    let users = h.active_many("rush", 500).await;
    let tasks = users.into_iter().map(|(user, token)| {
        let h = h.clone();
        tokio::spawn(async move { h.reserve(&user, &token, 1, 1, 7).await })
    });
    let replies: Vec<Resp> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let won: Vec<&Resp> = replies.iter().filter(|r| r.status == 201).collect();
    let lost = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (won.len(), lost),
        (1, 499),
        "{:?}",
        replies.iter().find(|r| r.status != 201 && r.status != 409)
    );
    assert!(replies
        .iter()
        .filter(|r| r.status == 409)
        .all(|r| r.body["message"] == "이미 예약된 좌석입니다."));
    let w = &won[0].body;
    assert_eq!(w["status"], "TEMP");
    assert_eq!(w["seatNumber"], "A-1-3");
    assert_eq!(w["schedule"], "2026-02-01");
    assert_eq!(w["concert"]["title"], "A 콘서트");
    assert_eq!(w["price"], 50_000);
    let created = chrono::DateTime::parse_from_rfc3339(w["createdAt"].as_str().unwrap()).unwrap();
    let expired = chrono::DateTime::parse_from_rfc3339(w["expiredAt"].as_str().unwrap()).unwrap();
    assert_eq!((expired - created).num_seconds(), 300);

    let holders = h.seats_taken(1).await;
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].0, 7);
    assert_eq!(holders[0].2, w["reserveId"].as_u64().unwrap());
    let records = h.reservations().await;
    assert_eq!(records.len(), 1, "a losing request left a record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_users_race_for_a_hundred_seats() {
    let h = Arc::new(TestApp::new().await);
    h.load(&catalog(100)).await;
    let users = h.active_many("racer", 300).await;
    let tasks = users.into_iter().map(|(user, token)| {
        let h = h.clone();
        tokio::spawn(async move {
            let mut held = 0;
            for _ in 0..80 {
                let seat = rand::random_range(1..=100u64);
                let r = h.reserve(&user, &token, 1, 1, seat).await;
                match (r.status, r.body["code"].as_str()) {
                    (201, _) => held += 1,
                    (409, Some("SEAT_TAKEN")) => {}
                    (409, Some("TICKET_LIMIT")) => break,
                    other => panic!("unexpected {other:?}: {r:?}"),
                }
            }
            (user, held)
        })
    });
    let results: Vec<(String, u32)> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let total: u32 = results.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 100);
    assert!(results.iter().all(|(_, n)| *n <= 4));

    let holders = h.seats_taken(1).await;
    assert_eq!(holders.len(), 100);
    let seats: BTreeSet<u64> = holders.iter().map(|x| x.0).collect();
    assert_eq!(seats.len(), 100);
    let mut per_user: BTreeMap<String, u32> = BTreeMap::new();
    for (_, user, _) in &holders {
        *per_user.entry(user.clone()).or_default() += 1;
    }
    assert!(per_user.values().all(|n| *n <= 4), "{per_user:?}");
    // Each seat's hold is exactly the reservation record that claims it.
    let records = h.reservations().await;
    assert_eq!(records.len(), 100);
    let by_seat: BTreeMap<u64, u64> = records.iter().map(|r| (r.seat_id, r.reserve_id)).collect();
    for (seat, _, hold) in &holders {
        assert_eq!(by_seat.get(seat), Some(hold));
    }
}

#[tokio::test]
async fn the_hold_cap_counts_per_user_and_schedule() {
    let h = Arc::new(TestApp::new().await);
    h.load(&catalog(10)).await;
    let users = h.active_many("cap", 2).await;
    let (me, token) = &users[0];
    let (other, other_token) = &users[1];
    for seat in 1..=4 {
        assert_eq!(h.reserve(me, token, 1, 1, seat).await.status, 201);
    }
    let r = h.reserve(me, token, 1, 1, 5).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("TICKET_LIMIT")),
        "{r:?}"
    );
    assert_eq!(r.body["status"], "CONFLICT");
    // Found by contract fuzzing: an integral float is an integer id.
    let r = h
        .raw(
            "POST",
            "/reservations",
            Some(other_token),
            format!(r#"{{"userId":"{other}","concertId":1.0,"scheduleId":1,"seatId":6.0}}"#)
                .into_bytes(),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, r.body["seatId"].as_u64()),
        (201, Some(6)),
        "{r:?}"
    );
    // Another schedule has its own cap.
    assert_eq!(h.reserve(me, token, 2, 3, 100_001).await.status, 201);
}

#[tokio::test]
async fn unknown_ids_and_bad_bodies_hold_nothing() {
    let h = Arc::new(TestApp::new().await);
    h.load(&catalog(10)).await;
    let users = h.active_many("cap", 2).await;
    let (other, other_token) = &users[1];
    // Unknown or mismatched concert, schedule or seat: 404, nothing written.
    for (c, s, seat, code) in [
        (9, 1, 6, "CONCERT_NOT_FOUND"),
        (1, 9, 6, "SCHEDULE_NOT_FOUND"),
        (2, 1, 6, "SCHEDULE_NOT_FOUND"),
        (1, 1, 999, "SEAT_NOT_FOUND"),
        (1, 1, 100_001, "SEAT_NOT_FOUND"),
    ] {
        let r = h.reserve(other, other_token, c, s, seat).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (404, Some(code)),
            "{c}/{s}/{seat}: {r:?}"
        );
    }
    // A past schedule's sale has closed: 409, nothing written.
    let r = h.reserve(other, other_token, 1, 2, 11).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("SALE_CLOSED")),
        "{r:?}"
    );
    // Malformed bodies: 400.
    for body in [
        r#"{"userId":"cap1","concertId":"1","scheduleId":1,"seatId":6}"#,
        r#"{"userId":"cap1","concertId":1,"scheduleId":1.5,"seatId":6}"#,
        r#"{"userId":"cap1","concertId":1,"scheduleId":1,"seatId":-6}"#,
        r#"{"userId":"cap1","concertId":1,"scheduleId":1,"seatId":0}"#,
        r#"{"userId":"cap1","concertId":1,"scheduleId":1}"#,
        r#"{"userId":null,"concertId":1,"scheduleId":1,"seatId":6}"#,
        r#"[1,2]"#,
        r#"{"userId":"cap1","#,
    ] {
        let r = h
            .raw(
                "POST",
                "/reservations",
                Some(other_token),
                body.as_bytes().to_vec(),
                &[],
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.body["status"], "BAD_REQUEST");
    }
    let big = format!(r#"{{"userId":"{}"}}"#, "x".repeat(70 * 1024));
    assert_eq!(
        h.raw(
            "POST",
            "/reservations",
            Some(other_token),
            big.into_bytes(),
            &[]
        )
        .await
        .status,
        413
    );

    assert!(
        h.seats_taken(1).await.is_empty(),
        "a refused request held a seat"
    );
}

#[tokio::test]
async fn only_the_users_own_active_token_holds() {
    let h = Arc::new(TestApp::new().await);
    h.load(&catalog(10)).await;
    let users = h.active_many("cap", 2).await;
    let me = &users[0].0;
    let (other, other_token) = &users[1];
    // The gate: another user's ACTIVE token acts for nobody else.
    let r = h.reserve(me, other_token, 1, 1, 6).await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = h
        .req(
            "POST",
            "/reservations",
            None,
            Some(
                &serde_json::json!({"userId": other, "concertId": 1, "scheduleId": 1, "seatId": 6}),
            ),
        )
        .await;
    assert_eq!(r.status, 401);
    let waiting = h.join("late").await;
    assert_eq!(h.reserve("late", &waiting, 1, 1, 6).await.status, 403);
    assert!(
        h.seats_taken(1).await.is_empty(),
        "a refused request held a seat"
    );
}

#[tokio::test]
async fn a_lapsed_hold_frees_the_seat_at_once_and_cleanup_is_idempotent() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(10)).await;
    let users = h.active_many("lap", 3).await;
    let (a, ta) = &users[0];
    let (b, tb) = &users[1];
    let first = h.reserve(a, ta, 1, 1, 1).await;
    assert_eq!(first.status, 201);
    let second = h.reserve(a, ta, 1, 1, 2).await;
    let first_id = first.body["reserveId"].as_u64().unwrap();
    let second_id = second.body["reserveId"].as_u64().unwrap();

    // One millisecond before the end the seat is still held.
    h.advance_ms(300_000 - 1);
    assert_eq!(h.reserve(b, tb, 1, 1, 1).await.status, 409);
    let seats = h
        .req("GET", "/concerts/schedules/1/seats", Some(tb), None)
        .await;
    assert!(!seats.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["seatId"] == 1));
    // At the end it is free, with no TTL sweep having run.
    h.advance_ms(1);
    let seats = h
        .req("GET", "/concerts/schedules/1/seats", Some(tb), None)
        .await;
    assert!(seats.body["seats"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["seatId"] == 1));
    let rehold = h.reserve(b, tb, 1, 1, 1).await;
    assert_eq!(rehold.status, 201, "{rehold:?}");
    let rehold_id = rehold.body["reserveId"].as_u64().unwrap();
    // The lapsed holds no longer count against the user's cap either.
    for seat in 3..=6 {
        assert_eq!(
            h.reserve(a, ta, 1, 1, seat).await.status,
            201,
            "seat {seat}"
        );
    }

    // Now TTL catches up (it runs in whole seconds, a second later).
    h.advance_ms(1_000);
    assert_eq!(h.sweep_ttl(), 2);
    let ttl_records: Vec<_> = h
        .reservation_stream()
        .into_iter()
        .filter(is_ttl_delete)
        .collect();
    assert_eq!(ttl_records.len(), 2);
    let record_of = |id: u64| {
        ttl_records
            .iter()
            .find(|r| {
                shared::jobs::stream::reservation(&r.change.old_image)
                    .is_some_and(|old| old.reserve_id == id)
            })
            .unwrap()
            .clone()
    };
    // Seat 1 was held again by b: its hold is left alone.
    let c1 = hold_cleanup::process(h.app(), &record_of(first_id))
        .await
        .unwrap();
    assert_eq!(
        c1,
        Cleanup {
            recorded_expired: true,
            seat_released: false,
            slot_released: false,
        }
    );
    // Seat 2 lapsed untouched: freed.
    let c2 = hold_cleanup::process(h.app(), &record_of(second_id))
        .await
        .unwrap();
    assert!(c2.recorded_expired && c2.seat_released);
    // Redelivery changes nothing.
    let before = (h.seats_taken(1).await, h.reservations().await);
    for id in [first_id, second_id] {
        let again = hold_cleanup::process(h.app(), &record_of(id))
            .await
            .unwrap();
        assert_eq!(again, Cleanup::default());
    }
    let after = (h.seats_taken(1).await, h.reservations().await);
    assert_eq!(before, after);

    let holders = h.seats_taken(1).await;
    assert!(holders
        .iter()
        .any(|(seat, user, id)| *seat == 1 && user == b && *id == rehold_id));
    assert!(!holders.iter().any(|(seat, ..)| *seat == 2));
    let expired: Vec<_> = h
        .reservations()
        .await
        .into_iter()
        .filter(|r| r.status == shared::domain::reservation::ReservationStatus::Expired)
        .map(|r| r.reserve_id)
        .collect();
    assert_eq!(expired.len(), 2);
    assert!(expired.contains(&first_id) && expired.contains(&second_id));

    // A whole batch through the Lambda entry point reports no failures, and
    // non-TTL records are ignored.
    let mut event = aws_lambda_events::event::dynamodb::Event::default();
    event.records = h.reservation_stream();
    let response = hold_cleanup::handle(h.app(), event).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(h.clock.now_ms() - crate::kit::T0, 301_000);
}

#[tokio::test]
async fn the_hold_cleanup_fixture_is_a_valid_event() {
    let h = TestApp::new().await;
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/hold-cleanup.json"
    ))
    .unwrap();
    let event: aws_lambda_events::event::dynamodb::Event = serde_json::from_str(&json).unwrap();
    assert!(is_ttl_delete(&event.records[0]));
    // Nothing to free in an empty database; recorded as expired.
    let c = hold_cleanup::process(h.app(), &event.records[0])
        .await
        .unwrap();
    assert!(c.recorded_expired && !c.seat_released);
}

/// A token carries its live holds only: each new hold drops the ones that
/// lapsed, so a fan holding again and again over a long window does not
/// grow the item every gated request reads. Holds taken at once drop the
/// same lapses without refusing each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_carries_its_live_holds_only() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_active_seconds = 3_600;
            c.tickets_max_per_user = 4;
        })
        .await,
    );
    h.load(&catalog(40)).await;
    let (user, token) = h.active_many("keep", 1).await.remove(0);
    let holds_on_token = |h: Arc<TestApp>, token: String| async move {
        let t = h.app().db.token(&token).await.unwrap().unwrap();
        (t.holds.keys().cloned().collect::<BTreeSet<_>>(), t.version)
    };
    for seat in 1..=10 {
        let (id, _) = h.hold(&user, &token, seat).await;
        let (holds, version) = holds_on_token(h.clone(), token.clone()).await;
        assert_eq!(holds, BTreeSet::from([id.to_string()]), "after seat {seat}");
        assert_eq!(version, seat);
        h.advance_ms(300_000);
    }
    // Four at once, each finding the tenth hold lapsed: all four hold.
    let at_once = (11..=14).map(|seat| {
        let (h, user, token) = (h.clone(), user.clone(), token.clone());
        tokio::spawn(async move { h.hold(&user, &token, seat).await.0 })
    });
    let ids: BTreeSet<String> = futures::future::join_all(at_once)
        .await
        .into_iter()
        .map(|r| r.expect("hold task").to_string())
        .collect();
    let (holds, version) = holds_on_token(h.clone(), token.clone()).await;
    assert_eq!(holds, ids);
    assert_eq!(version, 14);
    // A live hold stays when a later one drops the lapsed.
    h.advance_ms(300_000);
    let (live, _) = h.hold(&user, &token, 15).await;
    h.advance_ms(100_000);
    let (next, _) = h.hold(&user, &token, 16).await;
    let (holds, _) = holds_on_token(h.clone(), token.clone()).await;
    assert_eq!(holds, BTreeSet::from([live.to_string(), next.to_string()]));
    assert_eq!(h.audit().await, 0);
}

/// SPEC §7: a fan whose hold of a seat ended unpaid — released, or lapsed
/// whether or not the cleanup has run — cannot hold that same seat again
/// for a hold's length after it ended; anyone else can at once, and the
/// fan can hold other seats. Without it, release-and-rehold kept a seat
/// off sale for ever.
#[tokio::test]
async fn a_fan_cannot_keep_a_seat_by_releasing_and_holding_it_again() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(10)).await;
    let users = h.active_many("cool", 2).await;
    let ((a, ta), (b, tb)) = (&users[0], &users[1]);
    let release = |rid: u64, user: &str, token: &str| {
        let (h, user, token) = (h.clone(), user.to_string(), token.to_string());
        async move {
            let path = format!("/reservations/{rid}/cancel");
            let body = serde_json::json!({"userId": user});
            h.req("POST", &path, Some(&token), Some(&body)).await.status
        }
    };
    // Released: refused to the same fan for 300 s, to the ms.
    let first = h.reserve(a, ta, 1, 1, 1).await;
    let rid = first.body["reserveId"].as_u64().unwrap();
    h.advance_ms(10_000);
    assert_eq!(release(rid, a, ta).await, 200);
    let again = h.reserve(a, ta, 1, 1, 1).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("SEAT_TAKEN")),
        "{again:?}"
    );
    assert_eq!(
        h.reserve(a, ta, 1, 1, 2).await.status,
        201,
        "other seats are fine"
    );
    h.advance_ms(300_000 - 1);
    assert_eq!(h.reserve(a, ta, 1, 1, 1).await.status, 409);
    h.advance_ms(1);
    let later = h.reserve(a, ta, 1, 1, 1).await;
    assert_eq!(later.status, 201, "{later:?}");

    // Lapsed (no cleanup yet): the same fan waits, another fan holds it.
    h.advance_ms(300_000);
    assert_eq!(h.reserve(a, ta, 1, 1, 1).await.status, 409);
    assert_eq!(h.reserve(b, tb, 1, 1, 1).await.status, 201);

    // Lapsed and cleaned up: the cool-off is on the seat.
    let third = h.reserve(a, ta, 1, 1, 3).await;
    assert_eq!(third.status, 201);
    h.advance_ms(300_000 + 1_000);
    h.sweep_ttl();
    for r in h.reservation_stream().iter().filter(|r| is_ttl_delete(r)) {
        hold_cleanup::process(h.app(), r).await.unwrap();
    }
    let seat = devkit::inspect::seat(&h.app().db, 1, 3)
        .await
        .unwrap()
        .unwrap();
    assert!(seat.holder.is_none(), "the cleanup freed it: {seat:?}");
    assert_eq!(h.reserve(a, ta, 1, 1, 3).await.status, 409);
    h.advance_ms(300_000);
    assert_eq!(h.reserve(a, ta, 1, 1, 3).await.status, 201);
    h.audit().await;
}

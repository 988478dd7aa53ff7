//! Points and payment: exact money under concurrency, the check order,
//! all-or-nothing payments and idempotent retries.

use crate::kit::{catalog, Resp, TestApp};
use serde_json::{json, Value};
use shared::clock::ManualClock;
use shared::App;
use std::collections::BTreeSet;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_charges_add_up_exactly() {
    let h = Arc::new(TestApp::new().await);
    let tasks = (0..1_000).map(|_| {
        let h = h.clone();
        tokio::spawn(async move { h.charge("saver", json!(10), None).await })
    });
    let replies: Vec<Resp> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().find(|r| r.status != 200)
    );
    let seen: BTreeSet<i64> = replies
        .iter()
        .map(|r| r.body["point"].as_i64().unwrap())
        .collect();
    assert!(
        seen.contains(&10_000),
        "the last charge reports the final balance"
    );
    assert_eq!(h.points("saver").await, 10_000);
    assert_eq!(
        devkit::inspect::ledger(&h.app().db, "saver")
            .await
            .unwrap()
            .len(),
        1_000
    );
    h.audit().await;
}

#[tokio::test]
async fn charges_are_validated_and_bounded() {
    let h = TestApp::with(|c| {
        c.points_max_charge = 1_000;
        c.points_max_balance = 1_500;
    })
    .await;
    assert_eq!(h.points("nobody").await, 0);
    let r = h.charge("user1234", json!(1_000), None).await;
    assert_eq!(r.body, json!({"userId": "user1234", "point": 1_000}));
    for bad in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("10"),
        Value::Null,
        json!(1e30),
        json!(1_001),
        json!(u64::MAX),
    ] {
        let r = h.charge("user1234", bad.clone(), None).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert_eq!(r.body["status"], "BAD_REQUEST");
    }
    // Found by contract fuzzing: JSON Schema's integers include 500.0.
    let r = h.charge("user1234", json!(0.0), None).await;
    assert_eq!(r.status, 400);
    let r = h
        .raw(
            "PATCH",
            "/points",
            None,
            br#"{"userId":"floaty","amount":250.0}"#.to_vec(),
            &[],
        )
        .await;
    assert_eq!(r.body, json!({"userId": "floaty", "point": 250}));
    // Past the balance limit: refused whole.
    let r = h.charge("user1234", json!(501), None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("BALANCE_LIMIT"))
    );
    assert_eq!(h.charge("user1234", json!(500), None).await.status, 200);
    for body in [
        r#"{"userId":"user1234"}"#,
        r#"{"amount":5}"#,
        "not json",
        "",
    ] {
        let r = h
            .raw("PATCH", "/points", None, body.as_bytes().to_vec(), &[])
            .await;
        assert_eq!(r.status, 400, "{body}");
    }
    assert_eq!(
        h.req("GET", "/points/bad%20user", None, None).await.status,
        400
    );
    assert_eq!(h.points("user1234").await, 1_500);
    assert_eq!(
        devkit::inspect::ledger(&h.app().db, "user1234")
            .await
            .unwrap()
            .len(),
        2
    );
    h.audit().await;
}

#[tokio::test]
async fn idempotent_charges_replay_exactly() {
    let h = TestApp::new().await;
    let first = h.charge("idem", json!(300), Some("k-1")).await;
    assert_eq!(first.status, 200);
    h.charge("idem", json!(5), None).await;
    // The same key and body: the first reply again, nothing charged.
    let again = h.charge("idem", json!(300), Some("k-1")).await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    assert_eq!(h.points("idem").await, 305);
    // The same key with another body: 422, nothing charged.
    let other = h.charge("idem", json!(301), Some("k-1")).await;
    assert_eq!(
        (other.status, other.body["status"].as_str()),
        (422, Some("UNPROCESSABLE_ENTITY"))
    );
    // Found by contract fuzzing: spaces around a key are not part of it.
    let padded = h.charge("idem", json!(300), Some(" k-1\t")).await;
    assert_eq!((padded.status, &padded.body), (200, &first.body));
    // Keys are the user's own: another user's identical key is unrelated.
    assert_eq!(h.charge("idem2", json!(300), Some("k-1")).await.status, 200);
    // A refusal is replayed too.
    let too_much = h.charge("idem", json!(2_000_000), Some("k-2")).await;
    assert_eq!(too_much.status, 400);
    assert_eq!(
        h.raw(
            "PATCH",
            "/points",
            None,
            b"{}".to_vec(),
            &[("Idempotency-Key", "")]
        )
        .await
        .status,
        400
    );
    assert_eq!(h.points("idem").await, 305);
    assert_eq!(
        devkit::inspect::ledger(&h.app().db, "idem")
            .await
            .unwrap()
            .len(),
        2
    );
    h.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_payments_racing_for_one_balance() {
    let h = Arc::new(TestApp::new().await);
    let mut data = catalog(10);
    for seat in &mut data.seats {
        seat.price = 80;
    }
    h.load(&data).await;
    let users = h.active_many("buyer", 1).await;
    let (user, token) = users[0].clone();
    h.charge(&user, json!(100), None).await;
    let (a, _) = h.hold(&user, &token, 1).await;
    let (b, _) = h.hold(&user, &token, 2).await;
    let tasks = [a, b].map(|rid| {
        let (h, user, token) = (h.clone(), user.clone(), token.clone());
        tokio::spawn(async move { h.pay(&user, &token, rid, 80, None).await })
    });
    let replies: Vec<Resp> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let statuses: BTreeSet<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, BTreeSet::from([201, 402]), "{replies:?}");
    let refused = replies.iter().find(|r| r.status == 402).unwrap();
    assert_eq!(refused.body["message"], "잔액이 부족합니다.");
    assert_eq!(h.points(&user).await, 20);
    assert_eq!(h.audit().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_payments_of_one_hold_with_mixed_keys_pay_once() {
    let h = Arc::new(TestApp::new().await);
    h.load(&catalog(10)).await;
    let users = h.active_many("once", 1).await;
    let (user, token) = users[0].clone();
    h.charge(&user, json!(1_000_000), None).await;
    let (rid, price) = h.hold(&user, &token, 3).await;
    let tasks = (0..50).map(|i| {
        let (h, user, token) = (h.clone(), user.clone(), token.clone());
        // A third share one key, a third have keys of their own, a third none.
        let key = match i % 3 {
            0 => Some("shared-key".to_string()),
            1 => Some(format!("own-{i}")),
            _ => None,
        };
        tokio::spawn(async move {
            (
                key.clone(),
                h.pay(&user, &token, rid, price, key.as_deref()).await,
            )
        })
    });
    let replies: Vec<(Option<String>, Resp)> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners: Vec<&(Option<String>, Resp)> =
        replies.iter().filter(|(_, r)| r.status == 201).collect();
    let first = &winners[0].1.body;
    let winner_keys: BTreeSet<&Option<String>> = winners.iter().map(|(k, _)| k).collect();
    assert_eq!(winner_keys.len(), 1, "successes under different keys");
    if winners.len() > 1 {
        assert!(winners[0].0.is_some(), "a repeated success without a key");
    }
    for (_, r) in &replies {
        match r.status {
            201 => assert_eq!(&r.body, first, "a second success that is not a replay"),
            409 => assert!(
                ["NOT_PAYABLE", "IDEMPOTENCY_IN_PROGRESS"]
                    .contains(&r.body["code"].as_str().unwrap()),
                "{r:?}"
            ),
            _ => panic!("unexpected {r:?}"),
        }
    }
    assert_eq!(first["status"], "SUCCESS");
    assert_eq!(first["reserveId"], rid);
    assert_eq!(first["price"], price);
    assert_eq!(h.points(&user).await, 1_000_000 - price);
    let payments = devkit::inspect::ledger(&h.app().db, &user)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.amount < 0)
        .count();
    assert_eq!(payments, 1);
    // Retrying the winner's request later still replays it exactly.
    if let Some(key) = &winners[0].0 {
        let replay = h.pay(&user, &token, rid, price, Some(key)).await;
        assert_eq!((replay.status, &replay.body), (201, first));
    }
    assert_eq!(h.audit().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_racing_its_expiry_is_all_or_nothing() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_active_seconds = 100_000;
            c.points_max_charge = 10_000_000;
            c.tickets_max_per_user = 30;
        })
        .await,
    );
    h.load(&catalog(60)).await;
    let users = h.active_many("edge", 2).await;
    let (payer, payer_token) = users[0].clone();
    let (rival, rival_token) = users[1].clone();
    h.charge(&payer, json!(5_000_000), None).await;
    // The rival acts one millisecond later than the payer: at the exact
    // moment the payer's hold ends.
    let rival_clock = ManualClock::at_ms(0);
    let rival_app = App::new(
        h.app().db.clone(),
        Arc::new(rival_clock.clone()),
        (*h.app().config).clone(),
    );
    let mut paid = 0;
    let mut payer_token = payer_token;
    for seat in 1..=30u64 {
        let (rid, price) = h.hold(&payer, &payer_token, seat).await;
        h.advance_ms(300_000 - 1);
        rival_clock.set_ms(shared::clock::Clock::now_ms(&h.clock) + 1);
        let body = json!({"userId": rival, "concertId": 1, "scheduleId": 1, "seatId": seat});
        let rival_req = devkit::event::ApiCall {
            method: "POST",
            route: "/reservations",
            path: "/reservations",
            headers: vec![("authorization".into(), format!("Bearer {rival_token}"))],
            body: Some(body.to_string().as_bytes()),
            ..Default::default()
        }
        .to_request()
        .unwrap();
        let (paying, rivalling) = tokio::join!(
            h.pay(&payer, &payer_token, rid, price, None),
            shared::Endpoint::by_name("post-reservation")
                .unwrap()
                .reply(&rival_app, &rival_req)
        );
        match paying.status {
            201 => {
                paid += 1;
                assert_eq!(rivalling.status, 409, "{}", rivalling.body);
                // A payment spends the payer's token: queue again.
                payer_token = h.join(&payer).await;
                h.admission_round().await;
            }
            410 => assert!(
                rivalling.status == 201 || rivalling.status == 409,
                "{}",
                rivalling.body
            ),
            _ => panic!("unexpected {paying:?}"),
        }
        // Each round starts with fresh hold slots for both.
        h.advance_ms(300_001);
    }
    let spent: i64 = devkit::inspect::ledger(&h.app().db, &payer)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.amount < 0)
        .map(|e| -e.amount)
        .sum();
    let sold = h.audit().await;
    assert_eq!(sold, paid);
    assert_eq!(h.points(&payer).await, 5_000_000 - spent);
}

/// Two admitted fans with holds in schedule 1: `me` with 60,000 points
/// holding seats 1 (60,000) and 4 (90,000), `you` with 1,000,000 points
/// holding seat 2 (70,000).
struct Scene {
    h: Arc<TestApp>,
    me: String,
    mine: String,
    you: String,
    yours: String,
    my_hold: (u64, i64),
    your_hold: (u64, i64),
    pricey: (u64, i64),
}

async fn scene() -> Scene {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(10)).await;
    let users = h.active_many("order", 2).await;
    let (me, mine) = users[0].clone();
    let (you, yours) = users[1].clone();
    h.charge(&me, json!(60_000), None).await;
    h.charge(&you, json!(1_000_000), None).await;
    let my_hold = h.hold(&me, &mine, 1).await;
    let your_hold = h.hold(&you, &yours, 2).await;
    let pricey = h.hold(&me, &mine, 4).await;
    Scene {
        h,
        me,
        mine,
        you,
        yours,
        my_hold,
        your_hold,
        pricey,
    }
}

fn expect(r: &Resp, status: u16, message: &str) {
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (status, Some(message)),
        "{r:?}"
    );
}

#[tokio::test]
async fn payment_refusals_come_in_the_contracts_order() {
    let Scene {
        h,
        me,
        mine,
        yours,
        my_hold,
        your_hold,
        pricey,
        ..
    } = scene().await;
    let ((my_hold, my_price), (your_hold, _), (pricey, pricey_price)) =
        (my_hold, your_hold, pricey);
    let unknown = h.pay(&me, &mine, 424_242, my_price, None).await;
    assert_eq!(
        (unknown.status, unknown.body["status"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    // Someone else's reservation, even with a wrong amount: 403 first.
    let theirs = h.pay(&me, &mine, your_hold, 1, None).await;
    assert_eq!(
        (theirs.status, theirs.body["code"].as_str()),
        (403, Some("RESERVATION_FORBIDDEN"))
    );
    // Someone else's token: refused at the gate.
    assert_eq!(
        h.pay(&me, &yours, my_hold, my_price, None).await.status,
        403
    );
    expect(
        &h.pay(&me, &mine, my_hold, my_price + 1, None).await,
        400,
        "결제 금액이 일치하지 않습니다.",
    );
    expect(
        &h.pay(&me, &mine, pricey, pricey_price, None).await,
        402,
        "잔액이 부족합니다.",
    );
    for body in [
        json!({"userId": me, "reserveId": "1", "amount": 1}),
        json!({"userId": me, "reserveId": 0, "amount": 1}),
        json!({"userId": me, "reserveId": 1, "amount": 1.5}),
        json!({"userId": me, "reserveId": 1}),
    ] {
        assert_eq!(
            h.req("POST", "/payments", Some(&mine), Some(&body))
                .await
                .status,
            400,
            "{body}"
        );
    }
    assert_eq!(
        h.points(&me).await,
        60_000,
        "a refused payment changed the balance"
    );
}

#[tokio::test]
async fn a_payment_spends_the_token_only_with_its_last_hold_and_frees_the_slot() {
    let Scene {
        h,
        me,
        mine,
        my_hold,
        pricey,
        ..
    } = scene().await;
    let ((my_hold, my_price), (pricey, pricey_price)) = (my_hold, pricey);
    let ok = h.pay(&me, &mine, my_hold, my_price, None).await;
    assert_eq!(ok.status, 201, "{ok:?}");
    assert_eq!(ok.body["status"], "SUCCESS");
    assert_eq!(h.points(&me).await, 0);
    expect(
        &h.pay(&me, &mine, my_hold, my_price, None).await,
        409,
        "결제할 수 없는 예약 내역입니다.",
    );
    // The other hold still runs: the token lives on, so it can be paid.
    let schedules = h
        .req("GET", "/concerts/1/schedules", Some(&mine), None)
        .await;
    assert_eq!(schedules.status, 200, "{schedules:?}");
    assert_eq!(
        h.pay(&me, &mine, pricey, pricey_price, None).await.status,
        402
    );
    h.charge(&me, json!(pricey_price), None).await;
    let last = h.pay(&me, &mine, pricey, pricey_price, None).await;
    assert_eq!(last.status, 201, "{last:?}");
    assert_eq!(h.points(&me).await, 0);
    // Its last hold paid, the token is spent for anything else …
    assert_eq!(
        h.req("GET", "/concerts/1/schedules", Some(&mine), None)
            .await
            .status,
        401
    );
    // … and its queue slot goes to the next in line.
    let next = h.join("next-in-line").await;
    assert_eq!(h.admission_round().await.admitted, 1);
    assert_eq!(
        h.req("GET", "/queues/next-in-line", Some(&next), None)
            .await
            .body["status"],
        "ACTIVE"
    );
}

#[tokio::test]
async fn an_expired_hold_is_gone_and_a_stray_ttl_record_changes_nothing() {
    let Scene {
        h,
        me,
        mine,
        you,
        yours,
        my_hold,
        your_hold,
        ..
    } = scene().await;
    let ((my_hold, my_price), (your_hold, your_price)) = (my_hold, your_hold);
    assert_eq!(h.pay(&me, &mine, my_hold, my_price, None).await.status, 201);
    // An expired hold: 410, and still 410 after the cleanup recorded it.
    h.advance_ms(300_000);
    expect(
        &h.pay(&you, &yours, your_hold, your_price, None).await,
        410,
        "임시 예약 시간이 만료되었습니다.",
    );
    h.advance_ms(1_000);
    h.sweep_ttl();
    for record in h
        .reservation_stream()
        .iter()
        .filter(|r| shared::jobs::stream::is_ttl_delete(r))
    {
        shared::jobs::hold_cleanup::process(h.app(), record)
            .await
            .unwrap();
    }
    expect(
        &h.pay(&you, &yours, your_hold, your_price, None).await,
        410,
        "임시 예약 시간이 만료되었습니다.",
    );
    assert_eq!(h.points(&you).await, 1_000_000);
    assert_eq!(h.audit().await, 1);

    // A TTL record of the paid hold (redelivered, or forged) leaves it alone.
    let paid = h.app().db.reservation(my_hold).await.unwrap().unwrap();
    let record = devkit::inspect::ttl_delete_record(&shared::domain::reservation::Reservation {
        status: shared::domain::reservation::ReservationStatus::Temp,
        payment_id: None,
        ..paid.clone()
    })
    .unwrap();
    let c = shared::jobs::hold_cleanup::process(h.app(), &record)
        .await
        .unwrap();
    assert_eq!(c, shared::jobs::hold_cleanup::Cleanup::default());
    assert_eq!(
        h.app().db.reservation(my_hold).await.unwrap().unwrap(),
        paid
    );
    assert_eq!(h.audit().await, 1);
}

/// SPEC §7: two payments at once of a fan's last two holds can never both
/// leave the token running — one of them ends it and frees its slot.
/// (Each payment saw the other's hold still on the token; without a
/// version condition on the keeping write both kept it, and the fan kept
/// an ACTIVE slot with nothing left to pay.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_the_last_two_holds_at_once_ends_the_token() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_active_seconds = 3_600;
            c.queue_max_active = 20;
        })
        .await,
    );
    h.load(&catalog(100)).await;
    let fans = h.active_many("twice", 20).await;
    let tasks = fans.iter().enumerate().map(|(i, (user, token))| {
        let (h, user, token) = (h.clone(), user.clone(), token.clone());
        tokio::spawn(async move {
            let mut holds = Vec::new();
            for seat in [2 * i as u64 + 1, 2 * i as u64 + 2] {
                let r = h.reserve(&user, &token, 1, 1, seat).await;
                assert_eq!(r.status, 201, "{r:?}");
                holds.push((
                    r.body["reserveId"].as_u64().unwrap(),
                    r.body["price"].as_i64().unwrap(),
                ));
            }
            h.charge(&user, json!(holds[0].1 + holds[1].1), None).await;
            let (a, b) = tokio::join!(
                h.pay(&user, &token, holds[0].0, holds[0].1, None),
                h.pay(&user, &token, holds[1].0, holds[1].1, None)
            );
            assert_eq!((a.status, b.status), (201, 201), "{a:?} {b:?}");
            let after = h
                .req("GET", "/concerts/1/schedules", Some(&token), None)
                .await;
            assert_eq!(
                after.status, 401,
                "{user}: the token outlived its last hold"
            );
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.unwrap();
    }
    // Every slot went back: twenty newcomers are admitted at once.
    for i in 0..20 {
        h.join(&format!("after{i}")).await;
    }
    assert_eq!(h.admission_round().await.admitted, 20);
    h.audit().await;
}

/// SPEC §7: a hold can be paid until it ends — with the token it was made
/// with even after that token's window, or with the fan's later token in
/// the room; and paying a hold ends the paying token only when no other
/// hold of the fan in the room runs, whichever token made it. (Before:
/// the old token was refused 401, and the new token, knowing only its own
/// holds, ended with the old hold still running.)
#[tokio::test]
async fn a_hold_is_paid_with_its_token_after_the_window_or_with_a_later_token() {
    let (h, first) = five_minute_fan().await;
    // A hold in the token's last seconds runs five more minutes.
    h.advance_ms(299_000);
    let (a, price_a) = h.hold("fan", &first, 1).await;
    let (b, price_b) = h.hold("fan", &first, 2).await;
    h.advance_ms(2_000);
    let over = h
        .req("GET", "/concerts/1/schedules", Some(&first), None)
        .await;
    assert_eq!(over.status, 401, "the window has passed");
    // Paid with the token it was made with, after its window.
    let paid = h.pay("fan", &first, a, price_a, None).await;
    assert_eq!(paid.status, 201, "{paid:?}");
    // The fan joins again; the new token pays the old hold it never made,
    // while a new hold of its own still runs: the token stays ACTIVE.
    let second = h.active("fan").await;
    let (c, price_c) = h.hold("fan", &second, 3).await;
    let paid = h.pay("fan", &second, b, price_b, None).await;
    assert_eq!(paid.status, 201, "{paid:?}");
    let still = h
        .req("GET", "/concerts/1/schedules", Some(&second), None)
        .await;
    assert_eq!(still.status, 200, "hold {c} still runs: the token lives on");
    // Its last hold paid, it ends.
    assert_eq!(h.pay("fan", &second, c, price_c, None).await.status, 201);
    let spent = h
        .req("GET", "/concerts/1/schedules", Some(&second), None)
        .await;
    assert_eq!(spent.status, 401);
    assert_eq!(h.audit().await, 3);
}

/// SPEC §7: the fan's old token, paying, does not end the new one, and a
/// new hold's payment with the new token waits for the old token's hold.
#[tokio::test]
async fn a_token_ends_only_once_no_hold_of_the_fan_in_the_room_runs() {
    let (h, first) = five_minute_fan().await;
    h.advance_ms(250_000);
    let (old, old_price) = h.hold("fan", &first, 1).await;
    h.advance_ms(51_000);
    let second = h.active("fan").await;
    let (new, new_price) = h.hold("fan", &second, 2).await;
    // The new hold paid first: the old one (another token's) still runs.
    assert_eq!(
        h.pay("fan", &second, new, new_price, None).await.status,
        201
    );
    let r = h
        .req("GET", "/concerts/1/schedules", Some(&second), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // The old token pays its hold; the new token now has nothing to keep
    // it, but only its own next payment or its window ends it.
    assert_eq!(h.pay("fan", &first, old, old_price, None).await.status, 201);
    let r = h.req("GET", "/queues/fan", Some(&second), None).await;
    assert_eq!(r.body["status"], "ACTIVE");
    // An earlier token of the fan cannot pay a later hold.
    let (later, later_price) = h.hold("fan", &second, 3).await;
    let refused = h.pay("fan", &first, later, later_price, None).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (401, Some("TOKEN_INVALID"))
    );
    assert_eq!(h.audit().await, 2);
}

/// A fan with points, admitted for five minutes in which a hold lasts five
/// minutes too; their token.
async fn five_minute_fan() -> (TestApp, String) {
    let h = TestApp::with(|c| {
        c.queue_active_seconds = 300;
        c.hold_seconds = 300;
    })
    .await;
    h.load(&catalog(10)).await;
    h.charge("fan", json!(1_000_000), None).await;
    let token = h.active("fan").await;
    (h, token)
}

//! SPEC §5's conventions for everything a request carries: idempotency
//! keys (what they may be, which answers are kept, a retry after the
//! token ended), numbers read exactly from their text, organiser text and
//! checked arithmetic. Each refusal stores nothing.

use crate::kit::{catalog, TestApp};
use local::settings::Settings;
use local::Stack;
use serde_json::json;
use shared::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn keys_are_1_to_255_visible_ascii_characters() {
    let h = TestApp::new().await;
    let h = &h;
    let key = |k: String| async move {
        let body = json!({"userId": "keys", "amount": 10});
        let r = h
            .raw(
                "PATCH",
                "/points",
                None,
                body.to_string().into_bytes(),
                &[("Idempotency-Key", &k)],
            )
            .await;
        (r.status, r.body["code"].as_str().map(str::to_string))
    };
    let long = "k".repeat(255);
    assert_eq!(key(long.clone()).await.0, 200);
    assert_eq!(key(long).await.0, 200, "the same key replays");
    for bad in ["k".repeat(256), "키".into(), "café".into(), "a b".into()] {
        assert_eq!(
            key(bad.clone()).await,
            (400, Some("INVALID_REQUEST".into())),
            "{bad:?}"
        );
    }
    assert_eq!(h.points("keys").await, 10, "one charge only");
    h.audit().await;
}

/// A key that is not ASCII, sent over real HTTP: the gateway hands it to
/// the handler (as API Gateway does), which refuses it — it is never
/// dropped, which would charge a retry twice.
#[tokio::test]
async fn a_key_that_is_not_ascii_is_refused_over_http() {
    let stack = Stack::start(Settings::ephemeral(), Config::default())
        .await
        .unwrap();
    let body = br#"{"userId":"wire-key","amount":10}"#;
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(stack.addr).await.unwrap();
        let mut req = format!(
            "PATCH /points HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nIdempotency-Key: ",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice("충전-1".as_bytes());
        req.extend_from_slice(b"\r\n\r\n");
        req.extend_from_slice(body);
        s.write_all(&req).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
        assert!(text.contains("INVALID_REQUEST"), "{text}");
    }
    let (status, body) = crate::wire::call(&stack.url(), "GET", "/points/wire-key", None, None)
        .await
        .unwrap();
    assert_eq!((status, body["point"].as_i64()), (200, Some(0)));
    stack.stop().await;
}

/// 400, 401 and 403 are not kept: the same key runs again once the
/// reason is gone. A business refusal (409) is kept.
#[tokio::test]
async fn only_business_answers_are_kept() {
    let h = TestApp::with(|c| {
        c.points_max_balance = 200_000;
        c.queue_max_active = 2;
    })
    .await;
    h.load(&catalog(10)).await;
    let keyed =
        |path: String, token: Option<String>, body: serde_json::Value, key: &'static str| {
            let h = &h;
            async move {
                let body = body.to_string().into_bytes();
                h.raw(
                    "POST",
                    &path,
                    token.as_deref(),
                    body,
                    &[("Idempotency-Key", key)],
                )
                .await
            }
        };

    // 400 (the balance cap), then room made by a payment: the retry charges.
    let fan = h.active("kept-fan").await;
    assert_eq!(h.charge("kept-fan", json!(150_000), None).await.status, 200);
    let over = h.charge("kept-fan", json!(100_000), Some("top-up")).await;
    assert_eq!(
        (over.status, over.body["code"].as_str()),
        (400, Some("BALANCE_LIMIT"))
    );
    let (rid, price) = h.hold("kept-fan", &fan, 1).await;
    assert_eq!(h.pay("kept-fan", &fan, rid, price, None).await.status, 201);
    let again = h.charge("kept-fan", json!(100_000), Some("top-up")).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(h.points("kept-fan").await, 150_000 - price + 100_000);

    // 403 (a waiting token), then admitted: the same key holds the seat.
    let waiting = h.join("kept-waiting").await;
    let body = json!({"userId": "kept-waiting", "concertId": 1, "scheduleId": 1, "seatId": 2});
    let early = keyed(
        "/reservations".into(),
        Some(waiting.clone()),
        body.clone(),
        "seat-2",
    )
    .await;
    assert_eq!(
        (early.status, early.body["code"].as_str()),
        (403, Some("TOKEN_NOT_ACTIVE"))
    );
    h.admission_round().await;
    let held = keyed(
        "/reservations".into(),
        Some(waiting.clone()),
        body,
        "seat-2",
    )
    .await;
    assert_eq!(held.status, 201, "{held:?}");
    let held_id = held.body["reserveId"].as_u64().unwrap();

    // 409 is kept: a rival's key on the taken seat answers 409 again after
    // the seat is free; a new key takes it.
    let rival = h.active("kept-rival").await;
    let body = json!({"userId": "kept-rival", "concertId": 1, "scheduleId": 1, "seatId": 2});
    let taken = keyed(
        "/reservations".into(),
        Some(rival.clone()),
        body.clone(),
        "rival-2",
    )
    .await;
    assert_eq!(
        (taken.status, taken.body["code"].as_str()),
        (409, Some("SEAT_TAKEN"))
    );
    let release = json!({"userId": "kept-waiting"});
    let cancel = keyed(
        format!("/reservations/{held_id}/cancel"),
        None,
        release,
        "let-go",
    )
    .await;
    assert_eq!(cancel.status, 200, "{cancel:?}");
    let replayed = keyed(
        "/reservations".into(),
        Some(rival.clone()),
        body.clone(),
        "rival-2",
    )
    .await;
    assert_eq!((replayed.status, &replayed.body), (409, &taken.body));
    // A moment later: a new hold ends after the one let go.
    h.clock.advance_ms(1);
    let fresh = keyed("/reservations".into(), Some(rival), body, "rival-3").await;
    assert_eq!(fresh.status, 201, "{fresh:?}");
    h.audit().await;
}

/// A retried hold or payment whose first answer is kept gets it even
/// after its token ended; a token of another user never does.
#[tokio::test]
async fn a_kept_answer_outlives_its_token() {
    let h = TestApp::new().await;
    h.load(&catalog(10)).await;
    let token = h.active("late").await;
    h.charge("late", json!(1_000_000), None).await;
    let hold_body = json!({"userId": "late", "concertId": 1, "scheduleId": 1, "seatId": 3});
    let send = |path: &'static str, token: String, body: serde_json::Value, key: &'static str| {
        let h = &h;
        async move {
            h.raw(
                "POST",
                path,
                Some(&token),
                body.to_string().into_bytes(),
                &[("Idempotency-Key", key)],
            )
            .await
        }
    };
    let held = send("/reservations", token.clone(), hold_body.clone(), "h-1").await;
    assert_eq!(held.status, 201, "{held:?}");
    let rid = held.body["reserveId"].as_u64().unwrap();
    let pay_body = json!({"userId": "late", "reserveId": rid, "amount": held.body["price"]});
    let paid = send("/payments", token.clone(), pay_body.clone(), "p-1").await;
    assert_eq!(paid.status, 201, "{paid:?}");

    // The payment ended the token; its window ends too.
    h.advance_ms(3_600_000);
    let again = send("/reservations", token.clone(), hold_body.clone(), "h-1").await;
    assert_eq!((again.status, &again.body), (201, &held.body));
    let again = send("/payments", token.clone(), pay_body.clone(), "p-1").await;
    assert_eq!((again.status, &again.body), (201, &paid.body));
    // Without a kept answer the ended token is refused.
    let fresh = send("/reservations", token.clone(), hold_body.clone(), "h-2").await;
    assert_eq!(fresh.status, 401, "{fresh:?}");
    // Another user's token is refused whatever the key.
    let other = h.join("late-other").await;
    let theirs = send("/reservations", other, hold_body, "h-1").await;
    assert_eq!(theirs.status, 403, "{theirs:?}");
    assert_eq!(h.audit().await, 1);
}

/// An id written as a decimal is read from its text: `{id}.0` and
/// `{id}000e-3` name that reservation exactly, never a neighbour.
#[tokio::test]
async fn ids_are_read_exactly() {
    let h = TestApp::new().await;
    h.load(&catalog(10)).await;
    let token = h.active("exact").await;
    h.charge("exact", json!(1_000_000), None).await;
    let (rid, price) = h.hold("exact", &token, 4).await;
    let pay = |reserve_id: String| {
        let body = format!(r#"{{"userId":"exact","reserveId":{reserve_id},"amount":{price}}}"#);
        let (h, token) = (&h, token.clone());
        async move {
            h.raw("POST", "/payments", Some(&token), body.into_bytes(), &[])
                .await
        }
    };
    // A neighbour that does not exist: 404, not the reservation.
    let near = pay(format!("{}.0", rid + 1)).await;
    assert_eq!(near.status, 404, "{near:?}");
    let paid = pay(format!("{rid}000e-3")).await;
    assert_eq!(paid.status, 201, "{paid:?}");
    assert_eq!(paid.body["reserveId"].as_u64(), Some(rid));
    let fraction = pay(format!("{rid}.5")).await;
    assert_eq!(fraction.status, 400);
    assert_eq!(h.audit().await, 1);
}

#[tokio::test]
async fn organiser_text_and_seat_totals_are_checked() {
    let h = TestApp::new().await;
    for title in ["a\u{0}b", "\u{1b}[2Jcleared", "two\nlines", ""] {
        let body = json!({"title": title, "startDate": "2026-01-10", "endDate": "2026-01-12"});
        let r = h.admin("POST", "/admin/concerts", Some(&body)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("INVALID_REQUEST")),
            "{title:?}"
        );
    }
    let body = json!({"title": "합계", "startDate": "2026-01-10", "endDate": "2026-01-12"});
    let concert = h.admin("POST", "/admin/concerts", Some(&body)).await;
    let id = concert.body["id"].as_u64().unwrap();
    // Each section's count fits; their sum overflows 64 bits.
    let huge = u64::from(u32::MAX);
    let sections = json!([
        {"name": "A", "rows": huge, "seatsPerRow": huge, "price": 100},
        {"name": "B", "rows": huge, "seatsPerRow": huge, "price": 100},
    ]);
    let r = h
        .admin(
            "POST",
            &format!("/admin/concerts/{id}/schedules"),
            Some(&json!({"date": "2026-01-11", "sections": sections})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("INVALID_REQUEST")),
        "{r:?}"
    );
    let listed = h
        .req("GET", &format!("/concerts/{id}/schedules"), None, None)
        .await;
    assert_ne!(listed.status, 200, "no schedule and no token: {listed:?}");
    h.audit().await;
}

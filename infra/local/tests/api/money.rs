//! Money in and out through the payment provider (SPEC §11, invariant
//! §4.7), against the sandbox over HTTP: the fan's journey, the check
//! order of a confirm, races of confirm, webhook and reconciliation,
//! every provider call failing, forged webhooks, partial withdrawals and
//! concurrent withdrawals. Each test ends with the audit against the
//! provider's own records.

use crate::kit::{catalog, TestApp};
use sandbox::{Mode, Operation};
use serde_json::json;
use std::sync::Arc;

/// Past `RECONCILE_AFTER_SECONDS` (60).
const RECONCILE_AFTER_MS: i64 = 61_000;

#[tokio::test]
async fn without_a_provider_the_money_routes_are_not_found() {
    let h = TestApp::new().await;
    let r = h.topup("u1", 1000).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{r:?}"
    );
    let r = h
        .req("POST", "/webhooks/payments", None, Some(&json!({})))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(h.charge("u1", json!(500), None).await.status, 200);
}

#[tokio::test]
async fn with_a_provider_points_come_only_from_it() {
    let h = TestApp::with_sandbox(|_| {}).await;
    let r = h.charge("u1", json!(500), None).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.body["code"], "CHARGE_VIA_PROVIDER");
    assert_eq!(r.body["message"], "포인트는 결제로만 충전할 수 있습니다.");
    assert_eq!(h.points("u1").await, 0);
}

/// Top-up → checkout → confirm → hold → pay → the organiser cancels the
/// date → refund to points → withdraw to the card.
#[tokio::test]
async fn the_whole_journey_ends_with_the_money_back_on_the_card() {
    let h = TestApp::with_sandbox(|_| {}).await;
    h.load(&catalog(10)).await;
    let created = h.topup("fan", 100_000).await;
    assert_eq!(created.status, 201, "{created:?}");
    let order = created.body["orderId"].as_str().unwrap().to_string();
    assert_eq!(created.body["status"], "PENDING");
    assert_eq!(created.body["checkout"]["provider"], "sandbox");
    assert_eq!(created.body["checkout"]["orderId"], order.as_str());
    assert_eq!(created.body["checkout"]["amount"], 100_000);
    let key = h.checkout(&order, 100_000);
    h.perms.reset();
    let confirmed = h.confirm("fan", &order, &key, 100_000).await;
    assert_eq!(confirmed.status, 200, "{confirmed:?}");
    h.assert_granted("post-topup-confirm");
    assert_eq!(confirmed.body["status"], "DONE");
    assert_eq!(confirmed.body["point"], 100_000);
    let again = h.confirm("fan", &order, &key, 100_000).await;
    assert_eq!(
        (again.status, &again.body),
        (200, &confirmed.body),
        "replayed unchanged"
    );
    assert_eq!(h.topup_status("fan", &order).await, "DONE");

    h.advance_ms(1000);
    let token = h.active("fan").await;
    let (rid, price) = h.hold("fan", &token, 1).await;
    assert_eq!(h.pay("fan", &token, rid, price, None).await.status, 201);
    h.advance_ms(1000);
    let cancel = h.admin("POST", "/admin/schedules/1/cancel", None).await;
    assert!(cancel.status < 300, "{cancel:?}");
    h.run_jobs().await;
    assert_eq!(h.points("fan").await, 100_000, "refunded to points");

    h.advance_ms(1000);
    h.perms.reset();
    let w = h.withdraw("fan", 100_000, None).await;
    assert_eq!(w.status, 201, "{w:?}");
    h.assert_granted("post-withdrawal");
    assert_eq!(w.body["status"], "DONE");
    assert_eq!(w.body["point"], 0);
    assert_eq!(
        w.body["refunds"],
        json!([{ "orderId": order, "amount": 100_000 }])
    );
    let id = w.body["withdrawalId"].as_str().unwrap();
    let got = h
        .req(
            "GET",
            &format!("/points/withdrawals/{id}?userId=fan"),
            None,
            None,
        )
        .await;
    assert_eq!((got.status, &got.body["status"]), (200, &json!("DONE")));
    let record = h
        .provider()
        .records()
        .into_iter()
        .find(|r| r.payment_key == key)
        .unwrap();
    assert_eq!((record.status, record.balance_amount), ("CANCELED", 0));
    let history = h.req("GET", "/points/fan/history", None, None).await;
    let kinds: Vec<&str> = history.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["WITHDRAWAL", "REFUND", "PAYMENT", "TOPUP"]);
    assert_eq!(history.body["entries"][3]["orderId"], order.as_str());
    assert_eq!(history.body["entries"][0]["withdrawalId"], id);
    h.audit_money().await;
}

/// Body, unknown, another's, the amount, the state — and only then the
/// provider; a refusal is FAILED with the provider's code.
#[tokio::test]
async fn a_confirm_is_refused_in_the_contracts_order() {
    let h = TestApp::with_sandbox(|_| {}).await;
    let order = h.new_order("a", 5000).await;
    let key = h.checkout(&order, 5000);
    let code = |r: &crate::kit::Resp| {
        (
            r.status,
            r.body["code"].as_str().unwrap_or_default().to_string(),
        )
    };
    let bad = h
        .req(
            "POST",
            &format!("/points/topups/{order}/confirm"),
            None,
            Some(&json!({"userId": "a"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        code(&h.confirm("a", "top_unknown_order", &key, 5000).await),
        (404, "NOT_FOUND".into())
    );
    assert_eq!(
        code(&h.confirm("b", &order, &key, 5000).await),
        (403, "TOPUP_FORBIDDEN".into())
    );
    let mismatch = h.confirm("a", &order, &key, 4999).await;
    assert_eq!(code(&mismatch), (400, "AMOUNT_MISMATCH".into()));
    assert_eq!(
        mismatch.body["message"],
        "결제 금액이 주문 금액과 다릅니다."
    );
    let record = h
        .provider()
        .records()
        .into_iter()
        .find(|r| r.payment_key == key)
        .unwrap();
    assert_eq!(record.status, "IN_PROGRESS", "the provider was not asked");

    let declined_order = h.new_order("a", 7000).await;
    let declined_key = h
        .provider()
        .checkout(&declined_order, 7000, true)
        .unwrap()
        .payment_key;
    let declined = h.confirm("a", &declined_order, &declined_key, 7000).await;
    assert_eq!(
        code(&declined),
        (402, "PAYMENT_DECLINED".into()),
        "{declined:?}"
    );
    assert_eq!(declined.body["providerCode"], "REJECT_CARD_PAYMENT");
    assert_eq!(h.topup_status("a", &declined_order).await, "FAILED");
    assert_eq!(
        code(&h.confirm("a", &declined_order, &declined_key, 7000).await),
        (409, "TOPUP_CLOSED".into())
    );

    h.advance_ms(901_000);
    assert_eq!(
        code(&h.confirm("a", &order, &key, 5000).await),
        (409, "TOPUP_CLOSED".into()),
        "lapsed"
    );
    assert_eq!(h.points("a").await, 0);
    h.audit_money().await;
}

#[tokio::test]
async fn pending_top_ups_are_limited_and_count_against_the_cap() {
    let h = TestApp::with_sandbox(|c| c.points_max_balance = 10_000).await;
    for _ in 0..3 {
        assert_eq!(h.topup("p", 1000).await.status, 201);
    }
    let fourth = h.topup("p", 1000).await;
    assert_eq!(
        (fourth.status, &fourth.body["code"]),
        (409, &json!("TOPUP_PENDING_LIMIT"))
    );
    assert_eq!(fourth.body["message"], "진행 중인 충전이 너무 많습니다.");
    let h2 = TestApp::with_sandbox(|c| c.points_max_balance = 10_000).await;
    assert_eq!(h2.topup("q", 6000).await.status, 201);
    let over = h2.topup("q", 4001).await;
    assert_eq!(
        (over.status, &over.body["code"]),
        (400, &json!("BALANCE_LIMIT"))
    );
    assert_eq!(h2.topup("q", 4000).await.status, 201);
    let body = json!({"userId": "k", "amount": 10})
        .to_string()
        .into_bytes();
    let key = [("Idempotency-Key", "once")];
    let a = h
        .raw("POST", "/points/topups", None, body.clone(), &key)
        .await;
    let b = h.raw("POST", "/points/topups", None, body, &key).await;
    assert_eq!((a.status, &a.body), (201, &b.body), "one top-up per key");
}

/// 50 top-ups, each raced by two confirms, a webhook and a reconciliation
/// round (200 at once): each is credited exactly once.
#[tokio::test]
async fn confirm_webhook_and_reconciliation_racing_credit_each_top_up_once() {
    // No lost answers here: 200 requests at once on a busy machine must not
    // meet the kit's 300 ms provider timeout.
    let h = Arc::new(TestApp::with_sandbox(|c| c.payment.timeout_ms = 10_000).await);
    let mut orders = Vec::new();
    for i in 0..50 {
        let user = format!("racer{i}");
        let amount = 1000 + i;
        let order = h.new_order(&user, amount).await;
        let key = h.checkout(&order, amount);
        orders.push((user, order, key, amount));
    }
    h.advance_ms(RECONCILE_AFTER_MS);
    let mut tasks = Vec::new();
    for (user, order, key, amount) in orders.clone() {
        for racer in 0..4 {
            let (h, user, order, key) = (h.clone(), user.clone(), order.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                match racer {
                    0 | 1 => h.confirm(&user, &order, &key, amount).await.status,
                    2 => h.webhook(&key).await.status,
                    _ => h.admin("POST", "/admin/reconcile", None).await.status,
                }
            }));
        }
    }
    assert_eq!(tasks.len(), 200);
    let statuses: Vec<u16> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    for (user, order, _, amount) in &orders {
        assert_eq!(h.points(user).await, *amount, "{user}");
        let topups: Vec<_> = devkit::inspect::ledger(&h.app().db, user).await.unwrap();
        assert_eq!(topups.len(), 1, "{user}: {topups:?}");
        assert_eq!(h.topup_status(user, order).await, "DONE");
    }
    h.audit_money().await;
}

/// Every provider call down or losing its answer: 503 or PENDING, then
/// settled by a retry or reconciliation, never doubled.
#[tokio::test]
async fn every_provider_fault_delays_money_and_never_loses_or_doubles_it() {
    let h = TestApp::with_sandbox(|_| {}).await;
    for (i, mode) in [Mode::Down, Mode::LoseAnswer].into_iter().enumerate() {
        let user = format!("f{i}");
        let order = h.new_order(&user, 3000).await;
        let key = h.checkout(&order, 3000);
        h.provider().fault(Operation::Confirm, mode, 0, 1);
        let r = h.confirm(&user, &order, &key, 3000).await;
        assert_eq!(
            (r.status, &r.body["code"]),
            (503, &json!("BUSY")),
            "{mode:?}: {r:?}"
        );
        assert_eq!(h.topup_status(&user, &order).await, "PENDING");
        if mode == Mode::LoseAnswer {
            // The provider has it DONE: the scheduled round credits it.
            h.advance_ms(RECONCILE_AFTER_MS);
            h.perms.reset();
            shared::jobs::Job::Reconcile.step(h.app()).await.unwrap();
            h.assert_granted("reconcile");
            assert_eq!(h.topup_status(&user, &order).await, "DONE");
        }
        let again = h.confirm(&user, &order, &key, 3000).await;
        assert_eq!(
            (again.status, &again.body["point"]),
            (200, &json!(3000)),
            "{again:?}"
        );
        // A DONE top-up's webhook reads the payment for reversals: when
        // that fails, the provider is asked to send it again.
        h.provider().fault(Operation::Any, mode, 0, 1);
        assert_eq!(h.webhook(&key).await.status, 503);
        assert_eq!(h.webhook(&key).await.status, 200);
    }
    for (i, mode) in [Mode::Down, Mode::LoseAnswer].into_iter().enumerate() {
        let user = format!("f{i}");
        h.provider().fault(Operation::Cancel, mode, 0, 1);
        let w = h.withdraw(&user, 1000, None).await;
        assert_eq!(
            (w.status, &w.body["status"]),
            (201, &json!("PENDING")),
            "{w:?}"
        );
        assert_eq!(
            w.body["point"], 2000,
            "debited before the provider was called"
        );
        let round = h.reconcile().await;
        assert_eq!(round["settledWithdrawals"], 1, "{round}");
        let id = w.body["withdrawalId"].as_str().unwrap();
        let got = h
            .req(
                "GET",
                &format!("/points/withdrawals/{id}?userId={user}"),
                None,
                None,
            )
            .await;
        assert_eq!(got.body["status"], "DONE");
    }
    let cancels: usize = h.provider().records().iter().map(|r| r.cancels.len()).sum();
    assert_eq!(cancels, 2, "a lost answer's retry is the same cancel");
    // A webhook whose lookup fails asks to be sent again.
    let order = h.new_order("f9", 10).await;
    let key = h.checkout(&order, 10);
    h.provider().confirm(&key, &order, 10, None);
    h.provider().fault(Operation::Any, Mode::Down, 0, 1);
    assert_eq!(h.webhook(&key).await.status, 503);
    assert_eq!(h.webhook(&key).await.status, 200);
    assert_eq!(h.points("f9").await, 10);
    h.audit_money().await;
}

#[tokio::test]
async fn a_forged_webhook_credits_nothing() {
    let h = TestApp::with_sandbox(|_| {}).await;
    let (small_order, small_key) = h.fund("small", 100).await;
    let large = h.new_order("large", 900_000).await;
    let large_key = h.checkout(&large, 900_000);
    let forged = |order: &str, key: &str| {
        json!({"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T00:00:00+09:00",
               "data": {"orderId": order, "paymentKey": key, "status": "DONE", "totalAmount": 900_000}})
    };
    for body in [
        forged(&large, "sbx_no_such_payment"),
        forged(&large, &large_key),
        forged(&large, &small_key),
        forged(&small_order, &large_key),
    ] {
        let r = h.req("POST", "/webhooks/payments", None, Some(&body)).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let not_json = h
        .raw(
            "POST",
            "/webhooks/payments",
            None,
            b"{not json".to_vec(),
            &[],
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(h.points("large").await, 0);
    assert_eq!(h.points("small").await, 100);
    assert_eq!(h.topup_status("large", &large).await, "PENDING");
    h.audit_money().await;
}

/// The second of three cancels refused: PARTIAL, only that part back.
#[tokio::test]
async fn a_withdrawal_whose_second_cancel_is_refused_ends_partial() {
    let h = TestApp::with_sandbox(|_| {}).await;
    let mut orders = Vec::new();
    for amount in [1000, 2000, 3000] {
        orders.push(h.fund("w", amount).await.0);
        h.advance_ms(1000);
    }
    h.provider().fault(Operation::Cancel, Mode::Refuse, 1, 1);
    let w = h.withdraw("w", 6000, None).await;
    assert_eq!(w.status, 201, "{w:?}");
    assert_eq!(w.body["status"], "PARTIAL");
    let newest_first: Vec<_> = orders
        .iter()
        .rev()
        .zip([3000, 2000, 1000])
        .map(|(o, a)| json!({"orderId": o, "amount": a}))
        .collect();
    assert_eq!(w.body["refunds"], json!(newest_first));
    assert_eq!(w.body["point"], 2000, "the refused 2,000 came back");
    let history = h.req("GET", "/points/w/history", None, None).await;
    let reversed: Vec<_> = history.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "WITHDRAWAL_REVERSED")
        .collect();
    assert_eq!(reversed.len(), 1);
    assert_eq!(reversed[0]["amount"], 2000);
    let again = h.withdraw("w", 2000, None).await;
    assert_eq!(
        (again.status, &again.body["status"]),
        (201, &json!("DONE")),
        "the refused part is refundable again"
    );
    h.audit_money().await;
}

/// 100 withdrawals of one user at once never take more than the balance
/// or the top-ups' remainder.
#[tokio::test]
async fn concurrent_withdrawals_never_take_more_than_there_is() {
    let h = Arc::new(TestApp::with_sandbox(|_| {}).await);
    for amount in [10_000, 12_000, 8_000] {
        h.fund("many", amount).await;
    }
    let tasks = (0..100).map(|i| {
        let h = h.clone();
        tokio::spawn(async move { h.withdraw("many", 1000, Some(&format!("w{i}"))).await })
    });
    let answers: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let ok = answers.iter().filter(|r| r.status == 201).count();
    let refused = answers
        .iter()
        .filter(|r| r.status == 409 && r.body["code"] == "WITHDRAWAL_EXCEEDS_REFUNDABLE")
        .count();
    assert_eq!(
        (ok, refused),
        (30, 70),
        "{:?}",
        answers
            .iter()
            .filter(|r| r.status != 201 && r.status != 409)
            .collect::<Vec<_>>()
    );
    assert_eq!(h.points("many").await, 0);
    let cancelled: i64 = h
        .provider()
        .records()
        .iter()
        .flat_map(|r| r.cancels.iter())
        .map(|c| c.cancel_amount)
        .sum();
    assert_eq!(cancelled, 30_000);
    let over = h.withdraw("many", 1, None).await;
    assert_eq!(over.body["message"], "환불 가능한 금액을 초과했습니다.");
    h.audit_money().await;
}

/// Lapsed top-ups expire; one the provider later reports paid is credited
/// after all; a charge the provider cancels by itself is taken back.
#[tokio::test]
async fn expired_top_ups_settle_late_and_provider_reversals_are_taken_back() {
    let h = TestApp::with_sandbox(|_| {}).await;
    let order = h.new_order("late", 4000).await;
    let key = h.checkout(&order, 4000);
    let never = h.new_order("late", 500).await;
    h.advance_ms(901_000);
    let round = h.reconcile().await;
    assert_eq!(
        round,
        json!({"settledTopups": 0, "expiredTopups": 2, "settledWithdrawals": 0, "pending": 0})
    );
    assert_eq!(h.topup_status("late", &never).await, "EXPIRED");
    // The provider's record says paid after all (a confirm that arrived).
    h.provider().confirm(&key, &order, 4000, Some(&order));
    assert_eq!(h.webhook(&key).await.status, 200);
    assert_eq!(h.topup_status("late", &order).await, "DONE");
    assert_eq!(h.points("late").await, 4000);
    // The provider cancels 1,500 by itself, before its webhook arrives.
    let sandbox_cancel = h.provider().cancel(&key, "카드사 취소", 1500, None);
    assert!(matches!(sandbox_cancel, sandbox::Answer::Reply(200, _)));
    let w = h.withdraw("late", 3000, None).await;
    assert_eq!(
        w.body["status"], "FAILED",
        "the provider has only 2,500 left to cancel: {w:?}"
    );
    assert_eq!(
        h.points("late").await,
        4000,
        "the refused withdrawal came back"
    );
    assert_eq!(h.webhook(&key).await.status, 200);
    assert_eq!(h.points("late").await, 2500, "the reversal taken back");
    assert_eq!(h.webhook(&key).await.status, 200);
    assert_eq!(h.points("late").await, 2500, "once");
    let history = h.req("GET", "/points/late/history", None, None).await;
    let reversals: Vec<_> = history.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "TOPUP_REVERSED")
        .map(|e| (e["amount"].clone(), e["orderId"].clone()))
        .collect();
    assert_eq!(reversals, [(json!(-1500), json!(order))]);
    h.audit_money().await;
}

/// The local stack with `PAYMENT_PROVIDER=sandbox`, as the README walks
/// through it: everything over real HTTP on one port, the sandbox's
/// checkout, page, faults and webhook replay included.
#[tokio::test]
async fn the_local_stack_serves_the_sandbox_on_its_own_port() {
    use local::settings::Settings;
    let settings = Settings {
        admin_token: Some("organiser".into()),
        ..Settings::ephemeral()
    };
    let mut config = shared::config::Config::default();
    config.payment.provider = shared::config::PaymentProvider::Sandbox;
    config.payment.timeout_ms = 300;
    let stack = local::Stack::start(settings, config).await.unwrap();
    let base = stack.url();
    let call = |method: &'static str, path: String, body: Option<serde_json::Value>| {
        let base = base.clone();
        async move {
            let text = body.map(|b| b.to_string());
            crate::wire::call(&base, method, &path, None, text.as_deref())
                .await
                .expect("the stack answers")
        }
    };
    let (status, topup) = call(
        "POST",
        "/points/topups".into(),
        Some(json!({"userId": "web", "amount": 30000})),
    )
    .await;
    assert_eq!(status, 201, "{topup}");
    let order = topup["orderId"].as_str().unwrap().to_string();
    let (status, paid) = call(
        "POST",
        "/sandbox/toss/checkout".into(),
        Some(json!({"orderId": order, "amount": 30000})),
    )
    .await;
    assert_eq!(status, 201, "{paid}");
    let key = paid["paymentKey"].as_str().unwrap().to_string();
    // The confirm's answer is lost; the webhook replay settles it.
    let (status, _) = call(
        "POST",
        "/sandbox/toss/faults".into(),
        Some(json!({"operation": "confirm", "mode": "lose-answer", "count": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let confirm = json!({"userId": "web", "paymentKey": key, "amount": 30000});
    let (status, _) = call(
        "POST",
        format!("/points/topups/{order}/confirm"),
        Some(confirm.clone()),
    )
    .await;
    assert_eq!(status, 503);
    let (status, replayed) = call(
        "POST",
        "/sandbox/toss/webhooks/replay".into(),
        Some(json!({"paymentKey": key})),
    )
    .await;
    assert_eq!(
        (status, &replayed["delivered"]),
        (200, &json!(200)),
        "{replayed}"
    );
    let (status, done) = call(
        "POST",
        format!("/points/topups/{order}/confirm"),
        Some(confirm),
    )
    .await;
    assert_eq!((status, &done["point"]), (200, &json!(30000)), "{done}");
    let (status, w) = call(
        "POST",
        "/points/withdrawals".into(),
        Some(json!({"userId": "web", "amount": 10000})),
    )
    .await;
    assert_eq!(
        (status, &w["status"], &w["point"]),
        (201, &json!("DONE"), &json!(20000)),
        "{w}"
    );
    let page = format!("/sandbox/toss/checkout?orderId={order}&amount=1&successUrl=http://app/ok&failUrl=http://app/fail");
    let client = client::Client::new(&base, client::Auth::None).unwrap();
    let answer = client.call("GET", &page, None, None, None).await.unwrap();
    assert_eq!(answer.status, 200);
    let (status, _) = call(
        "PATCH",
        "/points".into(),
        Some(json!({"userId": "web", "amount": 1})),
    )
    .await;
    assert_eq!(status, 403);
    stack.stop().await;
}

/// In jwt mode the money routes are identity routes (SPEC §8): no token
/// 401, another's 403, nothing stored; the webhook needs none.
#[tokio::test]
async fn the_money_routes_need_the_fans_identity() {
    let h = TestApp::with_sandbox(|c| c.auth_mode = shared::config::AuthMode::Jwt).await;
    let user = "verified-payer";
    let routes = [
        (
            "POST",
            "/points/topups".to_string(),
            Some(json!({"userId": user, "amount": 1000})),
            201,
        ),
        (
            "POST",
            "/points/topups/top_unknown1/confirm".into(),
            Some(json!({"userId": user, "paymentKey": "k", "amount": 1000})),
            404,
        ),
        (
            "GET",
            format!("/points/topups/top_unknown1?userId={user}"),
            None,
            404,
        ),
        (
            "POST",
            "/points/withdrawals".into(),
            Some(json!({"userId": user, "amount": 1})),
            409,
        ),
        (
            "GET",
            format!("/points/withdrawals/wd_unknown1?userId={user}"),
            None,
            404,
        ),
    ];
    let idp = h.gw.identity.clone().unwrap();
    let other = idp.issue("someone-else", h.app().now_ms(), 600).unwrap();
    let mine = idp.issue(user, h.app().now_ms(), 600).unwrap();
    for (method, path, body, _) in &routes {
        let none = h.req(method, path, None, body.as_ref()).await;
        assert_eq!(
            (none.status, &none.body["code"]),
            (401, &json!("IDENTITY_INVALID")),
            "{method} {path}"
        );
        let theirs = h.req(method, path, Some(&other), body.as_ref()).await;
        assert_eq!(
            (theirs.status, &theirs.body["code"]),
            (403, &json!("IDENTITY_MISMATCH")),
            "{method} {path}"
        );
    }
    assert!(
        devkit::inspect::topups(&h.app().db)
            .await
            .unwrap()
            .is_empty(),
        "refusals store nothing"
    );
    for (method, path, body, status) in &routes {
        let r = h.req(method, path, Some(&mine), body.as_ref()).await;
        assert_eq!(r.status, *status, "{method} {path}: {r:?}");
    }
    let hint = json!({"eventType": "PAYMENT_STATUS_CHANGED", "data": {"orderId": "top_unknown1", "paymentKey": "k"}});
    assert_eq!(
        h.req("POST", "/webhooks/payments", None, Some(&hint))
            .await
            .status,
        200
    );
    for amount in [json!(0), json!(1_000_001), json!(1.5), json!("100")] {
        let r = h
            .req(
                "POST",
                "/points/topups",
                Some(&mine),
                Some(&json!({"userId": user, "amount": amount})),
            )
            .await;
        assert_eq!(r.status, 400, "{amount}: {r:?}");
    }
}

/// A provider cancel after the points were spent takes back what is left
/// and records the rest as the top-up's shortfall.
#[tokio::test]
async fn a_reversal_beyond_the_balance_records_its_shortfall() {
    let h = TestApp::with_sandbox(|_| {}).await;
    h.load(&catalog(3)).await;
    let (order, key) = h.fund("spender", 60_000).await;
    let token = h.active("spender").await;
    let (rid, price) = h.hold("spender", &token, 1).await;
    assert_eq!(h.pay("spender", &token, rid, price, None).await.status, 201);
    let left = 60_000 - price;
    assert!(matches!(
        h.provider().cancel(&key, "chargeback", 60_000, None),
        sandbox::Answer::Reply(200, _)
    ));
    assert_eq!(h.webhook(&key).await.status, 200);
    assert_eq!(h.points("spender").await, 0);
    let topup = devkit::inspect::topups(&h.app().db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.order_id == order)
        .unwrap();
    assert_eq!((topup.reversed, topup.shortfall), (60_000, 60_000 - left));
    h.audit_money().await;
}

/// Behind CloudFront every route needs the origin secret except the
/// provider's webhook, which comes straight to the API.
#[tokio::test]
async fn the_webhook_reaches_the_api_without_the_edge() {
    let h = TestApp::with_sandbox(|c| c.edge_origin_secret = Some("edge-secret".into())).await;
    let r = h.topup("edge-fan", 100).await;
    assert_eq!((r.status, &r.body["code"]), (403, &json!("EDGE_REQUIRED")));
    let hint = json!({"eventType": "PAYMENT_STATUS_CHANGED", "data": {"orderId": "top_unknown1", "paymentKey": "k"}});
    let r = h.req("POST", "/webhooks/payments", None, Some(&hint)).await;
    assert_eq!(r.status, 200, "{r:?}");
}

/// `/points/topups` and `/points/withdrawals` are resources of their own:
/// a wrong method there lists only theirs, though `GET /points/topups`
/// reaches the balance of a user called `topups`, as in API Gateway.
#[tokio::test]
async fn a_money_path_advertises_only_its_own_methods() {
    use local::gateway::Matched;
    let h = TestApp::with_sandbox(|_| {}).await;
    for path in ["/points/topups", "/points/withdrawals"] {
        match h.gw.find("OPTIONS", path) {
            Matched::WrongMethod(methods) => assert_eq!(methods, ["POST"], "{path}"),
            _ => panic!("{path}: a route for OPTIONS"),
        }
    }
    assert_eq!(
        h.req("GET", "/points/topups", None, None).await.body["userId"],
        "topups"
    );
}

/// Cancels are sent only while the caller's time budget lasts; what is
/// left stays PENDING for the next round, and nothing is sent twice.
#[tokio::test]
async fn a_withdrawal_sends_cancels_only_within_its_budget() {
    use shared::settlement::withdrawals::advance;
    use std::time::Duration;
    let h = TestApp::with_sandbox(|_| {}).await;
    h.fund("budget", 5000).await;
    h.provider().fault(Operation::Cancel, Mode::Down, 0, 1);
    let w = h.withdraw("budget", 5000, None).await;
    assert_eq!(w.body["status"], "PENDING");
    let id = w.body["withdrawalId"].as_str().unwrap();
    let (spent, _) = advance(h.app(), id, Duration::ZERO).await.unwrap();
    assert_eq!(
        spent.status,
        shared::domain::money::WithdrawalStatus::Pending
    );
    assert!(
        h.provider().records()[0].cancels.is_empty(),
        "nothing sent without time"
    );
    let (done, _) = advance(h.app(), id, Duration::from_secs(5)).await.unwrap();
    assert_eq!(done.status, shared::domain::money::WithdrawalStatus::Done);
    h.audit_money().await;
}

/// DynamoDB applied a write and answered 500, and the SDK sent it again
/// (SPEC §9; the fault of the simulator's world), at every call of a
/// confirm and of a withdrawal in turn: the top-up is credited once, the
/// withdrawal debited once, and the books agree with the provider's.
#[tokio::test]
async fn a_money_write_repeated_after_it_applied_takes_effect_once() {
    use devkit::faults::Fault;
    let h = TestApp::with_sandbox(|c| {
        c.dynamodb_attempt_timeout_ms = 1_000;
        c.dynamodb_timeout_ms = 5_000;
    })
    .await;
    let order = h.new_order("probe", 10_000).await;
    let key = h.checkout(&order, 10_000);
    h.faults.count();
    assert_eq!(h.confirm("probe", &order, &key, 10_000).await.status, 200);
    let confirm_calls = h.faults.calls();
    for nth in 1..=confirm_calls {
        let user = format!("confirm-{nth}");
        let order = h.new_order(&user, 10_000).await;
        let key = h.checkout(&order, 10_000);
        h.faults.only_call(nth, Fault::AppliedThenError);
        let r = h.confirm(&user, &order, &key, 10_000).await;
        h.faults.clear();
        assert_eq!(r.status, 200, "confirm, call {nth}: {r:?}");
        assert_eq!(h.points(&user).await, 10_000, "call {nth}: credited once");
    }
    h.faults.count();
    assert_eq!(h.withdraw("probe", 1_000, None).await.status, 201);
    let withdraw_calls = h.faults.calls();
    for nth in 1..=withdraw_calls {
        let user = format!("confirm-{}", nth.min(confirm_calls));
        let before = h.points(&user).await;
        h.faults.only_call(nth, Fault::AppliedThenError);
        let r = h.withdraw(&user, 100, None).await;
        h.faults.clear();
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (201, Some("DONE")),
            "withdrawal, call {nth}: {r:?}"
        );
        assert_eq!(
            h.points(&user).await,
            before - 100,
            "call {nth}: debited once"
        );
    }
    h.audit_money().await;
}

//! Every sample event in events/ drives its handler: the fixtures stay
//! valid API Gateway events for the functions they are named after.

use crate::kit::{catalog, TestApp};
use devkit::event::request_from_event;
use serde_json::json;
use shared::domain::queue::{QueueToken, TokenStatus};
use shared::domain::reservation::{Reservation, ReservationStatus};
use shared::store::reservations::HoldOutcome;

const FIXTURE_TOKEN: &str = "15e859ae-9bf2-4f08-ae68-465e9dcd54bf";
const FIXTURE_RESERVATION: u64 = 4_503_599_627_370_497;

fn events_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

#[tokio::test]
async fn every_endpoint_fixture_is_served() {
    let h = TestApp::new().await;
    h.load(&catalog(5)).await;
    // The fixtures carry this user's token; issue and admit it.
    let token = QueueToken {
        token_id: FIXTURE_TOKEN.into(),
        user_id: "user1234".into(),
        ticket: 1,
        status: TokenStatus::Wait,
        issued_at: h.app().now_ms(),
        active_at: None,
        expire_at: None,
        slot: None,
        holds: Default::default(),
        version: 0,
        last_seen: None,
        room: 0,
    };
    h.app()
        .db
        .create_token(&token, 0, h.app().now_ms())
        .await
        .unwrap();
    h.admission_round().await;
    // The payment fixture pays this hold of seat 5 (price 50,000), which
    // the charge fixture's 50,000 points cover.
    let now = h.app().now_ms();
    let hold = Reservation {
        reserve_id: FIXTURE_RESERVATION,
        user_id: "user1234".into(),
        concert_id: 1,
        schedule_id: 1,
        seat_id: 5,
        seat_number: "F5".into(),
        price: 50_000,
        status: ReservationStatus::Temp,
        created_at: now,
        expires_at: now + 300_000,
        hold_slot: 3,
        concert_title: "A 콘서트".into(),
        concert_start_date: "2025-12-01".parse().unwrap(),
        concert_end_date: "2026-02-01".parse().unwrap(),
        schedule_date: "2026-02-01".parse().unwrap(),
        payment_id: None,
        cancelled_by: None,
        cancelled_at: None,
        refund: None,
        token_id: Some(FIXTURE_TOKEN.into()),
        room: 0,
    };
    let token = h.app().db.token(FIXTURE_TOKEN).await.unwrap().unwrap();
    assert_eq!(
        h.app()
            .db
            .hold_seat(&hold, &token, now, None)
            .await
            .unwrap(),
        HoldOutcome::Held
    );

    for endpoint in shared::endpoints::ENDPOINTS {
        if MONEY.contains(&endpoint.name()) {
            continue;
        }
        let path = events_dir().join(format!("{}.json", endpoint.name()));
        let json =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let req = request_from_event(&json).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        h.perms.reset();
        let reply = endpoint.reply(h.app(), &req).await;
        h.assert_granted(endpoint.name());
        assert!(
            (200..300).contains(&reply.status),
            "{}: {} {}",
            endpoint.name(),
            reply.status,
            reply.body
        );
    }
}

/// The money routes' fixtures, served by a stack paying through the
/// sandbox, in the table's order: top-up, confirm, read, withdraw, read,
/// webhook, reconcile.
const MONEY: [&str; 7] = [
    "post-topup",
    "post-topup-confirm",
    "get-topup",
    "post-withdrawal",
    "get-withdrawal",
    "post-payment-webhook",
    "post-admin-reconcile",
];

#[tokio::test]
async fn every_money_fixture_is_served() {
    let h = TestApp::with_sandbox(|_| {}).await;
    // The confirm fixture confirms this order, paid under this key.
    let confirm = std::fs::read_to_string(events_dir().join("post-topup-confirm.json")).unwrap();
    let event: serde_json::Value = serde_json::from_str(&confirm).unwrap();
    let order = event["pathParameters"]["orderId"].as_str().unwrap();
    let body: serde_json::Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    let amount = body["amount"].as_i64().unwrap();
    let topup = shared::domain::money::Topup {
        order_id: order.into(),
        user_id: "user1234".into(),
        amount,
        status: shared::domain::money::TopupStatus::Pending,
        created_at: h.app().now_ms(),
        expires_at: h.app().now_ms() + 900_000,
        payment_key: None,
        done_at: None,
        point: None,
        provider_code: None,
        reversed: 0,
        shortfall: 0,
    };
    let limits = shared::store::topups::TopupLimits {
        max_pending: 3,
        max_balance: i64::MAX,
    };
    h.app()
        .db
        .create_topup(&topup, limits, None)
        .await
        .unwrap()
        .unwrap();
    h.provider()
        .checkout_as(body["paymentKey"].as_str().unwrap(), order, amount)
        .unwrap();
    for name in MONEY {
        let endpoint = shared::Endpoint::by_name(name).unwrap();
        let json = std::fs::read_to_string(events_dir().join(format!("{name}.json"))).unwrap();
        let req = request_from_event(&json).unwrap();
        h.perms.reset();
        let reply = endpoint.reply(h.app(), &req).await;
        h.assert_granted(name);
        assert!(
            (200..300).contains(&reply.status),
            "{name}: {} {}",
            reply.status,
            reply.body
        );
    }
}

/// The paths the fixtures do not reach — marks refreshed when stale, an
/// admission round that skips and releases, the schedule jobs — are
/// granted what they call too.
#[tokio::test]
async fn every_function_is_granted_what_it_calls() {
    let h = TestApp::with(|c| c.queue_max_active = 1).await;
    h.load(&catalog(10)).await;
    let active = h.active("perm-a").await;
    let waiting = h.join("perm-w").await;
    let check = |function: &'static str| {
        h.assert_granted(function);
        h.perms.reset();
    };
    h.advance_ms(15_000);
    h.perms.reset();
    let r = h.req("GET", "/queues/perm-w", Some(&waiting), None).await;
    assert_eq!(r.status, 200);
    check("get-queue");
    h.advance_ms(15_000);
    assert_eq!(
        h.req("GET", "/concerts/1/schedules", Some(&active), None)
            .await
            .status,
        200
    );
    check("get-schedules");
    h.advance_ms(15_000);
    let seats = "/concerts/schedules/1/seats";
    assert_eq!(h.req("GET", seats, Some(&active), None).await.status, 200);
    check("get-seats");
    // Both idle now: the round skips the waiting one and releases the slot.
    h.advance_ms(130_000);
    let round = h.admission_round().await;
    assert_eq!((round.skipped, round.released), (1, 1), "{round:?}");
    check("activator");
    let concert = h
        .admin(
            "POST",
            "/admin/concerts",
            Some(&json!({"title": "P", "startDate": "2026-03-01", "endDate": "2026-03-01"})),
        )
        .await;
    let path = format!("/admin/concerts/{}/schedules", concert.body["id"]);
    let big = json!({"date": "2026-03-01", "sections": [{"name": "A", "rows": 51, "seatsPerRow": 100, "price": 1}]});
    let created = h.admin("POST", &path, Some(&big)).await;
    assert_eq!(created.body["status"], "PREPARING");
    h.perms.reset();
    h.run_jobs().await;
    check("schedule-jobs");
    let cancel = format!("/admin/schedules/{}/cancel", created.body["scheduleId"]);
    assert_eq!(h.admin("POST", &cancel, None).await.status, 202);
    h.perms.reset();
    h.run_jobs().await;
    check("schedule-jobs");
}

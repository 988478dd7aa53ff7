//! SPEC §9 under injected DynamoDB faults. For each write endpoint, every
//! call the request makes and every kind of fault (throttled, failing,
//! hung, answered too late after applying), from that call on: the answer
//! is the success or 503 BUSY with `Retry-After`, nothing is half-written
//! (audit), and once DynamoDB is healthy again a retry with the same
//! `Idempotency-Key` takes effect exactly once. The activator and both
//! stream consumers get the same treatment: a failed round or batch
//! changes nothing half-way and the next one finishes the work.

use crate::kit::{catalog, Resp, TestApp, ADMIN_TOKEN};
use devkit::faults::Fault;
use serde_json::json;
use shared::domain::reservation::ReservationStatus;
use shared::jobs::{QueueConsumer, StreamConsumer};

/// Short timeouts, so a hung call ends quickly.
async fn faulty_app() -> TestApp {
    faulty_app_with(10_000).await
}

/// The same with `max_active` slots (the queue control's answer reads
/// every slot partition in use: few slots, few calls).
async fn faulty_app_with(max_active: u32) -> TestApp {
    let h = TestApp::with(|c| {
        c.dynamodb_attempt_timeout_ms = 150;
        c.dynamodb_timeout_ms = 400;
        c.queue_max_active = max_active;
    })
    .await;
    h.load(&catalog(400)).await;
    h
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Charge,
    Hold,
    Pay,
    Cancel,
    /// The organiser's `POST /admin/concerts`.
    Concert,
    /// The organiser's `POST /admin/concerts/{id}/schedules` (3 seats,
    /// written within the call).
    Schedule,
    /// The organiser's `PATCH /admin/schedules/{id}` (the sale's close).
    Window,
    /// The organiser's `POST /admin/schedules/{id}/cancel`.
    CancelShow,
    /// The organiser's `PUT /admin/queue`.
    QueueControl,
}

/// What one case set up before its request.
struct Ctx {
    user: String,
    token: String,
    seat: u64,
    reserve: u64,
    price: i64,
}

const CHARGE: i64 = 1_000;
const FUNDS: i64 = 200_000;

async fn setup(h: &TestApp, op: Op, case: usize) -> Ctx {
    let user = format!("{op:?}-{case}").to_lowercase();
    let seat = case as u64 + 1;
    let mut ctx = Ctx {
        user,
        token: String::new(),
        seat,
        reserve: 0,
        price: 0,
    };
    match op {
        Op::Charge | Op::Concert | Op::QueueControl => return ctx,
        Op::Schedule | Op::Window | Op::CancelShow => {
            let body = concert_body(&ctx.user);
            let r = h.admin("POST", "/admin/concerts", Some(&body)).await;
            assert_eq!(r.status, 201, "{r:?}");
            ctx.reserve = r.body["id"].as_u64().expect("id");
            if op == Op::Schedule {
                return ctx;
            }
            let r = h
                .admin("POST", &schedules_path(ctx.reserve), Some(&schedule_body()))
                .await;
            assert_eq!(r.status, 201, "{r:?}");
            ctx.seat = r.body["scheduleId"].as_u64().expect("scheduleId");
            return ctx;
        }
        _ => {}
    }
    ctx.token = h.active(&ctx.user).await;
    if op == Op::Pay {
        assert_eq!(h.charge(&ctx.user, json!(FUNDS), None).await.status, 200);
    }
    if matches!(op, Op::Pay | Op::Cancel) {
        (ctx.reserve, ctx.price) = h.hold(&ctx.user, &ctx.token, seat).await;
    }
    ctx
}

async fn send(h: &TestApp, op: Op, ctx: &Ctx, key: &str) -> Resp {
    let keyed = [("Idempotency-Key", key)];
    match op {
        Op::Charge => h.charge(&ctx.user, json!(CHARGE), Some(key)).await,
        Op::Hold => {
            let body =
                json!({"userId": ctx.user, "concertId": 1, "scheduleId": 1, "seatId": ctx.seat});
            let body = body.to_string().into_bytes();
            h.raw("POST", "/reservations", Some(&ctx.token), body, &keyed)
                .await
        }
        Op::Pay => {
            h.pay(&ctx.user, &ctx.token, ctx.reserve, ctx.price, Some(key))
                .await
        }
        Op::Cancel => {
            let path = format!("/reservations/{}/cancel", ctx.reserve);
            let body = json!({"userId": ctx.user}).to_string().into_bytes();
            h.raw("POST", &path, None, body, &keyed).await
        }
        Op::Concert => {
            let body = concert_body(&ctx.user).to_string().into_bytes();
            h.raw("POST", "/admin/concerts", Some(ADMIN_TOKEN), body, &keyed)
                .await
        }
        Op::Schedule => {
            let body = schedule_body().to_string().into_bytes();
            let path = schedules_path(ctx.reserve);
            h.raw("POST", &path, Some(ADMIN_TOKEN), body, &keyed).await
        }
        Op::Window => {
            let body = json!({"saleClosesAt": "2026-01-09T00:00:00Z"});
            let path = format!("/admin/schedules/{}", ctx.seat);
            h.admin("PATCH", &path, Some(&body)).await
        }
        Op::CancelShow => {
            let path = format!("/admin/schedules/{}/cancel", ctx.seat);
            h.admin("POST", &path, None).await
        }
        Op::QueueControl => {
            // A few slots: the answer reads every slot partition in use.
            let body = json!({"paused": false, "maxActive": 1 + ctx.seat % 3});
            h.admin("PUT", "/admin/queue", Some(&body)).await
        }
    }
}

fn schedules_path(concert: u64) -> String {
    format!("/admin/concerts/{concert}/schedules")
}

/// Three seats: every seat costs the cancellation its own calls.
fn schedule_body() -> serde_json::Value {
    let sections = json!([{"name": "A", "rows": 1, "seatsPerRow": 2, "price": 100_000},
                          {"name": "VIP", "rows": 1, "seatsPerRow": 1, "price": 200_000}]);
    json!({"date": "2026-01-11", "sections": sections})
}

fn concert_body(title: &str) -> serde_json::Value {
    json!({"title": title, "startDate": "2026-01-10", "endDate": "2026-01-12"})
}

fn success(op: Op) -> u16 {
    if matches!(op, Op::Hold | Op::Pay | Op::Concert | Op::Schedule) {
        201
    } else {
        200
    }
}

/// The request took effect exactly once.
async fn took_effect_once(h: &TestApp, op: Op, ctx: &Ctx) {
    let mine: Vec<_> = h
        .reservations()
        .await
        .into_iter()
        .filter(|r| r.user_id == ctx.user)
        .collect();
    match op {
        Op::Charge => assert_eq!(h.points(&ctx.user).await, CHARGE),
        Op::Hold => {
            assert_eq!(mine.len(), 1, "{mine:?}");
            assert_eq!(mine[0].status, ReservationStatus::Temp);
            assert_eq!(mine[0].seat_id, ctx.seat);
        }
        Op::Pay => {
            assert_eq!(h.points(&ctx.user).await, FUNDS - ctx.price);
            assert_eq!(mine.len(), 1);
            assert_eq!(mine[0].status, ReservationStatus::Complete);
        }
        Op::Cancel => {
            assert_eq!(mine.len(), 1);
            assert_eq!(mine[0].status, ReservationStatus::Cancelled);
            let taken = h.seats_taken(1).await;
            assert!(taken.iter().all(|(seat, _, _)| *seat != ctx.seat));
        }
        Op::Concert => {
            let concerts = h.app().db.list_concerts().await.unwrap();
            let named = concerts.iter().filter(|c| c.title == ctx.user).count();
            assert_eq!(named, 1, "{} concerts called {}", named, ctx.user);
        }
        Op::Schedule => {
            let schedules = h.app().db.list_schedules(ctx.reserve).await.unwrap();
            assert_eq!(schedules.len(), 1, "{schedules:?}");
            let seats = devkit::inspect::seats(&h.app().db).await.unwrap();
            let id = schedules[0].schedule_id;
            assert_eq!(seats.iter().filter(|s| s.schedule_id == id).count(), 3);
        }
        Op::Window => {
            let s = h.app().db.cached_schedule(ctx.seat).await.unwrap().unwrap();
            assert_eq!(s.sale_closes_at, 1_767_916_800_000);
        }
        Op::CancelShow => {
            let r = h
                .admin(
                    "GET",
                    &format!("/admin/schedules/{}/report", ctx.seat),
                    None,
                )
                .await;
            assert_eq!(r.body["status"], "CANCELLED", "{r:?}");
        }
        Op::QueueControl => {
            let r = h.admin("GET", "/admin/queue", None).await;
            assert_eq!(r.body["maxActive"], 1 + ctx.seat % 3, "{r:?}");
        }
    }
}

/// Retries like a client told to come back: the same key until it is
/// answered (a claim left pending by the outage is taken over after its
/// lease).
async fn retry(h: &TestApp, op: Op, ctx: &Ctx, key: &str) -> Resp {
    for _ in 0..3 {
        let r = send(h, op, ctx, key).await;
        if r.body["code"] != "IDEMPOTENCY_IN_PROGRESS" {
            return r;
        }
        h.advance_ms(shared::store::idempotency::LEASE_MS + 1_000);
    }
    panic!("the claim was never taken over")
}

/// Every call × every fault for `op`.
async fn sweep(op: Op) {
    let h = match op {
        Op::QueueControl => faulty_app_with(3).await,
        _ => faulty_app().await,
    };
    // A healthy request first, to count its calls.
    let ctx = setup(&h, op, 0).await;
    h.faults.count();
    let r = send(&h, op, &ctx, "healthy").await;
    let calls = h.faults.calls();
    h.faults.clear();
    assert_eq!(r.status, success(op), "{r:?}");
    assert!(calls >= 2, "{op:?} made {calls} calls");
    let mut case = 1;
    for nth in 1..=calls {
        for fault in Fault::ALL {
            let ctx = setup(&h, op, case).await;
            let key = format!("key-{case}");
            h.faults.from_call(nth, fault);
            let r = send(&h, op, &ctx, &key).await;
            h.faults.clear();
            let what = format!("{op:?}, {fault:?} from call {nth}: {r:?}");
            if r.status == 503 {
                assert_eq!(r.body["code"], "BUSY", "{what}");
                assert_eq!(r.body["status"], "SERVICE_UNAVAILABLE", "{what}");
                assert_eq!(r.retry_after, Some(1), "{what}");
            } else {
                assert_eq!(r.status, success(op), "{what}");
            }
            h.audit().await;
            let again = retry(&h, op, &ctx, &key).await;
            assert_eq!(again.status, success(op), "{what}; retried: {again:?}");
            took_effect_once(&h, op, &ctx).await;
            h.audit().await;
            case += 1;
        }
    }
}

#[tokio::test]
async fn a_charge_under_every_fault_answers_busy_or_once() {
    sweep(Op::Charge).await;
}

#[tokio::test]
async fn a_hold_under_every_fault_answers_busy_or_once() {
    sweep(Op::Hold).await;
}

#[tokio::test]
async fn a_payment_under_every_fault_answers_busy_or_once() {
    sweep(Op::Pay).await;
}

#[tokio::test]
async fn a_cancellation_under_every_fault_answers_busy_or_once() {
    sweep(Op::Cancel).await;
}

#[tokio::test]
async fn an_organisers_new_concert_under_every_fault_answers_busy_or_once() {
    sweep(Op::Concert).await;
}

#[tokio::test]
async fn an_organisers_new_schedule_under_every_fault_answers_busy_or_once() {
    sweep(Op::Schedule).await;
}

#[tokio::test]
async fn an_organisers_sale_window_under_every_fault_answers_busy_or_once() {
    sweep(Op::Window).await;
}

#[tokio::test]
async fn an_organisers_cancellation_under_every_fault_answers_busy_or_once() {
    sweep(Op::CancelShow).await;
}

#[tokio::test]
async fn an_organisers_queue_control_under_every_fault_answers_busy_or_once() {
    sweep(Op::QueueControl).await;
}

#[tokio::test]
async fn a_join_under_every_fault_leaves_one_live_token() {
    let h = faulty_app().await;
    h.faults.count();
    h.join("count").await;
    let calls = h.faults.calls();
    let mut case = 0;
    for nth in 1..=calls {
        for fault in Fault::ALL {
            let user = format!("joiner-{case}");
            h.faults.from_call(nth, fault);
            let r = h
                .req("POST", "/queues", None, Some(&json!({"userId": user})))
                .await;
            h.faults.clear();
            assert!(
                r.status == 201 || r.status == 503,
                "{fault:?} at {nth}: {r:?}"
            );
            // Joins carry no key: the retry either joins or finds the
            // token the first attempt made.
            let again = h
                .req("POST", "/queues", None, Some(&json!({"userId": user})))
                .await;
            let expect = if r.status == 201 { 409 } else { again.status };
            assert!(again.status == 201 || again.status == 409, "{again:?}");
            assert_eq!(again.status, expect);
            case += 1;
        }
    }
    let live = devkit::inspect::tokens(&h.app().db).await.unwrap();
    for i in 0..case {
        let user = format!("joiner-{i}");
        assert_eq!(
            live.iter().filter(|t| t.user_id == user).count(),
            1,
            "{user}"
        );
    }
}

#[tokio::test]
async fn a_failed_admission_round_loses_no_one_and_the_next_round_admits() {
    // A small line: two counter shards, three slots of a minute.
    let h = TestApp::with(|c| {
        c.dynamodb_attempt_timeout_ms = 150;
        c.dynamodb_timeout_ms = 400;
        c.queue_shards = 2;
        c.queue_max_active = 3;
        c.queue_active_seconds = 60;
    })
    .await;
    h.join("probe").await;
    h.faults.count();
    h.admission_round().await;
    let calls = h.faults.calls();
    h.advance_ms(61_000);
    // Throttles and DynamoDB's errors end like a hang once retried: the
    // two outcomes that differ are "not applied" and "applied, unanswered".
    for nth in 1..=calls {
        for fault in [Fault::Hang, Fault::LateAnswer] {
            let users: Vec<String> = (0..2).map(|i| format!("w{nth}-{fault:?}-{i}")).collect();
            let mut tokens = Vec::new();
            for u in &users {
                tokens.push(h.join(u).await);
            }
            h.faults.from_call(nth, fault);
            let _ = h.activator.round(h.app()).await;
            h.faults.clear();
            h.admission_round().await;
            for (u, t) in users.iter().zip(&tokens) {
                let r = h.req("GET", &format!("/queues/{u}"), Some(t), None).await;
                assert_eq!(r.body["status"], "ACTIVE", "{fault:?} at {nth}: {r:?}");
            }
            // Everyone who left the line was counted: nobody waits.
            let totals = h
                .app()
                .db
                .line_totals(0, h.app().config.queue_shards)
                .await
                .unwrap();
            assert_eq!(totals.issued, totals.left, "{fault:?} at {nth}");
            h.advance_ms(61_000);
        }
    }
}

#[tokio::test]
async fn a_failed_round_is_followed_by_the_next_one() {
    let h = TestApp::with(|c| {
        c.dynamodb_attempt_timeout_ms = 150;
        c.dynamodb_timeout_ms = 400;
        c.queue_tick_seconds = 1;
    })
    .await;
    let token = h.join("late").await;
    // The first round's first call hangs; the next round runs anyway.
    h.faults.only_call(1, Fault::Hang);
    let admitted = h
        .admissions
        .run_for(
            h.app(),
            std::time::Duration::from_millis(2_500),
            shared::jobs::admissions::Scope::All,
        )
        .await
        .expect("some round worked");
    assert_eq!(admitted, 1);
    let r = h.req("GET", "/queues/late", Some(&token), None).await;
    assert_eq!(r.body["status"], "ACTIVE");
}

/// A lapsed hold's stream records: cleanup and availability each get them
/// under every fault, then again healthy, and end exactly as without.
#[tokio::test]
async fn stream_consumers_under_every_fault_finish_on_redelivery() {
    let h = faulty_app().await;
    let mut case = 0;
    for consumer in ["cleanup", "availability"] {
        // Count the calls one delivery makes.
        let probe = lapsed_hold(&h, &format!("{consumer}-probe"), 300 + case).await;
        case += 1;
        h.faults.count();
        deliver(&h, consumer, &probe).await;
        let calls = h.faults.calls();
        assert!(calls >= 1, "{consumer} made no call");
        for nth in 1..=calls {
            for fault in Fault::ALL {
                let records = lapsed_hold(&h, &format!("{consumer}-{case}"), 300 + case).await;
                case += 1;
                h.faults.from_call(nth, fault);
                let failed = deliver(&h, consumer, &records).await;
                h.faults.clear();
                // What failed is redelivered; everything ends as it should.
                if failed {
                    assert!(
                        !deliver(&h, consumer, &records).await,
                        "{consumer} {fault:?} at {nth}"
                    );
                }
                h.audit().await;
            }
        }
    }
    // Both consumers saw every lapse: no seat stays held, every hold EXPIRED.
    h.faults.clear();
    let records = h.reservation_stream();
    assert!(!deliver(&h, "cleanup", &records).await);
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &records).await;
    assert!(h.seats_taken(1).await.is_empty());
    let expired = h
        .reservations()
        .await
        .into_iter()
        .filter(|r| r.status == ReservationStatus::Expired)
        .count();
    assert_eq!(expired, case);
    h.audit().await;
}

/// Holds `seat` for `user`, lets it lapse and returns the TTL deletion's
/// stream records (only the new ones).
async fn lapsed_hold(
    h: &TestApp,
    user: &str,
    seat: usize,
) -> Vec<aws_lambda_events::event::dynamodb::EventRecord> {
    let before = h.reservation_stream().len();
    let token = h.active(user).await;
    h.hold(user, &token, seat as u64).await;
    h.advance_ms(h.app().config.hold_seconds * 1000 + 1_000);
    h.sweep_ttl();
    h.reservation_stream().split_off(before)
}

/// One delivery of `records` to the consumer; true when any failed.
async fn deliver(
    h: &TestApp,
    consumer: &str,
    records: &[aws_lambda_events::event::dynamodb::EventRecord],
) -> bool {
    if consumer == "cleanup" {
        let mut event = aws_lambda_events::event::dynamodb::Event::default();
        event.records = records.to_vec();
        let out = StreamConsumer::HoldCleanup.handle(h.app(), event).await;
        !out.batch_item_failures.is_empty()
    } else {
        let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
        event.records = records
            .iter()
            .map(|r| {
                let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
                m.message_id = Some(r.event_id.clone());
                m.body = serde_json::to_string(r).ok();
                m
            })
            .collect();
        let out = QueueConsumer::Availability.handle(h.app(), event).await;
        !out.batch_item_failures.is_empty()
    }
}

/// A write that applied and then answered 500 is sent again by the SDK —
/// on AWS a no-op by its `ClientRequestToken`, which the local clients do
/// not send. The repeat of an unkeyed charge failed only on its own ledger
/// entry, and the charge was applied a second time under a fresh entry id;
/// a hold answered 409 for the seat it had just taken, a payment 409 for
/// the hold it had just paid. Now a transaction whose repeat finds its own
/// new item already there, identical, has applied: once, and answered so.
#[tokio::test]
async fn a_write_repeated_after_it_applied_takes_effect_once() {
    // Time enough for the SDK's own repeat after the 500.
    let h = TestApp::with(|c| {
        c.dynamodb_attempt_timeout_ms = 1_000;
        c.dynamodb_timeout_ms = 5_000;
    })
    .await;
    h.load(&catalog(40)).await;
    h.faults.count();
    assert_eq!(h.charge("probe", json!(100), None).await.status, 200);
    let calls = h.faults.calls();
    for nth in 1..=calls {
        let user = format!("repeat-{nth}");
        h.faults.only_call(nth, Fault::AppliedThenError);
        let r = h.charge(&user, json!(1_000), None).await;
        h.faults.clear();
        assert_eq!(r.status, 200, "call {nth}: {r:?}");
        assert_eq!(h.points(&user).await, 1_000, "call {nth}: charged once");
        h.audit().await;
    }
    // A hold and a payment, their transaction repeated after it applied.
    let token = h.active("repeat-fan").await;
    h.charge("repeat-fan", json!(1_000_000), None).await;
    h.faults.count();
    let probe = h.reserve("repeat-fan", &token, 1, 1, 40).await;
    assert_eq!(probe.status, 201);
    let hold_calls = h.faults.calls();
    for (seat, nth) in (1..).zip(1..=hold_calls) {
        h.faults.only_call(nth, Fault::AppliedThenError);
        let r = h.reserve("repeat-fan", &token, 1, 1, seat).await;
        h.faults.clear();
        assert_eq!(r.status, 201, "hold, call {nth}: {r:?}");
        let (rid, price) = (
            r.body["reserveId"].as_u64().unwrap(),
            r.body["price"].as_i64().unwrap(),
        );
        h.faults.only_call(nth, Fault::AppliedThenError);
        let paid = h.pay("repeat-fan", &token, rid, price, None).await;
        h.faults.clear();
        assert_eq!(paid.status, 201, "payment, call {nth}: {paid:?}");
        h.audit().await;
    }
    // A fan letting a hold go, the release repeated after it applied: it
    // is answered as done, not 409 (found by the simulator, seed 1).
    let fan = h.active("release-fan").await;
    h.faults.count();
    let probe = h.reserve("release-fan", &fan, 1, 1, 39).await;
    h.faults.count();
    let rid = probe.body["reserveId"].as_u64().unwrap();
    assert_eq!(release(&h, rid).await.status, 200);
    let release_calls = h.faults.calls();
    for nth in 1..=release_calls {
        let held = h.reserve("release-fan", &fan, 1, 1, 30 + nth as u64).await;
        assert_eq!(held.status, 201, "{held:?}");
        h.faults.only_call(nth, Fault::AppliedThenError);
        let r = release(&h, held.body["reserveId"].as_u64().unwrap()).await;
        h.faults.clear();
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("CANCELLED")),
            "release, call {nth}: {r:?}"
        );
        h.audit().await;
    }
}

/// `release-fan` lets hold `rid` go.
async fn release(h: &TestApp, rid: u64) -> crate::kit::Resp {
    let path = format!("/reservations/{rid}/cancel");
    h.req("POST", &path, None, Some(&json!({"userId": "release-fan"})))
        .await
}

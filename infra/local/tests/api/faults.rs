//! SPEC §9 under injected DynamoDB faults. For each write endpoint, every
//! call the request makes and every kind of fault (throttled, failing,
//! hung, answered too late after applying), from that call on: the answer
//! is the success or 503 BUSY with `Retry-After`, nothing is half-written
//! (audit), and once DynamoDB is healthy again a retry with the same
//! `Idempotency-Key` takes effect exactly once. The activator and both
//! stream consumers get the same treatment: a failed round or batch
//! changes nothing half-way and the next one finishes the work.

use crate::kit::{catalog, Resp, TestApp};
use devkit::faults::Fault;
use serde_json::json;
use shared::domain::reservation::ReservationStatus;
use shared::jobs::{QueueConsumer, StreamConsumer};

/// Short timeouts, so a hung call ends quickly.
async fn faulty_app() -> TestApp {
    let h = TestApp::with(|c| {
        c.dynamodb_attempt_timeout_ms = 150;
        c.dynamodb_timeout_ms = 400;
        c.queue_max_active = 10_000;
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
    if op == Op::Charge {
        return ctx;
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
    }
}

fn success(op: Op) -> u16 {
    if matches!(op, Op::Hold | Op::Pay) {
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
    let h = faulty_app().await;
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
            let _ = shared::jobs::activator::round(h.app()).await;
            h.faults.clear();
            h.admission_round().await;
            for (u, t) in users.iter().zip(&tokens) {
                let r = h.req("GET", &format!("/queues/{u}"), Some(t), None).await;
                assert_eq!(r.body["status"], "ACTIVE", "{fault:?} at {nth}: {r:?}");
            }
            // Everyone who left the line was counted: nobody waits.
            let (issued, left) = h
                .app()
                .db
                .line_totals(h.app().config.queue_shards)
                .await
                .unwrap();
            assert_eq!(issued, left, "{fault:?} at {nth}");
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
    let admitted =
        shared::jobs::activator::run_for(h.app(), std::time::Duration::from_millis(2_500))
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

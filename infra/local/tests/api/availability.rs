//! Seats left per schedule: maintained from reservation events over SQS,
//! equal to what is really reservable, unchanged by redelivery.

use crate::kit::{catalog, TestApp};
use serde_json::json;
use shared::jobs::hold_cleanup;
use shared::jobs::QueueConsumer;
use std::sync::Arc;

async fn available(h: &TestApp, token: &str) -> u64 {
    let r = h
        .req("GET", "/concerts/1/schedules", Some(token), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["schedules"][0]["availableSeats"].as_u64().unwrap()
}

async fn reservable(h: &TestApp, token: &str) -> u64 {
    let r = h
        .req(
            "GET",
            "/concerts/schedules/1/seats?limit=1000",
            Some(token),
            None,
        )
        .await;
    assert!(r.body["nextCursor"].is_null());
    r.body["seats"].as_array().unwrap().len() as u64
}

/// Schedule 1's seats-left records, block by block.
async fn listing(h: &TestApp) -> Vec<Vec<shared::domain::availability::BlockSeats>> {
    let schedules = h.app().db.list_schedules(1).await.unwrap();
    h.app().db.cached_seat_blocks(&schedules).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_left_follow_holds_sales_and_lapses() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(200)).await;
    let users = h.active_many("fan", 60).await;
    let viewer = users[59].1.clone();
    assert_eq!(available(&h, &viewer).await, 200);

    // Early holds, racing for random seats.
    let race = |users: Vec<(String, String)>| {
        let h = h.clone();
        async move {
            let tasks = users.into_iter().map(|(user, token)| {
                let h = h.clone();
                tokio::spawn(async move {
                    let mut held = Vec::new();
                    for _ in 0..3 {
                        let seat = rand::random_range(1..=200u64);
                        let r = h.reserve(&user, &token, 1, 1, seat).await;
                        if r.status == 201 {
                            held.push((
                                r.body["reserveId"].as_u64().unwrap(),
                                r.body["price"].as_i64().unwrap(),
                            ));
                        }
                    }
                    (user, token, held)
                })
            });
            futures::future::join_all(tasks)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
        }
    };
    let early = race(users[..30].to_vec()).await;
    h.advance_ms(200_000);
    let late = race(users[30..59].to_vec()).await;
    // Some of the late holds are paid.
    for (user, token, held) in late.iter().take(10) {
        if let Some((rid, price)) = held.first() {
            let body = json!({"userId": user, "amount": price});
            assert_eq!(
                h.req("PATCH", "/points", None, Some(&body)).await.status,
                200
            );
            let body = json!({"userId": user, "reserveId": rid, "amount": price});
            let r = h.req("POST", "/payments", Some(token), Some(&body)).await;
            assert_eq!(r.status, 201, "{r:?}");
        }
    }
    // The early holds lapse.
    h.advance_ms(100_000);
    assert!(early.iter().any(|(_, _, held)| !held.is_empty()));

    // Deliver every event so far, as the pipe would.
    let records = h.reservation_stream();
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &records).await;
    let truth = reservable(&h, &viewer).await;
    assert!(truth < 200);
    assert_eq!(available(&h, &viewer).await, truth);

    // Redelivery changes nothing.
    let before = listing(&h).await;
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &records).await;
    assert_eq!(listing(&h).await, before);

    // TTL catches up with the lapsed holds; their records change nothing
    // the count reads, which already treated them as free.
    h.advance_ms(1_000);
    h.sweep_ttl();
    let all = h.reservation_stream();
    for r in all
        .iter()
        .filter(|r| shared::jobs::stream::is_ttl_delete(r))
    {
        hold_cleanup::process(h.app(), r).await.unwrap();
    }
    let all = h.reservation_stream();
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &all[records.len()..]).await;
    assert_eq!(available(&h, &viewer).await, reservable(&h, &viewer).await);
    // Lapses cost no write: their entries stay until the seat's next hold,
    // and the records stay as small as the block.
    let blocks = listing(&h).await.concat();
    assert!(blocks.iter().all(|b| b.held.len() + b.sold.len() <= 100));
    // Out of order and twice over: still the same.
    let mut shuffled = all.clone();
    shuffled.reverse();
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &shuffled).await;
    assert_eq!(available(&h, &viewer).await, reservable(&h, &viewer).await);
    h.audit().await;
}

#[tokio::test]
async fn the_availability_fixture_is_a_valid_event() {
    let h = TestApp::new().await;
    h.load(&catalog(5)).await;
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/availability.json"
    ))
    .unwrap();
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&json).unwrap();
    let response = QueueConsumer::Availability
        .handle(h.app(), event.clone())
        .await;
    assert!(response.batch_item_failures.is_empty());
    // A body that is not a stream record is reported, not dropped.
    let mut bad = event;
    bad.records[0].body = Some("{}".into());
    let response = QueueConsumer::Availability.handle(h.app(), bad).await;
    assert_eq!(response.batch_item_failures.len(), 1);
}

#[tokio::test]
async fn a_seat_event_on_a_full_block_costs_at_most_two_write_units() {
    use shared::domain::availability::{SeatChange, SeatEvent};
    let h = TestApp::new().await;
    h.load(&catalog(300)).await;
    let db = &h.app().db;
    let event = |seat_id, until, change| SeatEvent {
        schedule_id: 1,
        seat_id,
        until,
        change,
    };
    // Every seat of block 1 (seats 100–199) held, half of them then sold,
    // all with 13-digit hold ends as in production.
    let until = |seat: u64| 1_800_000_000_000 + seat as i64;
    for seat in 100..200 {
        assert!(db
            .apply_seat_event(&event(seat, until(seat), SeatChange::Held))
            .await
            .unwrap());
    }
    for seat in (100..200).step_by(2) {
        assert!(db
            .apply_seat_event(&event(seat, until(seat), SeatChange::Sold))
            .await
            .unwrap());
    }
    let meter = devkit::meter::Meter::default();
    let metered = devkit::meter::metered(db, &meter);
    for (seat, change) in [(101, SeatChange::Sold), (103, SeatChange::Released)] {
        meter.reset();
        assert!(metered
            .apply_seat_event(&event(seat, until(seat), change))
            .await
            .unwrap());
        let units = meter.total().write_units;
        assert!(units > 0.0 && units <= 2.0, "{change:?} cost {units} units");
    }
    // The block's record counts exactly what its events said.
    let schedule = db.cached_schedule(1).await.unwrap().unwrap();
    let blocks = db.cached_seat_blocks(&[schedule]).await.unwrap().remove(0);
    assert_eq!(blocks.len(), 4);
    assert_eq!(blocks[1].sold.len(), 51);
    assert_eq!(blocks[1].taken_at(0), 99);
}

/// A seat's events arrive in any order (the consumer applies a batch side
/// by side, SQS reorders): every order of a fan's hold, sale and return
/// and the next fan's hold ends in the same count, as does every order of
/// a hold let go and the next hold.
#[tokio::test]
async fn every_order_of_a_seats_events_ends_in_the_same_count() {
    use shared::domain::availability::{available_seats, SeatChange, SeatEvent};
    let (first, next) = (1_800_000_000_000, 1_800_000_000_003);
    let event = |seat_id, until, change| SeatEvent {
        schedule_id: 1,
        seat_id,
        until,
        change,
    };
    // (events, seats taken once all are in)
    let histories = [
        (
            vec![
                event(2, first, SeatChange::Held),
                event(2, first, SeatChange::Sold),
                event(2, first, SeatChange::Refunded),
                event(2, next, SeatChange::Held),
            ],
            1,
        ),
        (
            vec![
                event(2, first, SeatChange::Held),
                event(2, first, SeatChange::Sold),
                event(2, first, SeatChange::Refunded),
            ],
            0,
        ),
        (
            vec![
                event(1, first, SeatChange::Held),
                event(1, first, SeatChange::Released),
                event(1, next, SeatChange::Held),
                event(1, next, SeatChange::Sold),
            ],
            1,
        ),
    ];
    for (events, taken) in histories {
        for order in permutations(events.len()) {
            let h = TestApp::new().await;
            h.load(&catalog(10)).await;
            for &i in &order {
                h.app().db.apply_seat_event(&events[i]).await.unwrap();
                // Redelivered: changes nothing.
                h.app().db.apply_seat_event(&events[i]).await.unwrap();
            }
            let schedules = h.app().db.list_schedules(1).await.unwrap();
            let blocks = h.app().db.cached_seat_blocks(&schedules).await.unwrap();
            let left = available_seats(10, &blocks[0], first - 1);
            assert_eq!(left, 10 - taken, "{order:?} of {events:?}: {blocks:?}");
        }
    }
}

/// Every order of `0..n`.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}

/// A fan lets a hold go or returns a ticket: the seat is back in the
/// count, whatever order the events arrive in, however often, even when
/// the seat was taken again since.
#[tokio::test]
async fn seats_left_follow_a_fans_releases_and_returns() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(20)).await;
    let users = h.active_many("back", 4).await;
    let viewer = users[3].1.clone();
    let cancel = |user: &str, rid: u64| {
        let body = json!({ "userId": user });
        let path = format!("/reservations/{rid}/cancel");
        let h = h.clone();
        async move { h.req("POST", &path, None, Some(&body)).await.status }
    };
    let (a, at) = users[0].clone();
    let (b, bt) = users[1].clone();
    h.charge(&a, json!(1_000_000), None).await;
    // a holds 1 and 2 and pays 2; lets 1 go and returns 2.
    let (hold, _) = h.hold(&a, &at, 1).await;
    let (ticket, price) = h.hold(&a, &at, 2).await;
    h.advance_ms(1);
    assert_eq!(h.pay(&a, &at, ticket, price, None).await.status, 201);
    h.advance_ms(1);
    assert_eq!(cancel(&a, hold).await, 200);
    assert_eq!(cancel(&a, ticket).await, 200);
    // b takes both seats again, and keeps a third.
    h.advance_ms(1);
    for seat in [1, 2, 3] {
        h.hold(&b, &bt, seat).await;
    }
    let records = h.reservation_stream();
    for order in [records.clone(), records.iter().rev().cloned().collect()] {
        local::streams::to_queue(QueueConsumer::Availability, h.app(), &order).await;
        assert_eq!(available(&h, &viewer).await, 17);
        assert_eq!(reservable(&h, &viewer).await, 17);
    }
    // Only the first events, then the fan's: the returned seats are free.
    let fresh = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    fresh.load(&catalog(20)).await;
    let cut: Vec<_> = records
        .iter()
        .filter(|r| {
            shared::jobs::stream::reservation(&r.change.new_image).is_some_and(|r| r.user_id == a)
        })
        .cloned()
        .collect();
    local::streams::to_queue(QueueConsumer::Availability, fresh.app(), &cut).await;
    let schedules = fresh.app().db.list_schedules(1).await.unwrap();
    let blocks = fresh.app().db.cached_seat_blocks(&schedules).await.unwrap();
    let left = shared::domain::availability::available_seats(20, &blocks[0], fresh.app().now_ms());
    assert_eq!(left, 20, "a's hold and ticket both came back");
    h.audit().await;
}

/// Lost events (their messages dead-lettered) leave the count wrong until
/// the organiser's repair rebuilds it from the seats — even a block whose
/// record is gone; a second repair changes nothing, and the lost events
/// delivered late leave the count as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_rebuilds_seats_left_after_lost_events() {
    let h = Arc::new(TestApp::with(|c| c.queue_active_seconds = 3_600).await);
    h.load(&catalog(200)).await;
    let users = h.active_many("rep", 40).await;
    let viewer = users[39].1.clone();
    // Two holds each, at once; a few paid, a few let go.
    let tasks = users[..39].iter().enumerate().map(|(i, (user, token))| {
        let (h, user, token) = (h.clone(), user.clone(), token.clone());
        tokio::spawn(async move {
            let mut held = Vec::new();
            for seat in [2 * i as u64 + 1, 2 * i as u64 + 2] {
                let r = h.reserve(&user, &token, 1, 1, seat).await;
                assert_eq!(r.status, 201, "{r:?}");
                let price = r.body["price"].as_i64().unwrap();
                held.push((r.body["reserveId"].as_u64().unwrap(), price));
            }
            if i % 4 == 0 {
                let (rid, price) = held[0];
                let body = json!({"userId": user, "amount": price});
                assert_eq!(
                    h.req("PATCH", "/points", None, Some(&body)).await.status,
                    200
                );
                let body = json!({"userId": user, "reserveId": rid, "amount": price});
                let r = h.req("POST", "/payments", Some(&token), Some(&body)).await;
                assert_eq!(r.status, 201, "{r:?}");
            }
            if i % 5 == 0 {
                let path = format!("/reservations/{}/cancel", held[1].0);
                let body = json!({"userId": user});
                let r = h.req("POST", &path, Some(&token), Some(&body)).await;
                assert_eq!(r.status, 200, "{r:?}");
            }
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.unwrap();
    }
    // Every other event is lost; one block's record is gone altogether.
    let records = h.reservation_stream();
    let (kept, lost): (Vec<_>, Vec<_>) = records
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let strip = |v: Vec<(usize, _)>| v.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
    let (kept, lost) = (strip(kept), strip(lost));
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &kept).await;
    let key = |pk: String| aws_sdk_dynamodb::types::AttributeValue::S(pk);
    h.emu
        .client()
        .delete_item()
        .table_name("CatalogTable")
        .key("pk", key(shared::store::schema::catalog::avail_pk(1, 1)))
        .key("sk", key(shared::store::schema::catalog::AVAIL_SK.into()))
        .send()
        .await
        .unwrap();
    let truth = reservable(&h, &viewer).await;
    assert_ne!(available(&h, &viewer).await, truth, "the lost events show");

    h.perms.reset();
    let r = h.admin("POST", "/admin/schedules/1/repair", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    h.assert_granted("post-admin-schedule-repair");
    assert_eq!(r.body["status"], "READY");
    assert_eq!(r.body["jobRestarted"], false);
    assert_eq!(r.body["available"].as_u64(), Some(truth));
    let report = h.admin("GET", "/admin/schedules/1/report", None).await;
    for field in ["available", "held", "sold"] {
        assert_eq!(r.body[field], report.body[field], "{field}");
    }
    assert_eq!(available(&h, &viewer).await, truth);

    // Again: nothing moves.
    let before = listing(&h).await;
    assert_eq!(
        h.admin("POST", "/admin/schedules/1/repair", None)
            .await
            .body,
        r.body
    );
    assert_eq!(listing(&h).await, before);
    // (A late release may still leave its tombstone where the repair
    // found no entry: the count reads it as free all the same.)
    local::streams::to_queue(QueueConsumer::Availability, h.app(), &lost).await;
    assert_eq!(available(&h, &viewer).await, truth);
    h.audit().await;
}

/// A schedule's job whose step ran out of retries stays `PREPARING` until
/// the organiser's repair starts it again.
#[tokio::test]
async fn a_repair_restarts_a_stopped_job() {
    let h = TestApp::new().await;
    let concert = h
        .admin(
            "POST",
            "/admin/concerts",
            Some(&json!({"title": "R", "startDate": "2026-03-01", "endDate": "2026-03-01"})),
        )
        .await;
    let path = format!("/admin/concerts/{}/schedules", concert.body["id"]);
    let big = json!({"date": "2026-03-01", "sections": [{"name": "A", "rows": 51, "seatsPerRow": 100, "price": 1}]});
    let created = h.admin("POST", &path, Some(&big)).await;
    assert_eq!(created.body["status"], "PREPARING");
    assert!(h.lose_job_records() > 0);
    assert_eq!(h.run_jobs().await, 0, "nothing runs the next step");
    let repair = format!("/admin/schedules/{}/repair", created.body["scheduleId"]);
    h.perms.reset();
    let r = h.admin("POST", &repair, None).await;
    assert_eq!(
        (r.status, &r.body["jobRestarted"]),
        (200, &json!(true)),
        "{r:?}"
    );
    h.assert_granted("post-admin-schedule-repair");
    assert!(h.run_jobs().await > 0);
    let report = format!("/admin/schedules/{}/report", created.body["scheduleId"]);
    let done = h.admin("GET", &report, None).await;
    assert_eq!(done.body["status"], "READY", "{done:?}");
    assert_eq!(done.body["available"], 5_100);
    let again = h.admin("POST", &repair, None).await;
    assert_eq!(again.body["jobRestarted"], false, "{again:?}");
    assert_eq!(again.body["available"], 5_100);
}

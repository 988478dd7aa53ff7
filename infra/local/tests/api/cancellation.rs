//! A schedule cancelled in the middle of its sale (SPEC §6, §7): 200 fans
//! hold, pay and cancel while the organiser cancels the schedule. Every
//! sold ticket is refunded exactly once, by its fan or by the cancellation;
//! nothing is sold behind it; a repeated cancel returns the same totals.

use crate::kit::{catalog, TestApp};
use serde_json::json;
use shared::domain::reservation::{Canceller, ReservationStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const FANS: usize = 200;
const FUNDS: i64 = 1_000_000;

/// One fan's sale: hold a seat and pay it, hold another, then return the
/// ticket, let the hold go, or keep both — whatever the cancellation
/// leaves possible. Every answer must be one the contract allows.
async fn fan(h: Arc<TestApp>, i: usize, user: String, token: String, paid: Arc<AtomicUsize>) {
    let allowed = |r: &crate::kit::Resp, what: &str| {
        let ok = matches!(
            (r.status, r.body["code"].as_str()),
            (200 | 201, _)
                | (401, Some("TOKEN_INVALID"))
                | (
                    409,
                    Some("SCHEDULE_CANCELLED" | "SEAT_TAKEN" | "NOT_CANCELLABLE")
                )
        );
        assert!(ok, "fan {i} {what}: {r:?}");
        r.status < 300
    };
    let seats = [i as u64 + 1, i as u64 + 101];
    let mut mine = Vec::new();
    for seat in seats {
        let r = h.reserve(&user, &token, 1, 1, seat).await;
        if allowed(&r, "hold") {
            mine.push((
                r.body["reserveId"].as_u64().unwrap(),
                r.body["price"].as_i64().unwrap(),
            ));
        }
    }
    if let Some(&(rid, price)) = mine.first() {
        if allowed(&h.pay(&user, &token, rid, price, None).await, "pay") {
            paid.fetch_add(1, Ordering::SeqCst);
        }
    }
    let cancel = |rid: u64| {
        let (h, user) = (h.clone(), user.clone());
        async move {
            h.req(
                "POST",
                &format!("/reservations/{rid}/cancel"),
                None,
                Some(&json!({"userId": user})),
            )
            .await
        }
    };
    match (i % 3, mine.as_slice()) {
        (0, [(ticket, _), ..]) => {
            allowed(&cancel(*ticket).await, "return the ticket");
        }
        (1, [_, (hold, _)]) => {
            allowed(&cancel(*hold).await, "let the hold go");
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_schedule_cancelled_mid_sale_refunds_every_ticket_exactly_once() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_max_active = FANS as u32;
            c.queue_active_seconds = 36_000;
        })
        .await,
    );
    h.load(&catalog(300)).await;
    let fans = h.active_many("mid", FANS).await;
    for (user, _) in &fans {
        assert_eq!(h.charge(user, json!(FUNDS), None).await.status, 200);
    }
    let paid = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = fans
        .iter()
        .enumerate()
        .map(|(i, (u, t))| tokio::spawn(fan(h.clone(), i, u.clone(), t.clone(), paid.clone())))
        .collect();
    // The organiser cancels once a quarter of the fans have paid, while
    // the rest are still holding, paying and cancelling.
    while paid.load(Ordering::SeqCst) < FANS / 4 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let first = h.admin("POST", "/admin/schedules/1/cancel", None).await;
    assert_eq!(
        first.status, 200,
        "a 300-seat schedule is cancelled within the call: {first:?}"
    );
    for t in tasks {
        t.await.expect("fan");
    }
    let again = h.admin("POST", "/admin/schedules/1/cancel", None).await;
    assert_eq!(
        (again.status, &again.body),
        (200, &first.body),
        "the same totals"
    );
    assert_eq!(first.body["status"], "CANCELLED");

    // Every reservation of the schedule ended cancelled; the cancellation's
    // totals are exactly what it did.
    let all = devkit::inspect::reservations(&h.app().db).await.unwrap();
    let by = |who: Canceller, refunded: bool| {
        all.iter()
            .filter(|r| r.cancelled_by == Some(who) && r.refund.is_some_and(|x| x > 0) == refunded)
            .collect::<Vec<_>>()
    };
    assert!(
        all.iter().all(|r| r.status == ReservationStatus::Cancelled),
        "a sale survived"
    );
    let refunded_by_job = by(Canceller::Organiser, true);
    assert_eq!(first.body["refundedTickets"], refunded_by_job.len());
    assert_eq!(
        first.body["releasedHolds"],
        by(Canceller::Organiser, false).len()
    );
    let points: i64 = refunded_by_job.iter().map(|r| r.price).sum();
    assert_eq!(first.body["refundedPoints"], points);
    assert!(!refunded_by_job.is_empty() && !by(Canceller::Fan, true).is_empty());

    // Every fan has every point back; the ledger says so entry by entry.
    for (user, _) in &fans {
        assert_eq!(h.points(user).await, FUNDS, "{user}");
    }
    h.audit().await;
    let seats = devkit::inspect::seats(&h.app().db).await.unwrap();
    assert!(seats
        .iter()
        .filter(|s| s.schedule_id == 1)
        .all(|s| s.cancelled.is_some()));

    let report = h.admin("GET", "/admin/schedules/1/report", None).await;
    let refunds = all.iter().filter(|r| r.refund.is_some_and(|x| x > 0));
    let refunded: i64 = refunds.clone().map(|r| r.price).sum();
    assert_eq!(
        report.body,
        json!({"scheduleId": 1, "status": "CANCELLED", "totalSeats": 300, "available": 0,
               "held": 0, "sold": 0, "cancelled": refunds.count(), "revenue": 0, "refunded": refunded})
    );
    // Nothing more is sold or held on it.
    let (u, t) = &fans[2];
    let r = h.reserve(u, t, 1, 1, 300).await;
    assert!(matches!(r.status, 401 | 409), "{r:?}");
    let seats = h
        .req("GET", "/concerts/schedules/1/seats", Some(t), None)
        .await;
    assert!(matches!(seats.status, 401 | 409), "{seats:?}");
}

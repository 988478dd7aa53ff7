//! A scan over all data that checks SPEC §4 after the concurrent tests.

use crate::harness::H;
use aws_sdk_dynamodb::types::AttributeValue;
use shared::domain::catalog::Seat;
use shared::domain::points::{EntryKind, LedgerEntry};
use shared::domain::reservation::{Reservation, ReservationStatus};
use std::collections::{BTreeMap, HashMap};

async fn scan(h: &H, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = h
            .app()
            .db
            .client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return out;
        }
    }
}

fn sk(item: &HashMap<String, AttributeValue>) -> &str {
    item.get("sk")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or("")
}

/// Money is conserved and every sale is whole: for every user the balance
/// equals the sum of the ledger and is never negative; every COMPLETE
/// reservation has exactly one payment and one SOLD seat; no seat is sold
/// without a COMPLETE reservation; no seat has two holders. Returns the
/// number of sold seats.
pub async fn check(h: &H) -> usize {
    let mut balances: BTreeMap<String, i64> = BTreeMap::new();
    let mut ledger_sum: BTreeMap<String, i64> = BTreeMap::new();
    let mut payments: BTreeMap<u64, Vec<LedgerEntry>> = BTreeMap::new();
    for item in scan(h, "PointsTable").await {
        let user = item["pk"]
            .as_s()
            .unwrap()
            .trim_start_matches("USER#")
            .to_string();
        if sk(&item) == "BALANCE" {
            let point: i64 = item["point"].as_n().unwrap().parse().unwrap();
            assert!(point >= 0, "{user} has a negative balance");
            balances.insert(user, point);
        } else {
            let entry: LedgerEntry = serde_dynamo::from_item(item.clone()).unwrap();
            assert_eq!(entry.user_id, user);
            *ledger_sum.entry(user).or_default() += entry.amount;
            if entry.kind == EntryKind::Payment {
                assert!(
                    item.contains_key("payment"),
                    "a payment entry without its receipt"
                );
                payments
                    .entry(entry.reserve_id.unwrap())
                    .or_default()
                    .push(entry);
            }
        }
    }
    for (user, sum) in &ledger_sum {
        assert_eq!(
            balances.get(user).copied().unwrap_or(0),
            *sum,
            "{user}: balance ≠ Σ ledger"
        );
    }
    for (user, balance) in &balances {
        assert_eq!(
            ledger_sum.get(user).copied().unwrap_or(0),
            *balance,
            "{user}: balance without ledger"
        );
    }

    let reservations: BTreeMap<u64, Reservation> = scan(h, "ReservationsTable")
        .await
        .into_iter()
        .filter(|i| sk(i) == "RES")
        .map(|i| {
            let r: Reservation = serde_dynamo::from_item(i).unwrap();
            (r.reserve_id, r)
        })
        .collect();
    let seats: Vec<Seat> = scan(h, "CatalogTable")
        .await
        .into_iter()
        .filter(|i| sk(i).starts_with("SEAT#"))
        .map(|i| serde_dynamo::from_item(i).unwrap())
        .collect();
    let mut sold = 0;
    for seat in &seats {
        if let Some(rid) = seat.sold_reserve_id {
            sold += 1;
            let r = reservations
                .get(&rid)
                .expect("a seat sold without a reservation");
            assert_eq!(
                r.status,
                ReservationStatus::Complete,
                "seat {} sold, reservation not COMPLETE",
                seat.seat_id
            );
            assert_eq!((r.schedule_id, r.seat_id), (seat.schedule_id, seat.seat_id));
        }
    }
    for r in reservations
        .values()
        .filter(|r| r.status == ReservationStatus::Complete)
    {
        let paid = payments.get(&r.reserve_id).map(Vec::len).unwrap_or(0);
        assert_eq!(paid, 1, "reservation {} has {paid} payments", r.reserve_id);
        assert_eq!(payments[&r.reserve_id][0].amount, -r.price);
        assert_eq!(Some(payments[&r.reserve_id][0].entry_id), r.payment_id);
        let seat_sold = seats
            .iter()
            .filter(|s| s.sold_reserve_id == Some(r.reserve_id))
            .count();
        assert_eq!(
            seat_sold, 1,
            "reservation {} COMPLETE without exactly one SOLD seat",
            r.reserve_id
        );
    }
    for (rid, entries) in &payments {
        assert!(
            reservations
                .get(rid)
                .is_some_and(|r| r.status == ReservationStatus::Complete),
            "a payment for reservation {rid} that is not COMPLETE ({} entries)",
            entries.len()
        );
    }
    sold
}

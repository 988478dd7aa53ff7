//! A full scan that checks SPEC §4 over all data: for tests and the
//! benchmark, never for a request path.

use crate::inspect::{self, Error};
use shared::domain::catalog::{Seat, SeatCancel};
use shared::domain::points::{EntryKind, LedgerEntry};
use shared::domain::reservation::{Reservation, ReservationStatus};
use shared::store::schema::points::{user_of, BALANCE, BALANCE_SK, LEDGER_PREFIX, RECEIPT};
use shared::store::schema::{PK, SK};
use shared::store::{from_item, num_attr, str_attr, Db};
use std::collections::{BTreeMap, BTreeSet};

/// What the scan found. `violations` is empty when every invariant holds.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct Audit {
    pub users: usize,
    pub points_in_balances: i64,
    pub points_in_ledger: i64,
    pub seats_held: usize,
    pub seats_sold: usize,
    pub payments: usize,
    pub refunds: usize,
    pub violations: Vec<String>,
}

/// The points table, read into balances, ledger sums and payments.
#[derive(Default)]
struct Money {
    balances: BTreeMap<String, i64>,
    ledger: BTreeMap<String, i64>,
    /// Payment entries by reservation.
    payments: BTreeMap<u64, Vec<LedgerEntry>>,
    /// Refund entries by reservation.
    refunds: BTreeMap<u64, Vec<LedgerEntry>>,
}

/// Balance = Σ ledger ≥ 0 for every user; every COMPLETE reservation has
/// exactly one payment and one SOLD seat; every refunded one exactly one
/// payment and one refund of its price, and no seat sold under it; no seat
/// is sold without a COMPLETE reservation (or one the schedule's
/// cancellation refunded); no seat is held by a reservation that does not
/// hold it.
pub async fn audit(db: &Db, now_ms: i64) -> Result<Audit, Error> {
    let mut audit = Audit::default();
    let money = read_money(db, &mut audit).await?;
    check_balances(&money, &mut audit);
    let reservations: BTreeMap<u64, Reservation> = inspect::reservations(db)
        .await?
        .into_iter()
        .map(|r| (r.reserve_id, r))
        .collect();
    let seats = inspect::seats(db).await?;
    check_seats(&seats, &reservations, now_ms, &mut audit);
    check_sales(&seats, &reservations, &money, &mut audit);
    check_refunds(&seats, &reservations, &money, &mut audit);
    audit.payments = money.payments.values().map(Vec::len).sum();
    audit.refunds = money.refunds.values().map(Vec::len).sum();
    Ok(audit)
}

async fn read_money(db: &Db, audit: &mut Audit) -> Result<Money, Error> {
    let mut money = Money::default();
    for item in inspect::scan(db, &db.tables.points).await? {
        let user = str_attr(&item, PK)
            .and_then(user_of)
            .unwrap_or_default()
            .to_string();
        let sk = str_attr(&item, SK).unwrap_or_default();
        if sk == BALANCE_SK {
            money
                .balances
                .insert(user, num_attr(&item, BALANCE).unwrap_or(0));
            continue;
        }
        // Top-ups, withdrawals and their funds are checked against the
        // provider's records (`money_source`).
        if !sk.starts_with(LEDGER_PREFIX) {
            continue;
        }
        let has_receipt = item.contains_key(RECEIPT);
        let entry: LedgerEntry = from_item(item)?;
        *money.ledger.entry(user).or_default() += entry.amount;
        if entry.kind == EntryKind::Refund {
            let rid = entry.reserve_id.unwrap_or(0);
            money.refunds.entry(rid).or_default().push(entry);
        } else if entry.kind == EntryKind::Payment {
            if !has_receipt {
                let id = entry.entry_id;
                audit
                    .violations
                    .push(format!("payment entry {id} without its receipt"));
            }
            let rid = entry.reserve_id.unwrap_or(0);
            money.payments.entry(rid).or_default().push(entry);
        }
    }
    Ok(money)
}

fn check_balances(money: &Money, audit: &mut Audit) {
    let users: BTreeSet<&String> = money.balances.keys().chain(money.ledger.keys()).collect();
    for user in &users {
        let b = money.balances.get(*user).copied().unwrap_or(0);
        let l = money.ledger.get(*user).copied().unwrap_or(0);
        if b != l {
            audit
                .violations
                .push(format!("{user}: balance {b} ≠ Σ ledger {l}"));
        }
        if b < 0 {
            audit
                .violations
                .push(format!("{user}: negative balance {b}"));
        }
    }
    audit.users = users.len();
    audit.points_in_balances = money.balances.values().sum();
    audit.points_in_ledger = money.ledger.values().sum();
}

/// Every sold seat has its COMPLETE reservation; every held seat its TEMP one.
fn check_seats(
    seats: &[Seat],
    reservations: &BTreeMap<u64, Reservation>,
    now_ms: i64,
    audit: &mut Audit,
) {
    for seat in seats {
        let of_this_seat =
            |r: &&Reservation| (r.schedule_id, r.seat_id) == (seat.schedule_id, seat.seat_id);
        if seat.cancelled.is_some() {
            // Off sale for good; a ticket it refunded is checked with refunds.
            continue;
        }
        if let Some(rid) = seat.sold_reserve_id {
            audit.seats_sold += 1;
            let r = reservations.get(&rid).filter(of_this_seat);
            if !r.is_some_and(|r| r.status == ReservationStatus::Complete) {
                let id = seat.seat_id;
                audit
                    .violations
                    .push(format!("seat {id} sold without its COMPLETE reservation"));
            }
        } else if !seat.reservable_at(now_ms) {
            audit.seats_held += 1;
            let r = seat
                .hold_id
                .and_then(|id| reservations.get(&id))
                .filter(of_this_seat);
            if !r.is_some_and(|r| r.status == ReservationStatus::Temp) {
                let id = seat.seat_id;
                audit
                    .violations
                    .push(format!("seat {id} held by no TEMP reservation of it"));
            }
        }
    }
}

/// Every COMPLETE reservation has exactly one payment of its price and one
/// SOLD seat; every payment is of a COMPLETE reservation.
fn check_sales(
    seats: &[Seat],
    reservations: &BTreeMap<u64, Reservation>,
    money: &Money,
    audit: &mut Audit,
) {
    let complete = reservations
        .values()
        .filter(|r| r.status == ReservationStatus::Complete);
    for r in complete {
        let paid = money
            .payments
            .get(&r.reserve_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let rid = r.reserve_id;
        if paid.len() != 1 || paid[0].amount != -r.price || Some(paid[0].entry_id) != r.payment_id {
            let n = paid.len();
            audit
                .violations
                .push(format!("reservation {rid} has {n} matching payments"));
        }
        let sold = seats
            .iter()
            .filter(|s| s.sold_reserve_id == Some(rid))
            .count();
        if sold != 1 {
            audit
                .violations
                .push(format!("reservation {rid} COMPLETE with {sold} SOLD seats"));
        }
    }
    for rid in money.payments.keys() {
        let is_complete = reservations.get(rid).is_some_and(|r| {
            r.status == ReservationStatus::Complete || r.refund.is_some_and(|x| x > 0)
        });
        if !is_complete {
            audit.violations.push(format!(
                "a payment for reservation {rid}, which is not COMPLETE"
            ));
        }
    }
}

/// Every reservation cancelled with a refund has exactly one payment and
/// exactly one refund, both of its price, and no seat still sold under it
/// unless the schedule's cancellation marked that seat; every refund is of
/// such a reservation.
fn check_refunds(
    seats: &[Seat],
    reservations: &BTreeMap<u64, Reservation>,
    money: &Money,
    audit: &mut Audit,
) {
    let refunded = reservations
        .values()
        .filter(|r| r.status == ReservationStatus::Cancelled && r.refund.is_some_and(|x| x > 0));
    for r in refunded {
        let rid = r.reserve_id;
        let count = |m: &BTreeMap<u64, Vec<LedgerEntry>>, amount: i64| {
            m.get(&rid)
                .map_or(0, |v| v.iter().filter(|e| e.amount == amount).count())
        };
        let (paid, back) = (
            count(&money.payments, -r.price),
            count(&money.refunds, r.price),
        );
        if (paid, back) != (1, 1) || r.refund != Some(r.price) {
            audit.violations.push(format!(
                "reservation {rid} refunded with {paid} payments and {back} refunds"
            ));
        }
        let still_sold = seats
            .iter()
            .any(|s| s.sold_reserve_id == Some(rid) && s.cancelled != Some(SeatCancel::Ticket));
        if still_sold {
            audit
                .violations
                .push(format!("reservation {rid} refunded, its seat still sold"));
        }
    }
    for (rid, entries) in &money.refunds {
        let ok = reservations
            .get(rid)
            .is_some_and(|r| r.status == ReservationStatus::Cancelled && r.refund.is_some());
        if !ok || entries.len() != 1 {
            let n = entries.len();
            audit.violations.push(format!(
                "{n} refunds for reservation {rid}, which is not refunded"
            ));
        }
    }
}

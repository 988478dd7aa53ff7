//! A full scan that checks SPEC §4 over all data: for tests and the
//! benchmark, never for a request path.

use super::{sdk_err, Db, Item};
use crate::domain::catalog::Seat;
use crate::domain::points::{EntryKind, LedgerEntry};
use crate::domain::reservation::{Reservation, ReservationStatus};
use crate::error::AppError;
use std::collections::BTreeMap;

/// What the scan found. `violations` is empty when every invariant holds.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct Audit {
    pub users: usize,
    pub points_in_balances: i64,
    pub points_in_ledger: i64,
    pub seats_held: usize,
    pub seats_sold: usize,
    pub payments: usize,
    pub violations: Vec<String>,
}

fn sk(item: &Item) -> &str {
    item.get("sk")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or("")
}

impl Db {
    async fn scan_all(&self, table: &str) -> Result<Vec<Item>, AppError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_err)?;
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// Balance = Σ ledger ≥ 0 for every user; every COMPLETE reservation
    /// has exactly one payment and one SOLD seat; no seat is sold without
    /// a COMPLETE reservation; no seat is held by a reservation that does
    /// not hold it.
    pub async fn audit(&self, now_ms: i64) -> Result<Audit, AppError> {
        let mut audit = Audit::default();
        let mut balances: BTreeMap<String, i64> = BTreeMap::new();
        let mut ledger: BTreeMap<String, i64> = BTreeMap::new();
        let mut payments: BTreeMap<u64, Vec<LedgerEntry>> = BTreeMap::new();
        for item in self.scan_all(&self.tables.points).await? {
            let user = item
                .get("pk")
                .and_then(|v| v.as_s().ok())
                .map(|pk| pk.trim_start_matches("USER#").to_string())
                .unwrap_or_default();
            if sk(&item) == "BALANCE" {
                let point = item
                    .get("point")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                balances.insert(user, point);
            } else {
                let has_receipt = item.contains_key("payment");
                let entry: LedgerEntry = super::from_item(item)?;
                *ledger.entry(user).or_default() += entry.amount;
                if entry.kind == EntryKind::Payment {
                    if !has_receipt {
                        audit.violations.push(format!(
                            "payment entry {} without its receipt",
                            entry.entry_id
                        ));
                    }
                    payments
                        .entry(entry.reserve_id.unwrap_or(0))
                        .or_default()
                        .push(entry);
                }
            }
        }
        let users: std::collections::BTreeSet<&String> =
            balances.keys().chain(ledger.keys()).collect();
        for user in &users {
            let (b, l) = (
                balances.get(*user).copied().unwrap_or(0),
                ledger.get(*user).copied().unwrap_or(0),
            );
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
        audit.points_in_balances = balances.values().sum();
        audit.points_in_ledger = ledger.values().sum();

        let mut reservations: BTreeMap<u64, Reservation> = BTreeMap::new();
        for item in self.scan_all(&self.tables.reservations).await? {
            if sk(&item) == "RES" {
                let r: Reservation = super::from_item(item)?;
                reservations.insert(r.reserve_id, r);
            }
        }
        let mut seats: Vec<Seat> = Vec::new();
        for item in self.scan_all(&self.tables.catalog).await? {
            if sk(&item).starts_with("SEAT#") {
                seats.push(super::from_item(item)?);
            }
        }
        for seat in &seats {
            if let Some(rid) = seat.sold_reserve_id {
                audit.seats_sold += 1;
                match reservations.get(&rid) {
                    Some(r)
                        if r.status == ReservationStatus::Complete
                            && (r.schedule_id, r.seat_id) == (seat.schedule_id, seat.seat_id) => {}
                    _ => audit.violations.push(format!(
                        "seat {} sold without its COMPLETE reservation",
                        seat.seat_id
                    )),
                }
            } else if !seat.reservable_at(now_ms) {
                audit.seats_held += 1;
                let holder = seat.hold_id.and_then(|id| reservations.get(&id));
                if !holder.is_some_and(|r| {
                    r.seat_id == seat.seat_id && r.status == ReservationStatus::Temp
                }) {
                    audit.violations.push(format!(
                        "seat {} held by no TEMP reservation of it",
                        seat.seat_id
                    ));
                }
            }
        }
        for r in reservations
            .values()
            .filter(|r| r.status == ReservationStatus::Complete)
        {
            let paid = payments
                .get(&r.reserve_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if paid.len() != 1
                || paid[0].amount != -r.price
                || Some(paid[0].entry_id) != r.payment_id
            {
                audit.violations.push(format!(
                    "reservation {} has {} matching payments",
                    r.reserve_id,
                    paid.len()
                ));
            }
            let sold = seats
                .iter()
                .filter(|s| s.sold_reserve_id == Some(r.reserve_id))
                .count();
            if sold != 1 {
                audit.violations.push(format!(
                    "reservation {} COMPLETE with {sold} SOLD seats",
                    r.reserve_id
                ));
            }
        }
        for rid in payments.keys() {
            if !reservations
                .get(rid)
                .is_some_and(|r| r.status == ReservationStatus::Complete)
            {
                audit.violations.push(format!(
                    "a payment for reservation {rid}, which is not COMPLETE"
                ));
            }
        }
        audit.payments = payments.values().map(Vec::len).sum();
        Ok(audit)
    }
}

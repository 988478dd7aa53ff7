//! Business counters as CloudWatch metrics (SPEC §9), written in the
//! Embedded Metric Format: each Lambda invocation prints its counts as one
//! JSON log document per dimension set and CloudWatch turns them into
//! metrics; no API call, no agent. Without a recorder installed (the
//! local stack, tests) every count is a no-op.

use metrics::counter;
use metrics_cloudwatch_embedded::Collector;

/// The CloudWatch namespace of every metric; the template's alarms and
/// dashboard read the same.
pub const NAMESPACE: &str = "TicketSale";

/// Metric names, one place for the code, the template and the runbook.
pub mod name {
    pub const JOINS: &str = "Joins";
    pub const ADMITTED: &str = "Admitted";
    pub const WAITING: &str = "WaitingDepth";
    pub const HOLDS_CREATED: &str = "HoldsCreated";
    pub const HOLDS_REFUSED: &str = "HoldsRefused";
    pub const PAYMENTS: &str = "PaymentsSucceeded";
    pub const PAYMENTS_REFUSED: &str = "PaymentsRefused";
    pub const POINTS_CHARGED: &str = "PointsCharged";
    pub const HOLDS_EXPIRED: &str = "HoldsExpired";
    pub const REFUNDS: &str = "Refunds";
    pub const REPLAYS: &str = "IdempotentReplays";
    pub const BUSY: &str = "BusyAnswers";
    pub const SERVER_ERRORS: &str = "ServerErrors";
    pub const TOPUPS_CREDITED: &str = "TopupsCredited";
    pub const PROVIDER_ERRORS: &str = "ProviderErrors";
    pub const TOPUPS_OVERDUE: &str = "TopupsPendingOverdue";
    pub const WITHDRAWALS_OVERDUE: &str = "WithdrawalsPendingOverdue";
    pub const REVERSAL_SHORTFALL: &str = "ReversalShortfall";
    pub const GUARD_HOLDING: &str = "AdmissionGuardHolding";
}

/// Every metric's dimension naming the stack it comes from: staging and
/// production in one account keep their own series and alarms.
pub const SERVICE_DIMENSION: &str = "service";

/// Installs the recorder for the stack `service` (once per process; later
/// calls get `None`).
pub fn install(service: &str) -> Option<&'static Collector> {
    metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension(SERVICE_DIMENSION, service.to_string())
        .init()
        .ok()
}

/// Prints what was counted since the last flush (end of an invocation).
pub fn flush(collector: Option<&'static Collector>) {
    if let Some(c) = collector {
        if let Err(e) = c.flush(std::io::stdout().lock()) {
            tracing::warn!(error = %e, "metrics not written");
        }
    }
}

/// Which business counters an endpoint's answers feed (its row in the
/// route table says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Nothing,
    Joins,
    Holds,
    Payments,
}

/// The counters an answer stands for.
pub fn answered(counted: Counted, status: u16, code: Option<&str>) {
    let ok = (200..300).contains(&status);
    let refused = (400..500).contains(&status);
    match (counted, ok, refused) {
        (Counted::Joins, true, _) => counter!(name::JOINS).increment(1),
        (Counted::Holds, true, _) => counter!(name::HOLDS_CREATED).increment(1),
        (Counted::Holds, _, true) => {
            counter!(name::HOLDS_REFUSED, "code" => code.unwrap_or("").to_string()).increment(1)
        }
        (Counted::Payments, true, _) => counter!(name::PAYMENTS).increment(1),
        (Counted::Payments, _, true) => {
            counter!(name::PAYMENTS_REFUSED, "code" => code.unwrap_or("").to_string()).increment(1)
        }
        _ => {}
    }
    match status {
        503 => counter!(name::BUSY).increment(1),
        500.. => counter!(name::SERVER_ERRORS).increment(1),
        _ => {}
    }
}

pub fn points_charged(amount: i64) {
    counter!(name::POINTS_CHARGED).increment(amount.max(0) as u64);
}

pub fn replayed() {
    counter!(name::REPLAYS).increment(1);
}

pub fn admitted(n: usize) {
    counter!(name::ADMITTED).increment(n as u64);
}

pub fn waiting(depth: u64) {
    metrics::gauge!(name::WAITING).set(depth as f64);
}

pub fn holds_expired(n: usize) {
    counter!(name::HOLDS_EXPIRED).increment(n as u64);
}

pub fn refunds(n: u64) {
    counter!(name::REFUNDS).increment(n);
}

/// Points a confirmed top-up credited.
pub fn topup_credited(amount: i64) {
    counter!(name::TOPUPS_CREDITED).increment(amount.max(0) as u64);
}

/// A provider call with no usable answer (down, timed out, 5xx, 429, our
/// key refused): the alarm's metric.
pub fn provider_error(method: &str, why: &str) {
    tracing::warn!(method, error = why, "payment provider unavailable");
    counter!(name::PROVIDER_ERRORS).increment(1);
}

/// Top-ups and withdrawals still pending past their deadline, as the
/// reconciliation round found them.
pub fn pending_overdue(topups: usize, withdrawals: usize) {
    metrics::gauge!(name::TOPUPS_OVERDUE).set(topups as f64);
    metrics::gauge!(name::WITHDRAWALS_OVERDUE).set(withdrawals as f64);
}

/// Points a provider-side cancel should have taken back but the balance
/// no longer had.
pub fn reversal_shortfall(points: i64) {
    counter!(name::REVERSAL_SHORTFALL).increment(points.max(0) as u64);
}

/// 1 while the admission guard holds admission, 0 once it clears.
pub fn guard_holding(holding: bool) {
    metrics::gauge!(name::GUARD_HOLDING).set(if holding { 1.0 } else { 0.0 });
}

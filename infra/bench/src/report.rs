//! The parts of the report about one run: its operations, the waiting
//! room's pace, unexpected answers, and the invariants.

use crate::compare::fmt;
use crate::journey::Scenario;
use crate::runs::RunResult;
use crate::stats::table;
use serde_json::json;
use std::time::Duration;

/// Every operation of one service run, with its answers.
pub fn detail(r: &RunResult) -> String {
    let rows: Vec<Vec<String>> = r
        .summaries
        .iter()
        .map(|s| {
            vec![
                s.operation.clone(),
                s.requests.to_string(),
                fmt(s.ops_per_sec),
                fmt(s.p50_ms),
                fmt(s.p95_ms),
                fmt(s.p99_ms),
                s.statuses
                    .iter()
                    .chain(&s.unexpected)
                    .map(|(k, v)| format!("{k}×{v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    format!(
        "the last round's service run (latency and ops/s over expected answers only):\n{}",
        table(
            &[
                "operation",
                "requests",
                "ops/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "answers"
            ],
            &rows
        )
    )
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64()
}

/// Polls per fan and time to admission, when fans were told when to poll.
pub fn admission(r: &RunResult, sc: &Scenario) -> String {
    if r.admissions.is_empty() {
        return "waiting room: nobody waited".into();
    }
    let mut times: Vec<Duration> = r.admissions.iter().map(|a| a.1).collect();
    times.sort_unstable();
    let polls: usize = r.admissions.iter().map(|a| a.0).sum();
    format!(
        "waiting room ({} fans, {} admitted at once; clients poll when pollAfterMs says): {:.2} polls per fan, time to admission p50 {:.1} s, p95 {:.1} s, max {:.1} s",
        sc.users,
        sc.max_active,
        polls as f64 / r.admissions.len() as f64,
        pct(&times, 0.5),
        pct(&times, 0.95),
        pct(&times, 1.0),
    )
}

/// Prints the run's unexpected answers; `true` when there were none.
pub fn unexpected(name: &str, r: &RunResult) -> bool {
    let bad: Vec<String> = r
        .summaries
        .iter()
        .flat_map(|s| {
            s.unexpected
                .iter()
                .map(move |(status, n)| format!("{} {status}×{n}", s.operation))
        })
        .collect();
    if bad.is_empty() {
        println!("  {name:<8} none");
    } else {
        println!("  {name:<8} FAIL: {}", bad.join(", "));
    }
    bad.is_empty()
}

/// Prints the audit of one run; `true` when every invariant held.
pub fn invariants(name: &str, r: &RunResult) -> bool {
    let a = &r.audit;
    let holds = a.violations.is_empty()
        && a.payments == a.seats_sold
        && a.points_in_balances == a.points_in_ledger;
    println!(
        "  {name:<8} {}: {} tickets sold, {} seats sold, {} held, {} payments, money conserved (Σ balances {} = Σ ledger {})",
        if holds { "PASS" } else { "FAIL" },
        r.sold,
        a.seats_sold,
        a.seats_held,
        a.payments,
        a.points_in_balances,
        a.points_in_ledger,
    );
    for v in a.violations.iter().take(5) {
        println!("           {v}");
    }
    holds
}

pub fn json(r: &RunResult) -> serde_json::Value {
    json!({
        "operations": r.summaries,
        "sold": r.sold,
        "polls": r.polls,
        "audit": r.audit,
        "largest_items": r.largest,
    })
}

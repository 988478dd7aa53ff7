//! Service against baseline over interleaved rounds: per operation the
//! median ratio of throughputs and its spread, so one noisy phase cannot
//! pass for a result.

use crate::runs::RunResult;
use crate::stats::{table, OpSummary};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub operation: String,
    pub service_ops_per_sec: f64,
    pub baseline_ops_per_sec: f64,
    /// Median of the per-round ratios service ÷ baseline, and their range.
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn find<'a>(run: &'a RunResult, op: &str) -> Option<&'a OpSummary> {
    run.summaries.iter().find(|s| s.operation == op)
}

/// Ratios per operation the baseline also measures.
pub fn ratios(rounds: &[(RunResult, RunResult)]) -> Vec<Ratio> {
    let Some((first, _)) = rounds.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for op in first.summaries.iter().map(|s| s.operation.as_str()) {
        let pairs: Vec<(&OpSummary, &OpSummary)> = rounds
            .iter()
            .filter_map(|(s, b)| Some((find(s, op)?, find(b, op)?)))
            .filter(|(_, b)| b.ops_per_sec > 0.0)
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let each: Vec<f64> = pairs
            .iter()
            .map(|(s, b)| s.ops_per_sec / b.ops_per_sec)
            .collect();
        let of = |f: fn(&OpSummary) -> f64, service: bool| {
            median(
                pairs
                    .iter()
                    .map(|p| f(if service { p.0 } else { p.1 }))
                    .collect(),
            )
        };
        out.push(Ratio {
            operation: op.to_string(),
            service_ops_per_sec: of(|s| s.ops_per_sec, true),
            baseline_ops_per_sec: of(|s| s.ops_per_sec, false),
            median: median(each.clone()),
            min: each.iter().copied().fold(f64::INFINITY, f64::min),
            max: each.iter().copied().fold(0.0, f64::max),
            p50_ms: of(|s| s.p50_ms, true),
            p95_ms: of(|s| s.p95_ms, true),
            p99_ms: of(|s| s.p99_ms, true),
        });
    }
    out
}

pub fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

pub fn render(ratios: &[Ratio], rounds: usize) -> String {
    let rows: Vec<Vec<String>> = ratios
        .iter()
        .map(|r| {
            vec![
                r.operation.clone(),
                fmt(r.service_ops_per_sec),
                fmt(r.baseline_ops_per_sec),
                format!("{:.2}", r.median),
                format!("{:.2}–{:.2}", r.min, r.max),
                fmt(r.p50_ms),
                fmt(r.p95_ms),
                fmt(r.p99_ms),
            ]
        })
        .collect();
    format!(
        "per endpoint over {rounds} interleaved rounds (medians; ratio = service ÷ baseline ops/s):\n{}",
        table(
            &[
                "operation",
                "ops/s",
                "baseline ops/s",
                "ratio",
                "ratio range",
                "p50 ms",
                "p95 ms",
                "p99 ms",
            ],
            &rows
        )
    )
}

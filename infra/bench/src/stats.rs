//! Latency and status bookkeeping per operation, and the summary table.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
pub struct Recorder {
    ops: Mutex<BTreeMap<String, OpRecord>>,
}

#[derive(Default, Clone)]
struct OpRecord {
    /// Latencies of the answers the journey expects (a hold's 409 among
    /// them); nothing else counts towards throughput or latency.
    latencies_us: Vec<u64>,
    statuses: BTreeMap<String, u64>,
    unexpected: BTreeMap<String, u64>,
    wall: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpSummary {
    pub operation: String,
    pub requests: u64,
    pub ops_per_sec: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub statuses: BTreeMap<String, u64>,
    /// Answers the journey does not expect, and transport errors (`io: …`).
    pub unexpected: BTreeMap<String, u64>,
}

impl Recorder {
    /// One answer of `op`; `expected` says whether the journey expects it.
    pub fn record(&self, op: &str, status: &str, took: Duration, expected: bool) {
        if let Ok(mut ops) = self.ops.lock() {
            let r = ops.entry(op.to_string()).or_default();
            if expected {
                r.latencies_us.push(took.as_micros() as u64);
                *r.statuses.entry(status.to_string()).or_default() += 1;
            } else {
                *r.unexpected.entry(status.to_string()).or_default() += 1;
            }
        }
    }

    /// The wall-clock time a phase of `op` took, for its throughput.
    pub fn add_wall(&self, op: &str, wall: Duration) {
        if let Ok(mut ops) = self.ops.lock() {
            ops.entry(op.to_string()).or_default().wall += wall;
        }
    }

    pub fn summaries(&self) -> Vec<OpSummary> {
        let ops = self.ops.lock().map(|o| o.clone()).unwrap_or_default();
        ops.into_iter()
            .map(|(name, mut r)| {
                r.latencies_us.sort_unstable();
                let pct = |p: f64| {
                    if r.latencies_us.is_empty() {
                        return 0.0;
                    }
                    let i = ((r.latencies_us.len() as f64 * p).ceil() as usize)
                        .clamp(1, r.latencies_us.len())
                        - 1;
                    r.latencies_us[i] as f64 / 1000.0
                };
                let n = r.latencies_us.len() as u64;
                OpSummary {
                    operation: name,
                    requests: n,
                    ops_per_sec: if r.wall.is_zero() {
                        0.0
                    } else {
                        n as f64 / r.wall.as_secs_f64()
                    },
                    p50_ms: pct(0.50),
                    p95_ms: pct(0.95),
                    p99_ms: pct(0.99),
                    statuses: r.statuses,
                    unexpected: r.unexpected,
                }
            })
            .collect()
    }
}

/// A plain text table with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(header.iter().map(|s| s.to_string()).collect());
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.clone()));
    }
    out
}

/// A progress line on stderr, rewritten in place.
pub fn progress(phase: &str, done: usize, total: usize) {
    use std::io::IsTerminal;
    // Into a file or a pipe, only the finished line: no frames.
    if !std::io::stderr().is_terminal() {
        if done == total {
            eprintln!("  {phase:<10} {done}/{total}");
        }
        return;
    }
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r  {phase:<10} [{}{}] {done}/{total}   ",
        "#".repeat(filled),
        ".".repeat(width - filled)
    );
    if done >= total {
        eprintln!();
    }
}

//! The AWS bill of the SPEC §10 target sale — 1,000,000 fans, 60,000
//! tickets — from the metered units and the measured durations of each
//! operation at published on-demand prices (us-east-1), with the polls the
//! advised interval makes; and beside it an always-on fleet sized for the
//! same peak.

use crate::cost::OpCost;
use crate::heat::{FANS, SEATS};
use crate::stats::{table, OpSummary};
use devkit::capacity::Measured;
use serde::Serialize;
use shared::domain::queue::{poll_after_ms, Line, Pace};

use crate::pricing::{
    DYNAMODB_PER_READ_UNIT as READ_UNIT, DYNAMODB_PER_WRITE_UNIT as WRITE_UNIT,
    HTTP_API_PER_REQUEST as HTTP_API_REQUEST, LAMBDA_ARM_PER_GB_SECOND as LAMBDA_ARM_GB_SECOND,
    LAMBDA_MEMORY_GB as LAMBDA_GB, LAMBDA_PER_REQUEST as LAMBDA_REQUEST,
    PIPES_PER_REQUEST as PIPES_EVENT, SALE_PATH_MEMORY_GB as SALE_PATH_GB,
    SQS_PER_REQUEST as SQS_REQUEST,
};
const LOGS_PER_GB: f64 = 0.50;
/// One JSON log line per request.
const LOG_LINE_BYTES: f64 = 400.0;
/// What an admitted fan does besides buying: the schedule list and two
/// seat pages; a buyer also charges, tries 1.5 holds and pays.
const PAGES_PER_FAN: f64 = 2.0;
const HOLD_TRIES_PER_BUYER: f64 = 1.5;
const ADMISSIONS_PER_SECOND: u64 = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct Bill {
    pub lines: Vec<(String, String, f64)>,
    pub total_usd: f64,
    pub polls: f64,
    pub always_on_usd_per_month: f64,
}

/// Polls of a fan at `position` in a full line moving at 2,000/s, each
/// waiting what the last answer advised.
fn polls_of(position: u64, pace: Pace) -> u64 {
    let full = Line {
        free: Some(0),
        ..Line::default()
    };
    let admitted_at = position as f64 / ADMISSIONS_PER_SECOND as f64;
    let (mut t, mut polls) = (0.0, 0);
    while t < admitted_at {
        let ahead = ((admitted_at - t) * ADMISSIONS_PER_SECOND as f64) as u64 + 1;
        t += poll_after_ms(ahead, full, pace) as f64 / 1000.0;
        polls += 1;
    }
    polls + 1
}

/// Share of calls that find an instance's catalogue cache empty: each
/// instance (busy ≈ 50 ms per request) refreshes a key once a second.
const CACHE_MISSES: f64 = 0.05;

/// Units of one call of `prefix`: writes as metered; reads the warm
/// call's, plus what the cache serves at its miss rate.
fn units(costs: &[OpCost], measured: &[Measured], prefix: &str) -> (f64, f64) {
    let (cold_r, w) = costs
        .iter()
        .find(|c| c.operation.starts_with(prefix))
        .map(|c| (c.read_units, c.write_units))
        .unwrap_or_default();
    let reads = |f: &[devkit::footprint::Footprint]| f.iter().map(|f| f.read_units).sum::<f64>();
    let r = match measured.iter().find(|m| m.operation.starts_with(prefix)) {
        Some(m) => {
            let warm = reads(&m.warm);
            warm + (reads(&m.cold) - warm).max(0.0) * CACHE_MISSES
        }
        None => cold_r,
    };
    (r, w)
}

pub fn bill(costs: &[OpCost], measured: &[Measured], service: &[OpSummary]) -> Bill {
    let pace = Pace {
        max_active: ADMISSIONS_PER_SECOND as u32 * 300,
        active_seconds: 300,
        tick_seconds: 5,
    };
    let polls: f64 = (1..=FANS).map(|p| polls_of(p, pace) as f64).sum();
    let totals = totals(costs, measured, service, polls);
    let lines = lines(&totals, SEATS as f64 * 2.0);
    let total_usd = lines.iter().map(|l| l.2).sum();
    Bill {
        lines,
        total_usd,
        polls,
        always_on_usd_per_month: always_on(),
    }
}

/// Units, requests and GB-seconds of the whole sale.
#[derive(Default)]
struct Totals {
    rcu: f64,
    wcu: f64,
    requests: f64,
    gb_s: f64,
}

fn totals(costs: &[OpCost], measured: &[Measured], service: &[OpSummary], polls: f64) -> Totals {
    let (fans, buyers) = (FANS as f64, SEATS as f64);
    // (operation as metered, as timed, how many, its function's memory)
    let (sale, other) = (SALE_PATH_GB, LAMBDA_GB);
    let counts = [
        ("join", "join", fans, sale),
        ("admission (per token)", "", fans, 0.0),
        ("status poll", "poll", polls, sale),
        // At most one per poll (fewer when polls come faster than 10 s).
        (crate::cost::MARK, "", polls, 0.0),
        ("schedules", "schedules", fans, other),
        ("seats", "seats", fans * PAGES_PER_FAN, other),
        ("charge (with key)", "charge", buyers, other),
        ("reserve (with key)", "reserve", buyers, sale),
        (
            "reserve refused",
            "reserve",
            buyers * (HOLD_TRIES_PER_BUYER - 1.0),
            sale,
        ),
        ("pay (with key)", "pay", buyers, sale),
        ("availability, per event", "", buyers * 2.0, 0.0),
    ];
    let mut t = Totals::default();
    for (metered, timed, n, gb) in counts {
        let (r, w) = units(costs, measured, metered);
        t.rcu += r * n;
        t.wcu += w * n;
        let ms = service
            .iter()
            .find(|s| s.operation == timed)
            .map_or(10.0, |s| s.p50_ms.max(1.0));
        if !timed.is_empty() {
            t.requests += n;
            t.gb_s += n * ms / 1000.0 * gb;
        }
    }
    t
}

fn lines(t: &Totals, events: f64) -> Vec<(String, String, f64)> {
    let line = |item: &str, amount: String, usd: f64| (item.to_string(), amount, usd);
    let millions = |n: f64| format!("{:.1} M", n / 1e6);
    vec![
        line("DynamoDB write units", millions(t.wcu), t.wcu * WRITE_UNIT),
        line("DynamoDB read units", millions(t.rcu), t.rcu * READ_UNIT),
        line(
            "API Gateway requests",
            millions(t.requests),
            t.requests * HTTP_API_REQUEST,
        ),
        line(
            "Lambda requests",
            millions(t.requests),
            t.requests * LAMBDA_REQUEST,
        ),
        line(
            "Lambda GB-seconds (sale path 256 MB, the rest 128 MB; local p50)",
            format!("{:.0}", t.gb_s),
            t.gb_s * LAMBDA_ARM_GB_SECOND,
        ),
        line(
            "CloudWatch Logs (one line per request)",
            format!("{:.2} GB", t.requests * LOG_LINE_BYTES / 1e9),
            t.requests * LOG_LINE_BYTES / 1e9 * LOGS_PER_GB,
        ),
        line(
            "Pipes + SQS (seat events)",
            format!("{:.2} M", events / 1e6),
            events * (PIPES_EVENT + 3.0 * SQS_REQUEST),
        ),
    ]
}

/// A fleet that is up all month because a flash crowd gives no time to
/// scale: 8 × c7g.2xlarge behind an ALB for ~120,000 requests/s at peak
/// (≈ 15,000 simple requests/s each), and DynamoDB as above (or an
/// Aurora r7g.4xlarge writer for the same writes). Hourly list prices.
fn always_on() -> f64 {
    let hours = 730.0;
    let compute = 8.0 * 0.29 * hours;
    let load_balancer = 0.0225 * hours + 50.0;
    let database = 1.97 * hours;
    compute + load_balancer + database
}

pub fn render(b: &Bill) -> String {
    let rows: Vec<Vec<String>> = b
        .lines
        .iter()
        .map(|(item, n, usd)| vec![item.clone(), n.clone(), format!("{usd:.2}")])
        .collect();
    format!(
        "the AWS bill of one target on-sale ({FANS} fans, {SEATS} tickets, {:.1} M polls at the advised interval):\n{}\ntotal ≈ ${:.0} for the sale; an always-on fleet sized for the same peak ≈ ${:.0} a month",
        b.polls / 1e6,
        table(&["item", "amount", "USD"], &rows),
        b.total_usd,
        b.always_on_usd_per_month,
    )
}

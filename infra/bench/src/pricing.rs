//! What a million sold tickets cost on AWS: the measured requests and
//! capacity units of one fan's journey times published on-demand prices
//! (us-east-1 list prices; check the current price pages before relying
//! on the absolute figure).

use crate::cost::OpCost;
use crate::stats::OpSummary;
use serde::Serialize;

pub const DYNAMODB_PER_WRITE_UNIT: f64 = 0.625 / 1e6;
pub const DYNAMODB_PER_READ_UNIT: f64 = 0.125 / 1e6;
pub const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
pub const LAMBDA_ARM_PER_GB_SECOND: f64 = 0.000_013_333_4;
pub const LAMBDA_MEMORY_GB: f64 = 128.0 / 1024.0;
pub const HTTP_API_PER_REQUEST: f64 = 1.00 / 1e6;
pub const SQS_PER_REQUEST: f64 = 0.40 / 1e6;
pub const PIPES_PER_REQUEST: f64 = 0.40 / 1e6;

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub item: String,
    pub per_ticket: String,
    pub usd_per_million_tickets: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub lines: Vec<Line>,
    pub total_usd_per_million_tickets: f64,
    pub write_units_per_sold_ticket: f64,
    pub write_units_per_journey: f64,
    pub read_units_per_journey: f64,
}

fn units(costs: &[OpCost], prefix: &str) -> (f64, f64) {
    costs
        .iter()
        .find(|c| c.operation.starts_with(prefix))
        .map(|c| (c.read_units, c.write_units))
        .unwrap_or_default()
}

/// Lambda memory of the sale path's functions (`SalePathMemory` in the
/// template); every other function has the global 128 MB.
pub const SALE_PATH_MEMORY_GB: f64 = 256.0 / 1024.0;

/// One fan's journey: join, its admission (what it adds to a round),
/// `polls` status polls, the two catalogue reads,
/// a charge, `reserve_tries` hold attempts (one of which holds), a
/// payment, and the two seat events (hold, sale) of the availability count.
pub fn per_million_tickets(
    costs: &[OpCost],
    service: &[OpSummary],
    polls: f64,
    reserve_tries: f64,
) -> Model {
    let (rcu, wcu) = journey_units(costs, polls, reserve_tries);
    let sold_wcu = units(costs, "reserve (with key)").1 + units(costs, "pay (with key)").1;
    let requests: f64 = 1.0 + polls + 1.0 + 1.0 + 1.0 + reserve_tries + 1.0;
    let (lambda_ms, gb_seconds) = lambda_time(service, polls, reserve_tries);
    let lines = lines(rcu, wcu, requests, lambda_ms, gb_seconds);
    let total = lines.iter().map(|l| l.usd_per_million_tickets).sum();
    Model {
        lines,
        total_usd_per_million_tickets: total,
        write_units_per_sold_ticket: sold_wcu,
        write_units_per_journey: wcu,
        read_units_per_journey: rcu,
    }
}

/// Read and write units of one journey, the two seat events included.
fn journey_units(costs: &[OpCost], polls: f64, reserve_tries: f64) -> (f64, f64) {
    let steps: [(&str, f64); 9] = [
        ("join", 1.0),
        ("admission (per token)", 1.0),
        ("status poll", polls),
        ("schedules", 1.0),
        ("seats", 1.0),
        ("charge (with key)", 1.0),
        ("reserve (with key)", 1.0),
        ("reserve refused", (reserve_tries - 1.0).max(0.0)),
        ("pay (with key)", 1.0),
    ];
    let (mut rcu, mut wcu) = (0.0, 0.0);
    for (prefix, n) in steps {
        let (r, w) = units(costs, prefix);
        rcu += r * n;
        wcu += w * n;
    }
    let (ar, aw) = units(costs, "availability");
    (rcu + ar * 2.0, wcu + aw * 2.0)
}

/// One journey's Lambda time (ms) at the local p50 of each call, and its
/// GB-seconds at each function's memory.
fn lambda_time(service: &[OpSummary], polls: f64, reserve_tries: f64) -> (f64, f64) {
    let p50 = |op: &str| {
        service
            .iter()
            .find(|s| s.operation == op)
            .map(|s| s.p50_ms.ceil())
            .unwrap_or(10.0)
    };
    let sale_path_ms =
        p50("join") + polls * p50("poll") + reserve_tries * p50("reserve") + p50("pay");
    let other_ms = p50("schedules") + p50("seats") + p50("charge");
    let gb_seconds = (sale_path_ms * SALE_PATH_MEMORY_GB + other_ms * LAMBDA_MEMORY_GB) / 1000.0;
    (sale_path_ms + other_ms, gb_seconds)
}

fn lines(rcu: f64, wcu: f64, requests: f64, lambda_ms: f64, gb_seconds: f64) -> Vec<Line> {
    let lambda_invocations = requests + 0.2; // + availability batches of 10
    let line = |item: &str, per_ticket: String, usd: f64| Line {
        item: item.into(),
        per_ticket,
        usd_per_million_tickets: usd * 1e6,
    };
    vec![
        line(
            "DynamoDB write units",
            format!("{wcu:.1} WRU"),
            wcu * DYNAMODB_PER_WRITE_UNIT,
        ),
        line(
            "DynamoDB read units",
            format!("{rcu:.1} RRU"),
            rcu * DYNAMODB_PER_READ_UNIT,
        ),
        line(
            "API Gateway HTTP API requests",
            format!("{requests:.1}"),
            requests * HTTP_API_PER_REQUEST,
        ),
        line(
            "Lambda requests",
            format!("{lambda_invocations:.1}"),
            lambda_invocations * LAMBDA_PER_REQUEST,
        ),
        line(
            "Lambda duration (arm64, sale path 256 MB, the rest 128 MB; local p50 per call)",
            format!("{lambda_ms:.0} ms"),
            gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
        ),
        line(
            "EventBridge Pipes + SQS (2 seat events)",
            "2 events".into(),
            2.0 * (PIPES_PER_REQUEST + SQS_PER_REQUEST),
        ),
    ]
}

impl Model {
    pub fn render(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .lines
            .iter()
            .map(|l| {
                vec![
                    l.item.clone(),
                    l.per_ticket.clone(),
                    format!("{:.0}", l.usd_per_million_tickets),
                ]
            })
            .collect();
        format!(
            "cost of one million sold tickets (one fan's whole journey each):\n{}\ntotal ≈ ${:.0} per million tickets; {:.1} write units per sold ticket (hold + payment)",
            crate::stats::table(&["item", "per ticket", "USD per 1M tickets"], &rows),
            self.total_usd_per_million_tickets,
            self.write_units_per_sold_ticket
        )
    }
}

//! `infra/bench.sh` (or `cargo run --release -p bench -- [options]`): the
//! flash-crowd journey over HTTP against the local stack, the same
//! DynamoDB calls straight through the SDK as a baseline, units per
//! operation, cold starts, and the cost of a million sold tickets.
//!
//! Options: `bench --help`.
//!
//! The run fails on any unexpected answer or transport error, a broken
//! invariant, a key of the capacity model past 80% of a partition's limit,
//! or an item past its bound.

mod coldstart;
mod compare;
mod cost;
mod error;
mod hall;
mod heat;
mod journey;
mod layers;
mod onsale;
mod ops;
mod pricing;
mod report;
mod rooms;
mod runs;
mod soak;
mod stack;
mod stats;
mod topups;

use crate::error::Error;
use chrono::{Days, Utc};
use journey::Scenario;
use serde_json::json;
use shared::domain::catalog::{Concert, Schedule, ScheduleStatus};
use shared::domain::organiser::Section;
use shared::store::catalog::CatalogData;
use stats::table;
use std::path::PathBuf;
use std::process::ExitCode;

/// The flash-crowd journey against the local stack beside a baseline of
/// the same DynamoDB calls, units per operation, cold starts and the cost
/// of a target on-sale; or one of the focused profiles (--soak, --topups,
/// --rooms).
#[derive(clap::Parser)]
#[command(name = "bench", version)]
struct Args {
    /// Fans in the crowd (1..20000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=20_000))]
    users: u64,
    /// Requests in flight at once (1..512).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=512))]
    concurrency: u64,
    /// Seats in the hall (1..60000).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    seats: u64,
    /// Seats everyone wants (0: picks spread over the hall).
    #[arg(long, default_value_t = 0)]
    hot_seats: u64,
    /// Hold attempts per fan (1..50).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=50))]
    attempts: u64,
    /// Service and baseline alternate this many times (1..20).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=20))]
    rounds: u64,
    /// Most fans admitted at once (default: everyone); below --users the
    /// queued crowd waits in line at the advised poll interval.
    #[arg(long)]
    max_active: Option<u64>,
    /// Share of the hall held before the fans arrive (0..0.99).
    #[arg(long, default_value_t = 0.0)]
    fill: f64,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench/report.json")]
    out: PathBuf,
    /// Skip the cold-start measurement.
    #[arg(long)]
    no_coldstart: bool,
    /// Only the sustained-load profile for this many seconds (60..3600).
    #[arg(long, value_parser = clap::value_parser!(u64).range(60..=3_600))]
    soak: Option<u64>,
    /// Only two rooms opening together (a stadium and a club): each
    /// room's admissions per second against its rate and cap.
    #[arg(long)]
    rooms: bool,
    /// Only the top-up confirm's latency against the sandbox, N times.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    topups: Option<u64>,
}

impl Args {
    fn scenario(&self) -> Scenario {
        Scenario {
            users: self.users as usize,
            concurrency: self.concurrency as usize,
            seats: self.seats,
            hot_seats: self.hot_seats,
            attempts: self.attempts as usize,
            max_active: self
                .max_active
                .map_or(self.users as usize, |m| m.max(1) as usize),
            fill: self.fill.clamp(0.0, 0.99),
        }
    }
}

/// One concert, one date next month, `seats` priced seats.
fn catalog(seats: u64) -> CatalogData {
    let date = Utc::now().date_naive() + Days::new(30);
    let schedule = Schedule {
        schedule_id: ops::SCHEDULE,
        concert_id: ops::CONCERT,
        date,
        total_seats: seats as u32,
        first_seat_id: 1,
        sale_opens_at: 0,
        sale_closes_at: i64::MAX,
        status: ScheduleStatus::Ready,
    };
    let mut data = CatalogData {
        concerts: vec![Concert {
            id: ops::CONCERT,
            title: "Benchmark 콘서트".into(),
            start_date: date,
            end_date: date,
            has_room: false,
        }],
        ..CatalogData::default()
    };
    // Rows of 100 seats where they divide evenly, else one row.
    let per_row = if seats.is_multiple_of(100) {
        100
    } else {
        seats.max(1)
    };
    let hall = [Section {
        name: "A".into(),
        rows: (seats / per_row) as u32,
        seats_per_row: per_row as u32,
        price: 100_000,
    }];
    data.add_schedule(schedule, &hall);
    data
}

async fn run(args: Args) -> Result<bool, Error> {
    let sc = &args.scenario();
    let data = catalog(sc.seats);
    println!("{}", describe(sc));
    let mut rounds: Vec<Round> = Vec::new();
    for round in 1..=args.rounds {
        rounds.push(one_round(sc, &data, round).await?);
    }
    let last = &rounds[rounds.len() - 1].0;
    let (mut ok, judged) = judge(sc, &rounds);
    eprintln!("cost per operation (metered, one request at a time):");
    let metered = cost::measure(&data).await?;
    let costs = &metered.costs;
    println!("\nDynamoDB per operation:\n{}", per_operation(costs));
    let sizes: Vec<cost::ItemSize> = metered.sizes.iter().chain(&last.largest).cloned().collect();
    let heat = heat::judge(&metered.footprints, &sizes);
    println!("\n{}", heat.text);
    ok &= heat.ok;
    let (model, bill) = prices(sc, last, costs, &metered.footprints);
    let cold = match args.no_coldstart {
        true => Vec::new(),
        false => cold_starts().await?,
    };
    let report = json!({
        "scenario": sc,
        "rounds": rounds.iter().map(|(s, b)| json!({"service": report::json(s), "baseline": b.as_ref().map(report::json)})).collect::<Vec<_>>(),
        "ratio_service_over_baseline": judged.ratios,
        "hall": judged.hall,
        "layers": judged.layers,
        "dynamodb_per_operation": costs,
        "capacity": heat.json,
        "cost_per_million_tickets": model,
        "cost_of_the_target_sale": bill,
        "cold_start": cold,
    });
    write_report(&args.out, &report)?;
    Ok(ok)
}

/// One service run and, where it has one, its baseline.
type Round = (runs::RunResult, Option<runs::RunResult>);

fn describe(sc: &Scenario) -> String {
    let picks = match sc.hot_seats {
        0 => "picks spread over the hall".to_string(),
        n => format!("everyone on the first {n} seats"),
    };
    format!(
        "scenario: {} users, concurrency {}, {} seats, {picks}, up to {} hold attempts each",
        sc.users, sc.concurrency, sc.seats, sc.attempts
    )
}

async fn one_round(sc: &Scenario, data: &CatalogData, round: u64) -> Result<Round, Error> {
    eprintln!("round {round}: service (HTTP → gateway → handler → SDK → dynoxide):");
    let service = runs::service(sc, data, round == 1).await?;
    // A queued crowd has no baseline (nobody waits there); a filled hall is
    // about the service's reads.
    if sc.max_active < sc.users || sc.fill > 0.0 {
        return Ok((service, None));
    }
    eprintln!("round {round}: baseline (the same DynamoDB calls, SDK → dynoxide):");
    let baseline = runs::baseline(sc, data, service.polls).await?;
    Ok((service, Some(baseline)))
}

/// What the rounds showed beside their verdict.
struct Judged {
    ratios: Vec<compare::Ratio>,
    hall: Option<hall::Hall>,
    layers: Vec<layers::Layers>,
}

/// Prints the rounds' findings; whether every check held.
fn judge(sc: &Scenario, rounds: &[Round]) -> (bool, Judged) {
    let last = &rounds[rounds.len() - 1].0;
    println!("\n{}", report::detail(last));
    let paired: Vec<(runs::RunResult, runs::RunResult)> = rounds
        .iter()
        .filter_map(|(s, b)| Some((s.clone(), b.clone()?)))
        .collect();
    let ratios = compare::ratios(&paired);
    if !ratios.is_empty() {
        println!("\n{}", compare::render(&ratios, paired.len()));
    }
    println!("\n{}", report::admission(last, sc));
    let mut ok = true;
    let hall = rounds.first().and_then(|(s, _)| s.hall.clone());
    if let Some(h) = &hall {
        println!("\n{}", h.render());
        ok &= h.exact();
    }
    let layers = rounds
        .first()
        .map(|(s, _)| s.layers.clone())
        .unwrap_or_default();
    if !layers.is_empty() {
        println!("\n{}", layers::render(&layers));
    }
    let all: Vec<(&str, &runs::RunResult)> = rounds
        .iter()
        .flat_map(|(s, b)| std::iter::once(("service", s)).chain(b.iter().map(|b| ("baseline", b))))
        .collect();
    println!("\nunexpected answers and transport errors:");
    for (name, r) in &all {
        ok &= report::unexpected(name, r);
    }
    println!("\ninvariants (full scan after each run):");
    for (name, r) in &all {
        ok &= report::invariants(name, r);
    }
    (
        ok,
        Judged {
            ratios,
            hall,
            layers,
        },
    )
}

fn per_operation(costs: &[cost::OpCost]) -> String {
    let rows: Vec<Vec<String>> = costs
        .iter()
        .map(|c| {
            let by_call: Vec<String> = c
                .by_call
                .iter()
                .map(|(k, u)| format!("{k}×{}", u.calls))
                .collect();
            vec![
                c.operation.clone(),
                c.calls.to_string(),
                format!("{:.1}", c.read_units),
                format!("{:.1}", c.write_units),
                by_call.join(" "),
            ]
        })
        .collect();
    table(
        &["operation", "calls", "RCU", "WCU", "calls by kind"],
        &rows,
    )
}

/// The cost of a million tickets and of the target sale, printed.
fn prices(
    sc: &Scenario,
    last: &runs::RunResult,
    costs: &[cost::OpCost],
    footprints: &[devkit::capacity::Measured],
) -> (pricing::Model, onsale::Bill) {
    let polls_per_fan = last.polls as f64 / sc.users.max(1) as f64;
    let reserve_tries = last
        .summaries
        .iter()
        .find(|s| s.operation == "reserve")
        .map(|s| s.requests as f64 / sc.users.max(1) as f64)
        .unwrap_or(1.0);
    let model = pricing::per_million_tickets(costs, &last.summaries, polls_per_fan, reserve_tries);
    println!("\n{}", model.render());
    let bill = onsale::bill(costs, footprints, &last.summaries);
    println!("\n{}", onsale::render(&bill));
    (model, bill)
}

/// Every function's cold start, printed.
async fn cold_starts() -> Result<Vec<coldstart::ColdStart>, Error> {
    let functions: Vec<String> = sam::Template::builtin()?
        .functions
        .iter()
        .map(|f| f.handler.clone())
        .collect();
    let cold = coldstart::measure(std::path::Path::new("target/release"), &functions).await?;
    let rows: Vec<Vec<String>> = cold
        .iter()
        .map(|c| {
            vec![
                c.function.clone(),
                c.binary_kib.to_string(),
                format!("{:.1}", c.median_ms),
                format!("{:.1}", c.max_ms),
            ]
        })
        .collect();
    println!("\ncold-start proxy (exec → first GET /runtime/invocation/next, 5 runs, x86_64 release build):");
    println!(
        "{}",
        table(&["function", "KiB", "median ms", "max ms"], &rows)
    );
    Ok(cold)
}

fn write_report(path: &std::path::Path, report: &serde_json::Value) -> Result<(), Error> {
    let out = path.display().to_string();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(&out))?;
    }
    let text = serde_json::to_string_pretty(report).unwrap_or_else(|_| report.to_string());
    std::fs::write(path, text).map_err(Error::io(&out))?;
    println!("\nreport written to {out}");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    // The stack's own logs, only when asked for (`RUST_LOG=local=debug`).
    if std::env::var_os("RUST_LOG").is_some() {
        shared::lambda::init_tracing();
    }
    let args = <Args as clap::Parser>::parse();
    let outcome = match (args.soak, args.topups) {
        _ if args.rooms => rooms::run(args.concurrency as usize).await,
        (Some(seconds), _) => soak::run(seconds).await,
        (None, Some(n)) => topups::run(n as usize, args.concurrency as usize).await,
        (None, None) => run(args).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench: a check failed (see the report above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `infra/bench.sh` (or `cargo run --release -p bench -- [options]`): the
//! flash-crowd journey over HTTP against the local stack, the same
//! DynamoDB calls straight through the SDK as a baseline, units per
//! operation, cold starts, and the cost of a million sold tickets.
//!
//! Options: --users N (1000) --concurrency C (32) --seats S (2000)
//! --hot-seats K (0: spread over the hall) --attempts A (5)
//! --out PATH (target/bench/report.json) --no-coldstart
//! --soak SECONDS (only the sustained-load profile: hold traffic against a
//! file-backed stack, throughput per minute; fails below 80% of the first
//! minute)

mod coldstart;
mod cost;
mod heat;
mod http;
mod journey;
mod ops;
mod pricing;
mod soak;
mod stack;
mod stats;

use chrono::{Days, Utc};
use journey::Scenario;
use local::settings::Settings;
use ops::Ops;
use serde_json::json;
use shared::config::{Config, Tables};
use shared::domain::catalog::{Concert, Schedule, Seat};
use shared::store::catalog::CatalogData;
use stats::{table, OpSummary, Recorder};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

struct Args {
    scenario: Scenario,
    soak: Option<u64>,
    out: PathBuf,
    coldstart: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut sc = Scenario {
        users: 1000,
        concurrency: 32,
        seats: 2000,
        hot_seats: 0,
        attempts: 5,
    };
    let mut out = PathBuf::from("target/bench/report.json");
    let mut coldstart = true;
    let mut soak = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{a}: {v:?} is not a number"))
        };
        match a.as_str() {
            "--users" => sc.users = num(value()?)?.clamp(1, 20_000) as usize,
            "--concurrency" => sc.concurrency = num(value()?)?.clamp(1, 512) as usize,
            "--seats" => sc.seats = num(value()?)?.clamp(1, 20_000),
            "--hot-seats" => sc.hot_seats = num(value()?)?,
            "--attempts" => sc.attempts = num(value()?)?.clamp(1, 50) as usize,
            "--out" => out = PathBuf::from(value()?),
            "--no-coldstart" => coldstart = false,
            "--soak" => soak = Some(num(value()?)?.clamp(60, 3_600)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Args {
        scenario: sc,
        soak,
        out,
        coldstart,
    })
}

/// One concert, one date next month, `seats` priced seats.
fn catalog(seats: u64) -> CatalogData {
    let date = Utc::now().date_naive() + Days::new(30);
    CatalogData {
        concerts: vec![Concert {
            id: ops::CONCERT,
            title: "Benchmark 콘서트".into(),
            start_date: date,
            end_date: date,
        }],
        schedules: vec![Schedule {
            schedule_id: ops::SCHEDULE,
            concert_id: ops::CONCERT,
            date,
            total_seats: seats as u32,
            first_seat_id: 1,
        }],
        seats: (1..=seats)
            .map(|id| Seat {
                seat_id: id,
                schedule_id: ops::SCHEDULE,
                concert_id: ops::CONCERT,
                seat_number: format!("{}{}", (b'A' + (id / 100 % 26) as u8) as char, id % 100 + 1),
                price: 100_000 + (id % 4) as i64 * 10_000,
                hold_id: None,
                hold_until: None,
                holder: None,
                sold_reserve_id: None,
            })
            .collect(),
    }
}

fn bench_config(sc: &Scenario) -> Config {
    Config {
        tables: Tables::default(),
        queue_max_active: sc.users as u32,
        queue_tick_seconds: 1,
        queue_active_seconds: 3600,
        ..Config::default()
    }
}

struct RunResult {
    summaries: Vec<OpSummary>,
    sold: usize,
    polls: usize,
    audit: devkit::audit::Audit,
}

async fn service_run(sc: &Scenario, data: &CatalogData) -> Result<RunResult, String> {
    let settings = Settings {
        seed_sample_data: false,
        stream_poll: Duration::from_millis(500),
        ..Settings::ephemeral()
    };
    let stack = stack::Running::start(settings, bench_config(sc))?;
    stack
        .app
        .db
        .load_catalog(data)
        .await
        .map_err(|e| e.to_string())?;
    let ops = Ops::Http(http::Client::new(&stack.url));
    let rec = Recorder::default();
    let fans = journey::join(&ops, &rec, sc, "fan").await;
    journey::wait_for_admission(&ops, &rec, sc, &fans, Duration::from_secs(60)).await;
    let polls = rec
        .summaries()
        .iter()
        .find(|s| s.operation == "admission wait")
        .map(|s| s.requests as usize)
        .unwrap_or(sc.users);
    // Polling throughput, measured back to back like the baseline's.
    journey::poll_times(&ops, &rec, sc, &fans, polls).await;
    journey::browse(&ops, &rec, sc, &fans).await;
    journey::charge(&ops, &rec, sc, &fans).await;
    let fans = journey::reserve(&ops, &rec, sc, fans).await;
    let sold = journey::pay(&ops, &rec, sc, &fans).await;
    let audit = devkit::audit::audit(&stack.app.db, stack.app.now_ms())
        .await
        .map_err(|e| e.to_string())?;
    stack.stop();
    Ok(RunResult {
        summaries: rec.summaries(),
        sold,
        polls,
        audit,
    })
}

async fn baseline_run(
    sc: &Scenario,
    data: &CatalogData,
    polls: usize,
) -> Result<RunResult, String> {
    // A fresh emulator with the same tables, TTL and streams as the stack's.
    let emu = emulator::Emulator::memory().map_err(|e| e.to_string())?;
    emu.create_tables(&emulator::Template::builtin().map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let config = bench_config(sc);
    let db = shared::store::Db::new(emu.client(), config.tables.clone());
    let app = shared::App::new(db, std::sync::Arc::new(shared::clock::SystemClock), config);
    app.db.load_catalog(data).await.map_err(|e| e.to_string())?;
    let ops = Ops::Direct(app.clone());
    let rec = Recorder::default();
    let fans = journey::join(&ops, &rec, sc, "base").await;
    // Admission is the activator's, not a request's: done between phases.
    while shared::jobs::activator::round(&app)
        .await
        .map_err(|e| e.to_string())?
        .admitted
        > 0
    {}
    journey::poll_times(&ops, &rec, sc, &fans, polls).await;
    journey::browse(&ops, &rec, sc, &fans).await;
    journey::charge(&ops, &rec, sc, &fans).await;
    let fans = journey::reserve(&ops, &rec, sc, fans).await;
    let sold = journey::pay(&ops, &rec, sc, &fans).await;
    let audit = devkit::audit::audit(&app.db, app.now_ms())
        .await
        .map_err(|e| e.to_string())?;
    emu.stop();
    Ok(RunResult {
        summaries: rec.summaries(),
        sold,
        polls,
        audit,
    })
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

async fn run(args: Args) -> Result<bool, String> {
    let sc = &args.scenario;
    let data = catalog(sc.seats);
    println!(
        "scenario: {} users, concurrency {}, {} seats, {}, up to {} hold attempts each",
        sc.users,
        sc.concurrency,
        sc.seats,
        if sc.hot_seats == 0 {
            "picks spread over the hall".to_string()
        } else {
            format!("everyone on the first {} seats", sc.hot_seats)
        },
        sc.attempts
    );
    eprintln!("service (HTTP → gateway → handler → SDK → dynoxide):");
    let service = service_run(sc, &data).await?;
    eprintln!("baseline (the same DynamoDB calls, SDK → dynoxide):");
    let baseline = baseline_run(sc, &data, service.polls).await?;

    let mut rows = Vec::new();
    let mut ratios = serde_json::Map::new();
    for s in &service.summaries {
        let base = baseline
            .summaries
            .iter()
            .find(|b| b.operation == s.operation);
        let ratio = base
            .filter(|b| b.ops_per_sec > 0.0)
            .map(|b| s.ops_per_sec / b.ops_per_sec);
        if let Some(r) = ratio {
            ratios.insert(s.operation.clone(), json!(r));
        }
        rows.push(vec![
            s.operation.clone(),
            s.requests.to_string(),
            fmt(s.ops_per_sec),
            base.map(|b| fmt(b.ops_per_sec)).unwrap_or_default(),
            ratio.map(|r| format!("{r:.2}")).unwrap_or_default(),
            fmt(s.p50_ms),
            fmt(s.p95_ms),
            fmt(s.p99_ms),
            s.statuses
                .iter()
                .map(|(k, v)| format!("{k}×{v}"))
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    println!(
        "\nper endpoint (service), with the baseline's ops/s and the ratio service ÷ baseline:"
    );
    println!(
        "{}",
        table(
            &[
                "operation",
                "requests",
                "ops/s",
                "baseline ops/s",
                "ratio",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "statuses"
            ],
            &rows
        )
    );

    let checks = [("service", &service), ("baseline", &baseline)];
    let mut ok = true;
    println!("\ninvariants (full scan after the run):");
    for (name, r) in checks {
        let a = &r.audit;
        let holds = a.violations.is_empty()
            && a.payments == a.seats_sold
            && a.points_in_balances == a.points_in_ledger;
        ok &= holds;
        println!(
            "  {name:<8} {}: {} tickets sold, {} seats sold, {} payments, no seat sold twice: {}, money conserved (Σ balances {} = Σ ledger {}): {}",
            if holds { "PASS" } else { "FAIL" },
            r.sold,
            a.seats_sold,
            a.payments,
            a.violations.iter().all(|v| !v.contains("seat")),
            a.points_in_balances,
            a.points_in_ledger,
            a.violations.iter().all(|v| !v.contains("ledger") && !v.contains("balance")),
        );
        for v in a.violations.iter().take(5) {
            println!("           {v}");
        }
    }

    eprintln!("cost per operation (metered, one request at a time):");
    let metered = cost::measure(&data).await?;
    let costs = metered.costs;
    let rows: Vec<Vec<String>> = costs
        .iter()
        .map(|c| {
            vec![
                c.operation.clone(),
                c.calls.to_string(),
                format!("{:.1}", c.read_units),
                format!("{:.1}", c.write_units),
                c.by_call
                    .iter()
                    .map(|(k, u)| format!("{k}×{}", u.calls))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    println!("\nDynamoDB per operation:");
    println!(
        "{}",
        table(
            &["operation", "calls", "RCU", "WCU", "calls by kind"],
            &rows
        )
    );
    let heat = heat::judge(&metered.footprints, &metered.sizes);
    println!("\n{}", heat.text);
    ok &= heat.ok;
    let polls_per_fan = service.polls as f64 / sc.users.max(1) as f64;
    let reserve_tries = service
        .summaries
        .iter()
        .find(|s| s.operation == "reserve")
        .map(|s| s.requests as f64 / sc.users.max(1) as f64)
        .unwrap_or(1.0);
    let model =
        pricing::per_million_tickets(&costs, &service.summaries, polls_per_fan, reserve_tries);
    println!("\n{}", model.render());

    let cold = if args.coldstart {
        let functions: Vec<String> = emulator::Template::builtin()
            .map_err(|e| e.to_string())?
            .functions
            .iter()
            .map(|f| f.binary.clone())
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
        cold
    } else {
        Vec::new()
    };

    let report = json!({
        "scenario": sc,
        "service": service.summaries,
        "baseline": baseline.summaries,
        "ratio_service_over_baseline": ratios,
        "invariants": {"service": service.audit, "baseline": baseline.audit},
        "sold": {"service": service.sold, "baseline": baseline.sold},
        "dynamodb_per_operation": costs,
        "capacity": heat.json,
        "cost_per_million_tickets": model,
        "cold_start": cold,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!("\nreport written to {}", args.out.display());
    Ok(ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match args.soak {
        Some(seconds) => soak::run(seconds).await,
        None => run(args).await,
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench: an invariant check failed");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

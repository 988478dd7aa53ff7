//! `cargo run -p sim -- [--seed N | --seeds N [--from S]] [--steps K] [--minutes M]`:
//! seeded on-sales, each ending with one line `seed N: trace HASH, K steps,
//! ok` (or `FAILED at step S: <check>`); exit 1 on any failure. `--seed N`
//! replays one seed with a readable log of every step.

use clap::Parser;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "sim",
    about = "Deterministic simulation of on-sales, replayable from a seed"
)]
struct Args {
    /// Replay this one seed, printing every step.
    #[arg(long)]
    seed: Option<u64>,
    /// Run this many seeds (from `--from`, else `SIM_SEED`, else the clock).
    #[arg(long, default_value_t = 20)]
    seeds: u64,
    /// The first seed of a run of `--seeds`.
    #[arg(long)]
    from: Option<u64>,
    /// Steps per seed.
    #[arg(long, default_value_t = 400)]
    steps: usize,
    /// Stop starting new seeds after this many minutes.
    #[arg(long)]
    minutes: Option<f64>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let (first, count, log) = match args.seed {
        Some(s) => (s, 1, true),
        None => (first_seed(args.from), args.seeds, false),
    };
    if args.seed.is_none() {
        println!(
            "seeds {first}..{} ({} steps each)",
            first + count - 1,
            args.steps
        );
    }
    let budget = args.minutes.map(|m| Duration::from_secs_f64(m * 60.0));
    let started = Instant::now();
    let mut failed = false;
    let mut steps = 0;
    for seed in first..first + count {
        if budget.is_some_and(|b| started.elapsed() > b) {
            break;
        }
        match sim::run_seed(seed, args.steps, log).await {
            Ok(outcome) => {
                failed |= outcome.failed.is_some();
                steps += outcome.steps;
                println!("{outcome}");
            }
            Err(e) => {
                failed = true;
                println!("seed {seed}: FAILED to run: {e}");
            }
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "{steps} steps in {took:.1} s ({:.0} steps/s)",
        steps as f64 / took.max(0.001)
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `--from`, else `SIM_SEED`, else the clock: every run explores new seeds.
fn first_seed(from: Option<u64>) -> u64 {
    from.or_else(|| std::env::var("SIM_SEED").ok()?.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs() % 1_000_000_000)
        })
}

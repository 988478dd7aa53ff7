//! `operator load-show <file> --url <base URL> [--region <region>] [--wait <seconds>]`
//!
//! Loads a show file (the organiser API's own bodies, see `sample-show.json`)
//! into a stack. With `ADMIN_TOKEN` set it talks to a local stack with that
//! token; otherwise it signs every request with the operator's AWS
//! credentials (the usual chain: environment, profile, SSO cache, instance
//! role), whose principal needs the stack's `OrganiserPolicy`.

use aws_credential_types::provider::ProvideCredentials;
use client::{Auth, Client};
use std::time::Duration;

const USAGE: &str =
    "usage: operator load-show <file> --url <base URL> [--region <region>] [--wait <seconds>]";

struct Args {
    file: String,
    url: String,
    region: Option<String>,
    wait: Duration,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    if it.next().as_deref() != Some("load-show") {
        return Err(USAGE.into());
    }
    let file = it.next().ok_or(USAGE)?;
    let (mut url, mut region, mut wait) = (None, None, Duration::from_secs(600));
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--url" => url = Some(value),
            "--region" => region = Some(value),
            "--wait" => wait = Duration::from_secs(value.parse().map_err(|_| USAGE)?),
            _ => return Err(USAGE.into()),
        }
    }
    Ok(Args {
        file,
        url: url.ok_or(USAGE)?,
        region,
        wait,
    })
}

async fn auth(region: Option<String>) -> Result<Auth, String> {
    if let Some(token) = std::env::var("ADMIN_TOKEN").ok().filter(|t| !t.is_empty()) {
        return Ok(Auth::Bearer(token));
    }
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r));
    }
    let config = loader.load().await;
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region: pass --region or set AWS_REGION")?;
    let provider = config
        .credentials_provider()
        .ok_or("no AWS credentials provider")?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials: {e}"))?;
    Ok(Auth::SigV4 {
        credentials,
        region,
    })
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args = args()?;
    let file = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file))?;
    let api = Client::new(&args.url, auth(args.region).await?).map_err(|e| e.to_string())?;
    let outcome = operator::load(&api, &file, args.wait).await?;
    println!("concert {}", outcome.concert_id);
    for s in &outcome.schedules {
        match s.ready_after {
            Some(t) => println!(
                "schedule {} on {}: {} seats, READY after {:.1} s",
                s.schedule_id,
                s.date,
                s.total_seats,
                t.as_secs_f64()
            ),
            None => println!(
                "schedule {} on {}: {} seats, still PREPARING (GET /admin/schedules/{}/report)",
                s.schedule_id, s.date, s.total_seats, s.schedule_id
            ),
        }
    }
    Ok(())
}

//! `operator [--url <base URL>] [--region <region>] [--json] <command>`:
//! the organiser's command line — `load-show <file>`, `queue status|pause|
//! resume|resize <n>`, `room show|set <concertId>`, `report <scheduleId>`,
//! `cancel-schedule <scheduleId>`, `repair <scheduleId>`, `reconcile`
//! (`--help` on each).
//!
//! With `ADMIN_TOKEN` set it talks to a local stack with that token;
//! otherwise it signs every request with the operator's AWS credentials
//! (the usual chain: environment, profile, SSO cache, instance role),
//! whose principal needs the stack's `OrganiserPolicy`.

use aws_credential_types::provider::ProvideCredentials;
use clap::{Parser, Subcommand};
use client::{Auth, Client};
use operator::commands::{human, Command};
use operator::Error;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "operator",
    about = "Run a sale from the terminal: the organiser API of a local or deployed stack"
)]
struct Cli {
    /// The API's base URL (`http://127.0.0.1:8080`, or the stack's ApiUrl).
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// AWS region for SigV4 (else the usual AWS configuration).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Print the API's JSON bodies instead of readable lines.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Put a show file (the organiser API's own bodies) on sale.
    LoadShow {
        file: String,
        /// Seconds to wait for schedules written in the background.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
    /// The waiting room: status, pause, resume, resize.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
    /// A concert's own waiting room: show it, or create and change it.
    Room {
        #[command(subcommand)]
        action: RoomAction,
    },
    /// A schedule's sales report.
    Report { schedule_id: u64 },
    /// Cancel a schedule: every ticket refunded, every hold released.
    CancelSchedule { schedule_id: u64 },
    /// Rebuild a schedule's seats-left counts from its seats and restart its
    /// stopped job (after a dead-lettered event or step); safe to repeat.
    Repair { schedule_id: u64 },
    /// One reconciliation round with the payment provider now.
    Reconcile,
}

#[derive(Subcommand)]
enum QueueAction {
    /// Paused or not, the most ACTIVE at once, how many are active and waiting.
    Status,
    /// Stop admitting (joins are still taken).
    Pause,
    /// Admit again.
    Resume,
    /// Set the most tokens ACTIVE at once.
    Resize { max_active: u64 },
}

#[derive(Subcommand)]
enum RoomAction {
    /// Its settings and line: prequeued, waiting, active, admitted, the guard.
    Show { concert_id: u64 },
    /// Create it (`--max-active` required then) or change what is given.
    Set(RoomSet),
}

#[derive(clap::Args)]
struct RoomSet {
    concert_id: u64,
    /// Most tokens ACTIVE at once.
    #[arg(long)]
    max_active: Option<u64>,
    /// New admissions per second (`none`: no limit).
    #[arg(long)]
    admit_per_second: Option<String>,
    /// When the room opens (ISO-8601 with an offset); fixed once open.
    #[arg(long)]
    opens_at: Option<String>,
    /// `true` stops admitting, `false` admits again.
    #[arg(long)]
    paused: Option<bool>,
    /// `AUTO` (admission holds while the sale path is in distress) or `OFF`.
    #[arg(long)]
    guard: Option<String>,
}

impl RoomSet {
    /// The `PUT /admin/concerts/{id}/room` body of the fields given.
    fn change(self) -> Result<Command, Error> {
        let mut change = serde_json::Map::new();
        let mut put = |k: &str, v: serde_json::Value| change.insert(k.into(), v);
        self.max_active.map(|m| put("maxActive", m.into()));
        if let Some(r) = self.admit_per_second {
            let value = match r.as_str() {
                "none" => serde_json::Value::Null,
                n => n
                    .parse::<u64>()
                    .map_err(|_| {
                        Error::Usage(format!(
                            "--admit-per-second takes a number or `none`, not {n:?}"
                        ))
                    })?
                    .into(),
            };
            put("admitPerSecond", value);
        }
        self.opens_at.map(|t| put("opensAt", t.into()));
        self.paused.map(|p| put("paused", p.into()));
        self.guard.map(|g| put("guard", g.to_uppercase().into()));
        Ok(Command::RoomSet(self.concert_id, change.into()))
    }
}

async fn auth(region: Option<String>) -> Result<Auth, Error> {
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
        .ok_or_else(|| Error::Identity("no AWS region: pass --region or set AWS_REGION".into()))?;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| Error::Identity("no AWS credentials provider".into()))?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| Error::Identity(format!("no AWS credentials: {e}")))?;
    Ok(Auth::SigV4 {
        credentials,
        region,
        service: "execute-api",
    })
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let api = Client::new(&cli.url, auth(cli.region).await?)?;
    let command = match cli.command {
        Cmd::LoadShow { file, wait } => return load_show(&api, &file, wait).await,
        Cmd::Queue { action } => match action {
            QueueAction::Status => Command::QueueStatus,
            QueueAction::Pause => Command::QueuePause,
            QueueAction::Resume => Command::QueueResume,
            QueueAction::Resize { max_active } => Command::QueueResize(max_active),
        },
        Cmd::Room { action } => match action {
            RoomAction::Show { concert_id } => Command::RoomShow(concert_id),
            RoomAction::Set(set) => set.change()?,
        },
        Cmd::Report { schedule_id } => Command::Report(schedule_id),
        Cmd::CancelSchedule { schedule_id } => Command::CancelSchedule(schedule_id),
        Cmd::Repair { schedule_id } => Command::Repair(schedule_id),
        Cmd::Reconcile => Command::Reconcile,
    };
    let body = command.run(&api).await?;
    if cli.json {
        println!("{body}");
    } else {
        print!("{}", human(&body));
    }
    Ok(())
}

async fn load_show(api: &Client, path: &str, wait: u64) -> Result<(), Error> {
    let file = std::fs::read(path).map_err(|source| Error::Io {
        what: path.to_string(),
        source,
    })?;
    let outcome = operator::load(api, &file, Duration::from_secs(wait)).await?;
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
                "schedule {} on {}: {} seats, still PREPARING (operator report {})",
                s.schedule_id, s.date, s.total_seats, s.schedule_id
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn room_set_sends_only_the_fields_given() {
        let args = ["operator", "room", "set", "7", "--max-active", "50"];
        let cli = Cli::try_parse_from(args.into_iter().chain([
            "--admit-per-second",
            "none",
            "--guard",
            "off",
        ]))
        .unwrap();
        let Cmd::Room {
            action: RoomAction::Set(set),
        } = cli.command
        else {
            panic!("room set");
        };
        let Command::RoomSet(id, body) = set.change().unwrap() else {
            panic!("a room change");
        };
        assert_eq!(id, 7);
        assert_eq!(
            body,
            serde_json::json!({"maxActive": 50, "admitPerSecond": null, "guard": "OFF"})
        );
        let bad =
            Cli::try_parse_from(["operator", "room", "set", "7", "--admit-per-second", "lots"])
                .unwrap();
        let Cmd::Room {
            action: RoomAction::Set(set),
        } = bad.command
        else {
            panic!("room set");
        };
        assert!(matches!(set.change(), Err(Error::Usage(_))));
    }
}

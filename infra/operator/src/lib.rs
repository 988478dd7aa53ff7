//! The operator's command, as a library the binary and its tests share:
//! load a show file through the organiser API and wait until every
//! schedule is on offer, and the everyday organiser calls (`commands`).

pub mod commands;
pub mod error;
pub mod show;

use client::Client;
pub use error::Error;
use serde_json::Value;
use show::{idempotency_key, Show};
use std::time::{Duration, Instant};

/// One schedule as loaded: its id, seats, and how long it took to be READY.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub schedule_id: u64,
    pub date: String,
    pub total_seats: u64,
    pub ready_after: Option<Duration>,
}

/// What the whole file did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub concert_id: u64,
    pub schedules: Vec<Loaded>,
}

/// Puts the show in `file` on sale; waits up to `wait` for each schedule
/// written in the background.
pub async fn load(api: &Client, file: &[u8], wait: Duration) -> Result<Outcome, Error> {
    let show = Show::parse(file)?;
    let concert_id = match (&show.concert, show.concert_id) {
        (Some(body), _) => {
            let key = idempotency_key(file, "concert");
            let answer = api
                .call("POST", "/admin/concerts", None, Some(body), Some(&key))
                .await?;
            let created = expect(answer, 201, "POST /admin/concerts")?;
            id(&created, "id")?
        }
        (None, Some(id)) => id,
        (None, None) => return Err(Error::Show("no concert".into())),
    };
    let mut schedules = Vec::new();
    for (i, body) in show.schedules.iter().enumerate() {
        let started = Instant::now();
        let key = idempotency_key(file, &format!("schedule-{i}"));
        let path = format!("/admin/concerts/{concert_id}/schedules");
        let answer = api
            .call("POST", &path, None, Some(body), Some(&key))
            .await?;
        let created = expect(answer, 201, &format!("POST {path}"))?;
        let schedule_id = id(&created, "scheduleId")?;
        let ready = created["status"] == "READY" || wait_ready(api, schedule_id, wait).await?;
        schedules.push(Loaded {
            schedule_id,
            date: created["date"].as_str().unwrap_or_default().to_string(),
            total_seats: created["totalSeats"].as_u64().unwrap_or(0),
            ready_after: ready.then(|| started.elapsed()),
        });
    }
    Ok(Outcome {
        concert_id,
        schedules,
    })
}

/// Polls the schedule's report until it is READY; `false` at the deadline.
async fn wait_ready(api: &Client, schedule_id: u64, wait: Duration) -> Result<bool, Error> {
    let deadline = Instant::now() + wait;
    let path = format!("/admin/schedules/{schedule_id}/report");
    loop {
        let answer = api.call("GET", &path, None, None, None).await?;
        let report = expect(answer, 200, &path)?;
        match report["status"].as_str() {
            Some("READY") => return Ok(true),
            Some("PREPARING") if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            Some("PREPARING") => return Ok(false),
            other => {
                return Err(Error::Refused {
                    call: format!("GET {path}"),
                    status: 200,
                    detail: format!("schedule {schedule_id} is {other:?}, not READY"),
                })
            }
        }
    }
}

fn expect(answer: client::Answer, status: u16, call: &str) -> Result<Value, Error> {
    if answer.status == status {
        Ok(answer.body)
    } else {
        Err(Error::Refused {
            call: call.to_string(),
            status: answer.status,
            detail: answer.body.to_string(),
        })
    }
}

fn id(body: &Value, field: &str) -> Result<u64, Error> {
    body[field].as_u64().ok_or_else(|| Error::Refused {
        call: "the answer".into(),
        status: 200,
        detail: format!("no {field} in {body}"),
    })
}

//! The hall through a fan's eyes: how long a seat page takes on an empty
//! hall and on a filled one, and whether paging through every seat and the
//! schedule list's seats-left both count exactly what is reservable.

use crate::error::{unexpected, Error};
use crate::ops::{CONCERT, SCHEDULE};
use client::Client;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Pages timed on each hall.
const TIMED_PAGES: u64 = 40;
/// How long the seats-left count may take to catch up with the holds (its
/// events travel the stream and the queue).
const SETTLE: Duration = Duration::from_secs(240);

#[derive(Debug, Clone, Default, Serialize)]
pub struct Hall {
    pub seats: u64,
    pub held_before_fans: u64,
    pub page_ms_empty: f64,
    pub page_ms_filled: f64,
    /// Reservable seats found by paging through the whole list.
    pub listed: u64,
    /// `availableSeats` of the schedule list once settled.
    pub counted: u64,
}

impl Hall {
    pub fn exact(&self) -> bool {
        let expected = self.seats - self.held_before_fans;
        self.listed == expected && self.counted == expected
    }

    pub fn render(&self) -> String {
        format!(
            "hall: {} seats, {} held before the fans came; a 100-seat page takes {:.2} ms on the empty hall and {:.2} ms on the filled one ({:.2}×); paging lists {} reservable seats and the schedule list counts {}: {}",
            self.seats,
            self.held_before_fans,
            self.page_ms_empty,
            self.page_ms_filled,
            self.page_ms_filled / self.page_ms_empty.max(f64::EPSILON),
            self.listed,
            self.counted,
            if self.exact() { "exact" } else { "WRONG" },
        )
    }
}

/// An ACTIVE token for a viewer who only looks.
pub async fn viewer(c: &Client) -> Result<String, Error> {
    let a = c
        .call(
            "POST",
            "/queues",
            None,
            Some(&serde_json::json!({"userId": "viewer"})),
            None,
        )
        .await?;
    let token = a.body["tokenId"].as_str().unwrap_or_default().to_string();
    let started = Instant::now();
    while started.elapsed() < SETTLE {
        let a = c
            .call("GET", "/queues/viewer", Some(&token), None, None)
            .await?;
        if a.body["status"] == "ACTIVE" {
            return Ok(token);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(unexpected("the viewer was never admitted"))
}

/// Median time of pages of 100 seats at cursors spread over the hall.
pub async fn page_ms(c: &Client, token: &str, seats: u64) -> Result<f64, Error> {
    // Past the catalogue cache's lifetime, so every page is read afresh.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let mut took = Vec::new();
    for i in 0..TIMED_PAGES {
        let path = match i * seats / TIMED_PAGES {
            0 => format!("/concerts/schedules/{SCHEDULE}/seats?limit=100"),
            cursor => format!("/concerts/schedules/{SCHEDULE}/seats?limit=100&cursor={cursor}"),
        };
        let started = Instant::now();
        let a = c.call("GET", &path, Some(token), None, None).await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
        if a.status != 200 {
            return Err(unexpected(format!("seat page: HTTP {}", a.status)));
        }
    }
    took.sort_by(f64::total_cmp);
    Ok(took[took.len() / 2])
}

/// Pages through every seat, then waits for the schedule list's count to
/// settle on the same number (or the time limit).
pub async fn count(c: &Client, token: &str, hall: &mut Hall) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let mut cursor: Option<String> = None;
    hall.listed = 0;
    loop {
        let path = match &cursor {
            Some(at) => format!("/concerts/schedules/{SCHEDULE}/seats?cursor={at}"),
            None => format!("/concerts/schedules/{SCHEDULE}/seats"),
        };
        let a = c.call("GET", &path, Some(token), None, None).await?;
        hall.listed += a.body["seats"].as_array().map_or(0, |s| s.len() as u64);
        match a.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let started = Instant::now();
    loop {
        let path = format!("/concerts/{CONCERT}/schedules");
        let a = c.call("GET", &path, Some(token), None, None).await?;
        hall.counted = a.body["schedules"][0]["availableSeats"]
            .as_u64()
            .unwrap_or(0);
        if hall.counted == hall.listed || started.elapsed() > SETTLE {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

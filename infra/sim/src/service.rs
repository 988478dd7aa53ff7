//! The service's own machinery and its surroundings: activator rounds
//! (two at once, or one running late), the clock, DynamoDB's TTL and its
//! stream, the organiser's room settings, and DynamoDB faults.

use crate::steps::{Sim, MAX_SKEW_MS};
use crate::world::ROOM_CONCERT;
use devkit::faults::Fault;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;
use shared::store::StoreError;

impl Sim {
    pub(crate) async fn rounds(&mut self, rng: &mut StdRng) -> String {
        if rng.random_bool(0.1) {
            return self.late_round(rng).await;
        }
        let app = self.world.app();
        let (a, b) = (&self.world.admissions[0], &self.world.admissions[1]);
        let both = rng.random_bool(0.15);
        let (first, second) = if both {
            futures_join(a.round(app), b.round(app)).await
        } else {
            (a.round(app).await, Ok(Vec::new()))
        };
        let failed = first.is_err() || second.is_err();
        format!(
            "round{}: admitted {} {}",
            if both { "s" } else { "" },
            admitted(&first) + admitted(&second),
            if failed { "failed" } else { "" }
        )
    }

    /// A round running late: while it reads the lines and writes its
    /// admissions, the organiser resizes the room and a fan joins it.
    pub(crate) async fn late_round(&mut self, rng: &mut StdRng) -> String {
        self.room_max = rng.random_range(1..6);
        self.room_max_ever = self.room_max_ever.max(self.room_max);
        let resize = json!({"maxActive": self.room_max});
        let f = self.fan(rng);
        let join = json!({"userId": self.fans[f].user, "concertId": ROOM_CONCERT});
        let w = &self.world;
        let path = format!("/admin/concerts/{ROOM_CONCERT}/room");
        let (round, resized, joined) = tokio::join!(
            w.admissions[0].round(w.app()),
            w.admin("PUT", &path, &resize),
            w.call("POST", "/queues", None, Some(&join), None)
        );
        self.joined(f, &joined);
        format!(
            "late round: admitted {} {}; resize {}: {}; join {}: {} {}",
            admitted(&round),
            if round.is_err() { "failed" } else { "" },
            self.room_max,
            resized.status,
            self.fans[f].user,
            joined.status,
            joined.code()
        )
    }

    pub(crate) fn time_passes(&mut self, rng: &mut StdRng) -> String {
        // Hosts' clocks disagree by a little: as if the next request ran
        // on one a moment behind.
        if rng.random_bool(0.1) {
            let behind = rng.random_range(1..=MAX_SKEW_MS);
            let back = self.world.now() - (self.latest - behind);
            self.world.clock.advance_ms(-back);
            self.skew = self.skew.max(behind);
            return format!("time {:+}ms", -back);
        }
        let seconds = match rng.random_range(0..10) {
            0 => rng.random_range(100..320),
            1 => rng.random_range(30..50),
            _ => rng.random_range(1..6),
        };
        self.world.clock.advance_ms(seconds * 1000);
        format!("time +{seconds}s")
    }

    /// DynamoDB's TTL sweep, and the hold cleanup fed its stream records,
    /// sometimes twice.
    pub(crate) async fn ttl(&mut self, rng: &mut StdRng) -> String {
        let swept = self.world.db.sweep_ttl().unwrap_or(0);
        let batch = self.world.holds_stream.next_batch(100).unwrap_or_default();
        let delivered = batch.len();
        let twice = rng.random_bool(0.2);
        for _ in 0..(1 + usize::from(twice)) {
            let mut event = aws_lambda_events::event::dynamodb::Event::default();
            event.records = batch.clone();
            shared::jobs::StreamConsumer::HoldCleanup
                .handle(self.world.app(), event)
                .await;
        }
        format!(
            "ttl: {swept} swept, {delivered} records{}",
            if twice { " twice" } else { "" }
        )
    }

    pub(crate) async fn organiser(&mut self, rng: &mut StdRng) -> String {
        let path = format!("/admin/concerts/{ROOM_CONCERT}/room");
        let body = match rng.random_range(0..3) {
            0 => json!({"paused": rng.random_bool(0.5)}),
            1 => {
                self.room_max = rng.random_range(1..6);
                self.room_max_ever = self.room_max_ever.max(self.room_max);
                json!({"maxActive": self.room_max})
            }
            _ => json!({"admitPerSecond": rng.random_range(1..4)}),
        };
        let a = self.world.admin("PUT", &path, &body).await;
        format!("organiser {body}: {} {}", a.status, a.code())
    }

    /// A fault at one of the next step's DynamoDB calls, or an outage
    /// through the whole next step.
    pub(crate) fn arm_fault(&mut self, rng: &mut StdRng) -> String {
        let fault =
            [Fault::Throttle, Fault::ServerError, Fault::AppliedThenError][rng.random_range(0..3)];
        let nth = rng.random_range(1..5);
        if rng.random_bool(0.3) {
            self.world.faults.from_call(nth, fault);
        } else {
            self.world.faults.only_call(nth, fault);
        }
        self.outage = true;
        format!("fault {fault:?} from call {nth}")
    }
}

/// How many a round's answer admitted.
pub(crate) fn admitted(
    r: &Result<Vec<(u64, Option<shared::jobs::activator::Round>)>, StoreError>,
) -> usize {
    r.as_ref().map_or(0, |v| {
        v.iter()
            .filter_map(|(_, r)| r.as_ref())
            .map(|r| r.admitted)
            .sum()
    })
}

/// Two futures at once on this thread.
pub(crate) async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    tokio::join!(a, b)
}

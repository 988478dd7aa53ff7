//! What can happen in a step, drawn from the seed: a fan's request, the
//! organiser's, an activator round, time passing, TTL and its stream, or
//! a fault armed for the next step. Each step returns its trace line; the
//! model of what the answers promised is kept here for the checks.

use crate::world::{World, PLAIN_CONCERT, ROOM_CONCERT, SCHEDULES};
use crate::Error;
use devkit::faults::Fault;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;
use shared::config::Config;

/// Fans in a world, and the room's settings the organiser starts with.
const FANS: usize = 12;

/// A token a fan was given, and its room.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub room: u64,
}

/// A hold a fan was answered 201 for, still theirs as far as they know.
#[derive(Debug, Clone)]
pub struct Hold {
    pub reserve_id: u64,
    pub price: i64,
    pub schedule: u64,
    pub seat: u64,
    pub until: i64,
    pub room: u64,
}

impl Hold {
    /// The hold a 201 answer made.
    fn answered(body: &serde_json::Value, schedule: u64, seat: u64, room: u64) -> Hold {
        Hold {
            reserve_id: body["reserveId"].as_u64().unwrap_or(0),
            price: body["price"].as_i64().unwrap_or(0),
            schedule,
            seat,
            until: shared_ms(&body["expiredAt"]),
            room,
        }
    }
}

/// A request sent with a key, kept to be sent again.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: &'static str,
    pub path: String,
    pub token: Option<String>,
    pub body: serde_json::Value,
    pub key: String,
    /// The answer it got: a 2xx or business 4xx must come back the same.
    pub status: u16,
    pub answer: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct Fan {
    pub user: String,
    pub tokens: Vec<Token>,
    pub holds: Vec<Hold>,
    /// Reservations paid, by what the answers said.
    pub tickets: Vec<Hold>,
    /// The balance the answers add up to.
    pub balance: i64,
    /// An answer (5xx) left the balance unknown: read it back.
    pub unsure: bool,
    pub last_keyed: Option<Sent>,
    /// What the fan last heard of their newest token: WAIT, ACTIVE or
    /// over (None before any token, or once it is over).
    pub heard: Option<&'static str>,
}

pub struct Sim {
    pub world: World,
    pub fans: Vec<Fan>,
    /// The room's `maxActive` and the default room's, as set, and the
    /// room's highest so far.
    pub room_max: u32,
    pub room_max_ever: u32,
    pub default_max: u32,
    /// A fault armed for one step: cleared after it.
    pub outage: bool,
    /// An answer that broke a promise an earlier answer made.
    pub broken: Option<String>,
}

impl Sim {
    pub async fn new(seed: u64, rng: &mut StdRng) -> Result<Sim, Error> {
        let config = devkit::patient(Config {
            queue_max_active: rng.random_range(2..6),
            queue_shards: rng.random_range(1..4),
            queue_tick_seconds: 1,
            // Short windows and holds: many of them come and go in a run.
            queue_active_seconds: rng.random_range(30..120),
            queue_active_idle_seconds: 11,
            queue_idle_seconds: 40,
            hold_seconds: rng.random_range(20..90),
            tickets_max_per_user: rng.random_range(1..4),
            // Short attempts: an outage's retries end soon.
            dynamodb_attempt_timeout_ms: 2_000,
            dynamodb_timeout_ms: 4_000,
            ..Config::default()
        });
        let default_max = config.queue_max_active;
        let world = World::new(seed, config).await?;
        let room_max = rng.random_range(2..6);
        let opens = shared::clock::format_ms(world.now() + rng.random_range(0..30) * 1000);
        let rate = if rng.random_bool(0.5) {
            json!(rng.random_range(1..4))
        } else {
            json!(null)
        };
        let body = json!({"maxActive": room_max, "admitPerSecond": rate, "opensAt": opens});
        let path = format!("/admin/concerts/{ROOM_CONCERT}/room");
        let made = world.admin("PUT", &path, &body).await;
        if made.status != 200 {
            return Err(Error::Setup(format!(
                "the room: {} {}",
                made.status, made.body
            )));
        }
        let fans = (0..FANS)
            .map(|i| Fan {
                user: format!("fan{i:02}"),
                ..Fan::default()
            })
            .collect();
        Ok(Sim {
            world,
            fans,
            room_max,
            room_max_ever: room_max,
            default_max,
            outage: false,
            broken: None,
        })
    }

    /// One step drawn from `rng`; its trace line.
    pub async fn step(&mut self, rng: &mut StdRng) -> String {
        // A millisecond a step at least: no two joins share an instant.
        self.world.clock.advance_ms(1);
        let outage = std::mem::take(&mut self.outage);
        let line = match rng.random_range(0..100) {
            0..46 => self.fan_acts(rng).await,
            46..50 => self.crowd(rng).await,
            50..54 => self.join(rng).await,
            54..58 => self.hold(rng).await,
            58..62 => self.retry(rng).await,
            62..74 => self.rounds(rng).await,
            74..84 => self.time_passes(rng),
            84..90 => self.ttl(rng).await,
            90..93 => self.organiser(rng).await,
            93..96 => self.charge(rng).await,
            _ => self.arm_fault(rng),
        };
        if outage {
            self.world.faults.clear();
        }
        line
    }

    fn fan(&self, rng: &mut StdRng) -> usize {
        rng.random_range(0..self.fans.len())
    }

    /// A fan for whom `has` holds, if any (else any fan).
    fn fan_with(&self, rng: &mut StdRng, has: impl Fn(&Fan) -> bool) -> usize {
        let some: Vec<usize> = (0..self.fans.len())
            .filter(|f| has(&self.fans[*f]))
            .collect();
        match some.len() {
            0 => self.fan(rng),
            n => some[rng.random_range(0..n)],
        }
    }

    /// A fan does what their last answers suggest: join, poll while
    /// waiting, and once admitted browse, hold, top up, pay or let go.
    async fn fan_acts(&mut self, rng: &mut StdRng) -> String {
        // A fan holding seats is in a hurry.
        let f = match rng.random_bool(0.5) {
            true => self.fan_with(rng, |fan| !fan.holds.is_empty()),
            false => self.fan(rng),
        };
        let fan = &self.fans[f];
        match fan.heard {
            None => self.join_as(f, rng).await,
            Some("WAIT") => self.poll_as(f, rng).await,
            _ if !fan.holds.is_empty() && rng.random_bool(0.1) => self.cancel_as(f, rng).await,
            _ if !fan.holds.is_empty() && rng.random_bool(0.6) => {
                let price = fan.holds.iter().map(|h| h.price).max().unwrap_or(0);
                if fan.balance < price && rng.random_bool(0.8) {
                    self.charge_as(f, rng).await
                } else {
                    self.pay_as(f, rng).await
                }
            }
            _ if rng.random_bool(0.2) => self.browse_as(f, rng).await,
            _ => self.hold_as(f, rng).await,
        }
    }

    /// Requests sent at once, interleaving at every DynamoDB call: fans
    /// admitted holding the same seat, or a fan paying one hold twice, or
    /// paying and letting it go together.
    async fn crowd(&mut self, rng: &mut StdRng) -> String {
        if rng.random_bool(0.5) {
            return self.same_seat(rng).await;
        }
        let f = self.fan_with(rng, |fan| !fan.holds.is_empty());
        let holds = self.fans[f].holds.clone();
        let (Some(h), Some(t)) = (holds.first().cloned(), self.fans[f].tokens.last().cloned())
        else {
            return "crowd: no hold".into();
        };
        let user = self.fans[f].user.clone();
        let pay = json!({"userId": user, "reserveId": h.reserve_id, "amount": h.price});
        let cancel = format!("/reservations/{}/cancel", h.reserve_id);
        let second = rng.random_bool(0.5);
        let w = &self.world;
        let (a, b) = tokio::join!(
            w.call("POST", "/payments", Some(&t.id), Some(&pay), None),
            async {
                match second {
                    true => {
                        w.call("POST", "/payments", Some(&t.id), Some(&pay), None)
                            .await
                    }
                    false => {
                        w.call("POST", &cancel, None, Some(&json!({"userId": user})), None)
                            .await
                    }
                }
            }
        );
        self.after_payment(f, &h, a.status);
        if second {
            self.after_payment(f, &h, b.status);
        } else if b.status == 200 {
            let fan = &mut self.fans[f];
            fan.balance += b.body["refund"].as_i64().unwrap_or(0);
            fan.holds.retain(|x| x.reserve_id != h.reserve_id);
            fan.tickets.retain(|x| x.reserve_id != h.reserve_id);
        } else if b.status >= 500 {
            self.fans[f].unsure = true;
        }
        let what = if second { "pay" } else { "cancel" };
        format!(
            "crowd {user} pays {} and {what}s: {} {} / {} {}",
            h.reserve_id,
            a.status,
            a.code(),
            b.status,
            b.code()
        )
    }

    /// Two to four fans who heard they are ACTIVE hold one seat at once.
    async fn same_seat(&mut self, rng: &mut StdRng) -> String {
        let (schedule, concert, first, seats) = SCHEDULES[rng.random_range(0..SCHEDULES.len())];
        let room = if concert == ROOM_CONCERT {
            ROOM_CONCERT
        } else {
            0
        };
        let admitted: Vec<usize> = (0..self.fans.len())
            .filter(|f| self.fans[*f].heard == Some("ACTIVE"))
            .filter(|f| self.fans[*f].tokens.last().is_some_and(|t| t.room == room))
            .collect();
        if admitted.len() < 2 {
            return "crowd: fewer than two admitted".into();
        }
        let n = rng.random_range(2..=admitted.len().min(4));
        let picked: Vec<usize> = (0..n)
            .map(|_| admitted[rng.random_range(0..admitted.len())])
            .collect();
        let seat = first + rng.random_range(0..seats);
        let sends: Vec<(usize, Token, serde_json::Value)> = picked
            .iter()
            .filter_map(|f| {
                let t = self.fans[*f].tokens.last()?.clone();
                let body = json!({"userId": self.fans[*f].user, "concertId": concert, "scheduleId": schedule, "seatId": seat});
                Some((*f, t, body))
            })
            .collect();
        let w = &self.world;
        let answers =
            futures::future::join_all(sends.iter().map(|(_, t, body)| {
                w.call("POST", "/reservations", Some(&t.id), Some(body), None)
            }))
            .await;
        let mut line = format!("crowd on {schedule}/{seat}:");
        for ((f, t, _), a) in sends.into_iter().zip(answers) {
            if a.status == 201 {
                self.fans[f]
                    .holds
                    .push(Hold::answered(&a.body, schedule, seat, t.room));
            }
            line.push_str(&format!(" {} {} {}", self.fans[f].user, a.status, a.code()));
        }
        line
    }

    /// What an answer to a request with the fan's newest token says of it.
    fn heard(&mut self, f: usize, status: u16, said: Option<&'static str>) {
        let fan = &mut self.fans[f];
        match (status, said) {
            (401, _) => fan.heard = None,
            (_, Some(s)) => fan.heard = Some(s),
            _ => {}
        }
    }

    async fn join(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan(rng);
        self.join_as(f, rng).await
    }

    async fn join_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let concert = if rng.random_bool(0.6) {
            ROOM_CONCERT
        } else {
            PLAIN_CONCERT
        };
        let body = json!({"userId": self.fans[f].user, "concertId": concert});
        let a = self
            .world
            .call("POST", "/queues", None, Some(&body), None)
            .await;
        if a.status == 201 {
            let id = a.body["tokenId"].as_str().unwrap_or_default().to_string();
            let room = a.body["concertId"].as_u64().unwrap_or(0);
            self.fans[f].tokens.push(Token { id, room });
            self.fans[f].heard = Some("WAIT");
        }
        format!(
            "join {} {concert}: {} {}",
            self.fans[f].user,
            a.status,
            a.code()
        )
    }

    /// A fan's token, newest most often.
    fn token(&self, f: usize, rng: &mut StdRng) -> Option<Token> {
        let tokens = &self.fans[f].tokens;
        match tokens.len() {
            0 => None,
            n if rng.random_bool(0.8) => tokens.get(n - 1).cloned(),
            n => tokens.get(rng.random_range(0..n)).cloned(),
        }
    }

    async fn poll_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let Some(t) = self.token(f, rng) else {
            return "poll: no token".into();
        };
        let path = format!("/queues/{}", self.fans[f].user);
        let a = self.world.call("GET", &path, Some(&t.id), None, None).await;
        let newest = self.fans[f].tokens.last().is_some_and(|n| n.id == t.id);
        if newest {
            let said = match a.body["status"].as_str() {
                Some("ACTIVE") => Some("ACTIVE"),
                Some("WAIT") => Some("WAIT"),
                _ => None,
            };
            self.heard(f, a.status, said);
        }
        format!(
            "poll {} {}: {} {} {}",
            self.fans[f].user,
            t.room,
            a.status,
            a.body["status"],
            a.code()
        )
    }

    async fn browse_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let Some(t) = self.token(f, rng) else {
            return "browse: no token".into();
        };
        let (schedule, _, _, _) = SCHEDULES[rng.random_range(0..SCHEDULES.len())];
        let path = format!("/concerts/schedules/{schedule}/seats");
        let a = self.world.call("GET", &path, Some(&t.id), None, None).await;
        let seats = a.body["seats"].as_array().map_or(0, Vec::len);
        format!(
            "browse {} {schedule}: {} {} {seats} seats",
            self.fans[f].user,
            a.status,
            a.code()
        )
    }

    async fn hold(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan_with(rng, |fan| !fan.tokens.is_empty());
        self.hold_as(f, rng).await
    }

    async fn hold_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let Some(t) = self.token(f, rng) else {
            return "hold: no token".into();
        };
        // Mostly a seat of the token's own concert; now and then another's.
        let own = SCHEDULES
            .iter()
            .position(|s| s.1 == t.room || (t.room == 0 && s.1 == PLAIN_CONCERT));
        let pick = match own {
            Some(i) if rng.random_bool(0.9) => i,
            _ => rng.random_range(0..SCHEDULES.len()),
        };
        let (schedule, concert, first, seats) = SCHEDULES[pick];
        let seat = first + rng.random_range(0..seats);
        let user = self.fans[f].user.clone();
        let body =
            json!({"userId": user, "concertId": concert, "scheduleId": schedule, "seatId": seat});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("h{}", rng.random::<u32>()));
        let newest = self.fans[f].tokens.last().is_some_and(|n| n.id == t.id);
        let a = self
            .keyed(f, "POST", "/reservations".into(), Some(t.id), body, key)
            .await;
        if newest {
            self.heard(f, a.status, None);
        }
        if a.status == 201 {
            self.fans[f]
                .holds
                .push(Hold::answered(&a.body, schedule, seat, t.room));
        }
        format!("hold {user} {schedule}/{seat}: {} {}", a.status, a.code())
    }

    async fn charge(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan(rng);
        self.charge_as(f, rng).await
    }

    async fn charge_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let amount = rng.random_range(1..=10) * 10_000;
        let user = self.fans[f].user.clone();
        let body = json!({"userId": user, "amount": amount});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("c{}", rng.random::<u32>()));
        let a = self
            .keyed(f, "PATCH", "/points".into(), None, body, key)
            .await;
        match a.status {
            200 => self.fans[f].balance += amount,
            s if s >= 500 => self.fans[f].unsure = true,
            _ => {}
        }
        format!("charge {user} {amount}: {} {}", a.status, a.code())
    }

    async fn pay_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let holds = self.fans[f].holds.clone();
        let Some(h) = (!holds.is_empty()).then(|| holds[rng.random_range(0..holds.len())].clone())
        else {
            return "pay: no hold".into();
        };
        let Some(t) = self.token(f, rng) else {
            return "pay: no token".into();
        };
        let user = self.fans[f].user.clone();
        let body = json!({"userId": user, "reserveId": h.reserve_id, "amount": h.price});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("p{}", rng.random::<u32>()));
        let a = self
            .keyed(f, "POST", "/payments".into(), Some(t.id), body, key)
            .await;
        self.after_payment(f, &h, a.status);
        format!("pay {user} {}: {} {}", h.reserve_id, a.status, a.code())
    }

    /// What a payment's answer says about the fan's points and holds.
    fn after_payment(&mut self, f: usize, h: &Hold, status: u16) {
        let fan = &mut self.fans[f];
        match status {
            201 => {
                fan.balance -= h.price;
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
                fan.tickets.push(h.clone());
            }
            // Gone or paid already: not the fan's running hold any more.
            409 | 410 => fan.holds.retain(|x| x.reserve_id != h.reserve_id),
            s if s >= 500 => {
                fan.unsure = true;
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
            }
            _ => {}
        }
    }

    async fn cancel_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let fan = &self.fans[f];
        let all: Vec<Hold> = fan.holds.iter().chain(&fan.tickets).cloned().collect();
        let Some(h) = (!all.is_empty()).then(|| all[rng.random_range(0..all.len())].clone()) else {
            return "cancel: nothing".into();
        };
        let user = fan.user.clone();
        let path = format!("/reservations/{}/cancel", h.reserve_id);
        let a = self
            .world
            .call("POST", &path, None, Some(&json!({"userId": user})), None)
            .await;
        let fan = &mut self.fans[f];
        match a.status {
            200 => {
                fan.balance += a.body["refund"].as_i64().unwrap_or(0);
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
                fan.tickets.retain(|x| x.reserve_id != h.reserve_id);
            }
            s if s >= 500 => {
                fan.unsure = true;
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
                fan.tickets.retain(|x| x.reserve_id != h.reserve_id);
            }
            _ => {}
        }
        format!("cancel {user} {}: {} {}", h.reserve_id, a.status, a.code())
    }

    /// Sends a request, with an idempotency key when given, and keeps it
    /// to be sent again.
    async fn keyed(
        &mut self,
        f: usize,
        method: &'static str,
        path: String,
        token: Option<String>,
        body: serde_json::Value,
        key: Option<String>,
    ) -> crate::world::Answer {
        let a = self
            .world
            .call(method, &path, token.as_deref(), Some(&body), key.as_deref())
            .await;
        if let Some(key) = key {
            self.fans[f].last_keyed = Some(Sent {
                method,
                path,
                token,
                body,
                key,
                status: a.status,
                answer: a.body.clone(),
            });
        }
        a
    }

    /// A fan sends their last keyed request again, as after a lost answer.
    async fn retry(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan(rng);
        let Some(sent) = self.fans[f].last_keyed.clone() else {
            return "retry: nothing sent".into();
        };
        let a = self
            .world
            .call(
                sent.method,
                &sent.path,
                sent.token.as_deref(),
                Some(&sent.body),
                Some(&sent.key),
            )
            .await;
        // A 2xx or business 4xx was stored: its retry gets it again (SPEC
        // §5), unless DynamoDB is down now.
        // The idempotency layer's own refusals (a claim still pending, a
        // key reused) are not answers of the request: never stored.
        let own = ["IDEMPOTENCY_IN_PROGRESS", "IDEMPOTENCY_KEY_REUSED"]
            .contains(&sent.answer["code"].as_str().unwrap_or(""));
        let stored = !own
            && ((200..300).contains(&sent.status)
                || [402, 404, 409, 410, 422].contains(&sent.status));
        let line = format!(
            "retry {} {} {}: {} {}",
            self.fans[f].user,
            sent.method,
            sent.path,
            a.status,
            a.code()
        );
        if stored && a.status != 503 && (a.status, &a.body) != (sent.status, &sent.answer) {
            self.broken = Some(format!(
                "a keyed retry got {} {} after {} {}",
                a.status, a.body, sent.status, sent.answer
            ));
        }
        if !stored {
            // The first attempt's fate was unknown; this one may settle it.
            self.fans[f].unsure = true;
        }
        line
    }

    async fn rounds(&mut self, rng: &mut StdRng) -> String {
        let app = self.world.app();
        let (a, b) = (&self.world.admissions[0], &self.world.admissions[1]);
        let both = rng.random_bool(0.15);
        let (first, second) = if both {
            futures_join(a.round(app), b.round(app)).await
        } else {
            (a.round(app).await, Ok(Vec::new()))
        };
        let admitted =
            |r: &Result<Vec<(u64, Option<shared::jobs::activator::Round>)>, _>| -> usize {
                r.as_ref().map_or(0, |v| {
                    v.iter()
                        .filter_map(|(_, r)| r.as_ref())
                        .map(|r| r.admitted)
                        .sum()
                })
            };
        let failed = first.is_err() || second.is_err();
        format!(
            "round{}: admitted {} {}",
            if both { "s" } else { "" },
            admitted(&first) + admitted(&second),
            if failed { "failed" } else { "" }
        )
    }

    fn time_passes(&mut self, rng: &mut StdRng) -> String {
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
    async fn ttl(&mut self, rng: &mut StdRng) -> String {
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

    async fn organiser(&mut self, rng: &mut StdRng) -> String {
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
    fn arm_fault(&mut self, rng: &mut StdRng) -> String {
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

/// Two futures at once on this thread.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    tokio::join!(a, b)
}

/// A reply's UTC time in ms (0 when absent).
fn shared_ms(value: &serde_json::Value) -> i64 {
    value
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp_millis())
}

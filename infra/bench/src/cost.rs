//! DynamoDB calls and capacity units per endpoint, measured one request at
//! a time through a metered copy of the stack; item sizes; and what a
//! million sold tickets cost on AWS at published on-demand prices.

use crate::error::{unexpected, Error};
use crate::stack::local_client;
use crate::stack::Running;
use aws_sdk_dynamodb::types::AttributeValue;
use devkit::capacity::Measured;
use devkit::meter::{Meter, Usage};
use local::settings::Settings;
use serde::Serialize;
use serde_json::json;
use shared::config::Config;
use shared::domain::queue::TokenStatus;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
pub struct OpCost {
    pub operation: String,
    pub calls: u64,
    pub read_units: f64,
    pub write_units: f64,
    pub by_call: BTreeMap<String, Usage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemSize {
    pub item: String,
    pub bytes: usize,
}

/// DynamoDB's item size: attribute names plus values.
pub fn item_bytes(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_bytes(v)).sum()
}

fn value_bytes(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_bytes(v))
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
        AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
        AttributeValue::Ns(s) => s.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        _ => 0,
    }
}

/// A request of the metering pass: name, method, path, body, key, expected status.
type Probe = (
    &'static str,
    &'static str,
    String,
    Option<serde_json::Value>,
    Option<&'static str>,
    u16,
);

/// Everything the metering pass measured.
pub struct Metered {
    pub costs: Vec<OpCost>,
    pub sizes: Vec<ItemSize>,
    /// Footprints per operation, cold and warm, for the capacity model.
    pub footprints: Vec<Measured>,
}

/// Runs `f` metered; its footprints are recorded as both cold and warm
/// (a later [`warm`] call replaces the warm ones).
async fn step<F, Fut>(
    meter: &Meter,
    name: &str,
    out: &mut (Vec<OpCost>, Vec<Measured>),
    f: F,
) -> Result<(), Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    meter.reset();
    f().await?;
    let footprints = meter.footprints();
    out.1.push(Measured {
        operation: name.to_string(),
        cold: footprints.clone(),
        warm: footprints,
    });
    let out = &mut out.0;
    let by_call: BTreeMap<String, Usage> = meter
        .snapshot()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let total = meter.total();
    out.push(OpCost {
        operation: name.to_string(),
        calls: total.calls,
        read_units: total.read_units,
        write_units: total.write_units,
        by_call,
    });
    Ok(())
}

fn expect(status: u16, want: u16, what: &str) -> Result<(), Error> {
    (status == want)
        .then_some(())
        .ok_or_else(|| unexpected(format!("{what}: HTTP {status}, expected {want}")))
}

/// The metered name of a room activator's round (SPEC §12).
pub const ROOM_ROUND: &str = "room activator round (nobody waiting)";

/// The metered name of a page of seats read with a room's token.
pub const ROOM_SEATS: &str = "seats (page of 100, a room's token)";

/// The metered name of a last-seen mark's rewrite.
pub const MARK: &str = "last-seen mark (at most one per fan per 10 s)";

pub async fn measure(catalog: &shared::store::catalog::CatalogData) -> Result<Metered, Error> {
    let meter = Meter::default();
    // No timer and no stream poller during the measurement: each of them
    // is measured on its own below.
    let settings = Settings {
        seed_sample_data: false,
        stream_poll: Duration::from_secs(3600),
        meter: Some(meter.clone()),
        ..Settings::ephemeral()
    };
    let config = devkit::patient(Config {
        queue_tick_seconds: 3600,
        ..Config::default()
    });
    let stack = Running::start(settings, config)?;
    stack.app.db.load_catalog(catalog).await?;
    let m = Metering {
        client: local_client(&stack.url)?,
        meter,
        stack: &stack,
    };
    let mut out = (Vec::new(), Vec::new());
    let token = m.admission(&mut out).await?;
    let hold = m.probes(&token, &mut out).await?;
    m.refusal_and_payment(&token, hold, &mut out).await?;
    m.availability(&mut out).await?;
    // Last: the room makes the concert's default-room tokens out of scope.
    m.room_round(&mut out).await?;
    let sizes = largest_items(&stack.app.db).await?;
    stack.stop();
    Ok(Metered {
        costs: out.0,
        sizes,
        footprints: out.1,
    })
}

/// What each metered step has at hand.
struct Metering<'a> {
    meter: Meter,
    stack: &'a Running,
    client: client::Client,
}

/// The metered user.
const USER: &str = "meter";
/// The concert whose room a room activator's round is metered in.
const ROOM_CONCERT: u64 = crate::ops::CONCERT;

type Out = (Vec<OpCost>, Vec<Measured>);

impl Metering<'_> {
    async fn round(&self) -> Result<(), Error> {
        let r = self.stack.activator.round(&self.stack.app).await;
        r.map(|_| ()).map_err(Error::from)
    }

    /// A room's activator round with nobody waiting: the room, the guard,
    /// the room's schedules and their seats left (sold out?), its slots.
    async fn room_round(&self, out: &mut Out) -> Result<(), Error> {
        let app = &self.stack.app;
        let concert = ROOM_CONCERT;
        let seed = shared::domain::draw::Seed::draw(app.entropy());
        let change = shared::domain::room::RoomChange {
            max_active: Some(1_000),
            ..Default::default()
        };
        let room = change
            .create(concert, &seed, app.now_ms())
            .map_err(|e| unexpected(e.to_string()))?;
        app.db.create_room(&room).await?;
        let activator = shared::jobs::activator::Activator::named(1, concert);
        // The first round also counts the line; the next is every round's.
        activator.round(app).await?;
        step(&self.meter, ROOM_ROUND, out, || async {
            activator.round(app).await.map(|_| ()).map_err(Error::from)
        })
        .await?;
        // A page of seats with a token of the room (the cached concert
        // learns it has one).
        app.db.caches.clear();
        let c = &self.client;
        let body = json!({"userId": "room-fan", "concertId": concert});
        let joined = c.call("POST", "/queues", None, Some(&body), None).await?;
        expect(joined.status, 201, "join the room")?;
        let token = joined.body["tokenId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        activator.round(app).await?;
        let path = format!(
            "/concerts/schedules/{}/seats?limit=100",
            crate::ops::SCHEDULE
        );
        // Cold, then warm at once (what the instances' caches serve).
        app.db.caches.clear();
        step(&self.meter, ROOM_SEATS, out, || async {
            let a = c.call("GET", &path, Some(&token), None, None).await?;
            expect(a.status, 200, ROOM_SEATS)
        })
        .await?;
        self.meter.reset();
        let a = c.call("GET", &path, Some(&token), None, None).await?;
        expect(a.status, 200, ROOM_SEATS)?;
        if let Some(last) = out.1.last_mut() {
            last.warm = self.meter.footprints();
        }
        Ok(())
    }

    /// A join, the admission rounds around it and what one admission adds,
    /// and a last-seen mark's rewrite; the metered user's token.
    async fn admission(&self, out: &mut Out) -> Result<String, Error> {
        let (meter, c, app) = (&self.meter, &self.client, &self.stack.app);
        let mut token = String::new();
        step(meter, "activator round (nobody waiting)", out, || {
            self.round()
        })
        .await?;
        step(meter, "join (POST /queues)", out, || async {
            let body = json!({"userId": USER});
            let a = c.call("POST", "/queues", None, Some(&body), None).await?;
            expect(a.status, 201, "join")?;
            token = a.body["tokenId"].as_str().unwrap_or_default().to_string();
            Ok(())
        })
        .await?;
        step(meter, "activator round admitting 1", out, || self.round()).await?;
        per_token(out);
        // A poll or gated request finding the fan's last-seen mark 10 s old
        // rewrites it (the probes above are too quick to meet one).
        step(meter, MARK, out, || async {
            app.db
                .mark_seen(&token, TokenStatus::Active, app.now_ms() + 11_000)
                .await
                .map(|_| ())
                .map_err(Error::from)
        })
        .await?;
        Ok(token)
    }

    /// The reads and writes of an admitted fan, each cold then warm; the
    /// hold made (reservation, price).
    async fn probes(&self, token: &str, out: &mut Out) -> Result<(u64, i64), Error> {
        let (meter, c, app) = (&self.meter, &self.client, &self.stack.app);
        let user = USER;
        let calls = probes_of(user);
        let mut hold = (0u64, 0i64);
        for (name, method, path, body, key, want) in calls {
            // Cold: every cached catalogue read goes to the table.
            app.db.caches.clear();
            step(meter, name, out, || async {
                let a = c
                    .call(method, &path, Some(token), body.as_ref(), key)
                    .await?;
                expect(a.status, want, name)?;
                if name.starts_with("reserve") {
                    hold = (
                        a.body["reserveId"].as_u64().unwrap_or(0),
                        a.body["price"].as_i64().unwrap_or(0),
                    );
                }
                Ok(())
            })
            .await?;
            // Warm: the same call again at once (a hold takes the next seat).
            let (path, body, key) = match name.starts_with("reserve") {
                true => (
                    path,
                    Some(json!({"userId": user, "concertId": 1, "scheduleId": 1, "seatId": 2})),
                    Some("r2"),
                ),
                false => (path, body, key.map(|_| "again")),
            };
            meter.reset();
            let a = c
                .call(method, &path, Some(token), body.as_ref(), key)
                .await?;
            expect(a.status, want, name)?;
            if let Some(last) = out.1.last_mut() {
                last.warm = meter.footprints();
            }
        }
        Ok(hold)
    }

    /// A hold refused for a taken seat, then the metered user's payment.
    async fn refusal_and_payment(
        &self,
        token: &str,
        hold: (u64, i64),
        out: &mut Out,
    ) -> Result<(), Error> {
        let (meter, c) = (&self.meter, &self.client);
        step(meter, "reserve refused (seat taken)", out, || async {
            // A second user for the same seat: the fast refusal path.
            let body = json!({"userId": "meter2"});
            let a = c.call("POST", "/queues", None, Some(&body), None).await?;
            let t2 = a.body["tokenId"].as_str().unwrap_or_default().to_string();
            self.round().await?;
            meter.reset();
            let body = json!({"userId": "meter2", "concertId": 1, "scheduleId": 1, "seatId": 1});
            let a = c
                .call("POST", "/reservations", Some(&t2), Some(&body), None)
                .await?;
            expect(a.status, 409, "refused hold")
        })
        .await?;
        step(meter, "pay (with key)", out, || async {
            let body = json!({"userId": USER, "reserveId": hold.0, "amount": hold.1});
            let a = c
                .call("POST", "/payments", Some(token), Some(&body), Some("p1"))
                .await?;
            expect(a.status, 201, "pay")
        })
        .await
    }

    /// The availability consumer's work per seat event so far.
    async fn availability(&self, out: &mut Out) -> Result<(), Error> {
        let app = &self.stack.app;
        let records = local::streams::StreamReader::new(self.stack.db.clone(), "ReservationsTable")
            .next_batch(1000)?;
        step(&self.meter, "availability, per event", out, || async {
            local::streams::to_queue(shared::jobs::QueueConsumer::Availability, app, &records)
                .await;
            Ok(())
        })
        .await?;
        if let Some(last) = out.1.last_mut() {
            let n = records
                .iter()
                .filter(|r| shared::jobs::availability::seat_event(r).is_some())
                .count()
                .max(1) as f64;
            for f in last.cold.iter_mut().chain(last.warm.iter_mut()) {
                f.read_units /= n;
                f.write_units /= n;
            }
        }
        if let Some(last) = out.0.last_mut() {
            let events = records
                .iter()
                .filter(|r| shared::jobs::availability::seat_event(r).is_some())
                .count();
            let n = events.max(1) as f64;
            last.read_units /= n;
            last.write_units /= n;
            last.calls = (last.calls as f64 / n).round() as u64;
        }

        Ok(())
    }
}

/// The admitted fan's calls the probes make, each cold then warm.
fn probes_of(user: &str) -> [Probe; 6] {
    [
        (
            "status poll (GET /queues/{u})",
            "GET",
            format!("/queues/{user}"),
            None,
            None,
            200,
        ),
        (
            "schedules",
            "GET",
            "/concerts/1/schedules".into(),
            None,
            None,
            200,
        ),
        (
            "seats (page of 100)",
            "GET",
            "/concerts/schedules/1/seats?limit=100".into(),
            None,
            None,
            200,
        ),
        (
            "charge (with key)",
            "PATCH",
            "/points".into(),
            Some(json!({"userId": user, "amount": 1_000_000})),
            Some("c1"),
            200,
        ),
        (
            "charge (no key)",
            "PATCH",
            "/points".into(),
            Some(json!({"userId": user, "amount": 1})),
            None,
            200,
        ),
        (
            "reserve (with key)",
            "POST",
            "/reservations".into(),
            Some(json!({"userId": user, "concertId": 1, "scheduleId": 1, "seatId": 1})),
            Some("r1"),
            201,
        ),
    ]
}

/// What one admission adds to a round: the round admitting one less the
/// empty round, as footprints and as a cost line.
fn per_token(out: &mut Out) {
    let per_token = {
        let rounds = &out.1[out.1.len() - 1..];
        let empty = out
            .1
            .iter()
            .find(|m| m.operation.contains("nobody waiting"));
        let only = devkit::capacity::minus(
            &rounds[0].cold,
            &empty.map(|m| m.cold.clone()).unwrap_or_default(),
        );
        Measured {
            operation: "admission (per token)".into(),
            cold: only.clone(),
            warm: only,
        }
    };
    // The same as a cost line: what one admission adds to a round.
    let sum =
        |f: fn(&devkit::footprint::Footprint) -> f64| per_token.cold.iter().map(f).sum::<f64>();
    out.0.push(OpCost {
        operation: per_token.operation.clone(),
        calls: {
            let calls = |name: &str| {
                out.0
                    .iter()
                    .find(|c| c.operation.contains(name))
                    .map_or(0, |c| c.calls)
            };
            calls("admitting 1").saturating_sub(calls("nobody waiting"))
        },
        read_units: sum(|f| f.read_units),
        write_units: sum(|f| f.write_units),
        by_call: BTreeMap::new(),
    });
    out.1.push(per_token);
}

/// The largest item of each kind (table and key class) in the stack now.
pub async fn largest_items(db: &shared::store::Db) -> Result<Vec<ItemSize>, Error> {
    use shared::store::schema::PK;
    let tables = &db.tables;
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    for table in [
        &tables.catalog,
        &tables.queue,
        &tables.reservations,
        &tables.points,
        &tables.idempotency,
    ] {
        for item in devkit::inspect::scan(db, table).await? {
            let pk = shared::store::str_attr(&item, PK).unwrap_or_default();
            let kind = format!("{table} {}", devkit::capacity::key_class(pk));
            let size = out.entry(kind).or_default();
            *size = (*size).max(item_bytes(&item));
        }
    }
    Ok(out
        .into_iter()
        .map(|(item, bytes)| ItemSize { item, bytes })
        .collect())
}

//! The flash-crowd journey, phase by phase, at a fixed concurrency: join,
//! wait for admission, browse, charge, reserve under the chosen contention,
//! pay.

use crate::ops::{Ops, Step};
use crate::stats::{progress, Recorder};
use futures::stream::{self, StreamExt};
use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Scenario {
    pub users: usize,
    pub concurrency: usize,
    pub seats: u64,
    /// Everyone picks among the first `hot_seats` seats (0: the whole hall).
    pub hot_seats: u64,
    pub attempts: usize,
}

impl Scenario {
    fn pick_seat(&self) -> u64 {
        let range = if self.hot_seats == 0 {
            self.seats
        } else {
            self.hot_seats.min(self.seats)
        };
        rand::random_range(1..=range.max(1))
    }
}

#[derive(Debug, Clone)]
pub struct Fan {
    pub user: String,
    pub token: String,
    pub hold: Option<(u64, i64)>,
}

/// Runs `f` over `items`, `concurrency` at a time, recording each step
/// under `op` and the phase's wall time for its throughput.
async fn phase<I, T, F, Fut>(
    rec: &Recorder,
    op: &str,
    concurrency: usize,
    items: Vec<I>,
    f: F,
) -> Vec<T>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = (Vec<Step<()>>, T)>,
{
    let total = items.len();
    let started = Instant::now();
    let mut done = 0;
    let mut out = Vec::with_capacity(total);
    let mut results = stream::iter(items)
        .map(f)
        .buffer_unordered(concurrency.max(1));
    while let Some((steps, value)) = results.next().await {
        for s in steps {
            rec.record(op, &s.status, s.took);
        }
        out.push(value);
        done += 1;
        if done % 50 == 0 || done == total {
            progress(op, done, total);
        }
    }
    rec.add_wall(op, started.elapsed());
    out
}

fn plain<T>(s: Step<T>) -> (Step<()>, Option<T>) {
    (
        Step {
            status: s.status,
            took: s.took,
            value: None,
        },
        s.value,
    )
}

pub async fn join(ops: &Ops, rec: &Recorder, sc: &Scenario, prefix: &str) -> Vec<Fan> {
    let users: Vec<String> = (0..sc.users).map(|i| format!("{prefix}{i}")).collect();
    let fans = phase(rec, "join", sc.concurrency, users, |user| async move {
        let (step, token) = plain(ops.join(&user).await);
        (
            vec![step],
            token.map(|token| Fan {
                user,
                token,
                hold: None,
            }),
        )
    })
    .await;
    fans.into_iter().flatten().collect()
}

/// Polls every fan until ACTIVE, every 250 ms as a client would, at most
/// `limit`. Recorded as "admission wait": its pace is the activator's.
pub async fn wait_for_admission(
    ops: &Ops,
    rec: &Recorder,
    sc: &Scenario,
    fans: &[Fan],
    limit: Duration,
) {
    phase(
        rec,
        "admission wait",
        sc.concurrency,
        fans.to_vec(),
        |fan| async move {
            let started = Instant::now();
            let mut steps = Vec::new();
            loop {
                let (step, active) = plain(ops.poll(&fan.user, &fan.token).await);
                steps.push(step);
                if active == Some(true) || started.elapsed() > limit {
                    return (steps, ());
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        },
    )
    .await;
}

/// `polls` status polls spread over the fans (the baseline's poll phase).
pub async fn poll_times(ops: &Ops, rec: &Recorder, sc: &Scenario, fans: &[Fan], polls: usize) {
    let work: Vec<Fan> = (0..polls).map(|i| fans[i % fans.len()].clone()).collect();
    phase(rec, "poll", sc.concurrency, work, |fan| async move {
        let (step, _) = plain(ops.poll(&fan.user, &fan.token).await);
        (vec![step], ())
    })
    .await;
}

pub async fn browse(ops: &Ops, rec: &Recorder, sc: &Scenario, fans: &[Fan]) {
    phase(
        rec,
        "schedules",
        sc.concurrency,
        fans.to_vec(),
        |fan| async move { (vec![ops.schedules(&fan.token).await], ()) },
    )
    .await;
    phase(
        rec,
        "seats",
        sc.concurrency,
        fans.to_vec(),
        |fan| async move { (vec![ops.seats(&fan.token).await], ()) },
    )
    .await;
}

pub async fn charge(ops: &Ops, rec: &Recorder, sc: &Scenario, fans: &[Fan]) {
    phase(
        rec,
        "charge",
        sc.concurrency,
        fans.to_vec(),
        |fan| async move {
            (
                vec![ops.charge(&fan.user, &format!("charge-{}", fan.user)).await],
                (),
            )
        },
    )
    .await;
}

/// Each fan tries up to `attempts` seats until one is held.
pub async fn reserve(ops: &Ops, rec: &Recorder, sc: &Scenario, fans: Vec<Fan>) -> Vec<Fan> {
    phase(rec, "reserve", sc.concurrency, fans, |mut fan| async move {
        let mut steps = Vec::new();
        for attempt in 0..sc.attempts {
            let key = format!("hold-{}-{attempt}", fan.user);
            let (step, held) = plain(
                ops.reserve(&fan.user, &fan.token, sc.pick_seat(), &key)
                    .await,
            );
            steps.push(step);
            if held.is_some() {
                fan.hold = held;
                break;
            }
        }
        (steps, fan)
    })
    .await
}

pub async fn pay(ops: &Ops, rec: &Recorder, sc: &Scenario, fans: &[Fan]) -> usize {
    let holders: Vec<Fan> = fans.iter().filter(|f| f.hold.is_some()).cloned().collect();
    let paid = phase(rec, "pay", sc.concurrency, holders, |fan| async move {
        let hold = fan.hold.unwrap_or_default();
        let step = ops
            .pay(&fan.user, &fan.token, hold, &format!("pay-{}", fan.user))
            .await;
        let ok = step.status == "201";
        (vec![step], ok)
    })
    .await;
    paid.into_iter().filter(|ok| *ok).count()
}

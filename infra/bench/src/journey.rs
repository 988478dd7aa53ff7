//! The flash-crowd journey, phase by phase, at a fixed concurrency: join,
//! wait for admission, browse, charge, reserve under the chosen contention,
//! pay. Each phase names the answers it expects; any other answer, or a
//! transport error, is counted apart and fails the run.

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
    /// `QUEUE_MAX_ACTIVE`; below `users`, fans wait in line (the queued
    /// crowd profile).
    pub max_active: usize,
    /// Share of the hall held before the fans arrive.
    pub fill: f64,
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

/// The answers each operation of the journey expects. A hold may lose
/// its seat to another fan (409); nothing else may fail.
pub fn expected(op: &str) -> &'static [&'static str] {
    match op {
        "join" => &["201"],
        "reserve" => &["201", "409"],
        "pay" => &["201"],
        _ => &["200"],
    }
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
            rec.record(
                op,
                &s.status,
                s.took,
                expected(op).contains(&s.status.as_str()),
            );
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

/// Polls every fan until ACTIVE, each waiting the `pollAfterMs` its last
/// answer advised (250 ms when none), at most `limit`. Recorded as
/// "admission wait": its pace is the activator's. Returns each fan's
/// polls and time to admission.
pub async fn wait_for_admission(
    ops: &Ops,
    rec: &Recorder,
    sc: &Scenario,
    fans: &[Fan],
    limit: Duration,
) -> Vec<(usize, Duration)> {
    phase(
        rec,
        "admission wait",
        sc.concurrency,
        fans.to_vec(),
        |fan| async move { admit_one(ops, &fan, limit).await },
    )
    .await
}

/// One fan's polls until ACTIVE: the steps, and (polls, time taken).
async fn admit_one(ops: &Ops, fan: &Fan, limit: Duration) -> (Vec<Step<()>>, (usize, Duration)) {
    let started = Instant::now();
    let mut steps = Vec::new();
    loop {
        let (step, answer) = plain(ops.poll(&fan.user, &fan.token).await);
        steps.push(step);
        let (active, after) = answer.unwrap_or((false, None));
        if active || started.elapsed() > limit {
            let polls = steps.len();
            return (steps, (polls, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(after.unwrap_or(250))).await;
    }
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

/// The queued crowd: everyone joins, then each fan on their own waits for
/// admission at the advised pace, browses, charges, tries for a seat and
/// pays (which frees the place for the next in line). Returns the tickets
/// sold and each fan's (polls, time to admission).
pub async fn crowd(
    ops: &Ops,
    rec: &Recorder,
    sc: &Scenario,
    limit: Duration,
) -> (usize, Vec<(usize, Duration)>) {
    let fans = join(ops, rec, sc, "fan").await;
    let started = Instant::now();
    let results: Vec<(bool, (usize, Duration))> = stream::iter(fans)
        .map(|fan| async move { one_fan(ops, rec, sc, fan, limit).await })
        .buffer_unordered(sc.users.max(1))
        .collect()
        .await;
    rec.add_wall("crowd", started.elapsed());
    let sold = results.iter().filter(|(paid, _)| *paid).count();
    (sold, results.into_iter().map(|(_, a)| a).collect())
}

/// One fan of the queued crowd, from admission to payment.
async fn one_fan(
    ops: &Ops,
    rec: &Recorder,
    sc: &Scenario,
    fan: Fan,
    limit: Duration,
) -> (bool, (usize, Duration)) {
    let note = |op: &str, s: &Step<()>| {
        rec.record(
            op,
            &s.status,
            s.took,
            expected(op).contains(&s.status.as_str()),
        )
    };
    let (steps, admission) = admit_one(ops, &fan, limit).await;
    for s in &steps {
        note("admission wait", s);
    }
    note("schedules", &ops.schedules(&fan.token).await);
    note("seats", &ops.seats(&fan.token).await);
    note(
        "charge",
        &ops.charge(&fan.user, &format!("charge-{}", fan.user)).await,
    );
    let mut hold = None;
    for attempt in 0..sc.attempts {
        let key = format!("hold-{}-{attempt}", fan.user);
        let (step, held) = plain(
            ops.reserve(&fan.user, &fan.token, sc.pick_seat(), &key)
                .await,
        );
        note("reserve", &step);
        if held.is_some() {
            hold = held;
            break;
        }
    }
    let Some(hold) = hold else {
        return (false, admission);
    };
    let step = ops
        .pay(&fan.user, &fan.token, hold, &format!("pay-{}", fan.user))
        .await;
    note("pay", &step);
    (step.status == "201", admission)
}

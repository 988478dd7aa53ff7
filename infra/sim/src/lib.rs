//! Deterministic simulation of on-sales (docs/simulation.md): one seed is
//! one world — a concert with a room and a draw, one without, a crowd of
//! fans who join, poll, browse, hold, charge, pay, retry and cancel, the
//! organiser changing the room, activators (sometimes two at once), TTL
//! sweeps with their stream records delivered late or twice, DynamoDB
//! faults at random calls, and the clock jumping across every deadline.
//! It drives the real handlers and jobs; after every step it checks the
//! SPEC §4 invariants over all data and the promises the answers made.
//! Everything comes from the seed, so a seed replays exactly: the run
//! prints a hash of its trace.

pub mod checks;
pub mod fans;
pub mod model;
pub mod money;
pub mod schedules;
pub mod service;
pub mod setup;
pub mod steps;
pub mod world;

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt::Write as _;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the world could not be set up: {0}")]
    Setup(String),
    #[error(transparent)]
    Emulator(#[from] emulator::EmulatorError),
    #[error(transparent)]
    Template(#[from] sam::TemplateError),
    #[error(transparent)]
    Local(#[from] local::Error),
    #[error("reading the data back: {0}")]
    Inspect(String),
}

impl From<devkit::inspect::Error> for Error {
    fn from(e: devkit::inspect::Error) -> Self {
        Error::Inspect(e.to_string())
    }
}

/// How one seed's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub seed: u64,
    /// FNV-1a over every step's action and answer.
    pub trace: u64,
    pub steps: usize,
    /// The step and the check that failed, if one did.
    pub failed: Option<(usize, String)>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed {}: trace {:016x}, {} steps, ",
            self.seed, self.trace, self.steps
        )?;
        match &self.failed {
            None => f.write_str("ok"),
            Some((step, check)) => write!(f, "FAILED at step {step}: {check}"),
        }
    }
}

/// The trace: a running hash of every step's line, and the lines when a
/// readable log is asked for.
#[derive(Debug)]
pub struct Trace {
    hash: u64,
    log: bool,
}

impl Trace {
    pub fn new(log: bool) -> Self {
        Trace {
            hash: 0xcbf2_9ce4_8422_2325,
            log,
        }
    }

    pub fn step(&mut self, n: usize, line: &str) {
        let mut text = String::new();
        let _ = writeln!(text, "{n} {line}");
        for b in text.bytes() {
            self.hash ^= u64::from(b);
            self.hash = self.hash.wrapping_mul(0x0100_0000_01b3);
        }
        if self.log {
            print!("{text}");
        }
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }
}

/// Runs seed `seed` for `steps` steps (a readable log of each with `log`),
/// stopping at the first broken check.
pub async fn run_seed(seed: u64, steps: usize, log: bool) -> Result<Outcome, Error> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sim = steps::Sim::new(seed, &mut rng).await?;
    let mut trace = Trace::new(log);
    for n in 1..=steps {
        let line = sim.step(&mut rng).await;
        trace.step(n, &line);
        if let Err(broken) = checks::all(&mut sim).await? {
            if log {
                println!("{n} BROKEN: {broken}");
            }
            return Ok(Outcome {
                seed,
                trace: trace.hash(),
                steps: n,
                failed: Some((n, broken.0)),
            });
        }
    }
    let line = sim.settle().await;
    trace.step(steps + 1, &line);
    let settled = checks::all(&mut sim).await?;
    let money = checks::money(&sim, checks::Phase::Settled).await?;
    let failed = settled.and(money).err().map(|broken| {
        if log {
            println!("settle BROKEN: {broken}");
        }
        (steps + 1, format!("after settling: {broken}"))
    });
    Ok(Outcome {
        seed,
        trace: trace.hash(),
        steps,
        failed,
    })
}

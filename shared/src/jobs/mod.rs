//! Handlers that are not behind HTTP: scheduled jobs and stream consumers.
//! Like [`crate::Endpoint`], each is its own Lambda function, named here
//! by the `Handler` its template entry gives the one binary.

pub mod activator;
pub mod admissions;
pub mod availability;
pub mod cancel;
pub mod fanout;
pub mod guard;
pub mod hold_cleanup;
pub mod prepare;
pub mod schedule_jobs;
pub mod stream;

use crate::app::App;
use crate::domain::ids::Entropy;
use crate::store::StoreError;
use std::sync::Arc;
use std::time::Duration;

/// Functions started by an EventBridge schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheduled {
    Activator,
    /// Settles pending top-ups and withdrawals with the provider (SPEC §11).
    Reconcile,
}

/// How long one scheduled invocation keeps working: EventBridge fires at
/// most once a minute, the function's timeout is 70 s.
pub const SCHEDULED_RUN: Duration = Duration::from_secs(55);

impl Scheduled {
    pub const ALL: &'static [Scheduled] = &[Scheduled::Activator, Scheduled::Reconcile];

    pub fn name(self) -> &'static str {
        match self {
            Scheduled::Activator => "activator",
            Scheduled::Reconcile => "reconcile",
        }
    }

    pub fn by_name(name: &str) -> Option<Scheduled> {
        Self::ALL.iter().copied().find(|j| j.name() == name)
    }

    /// This process's runner of the job, made once per process and kept
    /// between steps.
    pub fn start(self, entropy: &dyn Entropy) -> Job {
        match self {
            Scheduled::Activator => Job::Activator(Arc::new(admissions::Admissions::new(entropy))),
            Scheduled::Reconcile => Job::Reconcile,
        }
    }
}

/// A scheduled function as one process runs it, with what it keeps
/// between steps (the activator's lease and its count of the line).
#[derive(Debug)]
pub enum Job {
    Activator(Arc<admissions::Admissions>),
    Reconcile,
}

impl Job {
    /// One short step of the job: what the local timer runs every tick.
    pub async fn step(&self, app: &App) -> Result<(), StoreError> {
        match self {
            // Boxed: the round's future is deep enough to trip the compiler's
            // layout recursion limit in the binaries that await it.
            Job::Activator(a) => Box::pin(a.round(app)).await.map(|_| ()),
            Job::Reconcile => reconcile(app).await,
        }
    }

    /// One scheduled invocation in AWS: steps until the budget is spent.
    pub async fn invocation(&self, app: &App, budget: Duration) -> Result<(), StoreError> {
        match self {
            Job::Activator(a) => Box::pin(a.minute(app, budget)).await.map(|_| ()),
            // One round a minute: the provider's records change slowly.
            Job::Reconcile => reconcile(app).await,
        }
    }
}

async fn reconcile(app: &App) -> Result<(), StoreError> {
    let round = Box::pin(crate::settlement::reconcile::round(app))
        .await
        .map_err(StoreError::failed)?;
    if round != crate::settlement::reconcile::Round::default() {
        tracing::info!(?round, "reconciliation round");
    }
    Ok(())
}

/// Functions fed by a DynamoDB stream (Lambda event source mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamConsumer {
    HoldCleanup,
    ScheduleJobs,
}

impl StreamConsumer {
    pub const ALL: &'static [StreamConsumer] =
        &[StreamConsumer::HoldCleanup, StreamConsumer::ScheduleJobs];

    pub fn name(self) -> &'static str {
        match self {
            StreamConsumer::HoldCleanup => "hold-cleanup",
            StreamConsumer::ScheduleJobs => "schedule-jobs",
        }
    }

    pub fn by_name(name: &str) -> Option<StreamConsumer> {
        Self::ALL.iter().copied().find(|j| j.name() == name)
    }

    pub async fn handle(
        self,
        app: &App,
        event: aws_lambda_events::event::dynamodb::Event,
    ) -> aws_lambda_events::event::streams::DynamoDbEventResponse {
        match self {
            StreamConsumer::HoldCleanup => Box::pin(hold_cleanup::handle(app, event)).await,
            // Boxed: a job step's future is deep enough to trip the
            // compiler's layout recursion limit in the binaries.
            StreamConsumer::ScheduleJobs => Box::pin(schedule_jobs::handle(app, event)).await,
        }
    }
}

/// Functions fed by an SQS queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueConsumer {
    Availability,
}

impl QueueConsumer {
    pub const ALL: &'static [QueueConsumer] = &[QueueConsumer::Availability];

    pub fn name(self) -> &'static str {
        match self {
            QueueConsumer::Availability => "availability",
        }
    }

    pub fn by_name(name: &str) -> Option<QueueConsumer> {
        Self::ALL.iter().copied().find(|j| j.name() == name)
    }

    pub async fn handle(
        self,
        app: &App,
        event: aws_lambda_events::event::sqs::SqsEvent,
    ) -> aws_lambda_events::event::sqs::SqsBatchResponse {
        match self {
            QueueConsumer::Availability => availability::handle(app, event).await,
        }
    }
}

//! Time limits and retry rules of every DynamoDB call (SPEC §9).
//!
//! Each attempt and each whole call has a timeout well below the function's
//! own, so a hung call ends as a busy answer instead of a killed function
//! that leaves an idempotency claim pending. The SDK retries throttling and
//! DynamoDB's own errors (a 500 may follow a transaction that applied: on
//! AWS its `ClientRequestToken` makes the repeat a no-op, and
//! [`Db::transact`](super::Db::transact) recognises its own new item where
//! the token is not sent); it
//! never repeats a call whose attempt timed out or lost its connection:
//! that call may have applied, and a blind repeat of a write would meet its
//! own effect and answer as if someone else had taken the seat. (The retry
//! rules cannot tell reads from writes: the request is gone by the time
//! they run. A read that timed out is answered busy too; the client's
//! retry after `Retry-After` is the repeat.)

use super::Db;
use aws_sdk_dynamodb::config::interceptors::InterceptorContext;
use aws_sdk_dynamodb::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use std::time::Duration;

#[derive(Debug)]
struct NoBlindRepeats;

impl ClassifyRetry for NoBlindRepeats {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let outcome_unknown = match ctx.output_or_error() {
            Some(Err(e)) => {
                e.is_timeout_error()
                    || e.as_connector_error()
                        .is_some_and(|c| c.is_timeout() || c.is_io() || c.is_other())
            }
            _ => false,
        };
        if outcome_unknown {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "NoBlindRepeats"
    }
}

/// The limits one DynamoDB call lives within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    pub attempt: Duration,
    pub operation: Duration,
}

impl Db {
    /// The same store whose client applies `limits` and [`NoBlindRepeats`].
    pub fn with_limits(mut self, limits: CallLimits) -> Self {
        let config = self
            .client
            .config()
            .to_builder()
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(limits.attempt)
                    .operation_timeout(limits.operation)
                    .build(),
            )
            .retry_classifier(NoBlindRepeats)
            .build();
        self.client = Client::from_conf(config);
        self
    }
}

//! The adapter's own failures. They know nothing of HTTP: the handlers
//! decide what a caller is told.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::panic::Location;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB failed, or answered something no condition explains; with
    /// the place in this crate that noticed it.
    #[error("{detail} (at {location})")]
    Failed {
        detail: String,
        location: &'static Location<'static>,
    },
    /// DynamoDB throttled, timed out or was briefly unavailable after the
    /// SDK's retries: nothing of the operation is known to have happened
    /// beyond what its conditions make safe to repeat, so the caller may
    /// ask again later.
    #[error("busy: {detail} (at {location})")]
    Busy {
        detail: String,
        location: &'static Location<'static>,
    },
    /// A freshly drawn random id is in use; draw again.
    #[error("random id already in use")]
    IdTaken,
    /// Another request with the same idempotency key took over the claim.
    #[error("idempotency claim taken over")]
    ClaimLost,
}

impl StoreError {
    #[track_caller]
    pub fn failed(detail: impl std::fmt::Display) -> Self {
        StoreError::Failed {
            detail: detail.to_string(),
            location: Location::caller(),
        }
    }

    #[track_caller]
    pub fn busy(detail: impl std::fmt::Display) -> Self {
        StoreError::Busy {
            detail: detail.to_string(),
            location: Location::caller(),
        }
    }
}

/// Service error codes that mean "too much at once" or "not right now",
/// never "no": throttling, DynamoDB's own hiccups, and transactions that
/// kept meeting other transactions.
const TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
];

/// Reasons in a cancelled transaction that are transient in the same way.
pub(crate) const TRANSIENT_REASONS: &[&str] = &[
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "TransactionConflict",
];

/// An error that can tell whether it is transient (answered as busy).
pub trait Fault: std::fmt::Debug {
    fn transient(&self) -> bool {
        false
    }
}

impl<E: ProvideErrorMetadata + std::fmt::Debug> Fault for SdkError<E, HttpResponse> {
    fn transient(&self) -> bool {
        match self {
            // No answer in time, no connection, or an answer we could not
            // read: the SDK already retried these.
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(e) => {
                e.raw().status().is_server_error()
                    || self.code().is_some_and(|c| TRANSIENT_CODES.contains(&c))
            }
            _ => false,
        }
    }
}

impl Fault for serde_dynamo::Error {}
impl Fault for aws_sdk_dynamodb::error::BuildError {}
impl Fault for &str {}

/// `?`-friendly conversion of any SDK or serde failure, recording where
/// it happened (a plain `map_err` would lose the caller's location).
pub trait OrFailed<T> {
    fn or_failed(self) -> Result<T, StoreError>;
}

impl<T, E: Fault> OrFailed<T> for Result<T, E> {
    #[track_caller]
    fn or_failed(self) -> Result<T, StoreError> {
        match self {
            Ok(v) => Ok(v),
            Err(e) if e.transient() => Err(StoreError::Busy {
                detail: format!("{e:?}"),
                location: Location::caller(),
            }),
            Err(e) => Err(StoreError::Failed {
                detail: format!("{e:?}"),
                location: Location::caller(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_say_where_they_were_noticed() {
        let e = Err::<(), _>("boom").or_failed().unwrap_err();
        let StoreError::Failed { detail, location } = e else {
            panic!("not a failure")
        };
        assert_eq!(detail, "\"boom\"");
        assert!(location.file().ends_with("store/error.rs"), "{location}");
    }
}

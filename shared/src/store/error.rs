//! The adapter's own failures. They know nothing of HTTP: the handlers
//! decide what a caller is told.

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
}

/// `?`-friendly conversion of any SDK or serde failure, recording where
/// it happened (a plain `map_err` would lose the caller's location).
pub trait OrFailed<T> {
    fn or_failed(self) -> Result<T, StoreError>;
}

impl<T, E: std::fmt::Debug> OrFailed<T> for Result<T, E> {
    #[track_caller]
    fn or_failed(self) -> Result<T, StoreError> {
        match self {
            Ok(v) => Ok(v),
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

//! Pure domain types and rules: no I/O, no HTTP, no SDK; unit-tested on
//! their own. A broken rule is an [`Invalid`] or a refusal enum of the
//! operation; the handlers decide what HTTP answer each one is.

pub mod availability;
pub mod catalog;
pub mod draw;
pub mod guard;
pub mod ids;
pub mod jobs;
pub mod layout;
pub mod money;
pub mod number;
pub mod organiser;
pub mod points;
pub mod queue;
pub mod reservation;
pub mod room;

/// A value the domain's rules reject, with the message for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Invalid(message.into())
    }
}

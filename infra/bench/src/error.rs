//! Why a benchmark run stopped, by kind: the stack, the HTTP client, the
//! store, the machine — or the run's own verdict that an answer, a count
//! or a figure was not what it must be.

use shared::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Stack(#[from] local::Error),
    #[error(transparent)]
    Client(#[from] client::ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit or a direct read of the stack's tables.
    #[error("reading the stack's data: {0}")]
    Inspect(#[from] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Template(#[from] sam::TemplateError),
    /// A task of the load generator panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// What the run saw is not what it must be (an answer's status, a
    /// count, an invariant): the benchmark's own finding.
    #[error("{0}")]
    Unexpected(String),
}

impl Error {
    /// The machine's refusal of `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

/// A finding of the run, from its description.
pub fn unexpected(what: impl Into<String>) -> Error {
    Error::Unexpected(what.into())
}

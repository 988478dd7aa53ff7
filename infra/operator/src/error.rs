//! Why an operator command failed, by kind: the connection, the API's
//! refusal (its status and code, as the runbook names them), the show
//! file, the AWS identity to sign with, the machine.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The API answered, but not what the call needs.
    #[error("{call}: {status} {detail}")]
    Refused {
        call: String,
        status: u16,
        detail: String,
    },
    /// The show file cannot be put on sale.
    #[error("the show file: {0}")]
    Show(String),
    /// A command's arguments cannot be sent as they are.
    #[error("{0}")]
    Usage(String),
    /// No AWS region or credentials to sign the organiser's calls with.
    #[error("{0}")]
    Identity(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

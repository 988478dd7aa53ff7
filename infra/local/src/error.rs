//! Why the local stack (or a tool driving it) could not do what it was
//! asked, by kind: a setting, the machine, the template, the database, the
//! stream, a key. The stack's start reports it and exits; tests show it.

use shared::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting's value cannot be used.
    #[error("{name}={value:?}: {expected}")]
    Setting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// The machine refused: a port taken, a directory not writable.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// `template.yaml` names what the workspace does not have.
    #[error("template.yaml: {0}")]
    Template(String),
    #[error(transparent)]
    Emulator(#[from] emulator::EmulatorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A table's stream could not be read or its record understood.
    #[error("stream of {table}: {detail}")]
    Stream { table: String, detail: String },
    /// A key or token of the development identity provider, or the
    /// payment client's TLS setup.
    #[error("{what}: {detail}")]
    Crypto { what: &'static str, detail: String },
}

impl Error {
    /// The machine's refusal of `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    pub(crate) fn crypto(what: &'static str) -> impl FnOnce(String) -> Error {
        move |detail| Error::Crypto { what, detail }
    }
}

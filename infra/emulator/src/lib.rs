//! An embedded dynoxide database served on a loopback port to the real AWS
//! SDK, with the tables of `template.yaml`. The local stack and every data
//! test start one of these.

pub mod inprocess;
pub mod streamlog;
pub mod tables;
pub mod untokened;

pub use dynoxide;
pub use dynoxide::Database;
pub use sam::Template;

use aws_sdk_dynamodb::config::{Credentials, Region};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Time as the emulator's TTL sweep sees it, so tests can move it.
pub use dynoxide::storage_backend::Clock as EmulatorClock;

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("dynoxide: {0}")]
    Database(#[from] dynoxide::DynoxideError),
    #[error("emulator i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Template(#[from] sam::TemplateError),
    #[error("creating table {table}: {message}")]
    CreateTable { table: String, message: String },
}

/// A database persisted in `path` (the local stack, the benchmark's
/// baseline), opened for sustained load: a 64 MB page cache and
/// memory-mapped reads (the default 2 MB cache made a growing file slower
/// minute by minute), and commits without fsync. A killed process loses
/// nothing (its writes are in the OS's buffers); a power cut or an OS
/// crash may damage the file, which is acceptable for a local stack.
pub fn open_file(path: &str) -> Result<Database, EmulatorError> {
    let db = Database::new(path)?;
    db.enable_bulk_loading()?;
    Ok(db)
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    pub db: Database,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// A fresh in-memory database (tests).
    pub fn memory() -> Result<Self, EmulatorError> {
        Self::serve(Database::memory()?)
    }

    /// A fresh in-memory database whose TTL sweep reads `clock`.
    pub fn memory_with_clock(clock: Arc<dyn EmulatorClock>) -> Result<Self, EmulatorError> {
        Self::serve(Database::memory_with_clock(clock)?)
    }

    /// A database persisted in `path` (see [`open_file`]).
    pub fn file(path: &str) -> Result<Self, EmulatorError> {
        Self::serve(open_file(path)?)
    }

    /// Serves `db` on `127.0.0.1:<free port>` from a runtime of its own, so
    /// the emulator's work does not queue behind the caller's tasks.
    pub fn serve(db: Database) -> Result<Self, EmulatorError> {
        Self::serve_at(db, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves `db` on `addr` (port 0: a free one).
    pub fn serve_at(db: Database, addr: SocketAddr) -> Result<Self, EmulatorError> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let served = db.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dynoxide")
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("dynoxide-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        tracing::error!("emulator listener could not join the runtime");
                        return;
                    };
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    if let Err(e) =
                        dynoxide::server::serve_with_shutdown(listener, served, shutdown).await
                    {
                        tracing::error!(error = %e, "emulator stopped");
                    }
                });
            })?;
        Ok(Emulator {
            db,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An SDK client for this emulator: fixed region and dummy credentials,
    /// so nothing is read from the machine's AWS settings.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        client_for(&self.endpoint())
    }

    /// Creates every table of the template that does not exist yet.
    pub async fn create_tables(&self, template: &Template) -> Result<(), EmulatorError> {
        tables::create_all(&self.client(), template).await
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub fn client_for(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "emulator"))
        .endpoint_url(endpoint)
        // Plain HTTP on loopback, named here so tools can wrap it.
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .interceptor(untokened::Untokened)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

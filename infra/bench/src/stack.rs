//! The local stack on a runtime of its own, so that the load generator
//! and the service do not share worker threads.

use crate::error::{unexpected, Error};
use local::settings::Settings;
use local::Stack;
use shared::config::Config;
use shared::jobs::activator::Activator;
use shared::App;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

pub struct Running {
    pub url: String,
    pub app: App,
    /// The stack's activator, for rounds of a tool's own.
    pub activator: Arc<Activator>,
    /// The stack's embedded database, for reading its streams directly.
    pub db: emulator::Database,
    /// The payment provider's stand-in (`PAYMENT_PROVIDER=sandbox`).
    pub sandbox: Option<sandbox::http::Served>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn start(settings: Settings, config: Config) -> Result<Running, Error> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("local-stack".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::io("the stack's runtime")(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Stack::start(settings, config).await {
                        Ok(stack) => {
                            let _ = ready_tx.send(Ok((
                                stack.url(),
                                stack.app.clone(),
                                stack.activator.clone(),
                                stack.emulator.db.clone(),
                                stack.sandbox.clone(),
                            )));
                            let _ = stopped.await;
                            stack.stop().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                        }
                    }
                });
            })
            .map_err(Error::io("the stack's thread"))?;
        let started = ready_rx
            .recv()
            .map_err(|_| unexpected("the stack's thread ended"))?;
        let (url, app, activator, db, sandbox) = started?;
        Ok(Running {
            url,
            app,
            activator,
            db,
            sandbox,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The stack on a fresh database file under the temp dir, as
    /// `cargo run -p local` keeps one (so it indexes and trims its stream
    /// log), without sample data; the file's directory is returned too.
    pub fn on_file(
        name: &str,
        stream_poll: std::time::Duration,
        config: Config,
    ) -> Result<(Running, std::path::PathBuf), Error> {
        let dir = std::env::temp_dir().join(format!("bench-{name}-{}", uuid::Uuid::new_v4()));
        let settings = Settings {
            data_dir: Some(dir.clone()),
            seed_sample_data: false,
            stream_poll,
            ..Settings::ephemeral()
        };
        Ok((Running::start(settings, config)?, dir))
    }

    pub fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The load's HTTP client of the local stack at `url`.
pub fn local_client(url: &str) -> Result<client::Client, Error> {
    Ok(client::Client::new(url, client::Auth::None)?)
}

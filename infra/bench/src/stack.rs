//! The local stack on a runtime of its own, so that the load generator
//! and the service do not share worker threads.

use local::settings::Settings;
use local::Stack;
use shared::config::Config;
use shared::App;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

pub struct Running {
    pub url: String,
    pub app: App,
    /// The stack's embedded database, for reading its streams directly.
    pub db: emulator::Database,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn start(settings: Settings, config: Config) -> Result<Running, String> {
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
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Stack::start(settings, config).await {
                        Ok(stack) => {
                            let _ = ready_tx.send(Ok((
                                stack.url(),
                                stack.app.clone(),
                                stack.emulator.db.clone(),
                            )));
                            let _ = stopped.await;
                            stack.stop().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        let (url, app, db) = ready_rx.recv().map_err(|e| e.to_string())??;
        Ok(Running {
            url,
            app,
            db,
            stop: Some(stop),
            thread: Some(thread),
        })
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

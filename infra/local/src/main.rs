//! `cargo run -p local`: the whole service on 127.0.0.1:8080.

use local::settings::Settings;
use local::Stack;
use shared::config::Config;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    shared::lambda::init_tracing();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let stack = match Stack::start(settings.clone(), config).await {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    tracing::info!(
        url = %stack.url(),
        data_dir = ?settings.data_dir,
        "local stack ready; Ctrl-C stops it"
    );
    stop_signal().await;
    tracing::info!("stopping: requests in flight finish, stream positions are saved");
    stack.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM (what `kill`, systemd and container runtimes send).
async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot wait for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                tracing::error!(error = %e, "cannot wait for Ctrl-C; stopping");
            }
        }
        () = term => {}
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("local stack: {message}");
    ExitCode::FAILURE
}

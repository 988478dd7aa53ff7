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
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::error!(error = %e, "cannot wait for Ctrl-C; stopping");
    }
    tracing::info!("stopping");
    stack.stop().await;
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("local stack: {message}");
    ExitCode::FAILURE
}

//! `cargo run -p local`: the whole service on 127.0.0.1:8080.

use local::settings::Settings;
use local::Stack;
use shared::config::Config;
use std::process::ExitCode;

/// The whole service on 127.0.0.1:8080 with sample concerts: the API, its
/// embedded DynamoDB emulator, the admission timer, the stream consumers
/// and the payment sandbox. Configured by environment variables (below,
/// and the README's table); Ctrl-C stops it, keeping the data in DATA_DIR.
#[derive(clap::Parser)]
#[command(name = "local", version, after_help = settings_help())]
struct Cli {}

/// Every setting the local stack reads, with its default.
fn settings_help() -> String {
    let mut out = String::from("Environment:\n");
    for s in shared::settings::SETTINGS {
        let default = if s.default.is_empty() {
            "—"
        } else {
            s.default
        };
        out.push_str(&format!("  {:<28} {default}\n", s.name));
    }
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    <Cli as clap::Parser>::parse();
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
    let data = settings
        .data_dir
        .as_ref()
        .map_or("memory (nothing kept)".into(), |d| d.display().to_string());
    tracing::info!(url = %stack.url(), data = %data, "local stack ready; Ctrl-C stops it");
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

fn fail(message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("local stack: {message}");
    ExitCode::FAILURE
}

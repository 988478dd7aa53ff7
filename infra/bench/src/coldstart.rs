//! Cold-start proxy: how long the function binary, playing each
//! function's role, takes from exec until it asks a stub Lambda Runtime
//! API on loopback for its first event.

use crate::error::{unexpected, Error};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ColdStart {
    pub function: String,
    pub binary_kib: u64,
    pub median_ms: f64,
    pub max_ms: f64,
}

const RUNS: usize = 5;

async fn once(binary: &Path, role: &str, listener: &TcpListener) -> Result<Duration, Error> {
    let port = listener
        .local_addr()
        .map_err(Error::io("the runtime API's port"))?
        .port();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env(shared::lambda::HANDLER_VAR, role)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(Error::io(binary.display().to_string()))?;
    let accepted = tokio::time::timeout(Duration::from_secs(10), async {
        let accept = Error::io("the function's first request");
        let (mut conn, _) = listener.accept().await.map_err(accept)?;
        let mut buf = vec![0u8; 1024];
        let n = conn
            .read(&mut buf)
            .await
            .map_err(Error::io("the function's first request"))?;
        let line = String::from_utf8_lossy(&buf[..n]);
        if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
            Ok(started.elapsed())
        } else {
            Err(unexpected(format!(
                "unexpected first request: {}",
                line.lines().next().unwrap_or("")
            )))
        }
    })
    .await
    .map_err(|_| unexpected("no request within 10 s"))?;
    let _ = child.kill().await;
    accepted
}

/// Cold starts of `binary` as each of `functions` (their `Handler`s).
pub async fn measure(binary: &Path, functions: &[String]) -> Result<Vec<ColdStart>, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(Error::io("the runtime API's port"))?;
    let mut out = Vec::new();
    for f in functions {
        let size = std::fs::metadata(binary)
            .map_err(Error::io(format!(
                "{} (run infra/bench.sh, which builds it)",
                binary.display()
            )))?
            .len();
        let mut times = Vec::new();
        for _ in 0..RUNS {
            times.push(once(binary, f, &listener).await?);
        }
        times.sort();
        out.push(ColdStart {
            function: f.clone(),
            binary_kib: size / 1024,
            median_ms: times[RUNS / 2].as_secs_f64() * 1000.0,
            max_ms: times[RUNS - 1].as_secs_f64() * 1000.0,
        });
    }
    Ok(out)
}

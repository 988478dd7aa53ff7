//! A tiny HTTP/1.1 client for tests that run the stack as a process or on
//! a real port: they need nothing more than this.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request to `base` (`http://host:port`); `None` when the connection
/// fails or the answer is not HTTP (a stack being killed, say).
pub async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, serde_json::Value)> {
    let host = base.strip_prefix("http://")?;
    let mut s = tokio::net::TcpStream::connect(host).await.ok()?;
    let body = body.unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf);
    let status = text.get(9..12)?.parse().ok()?;
    let json = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Some((status, serde_json::from_str(json).unwrap_or_default()))
}

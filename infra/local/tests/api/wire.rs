//! The tests that run the stack as a process or on a real port reach it
//! through the tools' one HTTP client (`infra/client`).

/// One request to `base` (`http://host:port`) with a JSON body; `None`
/// when the connection fails or the answer does not arrive (a stack being
/// killed, say).
pub async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, serde_json::Value)> {
    let body: Option<serde_json::Value> = match body {
        Some(text) => Some(serde_json::from_str(text).ok()?),
        None => None,
    };
    let client = client::Client::new(base, client::Auth::None).ok()?;
    let answer = client
        .call(method, path, token, body.as_ref(), None)
        .await
        .ok()?;
    Some((answer.status, answer.body))
}

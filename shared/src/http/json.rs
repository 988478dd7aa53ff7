//! JSON request bodies: the typed body and its canonical value (the
//! idempotency record compares it).

use super::error::AppError;
use super::request::{body_bytes, json_body};
use lambda_http::Request;

/// Parses a JSON body twice over: as a value (the idempotency record
/// compares it) and, from the same text, as the request type (whose
/// numbers are read from their decimal text, `domain::number::int`).
pub fn typed_body<T: serde::de::DeserializeOwned>(
    req: &Request,
) -> Result<(serde_json::Value, T), AppError> {
    let value: serde_json::Value = json_body(req)?;
    let typed = serde_json::from_slice(body_bytes(req))
        .map_err(|e| AppError::bad_request(format!("요청 본문을 읽을 수 없습니다: {e}")))?;
    Ok((value, typed))
}

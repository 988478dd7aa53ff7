//! A handler's answer before it becomes an HTTP response.

use super::error::{AppError, BUSY_RETRY_AFTER_SECONDS};
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};

/// Status and JSON body. Kept as plain data so an idempotent request can
/// store it and replay it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// Seconds for the `Retry-After` header: when to ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Seconds a shared cache may keep it (`Cache-Control: public`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, AppError> {
        Ok(Reply {
            status: status.as_u16(),
            body: serde_json::to_string(value).map_err(AppError::internal)?,
            retry_after: None,
            max_age: None,
        })
    }

    /// The same reply, cacheable by anyone for `seconds`.
    pub fn public_for(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The same reply, telling the client to ask again after `ms`
    /// (whole seconds, rounded up).
    pub fn retry_after_ms(mut self, ms: Option<u64>) -> Self {
        self.retry_after = ms.map(|ms| ms.div_ceil(1000));
        self
    }

    pub fn ok<T: Serialize>(value: &T) -> Result<Self, AppError> {
        Self::json(StatusCode::OK, value)
    }

    pub fn created<T: Serialize>(value: &T) -> Result<Self, AppError> {
        Self::json(StatusCode::CREATED, value)
    }

    /// The error body of the contract for `err`.
    pub fn error(err: &AppError) -> Self {
        Reply {
            status: err.status().as_u16(),
            // Serialising a struct of three strings cannot fail.
            body: serde_json::to_string(&err.body()).unwrap_or_default(),
            retry_after: matches!(err, AppError::Busy(_)).then_some(BUSY_RETRY_AFTER_SECONDS),
            max_age: None,
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let mut resp = Response::new(Body::Text(self.body));
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Some(seconds) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if let Some(seconds) = self.max_age {
            let value = format!("public, max-age={seconds}");
            if let Ok(v) = header::HeaderValue::from_str(&value) {
                resp.headers_mut().insert(header::CACHE_CONTROL, v);
            }
        }
        resp
    }
}

impl From<Result<Reply, AppError>> for Reply {
    fn from(r: Result<Reply, AppError>) -> Self {
        match r {
            Ok(reply) => reply,
            Err(e) => {
                match &e {
                    AppError::Internal(detail) => tracing::error!(%detail, "request failed"),
                    AppError::Busy(detail) => tracing::warn!(%detail, "request answered busy"),
                    _ => {}
                }
                Reply::error(&e)
            }
        }
    }
}

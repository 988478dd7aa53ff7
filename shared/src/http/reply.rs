//! A handler's answer before it becomes an HTTP response.

use super::error::AppError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};

/// Status and JSON body. Kept as plain data so an idempotent request can
/// store it and replay it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, AppError> {
        Ok(Reply {
            status: status.as_u16(),
            body: serde_json::to_string(value).map_err(AppError::internal)?,
        })
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
        resp
    }
}

impl From<Result<Reply, AppError>> for Reply {
    fn from(r: Result<Reply, AppError>) -> Self {
        match r {
            Ok(reply) => reply,
            Err(e) => {
                if let AppError::Internal(detail) = &e {
                    tracing::error!(%detail, "request failed");
                }
                Reply::error(&e)
            }
        }
    }
}

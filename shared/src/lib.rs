//! Everything the Lambda functions and the local stack share: domain,
//! handlers, the token gate, settings, clock and the DynamoDB adapter.

pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod endpoints;
pub mod error;
pub mod gate;
pub mod handlers;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod lambda;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod store;

pub use app::App;
pub use endpoints::Endpoint;
pub use error::AppError;

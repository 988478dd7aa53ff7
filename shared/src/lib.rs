//! Everything the Lambda functions and the local stack share. The layers
//! depend one way (docs/architecture.md): `domain` (pure rules) ← `store`
//! (the DynamoDB adapter) ← `handlers` + `http` (the only code that knows
//! HTTP) ← `endpoints`/`lambda` (entry points); `jobs` sit beside the
//! handlers for the functions that are not behind HTTP.

pub mod app;
pub mod clock;
pub mod config;
pub mod counters;
pub mod domain;
pub mod endpoints;
pub mod handlers;
pub mod http;
pub mod jobs;
pub mod lambda;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod provider;
pub mod settings;
pub mod settlement;
pub mod store;

pub use app::App;
pub use endpoints::Endpoint;
pub use http::AppError;

//! Reading API Gateway requests and writing JSON replies: the HTTP side of
//! the handler layer, with its one error type.

pub mod access_log;
pub mod error;
pub mod json;
pub mod reply;
pub mod request;
pub mod strict;

pub use error::AppError;
pub use reply::Reply;

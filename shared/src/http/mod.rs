//! Reading API Gateway requests and writing JSON replies.

pub mod event;
pub mod reply;
pub mod request;

pub use reply::Reply;

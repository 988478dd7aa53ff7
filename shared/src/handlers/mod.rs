//! Thin HTTP handlers: parse, call the domain and the store, shape the reply.

pub mod catalog;
pub mod queue;
pub mod reservations;

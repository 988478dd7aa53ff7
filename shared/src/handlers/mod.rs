//! Thin HTTP handlers: parse, call the domain and the store, shape the reply.

pub mod catalog;
pub mod payments;
pub mod points;
pub mod queue;
pub mod reservations;

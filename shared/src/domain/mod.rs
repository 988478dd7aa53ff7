//! Pure domain types and rules: no I/O, unit-tested on their own.

pub mod availability;
pub mod catalog;
pub mod ids;
pub mod points;
pub mod queue;
pub mod reservation;

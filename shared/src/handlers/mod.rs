//! The handler layer: the only code that knows HTTP. Each endpoint parses
//! its request, calls the domain and the store, and maps their outcomes to
//! answers in one place, in the contract's check order.

pub mod admin;
pub mod catalog;
pub mod gate;
pub mod history;
pub mod idempotency;
pub mod identity;
pub mod payments;
pub mod points;
pub mod queue;
pub mod reservations;
pub mod rooms;
pub mod seatmap;
pub mod topups;
pub mod webhooks;
pub mod withdrawals;

//! Behaviour of the service through its API, against the embedded
//! emulator via the real AWS SDK. One test binary keeps link time low.

mod availability;
mod cancellation;
mod capacity;
mod catalog;
mod consistency;
mod conventions;
mod crash;
mod faults;
mod fixtures;
mod holds;
mod identity;
mod invariants;
mod kit;
mod money;
mod money_kit;
mod onsale;
mod payments;
mod queue;
mod rooms;
mod seatmap;
mod selfservice;
mod stack;
mod strict;
mod wire;

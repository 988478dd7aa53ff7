//! What the fans' answers told them: their tokens, holds, tickets,
//! balance and keyed requests, and the sale windows the organiser set —
//! the promises the checks hold the service to.

use crate::steps::shared_ms;

/// A token a fan was given, and its room.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub room: u64,
}

/// A hold a fan was answered 201 for, still theirs as far as they know.
#[derive(Debug, Clone)]
pub struct Hold {
    pub reserve_id: u64,
    pub price: i64,
    pub schedule: u64,
    pub seat: u64,
    pub until: i64,
    pub room: u64,
}

impl Hold {
    /// The hold a 201 answer made.
    pub fn answered(body: &serde_json::Value, schedule: u64, seat: u64, room: u64) -> Hold {
        Hold {
            reserve_id: body["reserveId"].as_u64().unwrap_or(0),
            price: body["price"].as_i64().unwrap_or(0),
            schedule,
            seat,
            until: shared_ms(&body["expiredAt"]),
            room,
        }
    }
}

/// A sale window the organiser set: from when, its bounds, and whether
/// the answer said it was set (a 5xx leaves it possible, not certain).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: i64,
    pub opens: i64,
    pub closes: i64,
    pub certain: bool,
}

/// A request sent with a key, kept to be sent again.
#[derive(Debug, Clone)]
pub struct Sent {
    pub method: &'static str,
    pub path: String,
    pub token: Option<String>,
    pub body: serde_json::Value,
    pub key: String,
    /// The answer it got: a 2xx or business 4xx must come back the same.
    pub status: u16,
    pub answer: serde_json::Value,
}

impl Sent {
    /// The same request sent again, under `key`.
    pub async fn again(&self, world: &crate::world::World, key: &str) -> crate::world::Answer {
        let token = self.token.as_deref();
        world
            .call(self.method, &self.path, token, Some(&self.body), Some(key))
            .await
    }
}

#[derive(Debug, Default)]
pub struct Fan {
    pub user: String,
    pub tokens: Vec<Token>,
    pub holds: Vec<Hold>,
    /// Reservations paid, by what the answers said.
    pub tickets: Vec<Hold>,
    /// The balance the answers add up to.
    pub balance: i64,
    /// An answer (5xx) left the balance unknown: read it back.
    pub unsure: bool,
    pub last_keyed: Option<Sent>,
    /// What the fan last heard of their newest token: WAIT, ACTIVE or
    /// over (None before any token, or once it is over).
    pub heard: Option<&'static str>,
    /// Top-ups made through the provider, and withdrawals still pending.
    pub topups: Vec<crate::money::Topup>,
    pub withdrawals: Vec<crate::money::Withdrawal>,
    /// A withdrawal's answer was lost (5xx): it may be pending, and give
    /// points back at a later reconciliation.
    pub lost_withdrawal: bool,
}

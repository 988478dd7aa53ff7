//! The DynamoDB adapter: every table access of the service goes through
//! here, and every race is decided by a condition expression or a
//! transaction written in this module. It returns domain values and
//! outcome enums, and fails with [`StoreError`]; it knows nothing of HTTP.

pub mod availability;
pub mod cache;
pub mod cancellation;
pub mod catalog;
pub mod error;
pub mod history;
pub mod idempotency;
mod io;
pub mod jobs;
pub mod lease;
pub mod organiser;
pub mod payments;
pub mod points;
pub mod queue;
pub mod queue_control;
pub mod reservations;
pub mod resilience;
pub mod room_holds;
pub mod rooms;
pub mod schema;
pub mod seat;
pub mod topups;
pub mod tx;
pub mod withdrawals;

use crate::clock::Clock;
use crate::config::{Config, Tables};
use crate::domain::ids::{Entropy, OsEntropy};
use aws_sdk_dynamodb::Client;
use std::sync::Arc;

pub use error::StoreError;
pub use io::{from_item, num_attr, str_attr, Item};

#[derive(Clone, Debug)]
pub struct Db {
    pub client: Client,
    pub tables: Tables,
    /// Short-lived copies of hot catalogue reads (off unless enabled).
    pub caches: Arc<cache::Caches>,
    /// The source of the ids the store makes itself (a refund's entry).
    pub entropy: Arc<dyn Entropy>,
}

impl Db {
    pub fn new(client: Client, tables: Tables) -> Self {
        Db {
            client,
            tables,
            caches: Arc::new(cache::Caches::off()),
            entropy: Arc::new(OsEntropy),
        }
    }

    /// The same store, drawing its ids from `entropy`.
    pub fn with_entropy(mut self, entropy: Arc<dyn Entropy>) -> Self {
        self.entropy = entropy;
        self
    }

    /// The same store, keeping catalogue reads for `ttl_ms` by `clock` (0:
    /// not at all).
    pub fn with_catalog_cache(mut self, ttl_ms: u64, clock: Arc<dyn Clock>) -> Self {
        self.caches = Arc::new(cache::Caches::new(ttl_ms, clock));
        self
    }

    /// A client for the configured region and credentials, pointed at the
    /// endpoint override when one is set.
    pub async fn from_config(config: &Config) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(endpoint) = &config.dynamodb_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        Db::new(Client::new(&sdk), config.tables.clone())
    }
}

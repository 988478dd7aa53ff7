//! What every handler needs: the store, the clock, the source of
//! randomness and the settings.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::domain::ids::Entropy;
use crate::provider::Provider;
use crate::store::resilience::CallLimits;
use crate::store::Db;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// The payment provider; None with `PAYMENT_PROVIDER=none`.
    pub provider: Option<Arc<Provider>>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: Config) -> Self {
        App {
            db: db
                .with_catalog_cache(config.catalog_cache_ms, clock.clone())
                .with_limits(CallLimits {
                    attempt: Duration::from_millis(config.dynamodb_attempt_timeout_ms),
                    operation: Duration::from_millis(config.dynamodb_timeout_ms),
                }),
            clock,
            config: Arc::new(config),
            provider: None,
        }
    }

    /// Built once per Lambda cold start from the environment.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let db = Db::from_config(&config).await;
        let provider = Provider::from_env(&config.payment);
        Ok(App::new(db, Arc::new(SystemClock), config).with_provider(provider))
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The same app drawing every id, token and draw from `entropy` (the
    /// store's too): a test or a simulation fixes it with a seed.
    pub fn with_entropy(mut self, entropy: Arc<dyn Entropy>) -> Self {
        self.db = self.db.with_entropy(entropy);
        self
    }

    /// The same app paying through `provider`.
    pub fn with_provider(mut self, provider: Option<Provider>) -> Self {
        self.provider = provider.map(Arc::new);
        self
    }

    /// Where every id, token and draw comes from.
    pub fn entropy(&self) -> &dyn Entropy {
        &*self.db.entropy
    }
}

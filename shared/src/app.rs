//! What every handler needs: the store, the clock and the settings.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::store::Db;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: Config) -> Self {
        App {
            db: db.with_catalog_cache(config.catalog_cache_ms),
            clock,
            config: Arc::new(config),
        }
    }

    /// Built once per Lambda cold start from the environment.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let db = Db::from_config(&config).await;
        Ok(App::new(db, Arc::new(SystemClock), config))
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

//! The payment provider adapter (SPEC §11): the Toss Payments v1 client,
//! its secret key and the transport it sends through. Like the store, it
//! returns the provider's own records and outcome enums and knows nothing
//! of our HTTP API.

pub mod error;
pub mod secret;
pub mod toss;
pub mod transport;

pub use error::ProviderError;
pub use toss::{CancelRecord, Payment, Toss};

use crate::config::{PaymentConfig, PaymentProvider};
use secret::SecretKey;
use std::sync::Arc;
use std::time::Duration;
use transport::Transport;

/// Toss Payments' API.
pub const TOSS_API: &str = "https://api.tosspayments.com";

/// The provider as the service is configured to use it.
#[derive(Debug, Clone)]
pub struct Provider {
    /// `toss` or `sandbox`: what the fan's app opens for checkout.
    pub name: &'static str,
    pub client: Toss,
    /// The key the fan's app opens the provider's checkout with.
    pub client_key: String,
}

impl Provider {
    /// The provider `config` names, at `default_url` unless the config
    /// gives one, with its key and transport; None for `none`.
    pub fn new(
        config: &PaymentConfig,
        default_url: &str,
        key: SecretKey,
        transport: Arc<dyn Transport>,
    ) -> Option<Provider> {
        let name = match config.provider {
            PaymentProvider::None => return None,
            PaymentProvider::Toss => "toss",
            PaymentProvider::Sandbox => "sandbox",
        };
        let url = config.api_url.as_deref().unwrap_or(default_url);
        let timeout = Duration::from_millis(config.timeout_ms);
        Some(Provider {
            name,
            client: Toss::new(url, key, transport, timeout),
            client_key: config.client_key.clone(),
        })
    }

    /// The provider of a Lambda function: Toss's API over HTTPS, the key
    /// from Secrets Manager when `PAYMENT_SECRET_ID` is set; nothing is
    /// loaded until the first call.
    pub fn from_env(config: &PaymentConfig) -> Option<Provider> {
        if config.provider == PaymentProvider::None {
            return None;
        }
        let key = match &config.secret_id {
            Some(id) => SecretKey::managed(id.clone()),
            None => SecretKey::Given(config.secret_key.clone()),
        };
        // Every function has the provider's settings; only the money
        // functions send, so the TLS pool is built on the first send.
        let transport: Arc<dyn Transport> = Arc::new(transport::LazyHyper::default());
        Provider::new(config, TOSS_API, key, transport)
    }
}

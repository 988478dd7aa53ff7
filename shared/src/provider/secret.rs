//! The provider's secret key: given (locally `PAYMENT_SECRET_KEY`) or read
//! from AWS Secrets Manager once per cold start (`PAYMENT_SECRET_ID`). A
//! secret still empty is "unavailable", and is asked for again next time.

use super::error::ProviderError;

/// What the template's secret holds until the operator puts a key in it.
pub const UNSET: &str = "unset";

#[derive(Debug)]
pub enum SecretKey {
    Given(String),
    Managed {
        secret_id: String,
        cached: tokio::sync::OnceCell<String>,
    },
}

impl SecretKey {
    /// The key read from Secrets Manager on first use: a function that
    /// never calls the provider never loads the client at its cold start.
    pub fn managed(secret_id: String) -> Self {
        SecretKey::Managed {
            secret_id,
            cached: tokio::sync::OnceCell::new(),
        }
    }

    pub async fn get(&self) -> Result<String, ProviderError> {
        match self {
            SecretKey::Given(key) => Ok(key.clone()),
            SecretKey::Managed { secret_id, cached } => {
                cached.get_or_try_init(|| read(secret_id)).await.cloned()
            }
        }
    }
}

async fn read(secret_id: &str) -> Result<String, ProviderError> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let out = aws_sdk_secretsmanager::Client::new(&sdk)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            let why = format!("secret {secret_id}: {e:?}");
            tracing::error!(error = %why, "payment secret key not readable");
            ProviderError::Unavailable(why)
        })?;
    match out.secret_string().map(str::trim) {
        Some(key) if !key.is_empty() && key != UNSET => Ok(key.to_string()),
        _ => Err(ProviderError::Unavailable(format!(
            "secret {secret_id} holds no key yet"
        ))),
    }
}

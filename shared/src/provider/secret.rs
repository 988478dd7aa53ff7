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
        client: aws_sdk_secretsmanager::Client,
        cached: tokio::sync::OnceCell<String>,
    },
}

impl SecretKey {
    /// The key read from Secrets Manager on first use.
    pub fn managed(secret_id: String, sdk: &aws_config::SdkConfig) -> Self {
        SecretKey::Managed {
            secret_id,
            client: aws_sdk_secretsmanager::Client::new(sdk),
            cached: tokio::sync::OnceCell::new(),
        }
    }

    pub async fn get(&self) -> Result<String, ProviderError> {
        match self {
            SecretKey::Given(key) => Ok(key.clone()),
            SecretKey::Managed {
                secret_id,
                client,
                cached,
            } => cached
                .get_or_try_init(|| read(client, secret_id))
                .await
                .cloned(),
        }
    }
}

async fn read(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, ProviderError> {
    let out = client
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

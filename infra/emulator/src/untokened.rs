//! Transactions sent to the emulator without their `ClientRequestToken`.
//!
//! The SDK gives every `TransactWriteItems` a fresh idempotency token, and
//! the emulator keeps each one for ten minutes in a cache it walks whole on
//! every transaction, under a lock every transaction takes: at a few hundred
//! transactions a second the walk grows to hundreds of thousands of entries
//! and the local stack slows down minute after minute. Our transactions do
//! not need the token: a repeat of one that applied is refused by its own
//! conditions, and `shared::store::tx` recognises it by the new item it put
//! (there already, identical) and answers as applied. So local clients drop
//! the token before the request is sent; DynamoDB itself still gets it.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_types::body::SdkBody;

const TARGET: &str = "x-amz-target";
const TRANSACT_WRITE: &str = "DynamoDB_20120810.TransactWriteItems";
const TOKEN: &str = "ClientRequestToken";

#[derive(Debug)]
pub struct Untokened;

impl Intercept for Untokened {
    fn name(&self) -> &'static str {
        "EmulatorUntokenedTransactions"
    }

    fn modify_before_retry_loop(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        if request.headers().get(TARGET) != Some(TRANSACT_WRITE) {
            return Ok(());
        }
        let Some(stripped) = request.body().bytes().and_then(without_token) else {
            return Ok(());
        };
        request
            .headers_mut()
            .insert("content-length", stripped.len().to_string());
        *request.body_mut() = SdkBody::from(stripped);
        Ok(())
    }
}

/// The request body without its token; `None` when there is none to drop.
fn without_token(body: &[u8]) -> Option<Vec<u8>> {
    let mut request: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).ok()?;
    request.remove(TOKEN)?;
    serde_json::to_vec(&request).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_and_the_items_stay() {
        let body = br#"{"TransactItems":[{"Put":{"TableName":"t"}}],"ClientRequestToken":"abc"}"#;
        let stripped = without_token(body).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&stripped).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"TransactItems":[{"Put":{"TableName":"t"}}]})
        );
        assert_eq!(without_token(br#"{"TransactItems":[]}"#), None);
    }
}

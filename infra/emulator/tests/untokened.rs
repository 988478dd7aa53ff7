//! Local clients send transactions without an idempotency token, so the
//! emulator keeps no token cache to walk (see `untokened.rs`).

use aws_sdk_dynamodb::types::{AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement};
use aws_sdk_dynamodb::types::{KeyType, Put, ScalarAttributeType, TransactWriteItem};
use emulator::Emulator;

fn put(id: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name("tokens")
        .item("pk", AttributeValue::S(id.into()))
        .build()
        .unwrap();
    TransactWriteItem::builder().put(put).build()
}

#[tokio::test]
async fn one_token_on_two_different_transactions_is_not_a_mismatch() {
    let emu = Emulator::memory().unwrap();
    let client = emu.client();
    client
        .create_table()
        .table_name("tokens")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // With the token kept, the emulator would refuse the second call as
    // IdempotentParameterMismatch (same token, other items).
    for id in ["a", "b"] {
        client
            .transact_write_items()
            .transact_items(put(id))
            .client_request_token("same-token")
            .send()
            .await
            .unwrap();
    }
    let stored = client.scan().table_name("tokens").send().await.unwrap();
    assert_eq!(stored.count(), 2);
}

//! The scan over all data that checks SPEC §4 after the concurrent tests.

use crate::harness::H;

/// Asserts every invariant holds; returns the number of sold seats.
pub async fn check(h: &H) -> usize {
    let audit = h.app().db.audit(h.app().now_ms()).await.unwrap();
    assert!(audit.violations.is_empty(), "{:#?}", audit.violations);
    assert_eq!(audit.points_in_balances, audit.points_in_ledger);
    assert_eq!(audit.payments, audit.seats_sold);
    audit.seats_sold
}

/// The audit itself catches a broken invariant.
#[tokio::test]
async fn the_audit_reports_tampering() {
    let h = H::new().await;
    let body = serde_json::json!({"userId": "tamper", "amount": 100});
    assert_eq!(
        h.req("PATCH", "/points", None, Some(&body)).await.status,
        200
    );
    assert!(h
        .app()
        .db
        .audit(h.app().now_ms())
        .await
        .unwrap()
        .violations
        .is_empty());
    h.app()
        .db
        .client
        .update_item()
        .table_name("PointsTable")
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("USER#tamper".into()),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("BALANCE".into()),
        )
        .update_expression("ADD point :one")
        .expression_attribute_values(
            ":one",
            aws_sdk_dynamodb::types::AttributeValue::N("1".into()),
        )
        .send()
        .await
        .unwrap();
    let audit = h.app().db.audit(h.app().now_ms()).await.unwrap();
    assert_eq!(
        audit.violations,
        vec!["tamper: balance 101 ≠ Σ ledger 100".to_string()]
    );
}

//! The scan over all data that checks SPEC §4 (`TestApp::audit`) catches
//! a broken invariant.

use crate::kit::TestApp;
use serde_json::json;

#[tokio::test]
async fn the_audit_reports_tampering() {
    let h = TestApp::new().await;
    assert_eq!(h.charge("tamper", json!(100), None).await.status, 200);
    h.audit().await;
    devkit::inspect::tamper_balance(&h.app().db, "tamper", 1)
        .await
        .unwrap();
    let audit = devkit::audit::audit(&h.app().db, h.app().now_ms())
        .await
        .unwrap();
    assert_eq!(
        audit.violations,
        vec!["tamper: balance 101 ≠ Σ ledger 100".to_string()]
    );
}

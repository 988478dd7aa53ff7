//! The fan's and the provider's steps of SPEC §11 for the tests: top-up,
//! checkout in the provider's window, confirm, withdraw, reconcile, and
//! the audit of §4.7 against the sandbox's own records.

use crate::kit::{Resp, TestApp};
use serde_json::{json, Value};

impl TestApp {
    pub fn provider(&self) -> &sandbox::Sandbox {
        &self.sandbox.as_ref().expect("a sandbox stack").sandbox
    }

    pub async fn topup(&self, user: &str, amount: i64) -> Resp {
        let body = json!({ "userId": user, "amount": amount });
        self.req("POST", "/points/topups", None, Some(&body)).await
    }

    /// A new PENDING top-up's order id.
    pub async fn new_order(&self, user: &str, amount: i64) -> String {
        let r = self.topup(user, amount).await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["orderId"].as_str().expect("orderId").to_string()
    }

    /// The fan pays in the provider's window: the payment key.
    pub fn checkout(&self, order: &str, amount: i64) -> String {
        self.provider()
            .checkout(order, amount, false)
            .expect("checkout")
            .payment_key
    }

    pub async fn confirm(&self, user: &str, order: &str, key: &str, amount: i64) -> Resp {
        let body = json!({ "userId": user, "paymentKey": key, "amount": amount });
        let path = format!("/points/topups/{order}/confirm");
        self.req("POST", &path, None, Some(&body)).await
    }

    /// A top-up paid and confirmed: `(orderId, paymentKey)`.
    pub async fn fund(&self, user: &str, amount: i64) -> (String, String) {
        let r = self.topup(user, amount).await;
        assert_eq!(r.status, 201, "{r:?}");
        let order = r.body["orderId"].as_str().expect("orderId").to_string();
        let key = self.checkout(&order, amount);
        let c = self.confirm(user, &order, &key, amount).await;
        assert_eq!(c.status, 200, "{c:?}");
        (order, key)
    }

    pub async fn withdraw(&self, user: &str, amount: i64, key: Option<&str>) -> Resp {
        let body = json!({ "userId": user, "amount": amount });
        let headers: Vec<(&str, &str)> = key
            .map(|k| vec![("Idempotency-Key", k)])
            .unwrap_or_default();
        self.raw(
            "POST",
            "/points/withdrawals",
            None,
            body.to_string().into_bytes(),
            &headers,
        )
        .await
    }

    /// `POST /admin/reconcile`'s answer.
    pub async fn reconcile(&self) -> Value {
        let r = self.admin("POST", "/admin/reconcile", None).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// The webhook the provider would send for `payment_key` now, sent.
    pub async fn webhook(&self, payment_key: &str) -> Resp {
        let event = self.provider().webhook(payment_key).expect("a payment");
        self.req("POST", "/webhooks/payments", None, Some(&event))
            .await
    }

    pub async fn topup_status(&self, user: &str, order: &str) -> String {
        let r = self
            .req(
                "GET",
                &format!("/points/topups/{order}?userId={user}"),
                None,
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["status"].as_str().expect("status").to_string()
    }

    /// SPEC §4 (the points half) and §4.7 against the sandbox's records.
    pub async fn audit_money(&self) {
        self.audit().await;
        let records = devkit::money_audit::provider_records(self.provider());
        let violations = devkit::money_audit::money_source(&self.app().db, &records)
            .await
            .expect("money audit");
        assert!(violations.is_empty(), "{violations:#?}");
    }
}

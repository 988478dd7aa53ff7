//! Strict input (SPEC §5): what serde would let through is refused with
//! the error body, and nothing is stored.

use crate::kit::TestApp;

async fn charge_raw(h: &TestApp, body: &str, content_type: &str) -> crate::kit::Resp {
    h.raw(
        "PATCH",
        "/points",
        None,
        body.as_bytes().to_vec(),
        &[("content-type", content_type)],
    )
    .await
}

#[tokio::test]
async fn loose_json_is_refused_and_stores_nothing() {
    let h = TestApp::new().await;
    for body in [
        r#"{"userId":"strict","amount":0.99999999999999999}"#,
        r#"{"userId":"strict","amount":1e400}"#,
        r#"{"userId":"strict","amount":5e-1}"#,
        r#"["strict",5]"#,
        r#"{"userId":"other","userId":"strict","amount":5}"#,
        r#"{"userId":"strict","amount":5,"amount":7}"#,
        r#"{"userId":"strict","amount":5,"extra":{"x":[0.5]}}"#,
    ] {
        let r = charge_raw(&h, body, "application/json").await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("INVALID_REQUEST")),
            "{body}: {r:?}"
        );
    }
    // Integers written as decimals are integers.
    for body in [
        r#"{"userId":"strict","amount":5.0}"#,
        r#"{"userId":"strict","amount":5e0}"#,
    ] {
        assert_eq!(
            charge_raw(&h, body, "application/json").await.status,
            200,
            "{body}"
        );
    }
    assert_eq!(h.points("strict").await, 10);
    h.audit().await;
}

#[tokio::test]
async fn only_json_bodies_are_read() {
    let h = TestApp::new().await;
    let body = r#"{"userId":"typed","amount":5}"#;
    for kind in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "multipart/form-data",
    ] {
        let r = charge_raw(&h, body, kind).await;
        assert_eq!(
            (r.status, r.body["code"].as_str(), r.body["status"].as_str()),
            (
                415,
                Some("UNSUPPORTED_MEDIA_TYPE"),
                Some("UNSUPPORTED_MEDIA_TYPE")
            ),
            "{kind}: {r:?}"
        );
    }
    assert_eq!(h.points("typed").await, 0, "a refused body was stored");
    for kind in ["application/json", "Application/JSON; charset=utf-8", ""] {
        assert_eq!(charge_raw(&h, body, kind).await.status, 200, "{kind:?}");
    }
    assert_eq!(h.points("typed").await, 15);
}

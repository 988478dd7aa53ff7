//! Identity in `jwt` mode (SPEC §8): every route that carries no queue
//! token needs an identity token the gateway verifies as API Gateway's JWT
//! authorizer would, naming the user the request acts for. Every forged,
//! stale or misdirected token is refused and nothing is stored.

use crate::kit::{TestApp, ISSUER};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use shared::config::AuthMode;

const USER: &str = "verified-fan";

/// The six identity routes, each as `(method, path, body, status when the
/// identity is right)`.
fn routes() -> Vec<(&'static str, String, Option<Value>, u16)> {
    vec![
        ("POST", "/queues".into(), Some(json!({"userId": USER})), 201),
        (
            "PATCH",
            "/points".into(),
            Some(json!({"userId": USER, "amount": 100})),
            200,
        ),
        ("GET", format!("/points/{USER}"), None, 200),
        ("GET", format!("/points/{USER}/history"), None, 200),
        ("GET", format!("/reservations?userId={USER}"), None, 200),
        (
            "POST",
            "/reservations/77/cancel".into(),
            Some(json!({"userId": USER})),
            404,
        ),
    ]
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// Tokens that must all be refused with 401, by what is wrong with them.
fn forged(h: &TestApp) -> Vec<(&'static str, Option<String>)> {
    let idp = h.gw.identity.as_ref().expect("jwt mode").clone();
    let now = h.app().now_ms() / 1000;
    let claims = |over: Value| {
        let mut c = json!({"sub": USER, "iss": ISSUER, "aud": "concert-local",
                           "iat": now, "nbf": now, "exp": now + 600});
        for (k, v) in over.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let good = idp.sign(&claims(json!({}))).unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&claims(json!({"sub": "someone"}))),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": idp.kid()})),
        parts[1]
    );
    // HS256 "signed" with the public key: the classic algorithm confusion.
    let public = idp.jwks()["keys"][0]["x"].as_str().unwrap().to_string();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some(idp.kid().to_string());
    let hs256 = jsonwebtoken::encode(
        &hs,
        &claims(json!({})),
        &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    vec![
        ("no token", None),
        ("malformed", Some("not.a.jwt".into())),
        ("tampered payload", Some(tampered)),
        ("alg none", Some(none)),
        ("HS256 with the public key", Some(hs256)),
        (
            "wrong issuer",
            Some(
                idp.sign(&claims(json!({"iss": "https://evil.example"})))
                    .unwrap(),
            ),
        ),
        (
            "wrong audience",
            Some(idp.sign(&claims(json!({"aud": "another-app"}))).unwrap()),
        ),
        (
            "expired",
            Some(idp.sign(&claims(json!({"exp": now}))).unwrap()),
        ),
        (
            "not yet valid",
            Some(idp.sign(&claims(json!({"nbf": now + 60}))).unwrap()),
        ),
        (
            "no subject",
            Some(
                idp.sign(&json!({"iss": ISSUER, "aud": "concert-local", "exp": now + 600}))
                    .unwrap(),
            ),
        ),
    ]
}

async fn call(
    h: &TestApp,
    method: &str,
    path: &str,
    body: &Option<Value>,
    token: Option<&str>,
) -> crate::kit::Resp {
    h.req(method, path, token, body.as_ref()).await
}

#[tokio::test]
async fn every_identity_route_refuses_every_bad_token_and_stores_nothing() {
    let h = TestApp::with(|c| c.auth_mode = AuthMode::Jwt).await;
    for (why, token) in forged(&h) {
        for (method, path, body, _) in routes() {
            let r = call(&h, method, &path, &body, token.as_deref()).await;
            assert_eq!(
                (
                    r.status,
                    r.body["code"].as_str(),
                    r.body["message"].as_str()
                ),
                (
                    401,
                    Some("IDENTITY_INVALID"),
                    Some("인증 정보가 유효하지 않습니다.")
                ),
                "{why}: {method} {path}: {r:?}"
            );
        }
    }
    // A valid token of another user: 403 on every route.
    let idp = h.gw.identity.clone().unwrap();
    let other = idp.issue("someone-else", h.app().now_ms(), 600).unwrap();
    for (method, path, body, _) in routes() {
        let r = call(&h, method, &path, &body, Some(&other)).await;
        assert_eq!(
            (
                r.status,
                r.body["code"].as_str(),
                r.body["message"].as_str()
            ),
            (
                403,
                Some("IDENTITY_MISMATCH"),
                Some("본인만 요청할 수 있습니다.")
            ),
            "{method} {path}: {r:?}"
        );
    }
    // Nothing was stored by any refusal.
    assert!(devkit::inspect::tokens(&h.app().db)
        .await
        .unwrap()
        .is_empty());
    assert!(
        devkit::inspect::scan(&h.app().db, &h.app().db.tables.points)
            .await
            .unwrap()
            .is_empty()
    );
    h.audit().await;
    // The user's own token passes every route.
    let mine = idp.issue(USER, h.app().now_ms(), 600).unwrap();
    for (method, path, body, status) in routes() {
        let r = call(&h, method, &path, &body, Some(&mine)).await;
        assert_eq!(r.status, status, "{method} {path}: {r:?}");
    }
    assert_eq!(h.app().db.balance(USER).await.unwrap(), 100);
    h.audit().await;
}

#[tokio::test]
async fn open_mode_keeps_the_seed_contract() {
    let h = TestApp::new().await;
    for (method, path, body, status) in routes() {
        let r = call(&h, method, &path, &body, None).await;
        assert_eq!(r.status, status, "{method} {path}: {r:?}");
    }
}

/// Behind CloudFront (EdgeProtection) every function refuses a request
/// that did not come through it, so the execute-api URL is no way round.
#[tokio::test]
async fn only_requests_through_the_edge_count_behind_it() {
    let h = TestApp::with(|c| c.edge_origin_secret = Some("edge-secret".into())).await;
    let r = h.req("GET", "/concerts", None, None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("EDGE_REQUIRED")),
        "{r:?}"
    );
    let wrong = h
        .raw(
            "GET",
            "/concerts",
            None,
            Vec::new(),
            &[("X-Origin-Verify", "guess")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let through = h
        .raw(
            "GET",
            "/concerts",
            None,
            Vec::new(),
            &[("X-Origin-Verify", "edge-secret")],
        )
        .await;
    assert_eq!(through.status, 200, "{through:?}");
    // The organiser's signed calls go straight to the API (in AWS the
    // gateway verified the signature; here the admin token stands in).
    let organiser = h.admin("GET", "/admin/queue", None).await;
    assert_eq!(organiser.status, 200, "{organiser:?}");
    let unsigned = h.req("GET", "/admin/queue", None, None).await;
    assert_eq!(unsigned.status, 401, "{unsigned:?}");
}

//! The fan's web app (`web/`) at `/app/`: its files built into the binary,
//! and a `config.json` telling it how this stack signs fans in and takes
//! payments. Nothing is fetched from elsewhere.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use shared::config::{AuthMode, Config, PaymentProvider};

/// Where the app is served.
pub const PREFIX: &str = "/app";

/// The page may run only its own scripts (and, for the Toss window, the
/// provider's), talk only to this origin, and be framed by nobody.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' https://js.tosspayments.com; \
    connect-src 'self' https://*.tosspayments.com; \
    frame-src https://*.tosspayments.com; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

macro_rules! files {
    ($($name:literal => $kind:literal),* $(,)?) => {
        &[$(($name, $kind, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/", $name)))),*]
    };
}

/// Every file of the app: name, content type, bytes.
pub static FILES: &[(&str, &str, &[u8])] = files! {
    "index.html" => "text/html; charset=utf-8",
    "style.css" => "text/css; charset=utf-8",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "auth.js" => "text/javascript; charset=utf-8",
    "messages.js" => "text/javascript; charset=utf-8",
    "points.js" => "text/javascript; charset=utf-8",
    "queue.js" => "text/javascript; charset=utf-8",
    "seatmap.js" => "text/javascript; charset=utf-8",
    "session.js" => "text/javascript; charset=utf-8",
    "ui.js" => "text/javascript; charset=utf-8",
};

/// What the app reads at start: the API on this origin, sign-in by name
/// (`open`) or by the development identity provider (`dev`), and the
/// payment provider with its client key.
pub fn config_json(config: &Config) -> serde_json::Value {
    let auth = match config.auth_mode {
        AuthMode::Open => "open",
        AuthMode::Jwt => "dev",
    };
    let provider = match config.payment.provider {
        PaymentProvider::None => "none",
        PaymentProvider::Toss => "toss",
        PaymentProvider::Sandbox => "sandbox",
    };
    serde_json::json!({
        "apiUrl": "",
        "auth": auth,
        "payment": { "provider": provider, "clientKey": config.payment.client_key },
    })
}

fn file(name: &str) -> Response {
    let name = if name.is_empty() { "index.html" } else { name };
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, bytes)) => page(kind, bytes.to_vec()),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn page(kind: &str, body: Vec<u8>) -> Response {
    let mut r = body.into_response();
    let headers = r.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, kind),
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    r
}

/// The app's routes, for the gateway's router.
pub fn router(config: &Config) -> axum::Router {
    let settings = config_json(config).to_string().into_bytes();
    axum::Router::new()
        .route(PREFIX, get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(|| async { file("") }))
        .route(
            "/app/config.json",
            get(move || {
                let body = settings.clone();
                async move { page("application/json", body) }
            }),
        )
        .route(
            "/app/{file}",
            get(
                |axum::extract::Path(name): axum::extract::Path<String>| async move { file(&name) },
            ),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn web() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
    }

    #[test]
    fn every_file_of_the_app_is_served_and_nothing_else() {
        let on_disk: BTreeSet<String> = std::fs::read_dir(web())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with('.') && n != "README.md")
            .collect();
        let served: BTreeSet<String> = FILES.iter().map(|(n, _, _)| n.to_string()).collect();
        assert_eq!(on_disk, served);
    }

    #[test]
    fn the_app_has_a_message_for_every_error_code() {
        let table = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/src/http/error.rs"),
        )
        .unwrap();
        let codes: BTreeSet<&str> = table
            .split("(S::")
            .skip(1)
            .filter_map(|rest| rest.split('"').nth(1))
            .collect();
        assert!(codes.len() > 40, "{codes:?}");
        let messages = std::fs::read_to_string(web().join("messages.js")).unwrap();
        let missing: Vec<_> = codes
            .iter()
            .filter(|c| !messages.contains(&format!("  {c}: \"")))
            .collect();
        assert!(missing.is_empty(), "web/messages.js lacks {missing:?}");
    }

    #[test]
    fn the_config_names_how_this_stack_signs_in_and_takes_payment() {
        let mut config = Config {
            auth_mode: AuthMode::Jwt,
            ..Config::default()
        };
        config.payment.provider = PaymentProvider::Sandbox;
        config.payment.client_key = "test_ck".into();
        let c = config_json(&config);
        assert_eq!(c["auth"], "dev");
        assert_eq!(c["payment"]["provider"], "sandbox");
        assert_eq!(c["payment"]["clientKey"], "test_ck");
        assert_eq!(config_json(&Config::default())["auth"], "open");
    }
}

//! The local stack as a user runs it: real HTTP on loopback, a database on
//! disk, the activator on its timer.

use local::settings::Settings;
use local::Stack;
use shared::config::Config;
use std::time::{Duration, Instant};

/// Checks `check` every 100 ms until it holds; fails after `limit`.
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get(url: &str) -> (u16, serde_json::Value) {
    http(url, "GET", None, None).await
}

/// `url` is the whole address, path included.
async fn http(
    url: &str,
    method: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let at = url
        .strip_prefix("http://")
        .and_then(|r| r.find('/'))
        .unwrap()
        + "http://".len();
    let (base, path) = url.split_at(at);
    crate::wire::call(base, method, path, token, body)
        .await
        .expect("the stack answers")
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("local-stack-{}", uuid::Uuid::new_v4()));
    let settings = Settings {
        data_dir: Some(dir.clone()),
        ..Settings::ephemeral()
    };
    let stack = Stack::start(settings.clone(), Config::default())
        .await
        .unwrap();
    let (status, concerts) = get(&format!("{}/concerts", stack.url())).await;
    assert_eq!(status, 200);
    assert!(concerts.as_array().unwrap().len() >= 3);
    let (status, body) = get(&format!("{}/concerts/999999", stack.url())).await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], "등록되지 않은 콘서트입니다.");
    let (status, _) = http(
        &format!("{}/queues", stack.url()),
        "POST",
        None,
        Some(r#"{"userId":"keeper"}"#),
    )
    .await;
    assert_eq!(status, 201);
    stack.stop().await;

    let stack = Stack::start(settings, Config::default()).await.unwrap();
    let (_, again) = get(&format!("{}/concerts", stack.url())).await;
    assert_eq!(again, concerts, "catalogue changed across a restart");
    let (status, _) = http(
        &format!("{}/queues", stack.url()),
        "POST",
        None,
        Some(r#"{"userId":"keeper"}"#),
    )
    .await;
    assert_eq!(status, 409, "the token issued before the restart is gone");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_user_in_an_empty_queue_is_active_within_two_seconds() {
    let config = Config {
        queue_tick_seconds: 1,
        ..Config::default()
    };
    let stack = Stack::start(Settings::ephemeral(), config).await.unwrap();
    let url = stack.url();
    let (status, token) = http(
        &format!("{url}/queues"),
        "POST",
        None,
        Some(r#"{"userId":"early"}"#),
    )
    .await;
    assert_eq!(status, 201);
    let token = token["tokenId"].as_str().unwrap().to_string();
    let joined = Instant::now();
    let mut active = false;
    while joined.elapsed() < Duration::from_millis(2_500) {
        let (status, body) = http(&format!("{url}/queues/early"), "GET", Some(&token), None).await;
        assert_eq!(status, 200);
        if body["status"] == "ACTIVE" {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(active, "not admitted within about 2 s");
    let (status, _) = http(
        &format!("{url}/concerts/1/schedules"),
        "GET",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    stack.stop().await;
}

#[tokio::test]
async fn the_local_stack_sweeps_ttl_and_runs_the_hold_cleanup() {
    let config = Config {
        queue_tick_seconds: 1,
        hold_seconds: 2,
        ..Config::default()
    };
    let dir = std::env::temp_dir().join(format!("local-stack-{}", uuid::Uuid::new_v4()));
    let settings = Settings {
        data_dir: Some(dir.clone()),
        ..Settings::ephemeral()
    };
    let stack = Stack::start(settings, config).await.unwrap();
    let url = stack.url();
    let (_, token) = http(
        &format!("{url}/queues"),
        "POST",
        None,
        Some(r#"{"userId":"sweeper"}"#),
    )
    .await;
    let token = token["tokenId"].as_str().unwrap().to_string();
    eventually("never admitted", Duration::from_secs(5), || async {
        let (_, body) = http(&format!("{url}/queues/sweeper"), "GET", Some(&token), None).await;
        body["status"] == "ACTIVE"
    })
    .await;
    let body = r#"{"userId":"sweeper","concertId":1,"scheduleId":1,"seatId":1}"#;
    let (status, held) = http(
        &format!("{url}/reservations"),
        "POST",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{held}");
    let id = held["reserveId"].as_u64().unwrap();
    // The pipe and the availability consumer count the hold.
    eventually(
        "the hold was never counted",
        Duration::from_secs(5),
        || async {
            let (_, body) = http(
                &format!("{url}/concerts/1/schedules"),
                "GET",
                Some(&token),
                None,
            )
            .await;
            body["schedules"][0]["availableSeats"] == 299
        },
    )
    .await;
    eventually("TTL cleanup never ran", Duration::from_secs(10), || async {
        let r = stack.app.db.reservation(id).await.unwrap();
        r.is_some_and(|r| r.status == shared::domain::reservation::ReservationStatus::Expired)
    })
    .await;
    let seat = devkit::inspect::seat(&stack.app.db, 1, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seat.hold_id, None, "the seat was not released");
    // Every consumer has read every record: the log keeps only the newest,
    // and the emulator numbers new records from an index.
    let db_file = dir.join("dynamodb.sqlite");
    let log = emulator::streamlog::StreamLog::open(&db_file.to_string_lossy()).unwrap();
    eventually(
        "the stream log was never trimmed",
        Duration::from_secs(5),
        || async { log.len("ReservationsTable").unwrap() == 1 },
    )
    .await;
    assert!(log.numbering_uses_index().unwrap());
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Found by contract fuzzing: a 405 must say which methods the path has.
#[tokio::test]
async fn a_wrong_method_gets_405_with_allow() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stack = Stack::start(Settings::ephemeral(), Config::default())
        .await
        .unwrap();
    let mut s = tokio::net::TcpStream::connect(stack.addr).await.unwrap();
    s.write_all(b"TRACE /reservations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 405"), "{text}");
    assert!(text.contains("\r\nallow: get, post\r\n"), "{text}");
    let (status, body) = get(&format!("{}/nowhere", stack.url())).await;
    assert_eq!((status, body["status"].as_str()), (404, Some("NOT_FOUND")));
    // A request target over 8 KiB: 414 with the error body.
    let long = format!("{}/concerts?pad={}", stack.url(), "x".repeat(9_000));
    let (status, body) = get(&long).await;
    assert_eq!((status, body["code"].as_str()), (414, Some("URI_TOO_LONG")));
    let fine = format!("{}/concerts?pad={}", stack.url(), "x".repeat(7_000));
    assert_eq!(get(&fine).await.0, 200);
    stack.stop().await;
}

/// In `jwt` mode the local stack is its own development identity
/// provider: a JWKS, tokens on request, and the identity routes need them.
#[tokio::test]
async fn in_jwt_mode_the_stack_issues_and_checks_identity_tokens() {
    let config = Config {
        auth_mode: shared::config::AuthMode::Jwt,
        ..Config::default()
    };
    let stack = Stack::start(Settings::ephemeral(), config).await.unwrap();
    let url = stack.url();
    let (status, jwks) = get(&format!("{url}/.well-known/jwks.json")).await;
    assert_eq!(
        (status, jwks["keys"][0]["alg"].as_str()),
        (200, Some("ES256"))
    );
    let join = r#"{"userId":"jwt-fan"}"#;
    let (status, body) = http(&format!("{url}/queues"), "POST", None, Some(join)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("IDENTITY_INVALID"))
    );
    let ask = r#"{"userId":"jwt-fan","expiresInSeconds":600}"#;
    let (status, issued) = http(&format!("{url}/dev/tokens"), "POST", None, Some(ask)).await;
    assert_eq!(status, 201, "{issued}");
    let token = issued["idToken"].as_str().unwrap();
    let (status, body) = http(&format!("{url}/queues"), "POST", Some(token), Some(join)).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = http(
        &format!("{url}/dev/tokens"),
        "POST",
        None,
        Some(r#"{"userId":"a b"}"#),
    )
    .await;
    assert_eq!(status, 400);
    stack.stop().await;
    // In open mode there is no identity provider.
    let stack = Stack::start(Settings::ephemeral(), Config::default())
        .await
        .unwrap();
    assert_eq!(
        get(&format!("{}/.well-known/jwks.json", stack.url()))
            .await
            .0,
        404
    );
    stack.stop().await;
}

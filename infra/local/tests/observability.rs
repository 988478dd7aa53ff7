//! What on-call sees of requests (SPEC §9): one JSON log line per request
//! with route, status, code, latency, both request ids, user and ids; and
//! business counters as CloudWatch Embedded Metric Format documents. Its
//! own test binary: the log subscriber and the metrics recorder are
//! process-wide.

use devkit::event::ApiCall;
use emulator::{Emulator, Template};
use serde_json::{json, Value};
use shared::clock::ManualClock;
use shared::config::{Config, Tables};
use shared::store::Db;
use shared::{App, Endpoint};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Log lines written so far.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn call(
    app: &App,
    function: &str,
    method: &str,
    route: &str,
    body: Value,
    headers: &[(&str, &str)],
    request_id: &str,
) -> u16 {
    let body = body.to_string();
    let mut all = vec![("content-type".to_string(), "application/json".to_string())];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let req = ApiCall {
        method,
        route,
        // No path parameters on these routes: the path is the route.
        path: route,
        headers: all,
        body: Some(body.as_bytes()),
        source_ip: "127.0.0.1",
        request_id,
        time_epoch_ms: app.now_ms(),
        ..ApiCall::default()
    }
    .to_request()
    .unwrap();
    let endpoint = Endpoint::by_name(function).unwrap();
    endpoint.reply(app, &req).await.status
}

#[tokio::test]
async fn requests_leave_one_json_line_each_and_business_counters() {
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .init();
    let metrics = shared::counters::install("stack-a").expect("recorder");

    let emu = Emulator::memory().unwrap();
    emu.create_tables(&Template::builtin().unwrap())
        .await
        .unwrap();
    let config = Config {
        tables: Tables::default(),
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::at_ms(1_767_225_600_000));
    let app = App::new(Db::new(emu.client(), Tables::default()), clock, config);

    let join = json!({"userId": "fan-1"});
    assert_eq!(
        call(&app, "post-queue", "POST", "/queues", join, &[], "api-1").await,
        201
    );
    let hold = json!({"userId": "fan-1", "concertId": 1, "scheduleId": 1, "seatId": 1});
    let status = call(
        &app,
        "post-reservation",
        "POST",
        "/reservations",
        hold,
        &[("authorization", "Bearer nope")],
        "api-2",
    )
    .await;
    assert_eq!(status, 401);
    let charge = json!({"userId": "fan-1", "amount": 1500});
    let keyed = [("idempotency-key", "k-1")];
    for id in ["api-3", "api-4"] {
        let status = call(
            &app,
            "patch-points",
            "PATCH",
            "/points",
            charge.clone(),
            &keyed,
            id,
        )
        .await;
        assert_eq!(status, 200);
    }

    // One line per request, with what on-call searches by.
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let requests: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 4, "{text}");
    let refused = requests
        .iter()
        .find(|l| l["api_request_id"] == "api-2")
        .unwrap();
    assert_eq!(refused["route"], "POST /reservations");
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["code"], "TOKEN_INVALID");
    assert_eq!(refused["user"], "fan-1");
    assert!(refused["latency_ms"].as_f64().is_some());
    let joined = requests
        .iter()
        .find(|l| l["api_request_id"] == "api-1")
        .unwrap();
    assert_eq!(joined["status"], 201);
    assert!(joined.get("code").is_none() || joined["code"].is_null());

    // The counters, as the EMF documents a Lambda invocation prints.
    let mut out = Vec::new();
    metrics.flush(&mut out).unwrap();
    let mut seen: BTreeMap<String, f64> = BTreeMap::new();
    for doc in String::from_utf8(out).unwrap().lines() {
        let doc: Value = serde_json::from_str(doc).unwrap();
        let spec = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(spec["Namespace"], shared::counters::NAMESPACE);
        // Every metric names its stack: staging and production apart.
        let service = shared::counters::SERVICE_DIMENSION;
        assert_eq!(doc[service], "stack-a", "{doc}");
        assert!(spec["Dimensions"][0]
            .as_array()
            .unwrap()
            .contains(&json!(service)));
        for m in spec["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            let key = match doc.get("code") {
                Some(code) => format!("{name}/{}", code.as_str().unwrap()),
                None => name.to_string(),
            };
            *seen.entry(key).or_default() += doc[name].as_f64().unwrap();
        }
    }
    assert_eq!(seen.get("Joins"), Some(&1.0), "{seen:?}");
    assert_eq!(
        seen.get("HoldsRefused/TOKEN_INVALID"),
        Some(&1.0),
        "{seen:?}"
    );
    assert_eq!(seen.get("PointsCharged"), Some(&1500.0), "{seen:?}");
    assert_eq!(seen.get("IdempotentReplays"), Some(&1.0), "{seen:?}");
    assert_eq!(seen.get("HoldsCreated"), None, "{seen:?}");
}

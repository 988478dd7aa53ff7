//! The local stack as a process: killed with SIGKILL while it seeds and
//! while fans hold seats, restarted on the same `DATA_DIR`, it comes back
//! whole (every sample seat there, the audit clean, the stream consumers
//! resuming where they were); SIGTERM stops it cleanly. And its emulator
//! serves other tools (`sam local`) on `EMULATOR_ADDR`, as `env.json` says.

use crate::wire::call;
use emulator::{Emulator, Template};
use serde_json::json;
use shared::config::{Tables, TABLE_ENV};
use shared::domain::reservation::ReservationStatus;
use shared::store::Db;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

struct Proc {
    child: Child,
    url: String,
}

/// Starts `cargo run -p local`'s binary on `dir`.
fn start(dir: &Path, port: u16, emulator_port: u16) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_local"))
        .env("PORT", port.to_string())
        .env("EMULATOR_ADDR", format!("127.0.0.1:{emulator_port}"))
        .env("DATA_DIR", dir)
        .env("HOLD_SECONDS", "2")
        .env("QUEUE_TICK_SECONDS", "1")
        .env("STREAM_POLL_MILLIS", "200")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Proc {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// Waits until the stack answers with its whole sample catalogue.
async fn ready(p: &Proc) {
    let started = Instant::now();
    loop {
        if let Some((200, list)) = call(&p.url, "GET", "/concerts", None, None).await {
            if list.as_array().map(Vec::len) == Some(4) {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the stack never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The database as the stopped stack left it.
async fn open(dir: &Path) -> (Emulator, Db) {
    let path = dir.join("dynamodb.sqlite");
    let emu = Emulator::file(path.to_str().unwrap()).unwrap();
    let db = Db::new(emu.client(), Tables::default());
    (emu, db)
}

fn terminate(mut p: Proc) {
    let pid = p.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let status = p.child.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM did not stop the stack cleanly: {status}"
    );
}

fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("local-crash-{}", uuid::Uuid::new_v4()))
}

#[tokio::test]
async fn a_stack_killed_while_seeding_and_mid_load_restarts_whole() {
    let dir = temp_dir();
    let (port, emu_port) = (free_port(), free_port());
    // Killed again and again during its first starts, some of them while
    // the sample catalogue is being written.
    for ms in [60, 120, 200, 320, 500, 800] {
        let mut p = start(&dir, port, emu_port);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }

    let p = start(&dir, port, emu_port);
    ready(&p).await;
    // Fans join, get in, and hold seats while the stack is killed.
    let mut holds = Vec::new();
    for i in 0..40 {
        let user = format!("crash-fan-{i}");
        let (_, joined) = call(
            &p.url,
            "POST",
            "/queues",
            None,
            Some(&json!({"userId": user}).to_string()),
        )
        .await
        .unwrap();
        holds.push((
            user,
            joined["tokenId"].as_str().unwrap_or_default().to_string(),
        ));
    }
    // Admitted once the lease of the killed stacks' activator has run out
    // (three ticks) and a round has run.
    let (first, first_token) = &holds[0];
    for _ in 0..100 {
        let path = format!("/queues/{first}");
        let status = call(&p.url, "GET", &path, Some(first_token), None).await;
        if status.is_some_and(|(_, r)| r["status"] == "ACTIVE") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = p.url.clone();
    let load = tokio::spawn(async move {
        let mut held = Vec::new();
        for (i, (user, token)) in holds.iter().enumerate() {
            let body = json!({"userId": user, "concertId": 1, "scheduleId": 1, "seatId": i + 1})
                .to_string();
            if let Some((201, r)) =
                call(&url, "POST", "/reservations", Some(token), Some(&body)).await
            {
                held.push(r["reserveId"].as_u64().unwrap());
            }
        }
        held
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut p = p;
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    let held = load.await.unwrap();
    assert!(!held.is_empty(), "no hold was made before the kill");

    // Restarted: the holds lapse (2 s), TTL deletes them, and the consumers
    // pick up the stream where they stopped.
    let p = start(&dir, port, emu_port);
    ready(&p).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    terminate(p);

    let (_emu, db) = open(&dir).await;
    let seats = devkit::inspect::seats(&db).await.unwrap();
    assert_eq!(seats.len(), 4 * 3 * 300, "the sample catalogue is whole");
    let now = chrono::Utc::now().timestamp_millis() + 60_000;
    let audit = devkit::audit::audit(&db, now).await.unwrap();
    assert!(audit.violations.is_empty(), "{:#?}", audit.violations);
    let expired: BTreeSet<u64> = devkit::inspect::reservations(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.status == ReservationStatus::Expired)
        .map(|r| r.reserve_id)
        .collect();
    for id in &held {
        assert!(
            expired.contains(id),
            "hold {id} lapsed but was never cleaned up"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_emulator_serves_other_tools_on_emulator_addr() {
    let dir = temp_dir();
    let (port, emu_port) = (free_port(), free_port());
    let p = start(&dir, port, emu_port);
    ready(&p).await;
    let client = emulator::client_for(&format!("http://127.0.0.1:{emu_port}"));
    let tables = client.list_tables().send().await.unwrap();
    let names: BTreeSet<String> = tables.table_names().iter().cloned().collect();
    let template = Template::builtin().unwrap();
    for t in &template.tables {
        assert!(names.contains(&t.logical_id), "{} not served", t.logical_id);
    }
    terminate(p);
    let _ = std::fs::remove_dir_all(dir);
}

/// `env.json` points `sam local` at the default `EMULATOR_ADDR`, names the
/// local tables, and sets only variables the template declares (SAM
/// ignores the rest).
#[test]
fn env_json_wires_sam_local_to_the_emulator() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("env.json")).unwrap()).unwrap();
    let params = env["Parameters"].as_object().unwrap();
    let addr = shared::settings::default_of("EMULATOR_ADDR");
    assert_eq!(params["DYNAMODB_ENDPOINT"], format!("http://{addr}"));
    let local = Tables::default();
    let names = [
        &local.catalog,
        &local.queue,
        &local.reservations,
        &local.points,
        &local.idempotency,
        &local.jobs,
    ];
    for (var, name) in TABLE_ENV.iter().zip(names) {
        assert_eq!(params[*var], name.as_str(), "{var}");
    }
    let template = Template::builtin().unwrap();
    let declared = template.root["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap();
    for var in params.keys() {
        assert!(
            declared.contains_key(yaml_serde::Value::String(var.clone())),
            "{var} is not declared in the template, so sam local would ignore it"
        );
    }
}

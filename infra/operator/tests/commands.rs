//! The everyday organiser commands against a running local stack:
//! pausing, resuming and resizing the waiting room, a report, a
//! cancellation and a reconciliation round, each one API call.

use client::{Auth, Client as Api};
use local::settings::Settings;
use local::Stack;
use operator::commands::{human, Command};
use operator::Error;
use serde_json::json;
use shared::config::{Config, PaymentProvider};

async fn stack(config: Config) -> (Stack, Api) {
    let settings = Settings {
        admin_token: Some("operator-test".into()),
        ..Settings::ephemeral()
    };
    let stack = Stack::start(settings, config).await.expect("stack");
    let api = Api::new(&stack.url(), Auth::Bearer("operator-test".into())).expect("api");
    (stack, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_waiting_room_and_a_schedule_from_the_terminal() {
    let (stack, api) = stack(Config::default()).await;
    let status = Command::QueueStatus.run(&api).await.unwrap();
    assert_eq!(status["paused"], false);
    Command::QueuePause.run(&api).await.unwrap();
    assert_eq!(
        Command::QueueStatus.run(&api).await.unwrap()["paused"],
        true
    );
    Command::QueueResume.run(&api).await.unwrap();
    let resized = Command::QueueResize(7).run(&api).await.unwrap();
    assert_eq!(
        (resized["paused"].as_bool(), resized["maxActive"].as_u64()),
        (Some(false), Some(7))
    );
    assert!(human(&resized).contains("maxActive: 7"));
    // A concert's own room, made and changed from the terminal.
    let no_room = Command::RoomShow(1).run(&api).await.unwrap_err();
    assert!(
        no_room.to_string().contains("404 ROOM_NOT_FOUND"),
        "{no_room}"
    );
    let room = Command::RoomSet(1, json!({ "maxActive": 50, "admitPerSecond": 10 }))
        .run(&api)
        .await
        .unwrap();
    assert_eq!(
        (room["maxActive"].as_u64(), room["guard"].as_str()),
        (Some(50), Some("AUTO"))
    );
    let shown = Command::RoomShow(1).run(&api).await.unwrap();
    assert!(
        human(&shown).contains("admitPerSecond: 10"),
        "{}",
        human(&shown)
    );
    let report = Command::Report(1).run(&api).await.unwrap();
    assert_eq!(report["scheduleId"], 1);
    let repaired = Command::Repair(1).run(&api).await.unwrap();
    assert_eq!(
        (&repaired["jobRestarted"], &repaired["available"]),
        (&json!(false), &report["available"])
    );
    assert!(human(&repaired).contains("jobRestarted: false"));
    let cancelled = Command::CancelSchedule(1).run(&api).await.unwrap();
    assert!(cancelled.is_object());
    let unknown = Command::Report(999_999).run(&api).await.unwrap_err();
    assert!(
        matches!(unknown, Error::Refused { status: 404, .. }),
        "{unknown}"
    );
    let no_provider = Command::Reconcile.run(&api).await.unwrap_err();
    assert!(
        matches!(&no_provider, Error::Refused { status: 404, detail, .. } if detail.starts_with("NOT_FOUND")),
        "{no_provider}"
    );
    let wrong = Api::new(&stack.url(), Auth::Bearer("guess".into())).unwrap();
    assert!(Command::QueueStatus
        .run(&wrong)
        .await
        .unwrap_err()
        .to_string()
        .contains(": 401 ADMIN_UNAUTHORIZED"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_round_from_the_terminal() {
    let mut config = Config::default();
    config.payment.provider = PaymentProvider::Sandbox;
    let (stack, api) = stack(config).await;
    let round = Command::Reconcile.run(&api).await.unwrap();
    assert_eq!(round["pending"], 0);
    assert!(human(&round).contains("settledTopups: 0"));
    stack.stop().await;
}

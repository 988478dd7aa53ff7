//! The operator's command against a running local stack: the sample show
//! goes on sale, loading it again creates nothing twice, and a schedule
//! too big for one call is finished by the stack's background worker.

use client::{Auth, Client as Api};
use local::settings::Settings;
use local::Stack;
use shared::clock::ManualClock;
use shared::config::Config;
use std::sync::Arc;
use std::time::Duration;

/// 2026-01-01T00:00:00Z: well before the sample show.
const T0: i64 = 1_767_225_600_000;

async fn stack() -> (Stack, Api) {
    let settings = Settings {
        admin_token: Some("operator-test".into()),
        seed_sample_data: false,
        ..Settings::ephemeral()
    };
    let clock = Arc::new(ManualClock::at_ms(T0));
    let stack = Stack::start_with_clock(settings, Config::default(), clock)
        .await
        .expect("stack");
    let api = Api::new(&stack.url(), Auth::Bearer("operator-test".into())).expect("api");
    (stack, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_show_goes_on_sale_once() {
    let (stack, api) = stack().await;
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-show.json")).unwrap();
    let first = operator::load(&api, &file, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(first.schedules.len(), 2);
    assert!(first
        .schedules
        .iter()
        .all(|s| s.total_seats == 640 && s.ready_after.is_some()));
    let again = operator::load(&api, &file, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again.concert_id, first.concert_id);
    assert_eq!(
        again
            .schedules
            .iter()
            .map(|s| s.schedule_id)
            .collect::<Vec<_>>(),
        first
            .schedules
            .iter()
            .map(|s| s.schedule_id)
            .collect::<Vec<_>>()
    );
    // A wrong token is refused before anything is written.
    let intruder = Api::new(&stack.url(), Auth::Bearer("guess".into())).unwrap();
    let err = operator::load(&intruder, &file, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, operator::Error::Refused { status: 401, .. }),
        "{err}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_schedule_is_finished_by_the_stacks_worker() {
    let (stack, api) = stack().await;
    let show = serde_json::json!({
        "concert": {"title": "Big", "startDate": "2026-06-01", "endDate": "2026-06-01"},
        "schedules": [{"date": "2026-06-01",
                       "sections": [{"name": "A", "rows": 60, "seatsPerRow": 100, "price": 10}]}]
    });
    let out = operator::load(&api, show.to_string().as_bytes(), Duration::from_secs(120))
        .await
        .unwrap();
    assert!(out.schedules[0].ready_after.is_some(), "never READY");
    let id = out.schedules[0].schedule_id;
    let report = api
        .call(
            "GET",
            &format!("/admin/schedules/{id}/report"),
            None,
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(report.body["available"], 6_000, "{:?}", report.body);
    stack.stop().await;
}

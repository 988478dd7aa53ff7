//! The sale path's writes spread over many partition keys, as the
//! capacity model (docs/capacity.md) needs them to.

use crate::kit::{catalog, TestApp};
use devkit::capacity::{extrapolate, key_class, Measured, Target};
use shared::store::schema::PK;
use shared::store::str_attr;
use std::collections::{BTreeMap, BTreeSet};

/// Distinct partition keys of one class in a table.
async fn keys_of(h: &TestApp, table: &str, class: &str) -> BTreeSet<String> {
    devkit::inspect::scan(&h.app().db, table)
        .await
        .unwrap()
        .iter()
        .filter_map(|i| str_attr(i, PK))
        .filter(|pk| key_class(pk) == class)
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn seats_and_admission_slots_spread_over_many_partitions() {
    let h = std::sync::Arc::new(TestApp::with(|c| c.queue_max_active = 200).await);
    h.load(&catalog(1_000)).await;
    let catalog_table = h.app().db.tables.catalog.clone();
    // Schedule 1's 1,000 seats from seat 1: blocks 0–10, each its own
    // partition with its own seats-left record; schedules 2 and 3 have a
    // block each.
    assert_eq!(
        keys_of(&h, &catalog_table, "SCHEDULE#{id}#B{block}")
            .await
            .len(),
        11 + 2
    );
    assert_eq!(
        keys_of(&h, &catalog_table, "AVAIL#{id}#B{block}")
            .await
            .len(),
        11 + 2
    );
    // 200 admissions take slots in all 64 slot partitions.
    h.active_many("fan", 200).await;
    let queue = h.app().db.tables.queue.clone();
    assert_eq!(keys_of(&h, &queue, "SLOTS#{id}").await.len(), 64);
}

#[tokio::test]
async fn the_model_passes_a_hold_on_blocks_and_flags_one_partition() {
    let h = TestApp::with(|c| c.catalog_cache_ms = 60_000).await;
    h.load(&catalog(300)).await;
    let token = h.active("fan").await;
    let mut measure = Vec::new();
    for seat in [1, 150] {
        h.meter.reset();
        assert_eq!(h.reserve("fan", &token, 1, 1, seat).await.status, 201);
        measure.push(h.meter.footprints());
    }
    let hold = Measured {
        operation: "reserve".into(),
        cold: measure[0].clone(),
        warm: measure[1].clone(),
    };
    let target = |blocks| Target {
        rates: BTreeMap::from([("reserve".to_string(), 5_000.0)]),
        blocks,
        queue_shards: 128,
        slot_shards: 64,
        request_seconds: 0.05,
        per_fan_per_second: 1.0,
        rooms: 1,
    };
    let spread = extrapolate(std::slice::from_ref(&hold), &target(600));
    assert!(spread.iter().all(|l| !l.too_hot()), "{spread:#?}");
    // The same holds on a schedule kept in one partition: too hot.
    let one = extrapolate(&[hold], &target(1));
    assert!(
        one[0].too_hot() && one[0].class == "SCHEDULE#{id}#B{block}",
        "{one:#?}"
    );
}

//! Waiting rooms per on-sale (SPEC §12): the organiser's room, the public
//! commitment and its reveal, the pre-queue draw, the token's scope, and
//! each room's own cap and rate.

use crate::kit::{catalog, Resp, TestApp, T0};
use serde_json::{json, Value};
use shared::domain::draw::Seed;
use std::collections::{BTreeMap, HashMap};

/// `T0 + seconds` as the organiser writes it.
fn at(seconds: i64) -> String {
    shared::clock::format_ms(T0 + seconds * 1000)
}

async fn put_room(h: &TestApp, concert: u64, body: Value) -> Resp {
    h.admin(
        "PUT",
        &format!("/admin/concerts/{concert}/room"),
        Some(&body),
    )
    .await
}

async fn join(h: &TestApp, user: &str, concert: u64) -> Resp {
    let body = json!({ "userId": user, "concertId": concert });
    h.req("POST", "/queues", None, Some(&body)).await
}

async fn status(h: &TestApp, user: &str, token: &str) -> Resp {
    h.req("GET", &format!("/queues/{user}"), Some(token), None)
        .await
}

fn token_of(r: &Resp) -> String {
    r.body["tokenId"].as_str().expect("tokenId").to_string()
}

#[tokio::test]
async fn the_organiser_makes_a_room_and_fans_see_its_commitment_then_its_seed() {
    let h = TestApp::new().await;
    h.load(&catalog(5)).await;
    // A new room needs its size; an unknown concert has none.
    let r = put_room(&h, 1, json!({ "opensAt": at(60) })).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("INVALID_REQUEST"))
    );
    let r = put_room(&h, 9, json!({ "maxActive": 5 })).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("CONCERT_NOT_FOUND"))
    );
    for bad in [
        json!({ "maxActive": 0 }),
        json!({ "maxActive": 5, "admitPerSecond": 0 }),
    ] {
        assert_eq!(put_room(&h, 1, bad).await.status, 400);
    }
    let r = h.req("GET", "/concerts/1/room", None, None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("ROOM_NOT_FOUND"))
    );
    let r = h.admin("GET", "/admin/concerts/1/room", None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("ROOM_NOT_FOUND"))
    );

    let r = put_room(
        &h,
        1,
        json!({ "maxActive": 50, "admitPerSecond": 10, "opensAt": "2026-01-01T09:01:00+09:00" }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["opensAt"], at(60));
    assert_eq!(r.body["admitPerSecond"], 10);
    assert_eq!(
        (r.body["guard"].as_str(), r.body["guardState"].as_str()),
        (Some("AUTO"), Some("OK"))
    );
    // Changed field by field; `null` lifts the rate limit.
    let r = put_room(&h, 1, json!({ "admitPerSecond": null, "paused": true })).await;
    assert_eq!(
        (
            r.body["admitPerSecond"].clone(),
            r.body["maxActive"].clone()
        ),
        (Value::Null, json!(50))
    );
    assert_eq!(r.body["paused"], true);
    let concert = h.req("GET", "/concerts/1", None, None).await;
    assert_eq!(concert.body["hasRoom"], true);

    let public = h.req("GET", "/concerts/1/room", None, None).await;
    assert_eq!(public.status, 200);
    assert_eq!(
        public.body["seed"],
        Value::Null,
        "secret before the opening"
    );
    let hash = public.body["seedHash"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 64);

    h.advance_ms(60_000);
    let public = h.req("GET", "/concerts/1/room", None, None).await;
    let seed = Seed::from_hex(public.body["seed"].as_str().expect("published")).unwrap();
    assert_eq!(seed.hash_hex(), hash, "the seed is the one committed to");
    // Open now: the opening cannot move, though saying it again is fine.
    let r = put_room(&h, 1, json!({ "opensAt": at(600) })).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("ROOM_OPENED"))
    );
    assert_eq!(
        put_room(&h, 1, json!({ "opensAt": at(60) })).await.status,
        200
    );
}

/// Spearman's rank correlation of two orders of the same items.
fn spearman(a: &[String], b: &[String]) -> f64 {
    let rank: HashMap<&String, usize> = b.iter().enumerate().map(|(i, x)| (x, i)).collect();
    let n = a.len() as f64;
    let d2: f64 = a
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 - rank[x] as f64).powi(2))
        .sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

#[tokio::test]
async fn a_thousand_fans_who_join_before_the_opening_are_admitted_in_the_drawn_order() {
    let h = TestApp::with(|c| {
        // Nobody is ended as idle here: the test is about the order.
        c.queue_idle_seconds = 100_000;
        c.queue_active_seconds = 10;
        c.queue_active_idle_seconds = 100_000;
    })
    .await;
    h.load(&catalog(5)).await;
    let r = put_room(&h, 1, json!({ "maxActive": 100, "opensAt": at(120) })).await;
    assert_eq!(r.status, 200);

    // A thousand fans join one after another before the opening.
    let mut joined = Vec::new();
    let mut tokens = HashMap::new();
    for i in 0..1_000 {
        let user = format!("fan{i:04}");
        let r = join(&h, &user, 1).await;
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["priority"], Value::Null, "no place before the draw");
        assert_eq!(r.body["concertId"], 1);
        assert_eq!(r.body["opensAt"], at(120));
        let poll = r.body["pollAfterMs"].as_u64().unwrap();
        assert!((1_000..=30_000).contains(&poll), "{poll}");
        tokens.insert(user.clone(), token_of(&r));
        joined.push(user);
        if i % 100 == 0 {
            h.advance_ms(1_000);
        }
    }
    // Joining again or polling harder changes nothing.
    for user in joined.iter().take(50) {
        assert_eq!(join(&h, user, 1).await.status, 409);
        let r = status(&h, user, &tokens[user]).await;
        assert_eq!(r.body["priority"], Value::Null);
    }
    // Nobody is admitted before the opening.
    let rounds = h.rooms_round().await;
    assert_eq!(rounds[&1].admitted, 0);

    h.advance_ms(120_000);
    let seed = h.req("GET", "/concerts/1/room", None, None).await.body["seed"]
        .as_str()
        .map(|s| Seed::from_hex(s).unwrap())
        .expect("the seed is published at the opening");
    let mut drawn = joined.clone();
    drawn.sort_by_key(|u| seed.key(&tokens[u]));
    // Twenty fans join after the opening: behind every drawn one.
    let mut late = Vec::new();
    for i in 0..20 {
        let user = format!("late{i:02}");
        let r = join(&h, &user, 1).await;
        assert!(r.body["priority"].as_u64().is_some(), "a place: {r:?}");
        tokens.insert(user.clone(), token_of(&r));
        late.push(user);
        h.advance_ms(10);
    }

    let watched: Vec<&String> = joined.iter().step_by(97).collect();
    let mut last_place: BTreeMap<&String, u64> = BTreeMap::new();
    let mut admitted_order = Vec::new();
    let mut waiting: Vec<String> = joined.iter().chain(&late).cloned().collect();
    while !waiting.is_empty() {
        let round = h.rooms_round().await;
        let mut now_active = Vec::new();
        for user in &waiting {
            let t = h.app().db.token(&tokens[user]).await.unwrap().unwrap();
            if t.status != shared::domain::queue::TokenStatus::Wait {
                now_active.push(user.clone());
            }
        }
        assert_eq!(now_active.len(), round[&1].admitted);
        // Within a round everyone is admitted at once: the order is the set.
        now_active.sort_by_key(|u| drawn.iter().chain(&late).position(|d| d == u));
        admitted_order.extend(now_active.iter().cloned());
        waiting.retain(|u| !now_active.contains(u));
        // Places never grow.
        for user in &watched {
            if waiting.contains(user) {
                let r = status(&h, user, &tokens[*user]).await;
                let place = r.body["priority"]
                    .as_u64()
                    .expect("a place after the opening");
                if let Some(before) = last_place.insert(user, place) {
                    assert!(place <= before, "{user}: {before} → {place}");
                }
            }
        }
        h.advance_ms(11_000);
    }
    let expected: Vec<String> = drawn.iter().chain(&late).cloned().collect();
    assert_eq!(
        admitted_order, expected,
        "admission follows the draw, then arrival"
    );
    let rho = spearman(&joined, &drawn);
    println!("the draw: Spearman ρ with join order = {rho:.4} over 1,000 fans");
    assert!(
        rho.abs() < 0.15,
        "join order shows through the draw: ρ = {rho}"
    );
}

#[tokio::test]
async fn a_token_acts_only_on_its_own_rooms_concert() {
    let h = TestApp::new().await;
    h.load(&catalog(5)).await;
    assert_eq!(
        put_room(&h, 2, json!({ "maxActive": 10 })).await.status,
        200
    );
    // One fan in concert 2's room and in the default room.
    let in_room = token_of(&join(&h, "fan", 2).await);
    let default = h.join("fan").await;
    h.rooms_round().await;
    let r = status(&h, "fan", &in_room).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["concertId"].clone()),
        (Some("ACTIVE"), json!(2))
    );
    let r = status(&h, "fan", &default).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["concertId"].clone()),
        (Some("ACTIVE"), Value::Null)
    );

    let scope = |r: Resp| (r.status, r.body["code"].as_str().map(str::to_string));
    let refused = (403, Some("TOKEN_SCOPE".to_string()));
    let hold = |concert: u64, schedule: u64, seat: u64| json!({ "userId": "fan", "concertId": concert, "scheduleId": schedule, "seatId": seat });
    // Each token route, with the other room's token: refused.
    for (token, concert, schedule, seat) in [(&in_room, 1, 1, 1), (&default, 2, 3, 100_001)] {
        let r = h
            .req(
                "GET",
                &format!("/concerts/{concert}/schedules"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(scope(r), refused);
        for page in ["seats", "availability"] {
            let path = format!("/concerts/schedules/{schedule}/{page}");
            let r = h.req("GET", &path, Some(token), None).await;
            assert_eq!(scope(r), refused, "{page}");
        }
        let r = h
            .req(
                "POST",
                "/reservations",
                Some(token),
                Some(&hold(concert, schedule, seat)),
            )
            .await;
        assert_eq!(scope(r), refused);
    }
    // The 404s come first.
    let r = h
        .req(
            "POST",
            "/reservations",
            Some(&in_room),
            Some(&hold(1, 1, 99)),
        )
        .await;
    assert_eq!(r.status, 404);
    // Each token on its own concert.
    let r = h
        .req("GET", "/concerts/2/schedules", Some(&in_room), None)
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .req("GET", "/concerts/1/schedules", Some(&default), None)
        .await;
    assert_eq!(r.status, 200);
    let room_hold = h
        .req(
            "POST",
            "/reservations",
            Some(&in_room),
            Some(&hold(2, 3, 100_001)),
        )
        .await;
    assert_eq!(room_hold.status, 201, "{room_hold:?}");
    let default_hold = h
        .req(
            "POST",
            "/reservations",
            Some(&default),
            Some(&hold(1, 1, 1)),
        )
        .await;
    assert_eq!(default_hold.status, 201, "{default_hold:?}");
    // A hold is paid only with a token of the room it was made in.
    h.charge("fan", json!(1_000_000), None).await;
    let pay = |r: &Resp| json!({ "userId": "fan", "reserveId": r.body["reserveId"], "amount": r.body["price"] });
    let r = h
        .req("POST", "/payments", Some(&default), Some(&pay(&room_hold)))
        .await;
    assert_eq!(scope(r), refused);
    let r = h
        .req(
            "POST",
            "/payments",
            Some(&in_room),
            Some(&pay(&default_hold)),
        )
        .await;
    assert_eq!(scope(r), refused);
    let r = h
        .req("POST", "/payments", Some(&in_room), Some(&pay(&room_hold)))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = h
        .req(
            "POST",
            "/payments",
            Some(&default),
            Some(&pay(&default_hold)),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(h.audit().await, 2, "two seats sold, each once");
}

#[tokio::test]
async fn two_rooms_admit_at_once_each_at_its_own_rate_and_cap() {
    let h = TestApp::with(|c| {
        c.queue_tick_seconds = 1;
        c.queue_idle_seconds = 100_000;
    })
    .await;
    h.load(&catalog(5)).await;
    put_room(&h, 1, json!({ "maxActive": 1000, "admitPerSecond": 7 })).await;
    put_room(&h, 2, json!({ "maxActive": 12 })).await;
    for i in 0..40 {
        assert_eq!(join(&h, &format!("a{i}"), 1).await.status, 201);
        assert_eq!(join(&h, &format!("b{i}"), 2).await.status, 201);
    }
    let mut admitted: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for _ in 0..4 {
        for (room, r) in h.rooms_round().await {
            admitted.entry(room).or_default().push(r.admitted);
        }
        h.advance_ms(1_000);
    }
    // Seven a second in the stadium; twelve at once in the club, then full.
    assert_eq!(admitted[&1], vec![7, 7, 7, 7]);
    assert_eq!(admitted[&2], vec![12, 0, 0, 0]);
    assert_eq!(admitted[&0], vec![0, 0, 0, 0]);
    // A paused room admits nobody, however many slots are free.
    put_room(&h, 2, json!({ "paused": true, "maxActive": 40 })).await;
    let r = h.rooms_round().await;
    assert_eq!(
        (r[&2].admitted, r[&2].held),
        (0, Some(shared::jobs::activator::Held::Paused))
    );
    let room = h.admin("GET", "/admin/concerts/2/room", None).await;
    assert_eq!(
        (room.body["active"].clone(), room.body["waiting"].clone()),
        (json!(12), json!(28))
    );
    let (admitted, prequeued) = (&room.body["admitted"], &room.body["prequeued"]);
    assert_eq!((admitted, prequeued), (&json!(12), &json!(0)));
}

#[tokio::test]
async fn the_guard_holds_admission_while_the_sale_path_is_busy_and_lets_go_after() {
    use devkit::faults::Fault;
    use shared::jobs::activator::Held;
    let h = TestApp::with(|c| {
        c.queue_idle_seconds = 100_000;
        // A throttled call gives up soon: the test is about the answers.
        c.dynamodb_attempt_timeout_ms = 100;
        c.dynamodb_timeout_ms = 200;
    })
    .await;
    h.load(&catalog(5)).await;
    put_room(&h, 1, json!({ "maxActive": 100 })).await;
    put_room(&h, 2, json!({ "maxActive": 100, "guard": "OFF" })).await;
    for i in 0..10 {
        join(&h, &format!("a{i}"), 1).await;
        join(&h, &format!("b{i}"), 2).await;
    }
    let share = h.gw.busy.clone();
    let mut verdict = local::guard::Verdict::default();
    assert!(!verdict.judge(h.app(), &share, 0.05).await);
    // DynamoDB throttles every call: the sale path answers 503 BUSY.
    h.faults.from_call(0, Fault::Throttle);
    for i in 0..25 {
        let r = join(&h, &format!("c{i}"), 1).await;
        assert_eq!((r.status, r.body["code"].as_str()), (503, Some("BUSY")));
    }
    h.faults.clear();
    assert!(verdict.judge(h.app(), &share, 0.05).await, "25 of 25 busy");
    let rounds = h.rooms_round().await;
    assert_eq!(
        (rounds[&1].admitted, rounds[&1].held),
        (0, Some(Held::Guard))
    );
    assert_eq!(rounds[&2].admitted, 10, "a room with the guard OFF admits");
    let room = h.admin("GET", "/admin/concerts/1/room", None).await;
    assert_eq!(room.body["guardState"], "HOLDING");
    // Ten seconds of calm answers later it clears, and admission resumes.
    h.advance_ms(10_000);
    for i in 0..20 {
        assert_eq!(join(&h, &format!("d{i}"), 1).await.status, 201);
    }
    assert!(!verdict.judge(h.app(), &share, 0.05).await);
    let room = h.admin("GET", "/admin/concerts/1/room", None).await;
    assert_eq!(room.body["guardState"], "OK");
    let rounds = h.rooms_round().await;
    assert_eq!((rounds[&1].admitted, rounds[&1].held), (30, None));
}

#[tokio::test]
async fn the_guard_function_records_the_alarms_it_follows() {
    let named = "concert-QueueTableThrottlesAlarm-ABC123";
    let h = TestApp::with(|c| c.admission_guard_alarms = vec![named.to_string()]).await;
    let event = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/guard.json"),
    )
    .unwrap();
    let change: shared::jobs::guard::AlarmChange = serde_json::from_str(&event).unwrap();
    shared::jobs::guard::handle(h.app(), change).await.unwrap();
    assert!(h.app().db.guard_holding().await.unwrap());
    // An alarm it does not follow changes nothing; its own OK clears it.
    let other = event
        .replace(named, "someone-elses-alarm")
        .replace("\"ALARM\"", "\"OK\"");
    let change = serde_json::from_str(&other).unwrap();
    shared::jobs::guard::handle(h.app(), change).await.unwrap();
    assert!(h.app().db.guard_holding().await.unwrap());
    let cleared = event.replace("\"value\": \"ALARM\"", "\"value\": \"INSUFFICIENT_DATA\"");
    let change = serde_json::from_str(&cleared).unwrap();
    shared::jobs::guard::handle(h.app(), change).await.unwrap();
    assert!(
        !h.app().db.guard_holding().await.unwrap(),
        "no data is no distress"
    );
}

#[tokio::test]
async fn a_sold_out_room_admits_nobody_and_says_so_until_seats_come_back() {
    use shared::domain::availability::{SeatChange, SeatEvent};
    use shared::jobs::activator::Held;
    let h = TestApp::new().await;
    h.load(&catalog(5)).await;
    put_room(&h, 2, json!({ "maxActive": 100 })).await;
    let token = token_of(&join(&h, "fan", 2).await);
    // Every seat of concert 2's one schedule sold, as the seats-left
    // consumer records sales.
    let event = |seat_id, change| SeatEvent {
        schedule_id: 3,
        seat_id,
        until: T0 + 1,
        change,
    };
    for seat in 100_001..=100_010 {
        assert!(h
            .app()
            .db
            .apply_seat_event(&event(seat, SeatChange::Sold))
            .await
            .unwrap());
    }
    let r = h.rooms_round().await;
    assert_eq!((r[&2].admitted, r[&2].held), (0, Some(Held::SoldOut)));
    let r = status(&h, "fan", &token).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["soldOut"].clone()),
        (Some("WAIT"), json!(true))
    );
    let public = h.req("GET", "/concerts/2/room", None, None).await;
    assert_eq!(public.body["soldOut"], true);
    // A ticket is returned: the room opens its doors again.
    h.app()
        .db
        .apply_seat_event(&event(100_004, SeatChange::Refunded))
        .await
        .unwrap();
    let r = h.rooms_round().await;
    assert_eq!((r[&2].admitted, r[&2].held), (1, None));
    let r = status(&h, "fan", &token).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["soldOut"].clone()),
        (Some("ACTIVE"), json!(false))
    );
}

#[tokio::test]
async fn pre_queued_fans_are_not_ended_as_idle_before_a_minute_past_the_opening() {
    let h = TestApp::with(|c| c.queue_idle_seconds = 40).await;
    h.load(&catalog(5)).await;
    put_room(&h, 1, json!({ "maxActive": 100, "opensAt": at(10) })).await;
    let early = token_of(&join(&h, "early", 1).await);
    // A fan of the default room who stops polling, for comparison.
    h.join("gone").await;
    // Fifty seconds past the opening, a minute without a poll: the drawn fan
    // is let in, the default room's idle fan is not.
    h.advance_ms(60_000);
    let r = h.rooms_round().await;
    assert_eq!((r[&1].admitted, r[&1].skipped), (1, 0));
    assert_eq!((r[&0].admitted, r[&0].skipped), (0, 1));
    assert_eq!(status(&h, "early", &early).await.body["status"], "ACTIVE");
}

#[tokio::test]
async fn a_rooms_own_invocation_admits_it_and_ends_early_with_nobody_left_waiting() {
    use shared::jobs::admissions::Scope;
    let h = TestApp::with(|c| c.queue_tick_seconds = 1).await;
    h.load(&catalog(5)).await;
    put_room(&h, 2, json!({ "maxActive": 10 })).await;
    let token = token_of(&join(&h, "fan", 2).await);
    // A minute's budget; the room is done after its first round.
    let run = h
        .admissions
        .run_for(h.app(), std::time::Duration::from_secs(55), Scope::Room(2));
    let admitted = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("an idle room's invocation ends early")
        .unwrap();
    assert_eq!(admitted, 1);
    assert_eq!(status(&h, "fan", &token).await.body["status"], "ACTIVE");
    // A room opening in an hour needs nobody yet.
    put_room(&h, 1, json!({ "maxActive": 10, "opensAt": at(3_600) })).await;
    let run = h
        .admissions
        .run_for(h.app(), std::time::Duration::from_secs(55), Scope::Room(1));
    tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("a room opening later ends early")
        .unwrap();
}

/// Everything one room's fans and activator touch, as partition keys
/// (index partitions as `{index}:{key}` where the call names the key; an
/// index write's key is not shown, so it is left out).
async fn keys_of_a_room(
    h: &TestApp,
    concert: u64,
    schedule: u64,
    seat: u64,
    fan: &str,
) -> std::collections::BTreeSet<String> {
    h.meter.reset();
    let token = token_of(&join(h, fan, concert).await);
    h.admissions
        .room(concert)
        .unwrap()
        .round(h.app())
        .await
        .unwrap();
    status(h, fan, &token).await;
    h.req(
        "GET",
        &format!("/concerts/{concert}/schedules"),
        Some(&token),
        None,
    )
    .await;
    h.req(
        "GET",
        &format!("/concerts/schedules/{schedule}/seats"),
        Some(&token),
        None,
    )
    .await;
    let body = json!({"userId": fan, "concertId": concert, "scheduleId": schedule, "seatId": seat});
    let hold = h
        .req("POST", "/reservations", Some(&token), Some(&body))
        .await;
    assert_eq!(hold.status, 201, "{hold:?}");
    h.charge(fan, json!(1_000_000), None).await;
    let pay =
        json!({"userId": fan, "reserveId": hold.body["reserveId"], "amount": hold.body["price"]});
    assert_eq!(
        h.req("POST", "/payments", Some(&token), Some(&pay))
            .await
            .status,
        201
    );
    h.admissions
        .room(concert)
        .unwrap()
        .round(h.app())
        .await
        .unwrap();
    h.meter
        .footprints()
        .into_iter()
        .filter(|f| f.pk != "*")
        .map(|f| match f.index {
            Some(i) => format!("{i}:{}", f.pk),
            None => f.pk,
        })
        .collect()
}

#[tokio::test]
async fn two_rooms_share_no_key_but_the_few_every_room_reads() {
    let h = TestApp::new().await;
    h.load(&catalog(5)).await;
    put_room(&h, 1, json!({ "maxActive": 10 })).await;
    put_room(&h, 2, json!({ "maxActive": 10 })).await;
    // Each room's first rounds count its line: then the sale.
    h.rooms_round().await;
    let one = keys_of_a_room(&h, 1, 1, 1, "stadium-fan").await;
    let two = keys_of_a_room(&h, 2, 3, 100_001, "club-fan").await;
    let shared: Vec<String> = one
        .intersection(&two)
        .map(|k| devkit::capacity::key_class(k))
        .collect();
    assert!(!one.is_empty() && !two.is_empty());
    for class in &shared {
        assert!(
            devkit::capacity::shared_by_rooms(class),
            "rooms share {class}: {shared:?}"
        );
    }
}

//! The waiting room: joins under a flash crowd, admission order and
//! capacity, exact expiry, and the token gate.

use crate::kit::{catalog, TestApp};
use futures::future::join_all;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

async fn join_raw(h: &TestApp, user: &str) -> crate::kit::Resp {
    h.req("POST", "/queues", None, Some(&json!({ "userId": user })))
        .await
}

async fn status(h: &TestApp, user: &str, token: &str) -> crate::kit::Resp {
    h.req("GET", &format!("/queues/{user}"), Some(token), None)
        .await
}

async fn flash_crowd(shards: u32) {
    let h = Arc::new(TestApp::with(|c| c.queue_shards = shards).await);
    let tasks = (0..2_000).map(|i| {
        let h = h.clone();
        tokio::spawn(async move { join_raw(&h, &format!("fan{i}")).await })
    });
    let replies: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut positions = BTreeSet::new();
    let mut tokens = BTreeSet::new();
    for r in &replies {
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["status"], "WAIT");
        assert!(r.body["activeAt"].is_null() && r.body["expireAt"].is_null());
        positions.insert(r.body["priority"].as_u64().unwrap());
        tokens.insert(r.body["tokenId"].as_str().unwrap().to_string());
    }
    assert_eq!(positions.len(), 2_000, "positions are not distinct");
    assert_eq!(tokens.len(), 2_000);
    assert!(positions.iter().all(|p| *p >= 1));
    // Token ids are random UUIDs, unrelated to the user.
    for t in &tokens {
        assert_eq!(uuid::Uuid::parse_str(t).unwrap().get_version_num(), 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_joins_get_distinct_positions() {
    flash_crowd(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_joins_over_sixteen_shards() {
    flash_crowd(16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_joining_fifty_times_at_once_gets_one_token() {
    let h = Arc::new(TestApp::new().await);
    let tasks = (0..50).map(|_| {
        let h = h.clone();
        tokio::spawn(async move { join_raw(&h, "eager").await })
    });
    let replies: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts: Vec<_> = replies.iter().filter(|r| r.status == 409).collect();
    assert_eq!(created, 1);
    assert_eq!(conflicts.len(), 49);
    assert_eq!(conflicts[0].body["message"], "이미 토큰이 존재합니다.");
    assert_eq!(conflicts[0].body["status"], "CONFLICT");
}

#[tokio::test]
async fn waiting_users_poll_their_position() {
    let h = TestApp::with(|c| c.queue_max_active = 2).await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        tokens.push(h.join(&format!("w{i}")).await);
    }
    let r = status(&h, "w3", &tokens[3]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        (r.body["status"].as_str(), r.body["priority"].as_u64()),
        (Some("WAIT"), Some(4))
    );
    assert!(r.body["estimatedWaitSeconds"].as_u64().is_some());
    // Every WAIT reply says when to ask again, in the body and the header.
    let joined = join_raw(&h, "w5").await;
    for r in [&r, &joined] {
        let ms = r.body["pollAfterMs"].as_u64().expect("pollAfterMs");
        assert!((1_000..=30_000).contains(&ms), "{r:?}");
        assert_eq!(r.retry_after, Some(ms.div_ceil(1000)));
    }
    h.admission_round().await;
    let r = status(&h, "w3", &tokens[3]).await;
    assert_eq!(r.body["priority"], 2, "two were admitted ahead: {r:?}");
    let r = status(&h, "w0", &tokens[0]).await;
    assert_eq!(r.body["status"], "ACTIVE");
    assert_eq!(r.body["priority"], 0);
    assert!(r.body.get("pollAfterMs").is_none() && r.retry_after.is_none());
    let issued =
        chrono::DateTime::parse_from_rfc3339(r.body["activeAt"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(r.body["expireAt"].as_str().unwrap()).unwrap();
    assert_eq!((expires - issued).num_seconds(), 300);

    // Polling needs the user's own token.
    assert_eq!(h.req("GET", "/queues/w3", None, None).await.status, 401);
    assert_eq!(status(&h, "w3", "not-a-uuid").await.status, 401);
    assert_eq!(
        status(&h, "w3", &uuid::Uuid::new_v4().to_string())
            .await
            .status,
        401
    );
    assert_eq!(status(&h, "w3", &tokens[4]).await.status, 403);
    assert_eq!(status(&h, "bad user", &tokens[3]).await.status, 400);
}

/// A refused join takes no ticket: forty re-joins by a waiting fan leave
/// the next fan second in line, with a wait to match.
#[tokio::test]
async fn a_refused_join_moves_nobody_back() {
    let h = TestApp::with(|c| c.queue_max_active = 1).await;
    let first = h.join("eager").await;
    for _ in 0..40 {
        let r = join_raw(&h, "eager").await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (409, Some("TOKEN_EXISTS")),
            "{r:?}"
        );
    }
    let next = join_raw(&h, "next").await;
    assert_eq!(next.status, 201, "{next:?}");
    assert_eq!(next.body["priority"], 2, "{next:?}");
    assert!(
        next.body["estimatedWaitSeconds"].as_u64().unwrap() <= 30,
        "{next:?}"
    );
    assert_eq!(status(&h, "eager", &first).await.body["priority"], 1);
    // Once admitted and over, the fan may join again (at the back).
    h.admission_round().await;
    h.advance_ms(300_000);
    assert_eq!(join_raw(&h, "eager").await.status, 201);
}

/// A waiting fan who stops polling for `QUEUE_IDLE_SECONDS` leaves the
/// line at the next round: the place clears itself, the fans behind move
/// up exactly, and the fan may join again at the back. Polling keeps it.
#[tokio::test]
async fn an_abandoned_place_clears_itself() {
    let h = TestApp::with(|c| {
        c.queue_max_active = 1;
        c.queue_idle_seconds = 120;
    })
    .await;
    let updates = |h: &TestApp| h.meter.snapshot().get("UpdateItem").map_or(0, |u| u.calls);
    let blocker = h.active("blocker").await;
    let gone = h.join("gone").await;
    let keen = h.join("keen").await;
    let later = h.join("later").await;
    assert_eq!(status(&h, "later", &later).await.body["priority"], 3);
    // Polls a few seconds apart write the mark once.
    let writes = updates(&h);
    h.advance_ms(1_000);
    status(&h, "keen", &keen).await;
    status(&h, "keen", &keen).await;
    assert_eq!(updates(&h), writes, "a fresh mark was rewritten");
    // keen and later poll every 30 s until the blocker's 5 minutes are
    // over; gone never does.
    for _ in 0..10 {
        h.advance_ms(30_000);
        assert_eq!(status(&h, "keen", &keen).await.status, 200);
        assert_eq!(status(&h, "later", &later).await.status, 200);
    }
    assert!(updates(&h) > writes, "no poll refreshed its mark");
    // The round skips gone and admits keen.
    let round = h.admission_round().await;
    assert_eq!((round.admitted, round.skipped), (1, 1), "{round:?}");
    assert_eq!(status(&h, "keen", &keen).await.body["status"], "ACTIVE");
    let r = status(&h, "later", &later).await;
    assert_eq!(r.body["priority"], 1, "{r:?}");
    assert_eq!(status(&h, "gone", &gone).await.status, 401);
    let back = join_raw(&h, "gone").await;
    assert_eq!(
        (back.status, back.body["priority"].as_u64()),
        (201, Some(2)),
        "{back:?}"
    );
    assert_eq!(status(&h, "blocker", &blocker).await.status, 401);
}

/// Fans who were admitted and left give their slots back after
/// `QUEUE_ACTIVE_IDLE_SECONDS` without waiting out their 5 minutes; a fan
/// still browsing, or one holding a seat, keeps theirs.
#[tokio::test]
async fn an_admitted_fan_who_left_gives_the_slot_back() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_max_active = 3;
            c.queue_active_idle_seconds = 60;
        })
        .await,
    );
    h.load(&catalog(10)).await;
    let fans = h.active_many("left", 3).await;
    let (browsing, holding, gone) = (&fans[0], &fans[1], &fans[2]);
    h.reserve(&holding.0, &holding.1, 1, 1, 1).await;
    let next = h.join("next").await;
    for _ in 0..4 {
        h.advance_ms(20_000);
        let r = h
            .req("GET", "/concerts/1/schedules", Some(&browsing.1), None)
            .await;
        assert_eq!(r.status, 200);
    }
    let round = h.admission_round().await;
    assert_eq!((round.released, round.admitted), (1, 1), "{round:?}");
    assert_eq!(status(&h, "next", &next).await.body["status"], "ACTIVE");
    assert_eq!(status(&h, &gone.0, &gone.1).await.status, 401);
    for kept in [browsing, holding] {
        assert_eq!(status(&h, &kept.0, &kept.1).await.body["status"], "ACTIVE");
    }
    h.audit().await;
}

/// SPEC §7: an admitted fan who only watches their status, or is paying,
/// is still there — both keep the slot's last-seen mark, so neither loses
/// the slot to the idle release.
#[tokio::test]
async fn polling_or_paying_keeps_an_admitted_fans_slot() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_max_active = 2;
            c.queue_active_idle_seconds = 60;
        })
        .await,
    );
    h.load(&catalog(10)).await;
    let fans = h.active_many("kept", 2).await;
    let (polling, paying) = (&fans[0], &fans[1]);
    let next = h.join("next").await;
    for _ in 0..4 {
        h.advance_ms(20_000);
        assert_eq!(status(&h, &polling.0, &polling.1).await.status, 200);
        // A payment, even one refused (no such reservation here), is the
        // fan at work.
        let body = json!({"userId": paying.0, "reserveId": 1, "amount": 1});
        let r = h
            .req("POST", "/payments", Some(&paying.1), Some(&body))
            .await;
        assert_eq!(r.status, 404, "{r:?}");
    }
    let round = h.admission_round().await;
    assert_eq!((round.released, round.admitted), (0, 0), "{round:?}");
    for kept in [polling, paying] {
        assert_eq!(status(&h, &kept.0, &kept.1).await.body["status"], "ACTIVE");
    }
    assert_eq!(status(&h, "next", &next).await.body["status"], "WAIT");
}

/// The pace a round publishes counts everyone who left the line, skipped
/// as idle or admitted: behind thirty abandoned places the fans who poll
/// are told seconds, not the minutes one admission a round would take.
#[tokio::test]
async fn the_wait_estimate_counts_the_abandoned_places_that_left() {
    let h = TestApp::with(|c| {
        c.queue_max_active = 10;
        c.queue_active_seconds = 300;
        c.queue_idle_seconds = 40;
    })
    .await;
    for i in 0..30 {
        h.join(&format!("gone{i}")).await;
    }
    h.advance_ms(30_000);
    let mut waiting = Vec::new();
    for i in 0..20 {
        let user = format!("here{i:02}");
        let token = h.join(&user).await;
        waiting.push((user, token));
    }
    h.advance_ms(15_000);
    for (user, token) in &waiting {
        assert_eq!(status(&h, user, token).await.status, 200);
    }
    let round = h.admission_round().await;
    assert_eq!((round.skipped, round.admitted), (30, 10), "{round:?}");
    // The last fan is tenth in line; the round moved 40 places in a tick
    // (one admission a slot would have said 10 s at the default tick).
    let (user, token) = &waiting[19];
    let r = status(&h, user, token).await;
    assert_eq!(r.body["priority"], 10, "{r:?}");
    let tick = h.app().config.queue_tick_seconds;
    let expected = tick + (9.0 * tick as f64 / 40.0).ceil() as u64;
    assert_eq!(r.body["estimatedWaitSeconds"], expected, "{r:?}");
}

#[tokio::test]
async fn admission_follows_issue_order_and_capacity() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_max_active = 5;
            c.queue_active_seconds = 60;
            c.queue_shards = 4;
            // Order and capacity only: nobody here is idle.
            c.queue_idle_seconds = 100_000;
        })
        .await,
    );
    let mut tickets: Vec<(u64, String, String)> = Vec::new();
    for i in 0..23 {
        let user = format!("q{i:02}");
        let r = join_raw(&h, &user).await;
        tickets.push((
            r.body["priority"].as_u64().unwrap(),
            user,
            r.body["tokenId"].as_str().unwrap().into(),
        ));
    }
    tickets.sort();
    let order: Vec<String> = tickets.iter().map(|t| t.1.clone()).collect();
    let tokens: HashMap<String, String> =
        tickets.iter().map(|t| (t.1.clone(), t.2.clone())).collect();

    // Three rounds racing each other still admit exactly five, the first five.
    let rounds = (0..3).map(|_| {
        let h = h.clone();
        tokio::spawn(async move { h.admission_round().await })
    });
    join_all(rounds).await;
    let active = h.active_users().await;
    assert_eq!(active, order[..5].iter().cloned().collect());

    // No free slot, nobody new.
    h.admission_round().await;
    assert_eq!(h.active_users().await.len(), 5);

    // Ending one early frees its slot for the next in line.
    let first = devkit::inspect::user_token(&h.app().db, &order[0])
        .await
        .unwrap()
        .unwrap();
    assert!(h
        .app()
        .db
        .end_token(&first, h.app().now_ms())
        .await
        .unwrap());
    assert_eq!(status(&h, &order[0], &tokens[&order[0]]).await.status, 401);
    h.admission_round().await;
    let active = h.active_users().await;
    assert_eq!(active, order[1..6].iter().cloned().collect());

    // Tokens end exactly at their expiry: one millisecond before, still on.
    h.advance_ms(60_000 - 1);
    assert_eq!(status(&h, &order[1], &tokens[&order[1]]).await.status, 200);
    h.advance_ms(1);
    let r = status(&h, &order[1], &tokens[&order[1]]).await;
    assert_eq!(r.status, 401, "{r:?}");
    // The early admitted at t0 expired together; the sixth (admitted later, at t0 too) as well.
    assert!(h.active_users().await.is_empty());
    h.admission_round().await;
    assert_eq!(
        h.active_users().await,
        order[6..11].iter().cloned().collect()
    );

    // An expired user may join again, at the back.
    let again = join_raw(&h, &order[1]).await;
    assert_eq!(again.status, 201, "{again:?}");
    // Everyone is admitted in order, five at a time.
    let mut admitted: Vec<String> = order[..11].to_vec();
    while admitted.len() < 24 {
        h.advance_ms(60_000);
        h.admission_round().await;
        let now_active = h.active_users().await;
        assert!(now_active.len() <= 5);
        let mut batch: Vec<String> = now_active.into_iter().collect();
        // Within a round, order by first join; a re-joined user comes last.
        batch.sort_by_key(|u| match admitted.contains(u) {
            true => usize::MAX,
            false => order.iter().position(|o| o == u).unwrap_or(usize::MAX),
        });
        if batch.is_empty() {
            break;
        }
        admitted.extend(batch);
    }
    let expected: Vec<String> = order
        .iter()
        .cloned()
        .chain(std::iter::once(order[1].clone()))
        .collect();
    assert_eq!(admitted, expected);
}

/// A request to one protected endpoint acting for `user` with `token`.
async fn protected(
    h: &TestApp,
    endpoint: &str,
    user: &str,
    token: Option<&str>,
    auth: Option<&str>,
) -> crate::kit::Resp {
    let headers: Vec<(&str, String)> = match (token, auth) {
        (_, Some(raw)) => vec![("authorization", raw.to_string())],
        (Some(t), None) => vec![("authorization", format!("Bearer {t}"))],
        (None, None) => vec![],
    };
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (method, path, body) = match endpoint {
        "schedules" => ("GET", "/concerts/1/schedules", None),
        "seats" => ("GET", "/concerts/schedules/1/seats", None),
        "reservations" => (
            "POST",
            "/reservations",
            Some(json!({"userId": user, "concertId": 1, "scheduleId": 1, "seatId": 2})),
        ),
        _ => (
            "POST",
            "/payments",
            Some(json!({"userId": user, "reserveId": 1, "amount": 1})),
        ),
    };
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    h.raw(method, path, None, body, &headers).await
}

#[tokio::test]
async fn the_gate_refuses_every_wrong_token_on_every_protected_endpoint() {
    let h = TestApp::with(|c| {
        c.queue_max_active = 2;
        c.queue_active_seconds = 60;
    })
    .await;
    h.load(&catalog(3)).await;
    let mine = h.join("me").await;
    let others = h.join("other").await;
    h.admission_round().await;
    let waiting = h.join("patient").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let endpoints = ["schedules", "seats", "reservations", "payments"];
    for e in endpoints {
        // The right token passes the gate: the endpoint's own answer.
        let ok = protected(&h, e, "me", Some(&mine), None).await;
        let expected = if e == "payments" {
            404
        } else if e == "reservations" {
            201
        } else {
            200
        };
        assert_eq!(ok.status, expected, "{e}: {ok:?}");
        for (case, auth) in [
            ("missing", None),
            ("wrong scheme", Some("Basic abc")),
            ("empty bearer", Some("Bearer ")),
            ("malformed", Some("Bearer not-a-token")),
        ] {
            let r = protected(&h, e, "me", None, auth).await;
            assert_eq!(
                (r.status, r.body["status"].as_str()),
                (401, Some("UNAUTHORIZED")),
                "{e} {case}: {r:?}"
            );
        }
        let r = protected(&h, e, "me", Some(&unknown), None).await;
        assert_eq!(r.status, 401, "{e} unknown: {r:?}");
        let r = protected(&h, e, "patient", Some(&waiting), None).await;
        // A payment's token is the fan's proof, whatever its state: the
        // hold says whether it may pay (SPEC §7), so a missing one is 404.
        let refused = match e {
            "payments" => (404, Some("NOT_FOUND")),
            _ => (403, Some("FORBIDDEN")),
        };
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            refused,
            "{e} waiting: {r:?}"
        );
        if e == "reservations" || e == "payments" {
            // Another user's ACTIVE token acts for nobody else.
            let r = protected(&h, e, "me", Some(&others), None).await;
            assert_eq!(r.status, 403, "{e} another user's token: {r:?}");
        }
    }
    h.clock.advance_secs(60);
    for e in endpoints {
        let r = protected(&h, e, "me", Some(&mine), None).await;
        let refused = match e {
            "payments" => (404, Some("NOT_FOUND")),
            _ => (401, Some("UNAUTHORIZED")),
        };
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            refused,
            "{e} expired: {r:?}"
        );
    }
}

#[tokio::test]
async fn the_gate_reads_one_item() {
    let h = TestApp::with(|c| c.queue_max_active = 1).await;
    h.load(&crate::kit::catalog(10)).await;
    let active = h.active("in").await;
    let waiting = h.join("out").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let hold = |user: &str| json!({"userId": user, "concertId": 1, "scheduleId": 1, "seatId": 1});
    let refused = [
        (
            "GET",
            "/concerts/schedules/1/seats".to_string(),
            &waiting,
            None,
            403,
        ),
        (
            "GET",
            "/concerts/1/schedules".to_string(),
            &unknown,
            None,
            401,
        ),
        (
            "POST",
            "/reservations".to_string(),
            &active,
            Some(hold("out")),
            403,
        ),
    ];
    for (method, path, token, body, code) in refused {
        h.meter.reset();
        let r = h.req(method, &path, Some(token), body.as_ref()).await;
        assert_eq!(r.status, code, "{r:?}");
        let calls = h.meter.snapshot();
        assert_eq!(calls.values().map(|u| u.calls).sum::<u64>(), 1, "{calls:?}");
        assert_eq!(calls.get("GetItem").map(|u| u.calls), Some(1));
    }
    // Let through, the gate is still one read: the seat page adds the
    // schedule and its concert (the token's scope; both from the catalogue
    // cache in service, see hot_catalogue_reads_come_from_the_cache) and
    // its seat query.
    h.meter.reset();
    let r = h
        .req("GET", "/concerts/schedules/1/seats", Some(&active), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.meter.snapshot().get("GetItem").map(|u| u.calls), Some(3));
    // A status poll is two reads of half a unit each: the token, then
    // the counter shard of its own room (so no room's polls read another
    // room's shards).
    h.meter.reset();
    assert_eq!(status(&h, "out", &waiting).await.status, 200);
    let reads = h.meter.snapshot();
    assert_eq!(
        reads.get("GetItem").map(|u| (u.calls, u.read_units)),
        Some((2, 1.0))
    );
    assert_eq!(h.meter.total().calls, 2);
}

/// Two activators at once (overlapping invocations, or a process frozen
/// past its lease): in every round exactly one holds the lease and admits,
/// the other stands by; tenures change hands as leases run out; and the
/// line's published count equals, exactly, everyone who has left it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_activators_at_once_keep_one_exact_count_of_the_line() {
    let h = Arc::new(
        TestApp::with(|c| {
            c.queue_max_active = 100;
            c.queue_active_seconds = 60;
            c.queue_shards = 4;
            // Nobody here polls; nobody is skipped for it.
            c.queue_idle_seconds = 100_000;
        })
        .await,
    );
    let joins = (0..600).map(|i| {
        let h = h.clone();
        tokio::spawn(async move { join_raw(&h, &format!("two{i}")).await.status })
    });
    assert!(join_all(joins).await.into_iter().all(|s| s.unwrap() == 201));
    let other = shared::jobs::activator::Activator::new(&shared::domain::ids::OsEntropy);
    let activators = [&h.activator, &other];
    let (mut admitted, mut tenures, mut last) = (0, BTreeSet::new(), 0);
    for n in 0..5 {
        let rounds = match n {
            // The last holder is gone for good (frozen, or its invocation
            // ended): once its lease ran out, the other takes over alone.
            2 => {
                let alone = activators[1 - last].round(h.app()).await.unwrap();
                if last == 0 {
                    [None, alone]
                } else {
                    [alone, None]
                }
            }
            _ => {
                let (a, b) = tokio::join!(h.activator.round(h.app()), other.round(h.app()));
                [a.unwrap(), b.unwrap()]
            }
        };
        let held: Vec<_> = rounds
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_some())
            .collect();
        assert_eq!(held.len(), 1, "round {n}: one holder: {rounds:?}");
        let (who, round) = held[0];
        (last, _) = (who, tenures.insert(who));
        let round = round.as_ref().unwrap();
        assert_eq!(round.admitted, 100, "round {n}: {round:?}");
        admitted += round.admitted;
        // Every admission window and every lease runs out.
        h.advance_ms(61_000);
    }
    assert_eq!(tenures.len(), 2, "both activators held the lease in turn");
    let tokens = devkit::inspect::tokens(&h.app().db).await.unwrap();
    let waiting = tokens
        .iter()
        .filter(|t| t.status == shared::domain::queue::TokenStatus::Wait)
        .count();
    let ever_active = tokens.iter().filter(|t| t.active_at.is_some()).count();
    assert_eq!(ever_active, admitted, "each admission counted once");
    let totals = h.app().db.line_totals(0, 4).await.unwrap();
    assert_eq!(totals.issued, 600);
    assert_eq!(
        totals.left as usize,
        600 - waiting,
        "the published count is exact"
    );
    // A holder that outlived its lease (epoch 1, long superseded) cannot
    // move the count, however large its own.
    let stale = shared::domain::queue::Line {
        admitted: 10_000,
        ..Default::default()
    };
    h.app().db.publish_line(0, 4, stale, 1).await.unwrap();
    assert_eq!(h.app().db.line_totals(0, 4).await.unwrap(), totals);
}

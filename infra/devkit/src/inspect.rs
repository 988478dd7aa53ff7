//! Direct reads (and, for tests of the audit, writes) behind the API, so
//! tests and the benchmark never build raw DynamoDB calls or key strings.

use aws_sdk_dynamodb::types::AttributeValue;
use shared::domain::catalog::Seat;
use shared::domain::points::LedgerEntry;
use shared::domain::queue::QueueToken;
use shared::domain::reservation::Reservation;
use shared::store::schema::{catalog, money, points, queue, reservations, PK, SK};
use shared::store::{from_item, str_attr, Db, Item};

/// What a direct read or write can fail with.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Every item of a table, read consistently, following its pages.
pub async fn scan(db: &Db, table: &str) -> Result<Vec<Item>, Error> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = db
            .client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        out.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(out);
        }
    }
}

/// The items of `table` whose sort key satisfies `wanted`, as `T`.
async fn scan_as<T: serde::de::DeserializeOwned>(
    db: &Db,
    table: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for item in scan(db, table).await? {
        if wanted(str_attr(&item, SK).unwrap_or_default()) {
            out.push(from_item(item)?);
        }
    }
    Ok(out)
}

/// Every seat of every schedule, in whatever sale state.
pub async fn seats(db: &Db) -> Result<Vec<Seat>, Error> {
    scan_as(db, &db.tables.catalog, |sk| {
        sk.starts_with(catalog::SEAT_PREFIX)
    })
    .await
}

/// One seat as it is now, read consistently.
pub async fn seat(db: &Db, schedule_id: u64, seat_id: u64) -> Result<Option<Seat>, Error> {
    let key = [
        (PK, catalog::seat_pk(schedule_id, seat_id)),
        (SK, catalog::seat_sk(seat_id)),
    ];
    item(db, &db.tables.catalog, &key).await
}

/// A user's current queue token: their pointer, then the token.
pub async fn user_token(db: &Db, user_id: &str) -> Result<Option<QueueToken>, Error> {
    let key = [
        (PK, queue::user_pk(user_id)),
        (SK, queue::TOKEN_SK.to_string()),
    ];
    let Some(pointer) = item::<serde_json::Value>(db, &db.tables.queue, &key).await? else {
        return Ok(None);
    };
    let token_id = pointer["tokenId"].as_str().unwrap_or_default();
    Ok(db.token(token_id).await?)
}

/// Every ledger entry of a user, oldest first.
pub async fn ledger(db: &Db, user_id: &str) -> Result<Vec<LedgerEntry>, Error> {
    let user = points::user_pk(user_id);
    let mut entries: Vec<LedgerEntry> = scan_as(db, &db.tables.points, |sk| {
        sk.starts_with(points::LEDGER_PREFIX)
    })
    .await?;
    entries.retain(|e| points::user_pk(&e.user_id) == user);
    entries.sort_by_key(|e| (e.at, e.entry_id));
    Ok(entries)
}

/// Every top-up, in whatever state.
pub async fn topups(db: &Db) -> Result<Vec<shared::domain::money::Topup>, Error> {
    scan_as(db, &db.tables.points, |sk| sk == money::TOPUP_SK).await
}

/// Every fund (a DONE top-up's uncancelled remainder).
pub async fn funds(db: &Db) -> Result<Vec<shared::domain::money::Fund>, Error> {
    scan_as(db, &db.tables.points, |sk| {
        sk.starts_with(money::FUND_PREFIX)
    })
    .await
}

/// One item by its key, read consistently.
async fn item<T: serde::de::DeserializeOwned>(
    db: &Db,
    table: &str,
    key: &[(&str, String)],
) -> Result<Option<T>, Error> {
    let got = db
        .client
        .get_item()
        .table_name(table)
        .set_key(Some(
            key.iter()
                .map(|(k, v)| (k.to_string(), AttributeValue::S(v.clone())))
                .collect(),
        ))
        .consistent_read(true)
        .send()
        .await?;
    Ok(got.item.map(from_item).transpose()?)
}

/// Every reservation record (not the hold-slot items).
pub async fn reservations(db: &Db) -> Result<Vec<Reservation>, Error> {
    scan_as(db, &db.tables.reservations, |sk| sk == reservations::RES_SK).await
}

/// Every user's current queue token.
pub async fn tokens(db: &Db) -> Result<Vec<QueueToken>, Error> {
    let items = scan(db, &db.tables.queue).await?;
    let is = |item: &Item, of: fn(&str) -> Option<&str>| {
        str_attr(item, PK).is_some_and(|pk| of(pk).is_some())
            && str_attr(item, SK) == Some(queue::TOKEN_SK)
    };
    // Users point at their current token; older tokens stay until TTL.
    let current: std::collections::HashSet<&str> = items
        .iter()
        .filter(|item| is(item, queue::user_of))
        .filter_map(|item| str_attr(item, "tokenId"))
        .collect();
    let mut out = Vec::new();
    for item in &items {
        let id = str_attr(item, PK).and_then(queue::token_of);
        if is(item, queue::token_of) && id.is_some_and(|id| current.contains(id)) {
            out.push(from_item(item.clone())?);
        }
    }
    Ok(out)
}

/// Sets a seat's sale state by hand, as a hold (`hold_until`) or a sale
/// (`sold_by` reservation) would leave it.
pub async fn set_seat_state(
    db: &Db,
    seat: &Seat,
    hold_until: Option<i64>,
    sold_by: Option<u64>,
) -> Result<(), Error> {
    let mut update = db
        .client
        .update_item()
        .table_name(&db.tables.catalog)
        .key(
            PK,
            AttributeValue::S(catalog::seat_pk(seat.schedule_id, seat.seat_id)),
        )
        .key(SK, AttributeValue::S(catalog::seat_sk(seat.seat_id)));
    let mut sets = Vec::new();
    if let Some(until) = hold_until {
        sets.push("holdUntil = :u");
        update = update.expression_attribute_values(":u", AttributeValue::N(until.to_string()));
    }
    if let Some(rid) = sold_by {
        sets.push("soldReserveId = :r");
        update = update.expression_attribute_values(":r", AttributeValue::N(rid.to_string()));
    }
    update
        .update_expression(format!("SET {}", sets.join(", ")))
        .send()
        .await?;
    Ok(())
}

/// Changes a balance without a ledger entry: what the audit must catch.
pub async fn tamper_balance(db: &Db, user: &str, delta: i64) -> Result<(), Error> {
    db.client
        .update_item()
        .table_name(&db.tables.points)
        .key(PK, AttributeValue::S(points::user_pk(user)))
        .key(SK, AttributeValue::S(points::BALANCE_SK.into()))
        .update_expression("ADD #point :delta")
        .expression_attribute_names("#point", points::BALANCE)
        .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
        .send()
        .await?;
    Ok(())
}

/// The stream record DynamoDB's TTL service writes when it deletes a
/// reservation record as `r` (redelivered or forged ones included).
pub fn ttl_delete_record(
    r: &Reservation,
) -> Result<aws_lambda_events::event::dynamodb::EventRecord, Error> {
    let mut old: serde_dynamo::Item = serde_dynamo::to_item(r)?;
    old.insert(
        PK.into(),
        serde_dynamo::AttributeValue::S(reservations::reservation_pk(r.reserve_id)),
    );
    old.insert(
        SK.into(),
        serde_dynamo::AttributeValue::S(reservations::RES_SK.into()),
    );
    let mut record: aws_lambda_events::event::dynamodb::EventRecord = serde_json::from_value(
        serde_json::json!({
            "awsRegion": "us-east-1", "eventID": "1", "eventName": "REMOVE",
            "dynamodb": {"SequenceNumber": "1", "SizeBytes": 1, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        }),
    )?;
    record.change.old_image = old;
    Ok(record)
}

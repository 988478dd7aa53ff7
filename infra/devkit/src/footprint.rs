//! Where each DynamoDB call lands: table or index, partition key, and the
//! units it consumed there. The meter records one footprint per key a call
//! touches, so the capacity model can add up load per partition key.

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextMut;
use aws_sdk_dynamodb::operation;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::collections::HashMap;

/// The units one call spent under one partition key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Footprint {
    pub table: String,
    /// A global secondary index, when the units were spent there.
    pub index: Option<String>,
    /// The partition key (`*` for an index write whose key the request
    /// does not show).
    pub pk: String,
    pub read_units: f64,
    pub write_units: f64,
    /// No units were reported (a refused write, billed all the same):
    /// estimated as the smallest item's.
    pub estimated: bool,
}

/// The keys of a call, read off its input before it is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallKeys {
    reads: bool,
    transaction: bool,
    /// (table, partition key) per item the call names.
    keys: Vec<(String, String)>,
    /// (table, index, partition key) of a query of an index.
    index: Option<(String, String, String)>,
}

impl Storable for CallKeys {
    type Storer = StoreReplace<Self>;
}

fn pk_of(item: Option<&HashMap<String, AttributeValue>>) -> String {
    match item.and_then(|i| i.get("pk")) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => "?".into(),
    }
}

fn value_text(v: Option<&AttributeValue>) -> String {
    match v {
        Some(AttributeValue::S(s)) => s.clone(),
        Some(AttributeValue::N(n)) => n.clone(),
        _ => "?".into(),
    }
}

/// The value the key condition compares the partition key with: the
/// placeholder on the right of its first `=`.
fn query_pk(q: &operation::query::QueryInput) -> String {
    let condition = q.key_condition_expression.as_deref().unwrap_or_default();
    let placeholder = condition
        .split(" AND ")
        .next()
        .and_then(|first| first.split('=').nth(1))
        .map(str::trim)
        .unwrap_or_default();
    value_text(
        q.expression_attribute_values
            .as_ref()
            .and_then(|v| v.get(placeholder)),
    )
}

fn table(name: &Option<String>) -> String {
    name.clone().unwrap_or_default()
}

/// The keys of whatever operation `context` is about to send.
pub(crate) fn call_keys(context: &BeforeSerializationInterceptorContextMut<'_>) -> CallKeys {
    let input = context.input();
    let one = |t: &Option<String>, k: Option<&HashMap<String, AttributeValue>>, reads| CallKeys {
        reads,
        keys: vec![(table(t), pk_of(k))],
        ..CallKeys::default()
    };
    if let Some(i) = input.downcast_ref::<operation::get_item::GetItemInput>() {
        return one(&i.table_name, i.key.as_ref(), true);
    }
    if let Some(i) = input.downcast_ref::<operation::put_item::PutItemInput>() {
        return one(&i.table_name, i.item.as_ref(), false);
    }
    if let Some(i) = input.downcast_ref::<operation::update_item::UpdateItemInput>() {
        return one(&i.table_name, i.key.as_ref(), false);
    }
    if let Some(i) = input.downcast_ref::<operation::delete_item::DeleteItemInput>() {
        return one(&i.table_name, i.key.as_ref(), false);
    }
    if let Some(q) = input.downcast_ref::<operation::query::QueryInput>() {
        let (t, pk) = (table(&q.table_name), query_pk(q));
        return match &q.index_name {
            Some(index) => CallKeys {
                reads: true,
                index: Some((t, index.clone(), pk)),
                ..CallKeys::default()
            },
            None => CallKeys {
                reads: true,
                keys: vec![(t, pk)],
                ..CallKeys::default()
            },
        };
    }
    if let Some(s) = input.downcast_ref::<operation::scan::ScanInput>() {
        return CallKeys {
            reads: true,
            keys: vec![(table(&s.table_name), "(scan)".into())],
            ..CallKeys::default()
        };
    }
    batch_keys(context).unwrap_or_default()
}

fn batch_keys(context: &BeforeSerializationInterceptorContextMut<'_>) -> Option<CallKeys> {
    let input = context.input();
    if let Some(b) = input.downcast_ref::<operation::batch_get_item::BatchGetItemInput>() {
        let keys = b
            .request_items
            .iter()
            .flatten()
            .flat_map(|(t, ka)| ka.keys().iter().map(|k| (t.clone(), pk_of(Some(k)))))
            .collect();
        return Some(CallKeys {
            reads: true,
            keys,
            ..CallKeys::default()
        });
    }
    if let Some(b) = input.downcast_ref::<operation::batch_write_item::BatchWriteItemInput>() {
        let keys = b
            .request_items
            .iter()
            .flatten()
            .flat_map(|(t, writes)| {
                writes.iter().map(|w| {
                    let item = w
                        .put_request()
                        .map(|p| p.item())
                        .or(w.delete_request().map(|d| d.key()));
                    (t.clone(), pk_of(item))
                })
            })
            .collect();
        return Some(CallKeys {
            keys,
            ..CallKeys::default()
        });
    }
    let tx = input.downcast_ref::<operation::transact_write_items::TransactWriteItemsInput>()?;
    let keys = tx
        .transact_items
        .iter()
        .flatten()
        .filter_map(|e| {
            if let Some(p) = e.put() {
                Some((p.table_name().to_string(), pk_of(Some(p.item()))))
            } else if let Some(u) = e.update() {
                Some((u.table_name().to_string(), pk_of(Some(u.key()))))
            } else if let Some(d) = e.delete() {
                Some((d.table_name().to_string(), pk_of(Some(d.key()))))
            } else {
                e.condition_check()
                    .map(|c| (c.table_name().to_string(), pk_of(Some(c.key()))))
            }
        })
        .collect();
    Some(CallKeys {
        transaction: true,
        keys,
        ..CallKeys::default()
    })
}

/// Spreads the units each table and index reported over the keys the call
/// named there; with no report (a refused write), estimates the smallest
/// write: 1 unit per key, 2 per transaction entry.
/// A footprint of `units` (read, write) under one key.
fn at(
    table: String,
    index: Option<String>,
    pk: String,
    units: (f64, f64),
    estimated: bool,
) -> Footprint {
    Footprint {
        table,
        index,
        pk,
        read_units: units.0,
        write_units: units.1,
        estimated,
    }
}

pub(crate) fn footprints(keys: &CallKeys, capacity: Option<&[ConsumedCapacity]>) -> Vec<Footprint> {
    let mut out = Vec::new();
    let by_table = |t: &str| keys.keys.iter().filter(|(kt, _)| kt == t).count().max(1) as f64;
    let units = |c: Option<f64>| c.unwrap_or(0.0);
    let split = |total: f64| {
        if keys.reads {
            (total, 0.0)
        } else {
            (0.0, total)
        }
    };
    let Some(capacity) = capacity else {
        let each = if keys.transaction { 2.0 } else { 1.0 };
        for (t, pk) in &keys.keys {
            let (r, w) = split(each);
            out.push(at(t.clone(), None, pk.clone(), (r, w), true));
        }
        return out;
    };
    for c in capacity {
        let t = c.table_name().unwrap_or_default().to_string();
        let gsi = c.global_secondary_indexes();
        let index_total: f64 = gsi
            .map(|g| g.values().map(|v| units(v.capacity_units())).sum())
            .unwrap_or(0.0);
        let table_total = c
            .table()
            .and_then(|x| x.capacity_units())
            .unwrap_or(units(c.capacity_units()) - index_total);
        match &keys.index {
            Some((it, index, pk)) if *it == t => {
                let (r, w) = split(units(c.capacity_units()));
                out.push(at(
                    t.clone(),
                    Some(index.clone()),
                    pk.clone(),
                    (r, w),
                    false,
                ));
                continue;
            }
            _ => {}
        }
        for (kt, pk) in keys.keys.iter().filter(|(kt, _)| *kt == t) {
            let (r, w) = split(table_total / by_table(kt));
            out.push(at(t.clone(), None, pk.clone(), (r, w), false));
        }
        for (index, cap) in gsi.into_iter().flatten() {
            let (r, w) = split(units(cap.capacity_units()));
            if r + w > 0.0 {
                out.push(at(
                    t.clone(),
                    Some(index.clone()),
                    "*".into(),
                    (r, w),
                    false,
                ));
            }
        }
    }
    out
}

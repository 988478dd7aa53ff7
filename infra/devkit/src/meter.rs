//! Metering of DynamoDB use: an SDK interceptor that asks every call for
//! its consumed capacity and adds calls and units up per operation. The
//! benchmark attaches it to measure the cost of each endpoint; the service
//! itself runs without it.

use crate::footprint::{call_keys, footprints, CallKeys, Footprint};
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation;
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use shared::store::Db;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Calls and capacity units of one DynamoDB operation kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Usage {
    pub calls: u64,
    pub read_units: f64,
    pub write_units: f64,
}

impl Usage {
    fn add(&mut self, other: &Usage) {
        self.calls += other.calls;
        self.read_units += other.read_units;
        self.write_units += other.write_units;
    }
}

/// Running totals by operation name (`GetItem`, `TransactWriteItems`, …),
/// and where each call landed.
#[derive(Debug, Default, Clone)]
pub struct Meter {
    totals: Arc<Mutex<BTreeMap<&'static str, Usage>>>,
    footprints: Arc<Mutex<Vec<Footprint>>>,
}

impl Meter {
    pub fn snapshot(&self) -> BTreeMap<&'static str, Usage> {
        self.totals.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Every call's footprints since the last reset, per partition key.
    pub fn footprints(&self) -> Vec<Footprint> {
        self.footprints
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut m) = self.totals.lock() {
            m.clear();
        }
        if let Ok(mut f) = self.footprints.lock() {
            f.clear();
        }
    }

    /// Everything since the last reset, summed over operations.
    pub fn total(&self) -> Usage {
        let mut t = Usage::default();
        for u in self.snapshot().values() {
            t.add(u);
        }
        t
    }

    fn record(&self, op: &'static str, usage: Usage) {
        if let Ok(mut m) = self.totals.lock() {
            m.entry(op).or_default().add(&usage);
        }
    }

    fn record_footprints(&self, keys: Option<&CallKeys>, capacity: Option<&[ConsumedCapacity]>) {
        let Some(keys) = keys else { return };
        if let Ok(mut f) = self.footprints.lock() {
            f.extend(footprints(keys, capacity));
        }
    }
}

/// Read and write units of a call. With `TOTAL`, DynamoDB may report
/// only `CapacityUnits`; those count as reads or writes by the call's kind.
fn units(capacity: &[&ConsumedCapacity], reads: bool) -> (f64, f64) {
    capacity.iter().fold((0.0, 0.0), |(r, w), c| {
        let total = c.capacity_units().unwrap_or(0.0);
        match (c.read_capacity_units(), c.write_capacity_units()) {
            (None, None) if reads => (r + total, w),
            (None, None) => (r, w + total),
            (read, write) => (r + read.unwrap_or(0.0), w + write.unwrap_or(0.0)),
        }
    })
}

#[derive(Debug)]
struct MeterInterceptor(Meter);

/// Applies `$body` to whichever of the listed input types `$value` is.
macro_rules! each_input {
    ($value:expr, $i:ident => $body:expr, [$($module:ident :: $ty:ident),*]) => {
        $(if let Some($i) = $value.downcast_mut::<operation::$module::$ty>() { $body; })*
    };
}

impl Intercept for MeterInterceptor {
    fn name(&self) -> &'static str {
        "DynamoDbMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(call_keys(context));
        let input = context.input_mut();
        each_input!(input, i => i.return_consumed_capacity = Some(ReturnConsumedCapacity::Indexes), [
            get_item::GetItemInput, put_item::PutItemInput, update_item::UpdateItemInput,
            delete_item::DeleteItemInput, query::QueryInput, scan::ScanInput,
            batch_get_item::BatchGetItemInput, batch_write_item::BatchWriteItemInput,
            transact_write_items::TransactWriteItemsInput
        ]);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let keys = cfg.load::<CallKeys>();
        let Ok(output) = context.output_or_error() else {
            self.0.record_footprints(keys, None);
            // A refused call (a failed condition) still costs a write on
            // AWS; it is counted as a call with no units reported.
            self.0.record(
                "(refused)",
                Usage {
                    calls: 1,
                    ..Usage::default()
                },
            );
            return Ok(());
        };
        macro_rules! single {
            ($($module:ident :: $ty:ident => $name:literal, $reads:literal),*) => {
                $(if let Some(o) = output.downcast_ref::<operation::$module::$ty>() {
                    let capacity: Vec<ConsumedCapacity> = o.consumed_capacity().into_iter().cloned().collect();
                    let (r, w) = units(&capacity.iter().collect::<Vec<_>>(), $reads);
                    self.0.record($name, Usage { calls: 1, read_units: r, write_units: w });
                    self.0.record_footprints(keys, Some(&capacity));
                    return Ok(());
                })*
            };
        }
        macro_rules! multi {
            ($($module:ident :: $ty:ident => $name:literal, $reads:literal),*) => {
                $(if let Some(o) = output.downcast_ref::<operation::$module::$ty>() {
                    let capacity: Vec<ConsumedCapacity> = o.consumed_capacity().to_vec();
                    let (r, w) = units(&capacity.iter().collect::<Vec<_>>(), $reads);
                    self.0.record($name, Usage { calls: 1, read_units: r, write_units: w });
                    self.0.record_footprints(keys, Some(&capacity));
                    return Ok(());
                })*
            };
        }
        single!(
            get_item::GetItemOutput => "GetItem", true,
            put_item::PutItemOutput => "PutItem", false,
            update_item::UpdateItemOutput => "UpdateItem", false,
            delete_item::DeleteItemOutput => "DeleteItem", false,
            query::QueryOutput => "Query", true,
            scan::ScanOutput => "Scan", true
        );
        multi!(
            batch_get_item::BatchGetItemOutput => "BatchGetItem", true,
            batch_write_item::BatchWriteItemOutput => "BatchWriteItem", false,
            transact_write_items::TransactWriteItemsOutput => "TransactWriteItems", false
        );
        self.0.record(
            "(other)",
            Usage {
                calls: 1,
                ..Usage::default()
            },
        );
        Ok(())
    }
}

/// The same store with every call metered into `meter`.
pub fn metered(db: &Db, meter: &Meter) -> Db {
    let config = db
        .client
        .config()
        .to_builder()
        .interceptor(MeterInterceptor(meter.clone()))
        .build();
    Db {
        client: aws_sdk_dynamodb::Client::from_conf(config),
        ..db.clone()
    }
}

//! Which IAM permissions the service's DynamoDB calls need: an SDK
//! interceptor that records, for every call, the action each item of it
//! needs (a transaction's entries count one by one) on which table and
//! index. A test holds each function's template policy to what its
//! handler really calls.

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation;
use shared::store::Db;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `(action, table, index)`, e.g. `("UpdateItem", "QueueTable", None)`.
pub type Permission = (String, String, Option<String>);

#[derive(Debug, Default, Clone)]
pub struct Permissions(Arc<Mutex<BTreeSet<Permission>>>);

impl Permissions {
    pub fn used(&self) -> BTreeSet<Permission> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.clear();
        }
    }

    fn add(&self, action: &str, table: Option<&str>, index: Option<&str>) {
        if let Ok(mut s) = self.0.lock() {
            s.insert((
                action.to_string(),
                table.unwrap_or_default().to_string(),
                index.map(str::to_string),
            ));
        }
    }
}

#[derive(Debug)]
struct Recorder(Permissions);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "permissions"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let p = &self.0;
        macro_rules! single {
            ($($module:ident :: $ty:ident => $name:literal),*) => {
                $(if let Some(i) = input.downcast_ref::<operation::$module::$ty>() {
                    p.add($name, i.table_name(), None);
                    return Ok(());
                })*
            };
        }
        single!(
            get_item::GetItemInput => "GetItem",
            put_item::PutItemInput => "PutItem",
            update_item::UpdateItemInput => "UpdateItem",
            delete_item::DeleteItemInput => "DeleteItem",
            scan::ScanInput => "Scan"
        );
        if let Some(q) = input.downcast_ref::<operation::query::QueryInput>() {
            p.add("Query", q.table_name(), q.index_name());
        } else if let Some(b) = input.downcast_ref::<operation::batch_get_item::BatchGetItemInput>()
        {
            for table in b.request_items().into_iter().flat_map(|m| m.keys()) {
                p.add("BatchGetItem", Some(table), None);
            }
        } else if let Some(b) =
            input.downcast_ref::<operation::batch_write_item::BatchWriteItemInput>()
        {
            for table in b.request_items().into_iter().flat_map(|m| m.keys()) {
                p.add("BatchWriteItem", Some(table), None);
            }
        } else if let Some(t) =
            input.downcast_ref::<operation::transact_write_items::TransactWriteItemsInput>()
        {
            for item in t.transact_items() {
                if let Some(x) = item.put() {
                    p.add("PutItem", Some(x.table_name()), None);
                }
                if let Some(x) = item.update() {
                    p.add("UpdateItem", Some(x.table_name()), None);
                }
                if let Some(x) = item.delete() {
                    p.add("DeleteItem", Some(x.table_name()), None);
                }
                if let Some(x) = item.condition_check() {
                    p.add("ConditionCheckItem", Some(x.table_name()), None);
                }
            }
        }
        Ok(())
    }
}

/// The same store with every call's permissions recorded into `perms`.
pub fn recorded(db: &Db, perms: &Permissions) -> Db {
    let config = db
        .client
        .config()
        .to_builder()
        .interceptor(Recorder(perms.clone()))
        .build();
    Db {
        client: aws_sdk_dynamodb::Client::from_conf(config),
        ..db.clone()
    }
}

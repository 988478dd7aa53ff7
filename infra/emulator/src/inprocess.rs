//! The AWS SDK talking to dynoxide in-process: an HTTP client of the SDK
//! whose every request is answered by calling the database on the spot —
//! no socket, no server thread, no scheduling of its own. The SDK, its
//! serialisation, retries and interceptors run as against DynamoDB; only
//! the transport is a function call, so a single-threaded caller sees the
//! same answers in the same order on every run (the simulation needs it).

use crate::Database;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use dynoxide::actions as a;
use serde::de::DeserializeOwned;
use serde::Serialize;

const TARGET: &str = "x-amz-target";

/// The SDK's HTTP client that answers from `db` directly.
#[derive(Clone)]
pub struct InProcess {
    db: Database,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess")
    }
}

impl InProcess {
    pub fn new(db: Database) -> Self {
        InProcess { db }
    }

    /// An SDK client of `db` through this transport.
    pub fn client(db: Database) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "in-process"))
            .endpoint_url("http://in-process")
            .http_client(SharedHttpClient::new(InProcess::new(db)))
            .interceptor(crate::untokened::Untokened)
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

impl HttpClient for InProcess {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request
            .headers()
            .get(TARGET)
            .unwrap_or_default()
            .to_string();
        let operation = target.rsplit('.').next().unwrap_or_default().to_string();
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let db = self.db.clone();
        HttpConnectorFuture::new(async move {
            // As over a network, the caller's other tasks run before the
            // answer comes: requests sent together interleave (in an order
            // a single-threaded caller always sees the same).
            tokio::task::yield_now().await;
            let (status, json) = answer(&db, &operation, &body);
            let status =
                StatusCode::try_from(status).unwrap_or(StatusCode::try_from(500).expect("500"));
            let mut response = HttpResponse::new(status, SdkBody::from(json));
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            Ok(response)
        })
    }
}

/// One operation's request deserialised, run and its answer serialised, or
/// the error DynamoDB would give.
fn run<Q, R>(body: &str, f: impl FnOnce(Q) -> dynoxide::Result<R>) -> (u16, String)
where
    Q: DeserializeOwned,
    R: Serialize,
{
    let request = match serde_json::from_str::<Q>(body) {
        Ok(q) => q,
        Err(e) => {
            let error = dynoxide::DynoxideError::SerializationException(e.to_string());
            return (error.status_code(), error.to_json());
        }
    };
    match f(request) {
        Ok(r) => (
            200,
            serde_json::to_string(&r).unwrap_or_else(|_| "{}".into()),
        ),
        Err(e) => (e.status_code(), e.to_json()),
    }
}

/// Every operation the service, its tools and its tests send.
fn answer(db: &Database, operation: &str, body: &str) -> (u16, String) {
    match operation {
        "GetItem" => run(body, |q: a::get_item::GetItemRequest| db.get_item(q)),
        "PutItem" => run(body, |q: a::put_item::PutItemRequest| db.put_item(q)),
        "UpdateItem" => run(body, |q: a::update_item::UpdateItemRequest| {
            db.update_item(q)
        }),
        "DeleteItem" => run(body, |q: a::delete_item::DeleteItemRequest| {
            db.delete_item(q)
        }),
        "Query" => run(body, |q: a::query::QueryRequest| db.query(q)),
        "Scan" => run(body, |q: a::scan::ScanRequest| db.scan(q)),
        "BatchGetItem" => run(body, |q: a::batch_get_item::BatchGetItemRequest| {
            db.batch_get_item(q)
        }),
        "BatchWriteItem" => run(body, |q: a::batch_write_item::BatchWriteItemRequest| {
            db.batch_write_item(q)
        }),
        "TransactWriteItems" => run(
            body,
            |q: a::transact_write_items::TransactWriteItemsRequest| db.transact_write_items(q),
        ),
        "TransactGetItems" => run(body, |q: a::transact_get_items::TransactGetItemsRequest| {
            db.transact_get_items(q)
        }),
        "CreateTable" => run(body, |q: a::create_table::CreateTableRequest| {
            db.create_table(q)
        }),
        "DescribeTable" => run(body, |q: a::describe_table::DescribeTableRequest| {
            db.describe_table(q)
        }),
        "ListTables" => run(body, |q: a::list_tables::ListTablesRequest| {
            db.list_tables(q)
        }),
        "UpdateTimeToLive" => run(
            body,
            |q: a::update_time_to_live::UpdateTimeToLiveRequest| db.update_time_to_live(q),
        ),
        "DescribeTimeToLive" => run(
            body,
            |q: a::describe_time_to_live::DescribeTimeToLiveRequest| db.describe_time_to_live(q),
        ),
        "ListStreams" => run(body, |q: a::list_streams::ListStreamsRequest| {
            db.list_streams(q)
        }),
        "DescribeStream" => run(body, |q: a::describe_stream::DescribeStreamRequest| {
            db.describe_stream(q)
        }),
        "GetShardIterator" => run(body, |q: a::get_shard_iterator::GetShardIteratorRequest| {
            db.get_shard_iterator(q)
        }),
        "GetRecords" => run(body, |q: a::get_records::GetRecordsRequest| {
            db.get_records(q)
        }),
        other => {
            let error = dynoxide::DynoxideError::ValidationException(format!(
                "the in-process emulator does not serve {other:?}"
            ));
            (error.status_code(), error.to_json())
        }
    }
}

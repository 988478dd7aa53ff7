//! Reading DynamoDB stream records, shared by the stream-fed jobs.

use crate::domain::reservation::Reservation;
use crate::store::schema::reservations::RES_SK;
use crate::store::schema::SK;
use crate::store::StoreError;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use std::future::Future;

/// Processes a batch in order. The first record that fails is reported
/// with every one after it (which Lambda then delivers again), so the batch
/// is retried from there, bisected, and finally sent to the dead-letter
/// queue; the records before it are done.
pub async fn in_order<'e, F, Fut, T>(
    event: &'e Event,
    job: &str,
    mut process: F,
) -> DynamoDbEventResponse
where
    F: FnMut(&'e EventRecord) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut response = DynamoDbEventResponse::default();
    let mut failed = false;
    for record in &event.records {
        if !failed {
            if let Err(e) = process(record).await {
                tracing::error!(error = %e, event_id = %record.event_id, job, "stream record failed");
                failed = true;
            }
        }
        if failed {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// A deletion made by DynamoDB's TTL service rather than by a caller.
pub fn is_ttl_delete(record: &EventRecord) -> bool {
    record.event_name == "REMOVE"
        && record
            .user_identity
            .as_ref()
            .is_some_and(|u| u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com")
}

/// The reservation a stream image holds, when it is a reservation record
/// (not a hold-slot item) that reads as one.
pub fn reservation(image: &serde_dynamo::Item) -> Option<Reservation> {
    let is_record = image.get(SK) == Some(&serde_dynamo::AttributeValue::S(RES_SK.into()));
    is_record
        .then(|| serde_dynamo::from_item(image.clone()).ok())
        .flatten()
}

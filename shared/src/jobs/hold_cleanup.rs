//! The hold-cleanup stream consumer: when DynamoDB TTL deletes an unpaid
//! hold's record, record the reservation as EXPIRED and free the seat and
//! the user's hold slot — each only if still theirs.
//!
//! Correctness never waits for this: a lapsed hold already counts as free
//! in every condition. This keeps the data tidy. Every write is
//! conditional, so a redelivered record changes nothing.

use crate::app::App;
use crate::domain::reservation::{Reservation, ReservationStatus};
use crate::error::AppError;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

/// A deletion made by DynamoDB's TTL service rather than by a caller.
pub fn is_ttl_delete(record: &EventRecord) -> bool {
    record.event_name == "REMOVE"
        && record
            .user_identity
            .as_ref()
            .is_some_and(|u| u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com")
}

/// What the cleanup did with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cleanup {
    pub recorded_expired: bool,
    pub seat_released: bool,
    pub slot_released: bool,
}

pub async fn process(app: &App, record: &EventRecord) -> Result<Cleanup, AppError> {
    if !is_ttl_delete(record) {
        return Ok(Cleanup::default());
    }
    let old = &record.change.old_image;
    let is_reservation = old
        .get("sk")
        .is_some_and(|sk| *sk == serde_dynamo::AttributeValue::S("RES".into()));
    if !is_reservation {
        return Ok(Cleanup::default());
    }
    let lapsed: Reservation = serde_dynamo::from_item(old.clone()).map_err(AppError::internal)?;
    if lapsed.status != ReservationStatus::Temp {
        return Ok(Cleanup::default());
    }
    Ok(Cleanup {
        recorded_expired: app.db.record_expired(&lapsed).await?,
        seat_released: app
            .db
            .release_seat(lapsed.schedule_id, lapsed.seat_id, lapsed.reserve_id)
            .await?,
        slot_released: app.db.release_hold_slot(&lapsed).await?,
    })
}

/// One batch from the stream. A record that fails is reported (with the
/// ones after it, which Lambda then delivers again) so the batch is retried
/// from there, bisected, and finally sent to the dead-letter queue.
pub async fn handle(app: &App, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut failed = false;
    for record in &event.records {
        if !failed {
            if let Err(e) = process(app, record).await {
                tracing::error!(error = %e, event_id = %record.event_id, "hold cleanup failed");
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

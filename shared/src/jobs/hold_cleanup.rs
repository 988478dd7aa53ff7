//! The hold-cleanup stream consumer: when DynamoDB TTL deletes an unpaid
//! hold's record, record the reservation as EXPIRED and free the seat and
//! the user's hold slot — each only if still theirs.
//!
//! Correctness never waits for this: a lapsed hold already counts as free
//! in every condition. This keeps the data tidy. Every write is
//! conditional, so a redelivered record changes nothing.

use super::stream::{is_ttl_delete, reservation};
use crate::app::App;
use crate::domain::reservation::ReservationStatus;
use crate::store::StoreError;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;

/// What the cleanup did with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cleanup {
    pub recorded_expired: bool,
    pub seat_released: bool,
    pub slot_released: bool,
}

pub async fn process(app: &App, record: &EventRecord) -> Result<Cleanup, StoreError> {
    let lapsed = match reservation(&record.change.old_image) {
        Some(r) if is_ttl_delete(record) && r.status == ReservationStatus::Temp => r,
        _ => return Ok(Cleanup::default()),
    };
    // Three independent writes, each conditioned on this reservation.
    let (recorded_expired, seat_released, slot_released) = futures::try_join!(
        app.db.record_expired(&lapsed),
        app.db.release_seat(&lapsed),
        app.db.release_hold_slot(&lapsed),
    )?;
    if recorded_expired {
        crate::counters::holds_expired(1);
    }
    Ok(Cleanup {
        recorded_expired,
        seat_released,
        slot_released,
    })
}

/// One batch from the stream, several records at once: a lapse's writes
/// touch only its own reservation's seat, slot and record.
pub async fn handle(app: &App, event: Event) -> DynamoDbEventResponse {
    let in_flight = super::stream::IN_FLIGHT;
    super::stream::in_batch(&event, "hold cleanup", in_flight, |record| {
        process(app, record)
    })
    .await
}

//! The availability consumer: reservation events, delivered over SQS from
//! the reservations table's stream, kept as seats-left per schedule.

use super::stream::reservation;
use crate::app::App;
use crate::domain::availability::{repairs, BlockSeats, SeatChange, SeatEvent, SeatNow};
use crate::domain::catalog::{Schedule, Seat, SeatCancel};
use crate::domain::reservation::{Canceller, ReservationStatus};
use crate::store::schema::catalog::seat_in_block;
use crate::store::StoreError;
use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::stream::{self, StreamExt, TryStreamExt};

/// The seat event a stream record stands for, if any: a new hold (INSERT
/// TEMP), a sale (TEMP → COMPLETE), or a fan's cancellation of either
/// (→ CANCELLED; a cancelled schedule is no longer listed, so the
/// organiser's cancellation needs none). A lapse (the TTL deletion of a hold,
/// its EXPIRED record) changes nothing the count reads — a hold whose end
/// has passed already counts as free, and the seat's next hold replaces
/// its entry — so it costs no write here.
pub fn seat_event(record: &EventRecord) -> Option<SeatEvent> {
    let new = reservation(&record.change.new_image);
    let old = reservation(&record.change.old_image);
    let (r, change) = match (record.event_name.as_str(), old, new) {
        ("INSERT", _, Some(r)) if r.status == ReservationStatus::Temp => (r, SeatChange::Held),
        ("MODIFY", Some(o), Some(r))
            if o.status == ReservationStatus::Temp && r.status == ReservationStatus::Complete =>
        {
            (r, SeatChange::Sold)
        }
        ("MODIFY", Some(o), Some(r))
            if r.status == ReservationStatus::Cancelled
                && r.cancelled_by == Some(Canceller::Fan)
                && o.status != ReservationStatus::Cancelled =>
        {
            let change = if o.status == ReservationStatus::Complete {
                SeatChange::Refunded
            } else {
                SeatChange::Released
            };
            (r, change)
        }
        _ => return None,
    };
    Some(SeatEvent {
        schedule_id: r.schedule_id,
        seat_id: r.seat_id,
        until: r.expires_at,
        change,
    })
}

/// One SQS message: a stream record as the pipe delivers it.
pub async fn process(app: &App, body: &str) -> Result<bool, StoreError> {
    let record: EventRecord = serde_json::from_str(body)
        .map_err(|e| StoreError::failed(format!("not a stream record: {e}")))?;
    match seat_event(&record) {
        Some(event) => app.db.apply_seat_event(&event).await,
        None => Ok(false),
    }
}

/// A batch from SQS; failed messages are reported so only they return to
/// the queue (and, after the queue's receive limit, to its dead-letter queue).
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    // The messages at once: each update is one conditional write whose
    // outcome does not depend on the order (the count is exact under
    // reordering).
    let work: Vec<_> = event
        .records
        .iter()
        .map(|message| async move {
            let body = message.body.as_deref().unwrap_or_default();
            (message, process(app, body).await)
        })
        .collect();
    let outcomes = super::stream::side_by_side(work, super::stream::IN_FLIGHT).await;
    let mut response = SqsBatchResponse::default();
    for (message, outcome) in outcomes {
        if let Err(e) = outcome {
            tracing::error!(error = %e, message_id = ?message.message_id, "availability update failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Seat writes a repair has in flight at once.
const REPAIRS_IN_FLIGHT: usize = 32;

/// Rebuilds `schedule`'s seats-left records from its seats, for an
/// organiser's repair after an event was lost (its message dead-lettered):
/// each record is read first, then the seats, and only the entries that
/// disagree are moved, by the live events' own conditions (so events that
/// land meanwhile still win, and a second repair changes nothing).
/// Returns the seats as read.
pub async fn rebuild(app: &App, schedule: &Schedule) -> Result<Vec<Seat>, StoreError> {
    let records = app.db.seat_block_records(schedule).await?;
    let blocks = app.db.all_seats(schedule).await?;
    let mut events = Vec::new();
    for ((block, record), seats) in schedule.blocks().zip(&records).zip(&blocks) {
        if record.is_none() && !seats.is_empty() {
            app.db
                .restore_seats_left_record(schedule.schedule_id, block)
                .await?;
        }
        let record = record.clone().unwrap_or_default();
        events.extend(seats.iter().flat_map(|seat| seat_repairs(seat, &record)));
    }
    stream::iter(events)
        .map(|e| async move { app.db.apply_seat_event(&e).await })
        .buffer_unordered(REPAIRS_IN_FLIGHT)
        .try_collect::<Vec<bool>>()
        .await?;
    Ok(blocks.concat())
}

/// The events that bring `record`'s entries for `seat` to the seat.
fn seat_repairs(seat: &Seat, record: &BlockSeats) -> Vec<SeatEvent> {
    let entry = seat_in_block(seat.seat_id);
    let now = SeatNow {
        hold_until: seat.hold_until,
        sold: seat.sold_reserve_id.is_some() && seat.cancelled != Some(SeatCancel::Ticket),
    };
    let (held, sold) = (record.held.get(&entry), record.sold.get(&entry));
    repairs(now, held.copied(), sold.copied())
        .into_iter()
        .map(|(change, until)| SeatEvent {
            schedule_id: seat.schedule_id,
            seat_id: seat.seat_id,
            until,
            change,
        })
        .collect()
}

//! Reading DynamoDB stream records, shared by the stream-fed jobs.

use crate::domain::reservation::Reservation;
use crate::store::schema::reservations::RES_SK;
use crate::store::schema::SK;
use crate::store::StoreError;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures::StreamExt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

/// Processes a batch in order. The first record that fails is reported
/// with every one after it (which Lambda then delivers again), so the batch
/// is retried from there, bisected, and finally sent to the dead-letter
/// queue; the records before it are done.
pub async fn in_order<'e, F, Fut, T>(
    event: &'e Event,
    job: &str,
    process: F,
) -> DynamoDbEventResponse
where
    F: FnMut(&'e EventRecord) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    in_batch(event, job, 1, process).await
}

/// Records of one batch a job may process at once, when each record's
/// writes are conditioned on that record alone (so their order does not
/// matter). A batch's records waiting one behind another's round trips
/// was what kept a consumer behind a busy table.
pub const IN_FLIGHT: usize = 32;

/// As [`in_order`], with up to `in_flight` records under way at once. The
/// report is the same: the first record (in stream order) that failed and
/// every one after it, some of which may have succeeded and will find
/// their work done when delivered again.
pub async fn in_batch<'e, F, Fut, T>(
    event: &'e Event,
    job: &str,
    in_flight: usize,
    mut process: F,
) -> DynamoDbEventResponse
where
    F: FnMut(&'e EventRecord) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    // An earlier failure stops the records after it from starting. (The
    // futures are made up front, and start only when first polled.)
    let stop = &AtomicBool::new(false);
    let work: Vec<_> = event
        .records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let work = process(record);
            async move {
                if stop.load(Ordering::Relaxed) {
                    return Some(i);
                }
                let failed = work.await.err()?;
                tracing::error!(error = %failed, event_id = %record.event_id, job, "stream record failed");
                stop.store(true, Ordering::Relaxed);
                Some(i)
            }
        })
        .collect();
    // Unordered, so one slow record does not hold back those behind it;
    // records start in stream order, so all not started come after.
    let failed = side_by_side(work, in_flight).await;
    let mut response = DynamoDbEventResponse::default();
    let first_failed = failed.into_iter().flatten().min();
    for record in event
        .records
        .iter()
        .skip(first_failed.unwrap_or(event.records.len()))
    {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = record.change.sequence_number.clone();
        response.batch_item_failures.push(failure);
    }
    response
}

/// Runs `work` with up to `in_flight` futures under way at once, started
/// in the given order; outcomes come back in the order they finish.
pub async fn side_by_side<Fut: Future>(
    work: impl IntoIterator<Item = Fut>,
    in_flight: usize,
) -> Vec<Fut::Output> {
    futures::stream::iter(work)
        .buffer_unordered(in_flight.max(1))
        .collect()
        .await
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    fn batch(n: u64) -> Event {
        let mut event = Event::default();
        event.records = (0..n)
            .map(|i| {
                let mut record = EventRecord::default();
                record.change.sequence_number = Some(i.to_string());
                record
            })
            .collect();
        event
    }

    fn position(record: &EventRecord) -> u64 {
        record
            .change
            .sequence_number
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX)
    }

    fn reported(response: &DynamoDbEventResponse) -> Vec<u64> {
        response
            .batch_item_failures
            .iter()
            .filter_map(|f| f.item_identifier.as_deref()?.parse().ok())
            .collect()
    }

    #[tokio::test]
    async fn the_first_failure_in_stream_order_and_all_after_it_are_reported() {
        let event = batch(10);
        // Earlier records take longer, so later ones finish first.
        let response = in_batch(&event, "test", 4, |record| async move {
            let i = position(record);
            tokio::time::sleep(Duration::from_millis(5 * (10 - i))).await;
            match i {
                3 | 6 => Err(StoreError::failed("refused")),
                _ => Ok(()),
            }
        })
        .await;
        assert_eq!(reported(&response), (3..10).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_batch_that_fails_nowhere_reports_nothing() {
        let event = batch(50);
        let response = in_batch(&event, "test", IN_FLIGHT, |_| async { Ok(()) }).await;
        assert!(response.batch_item_failures.is_empty());
    }

    #[tokio::test]
    async fn in_order_starts_no_record_after_a_failure() {
        let event = batch(6);
        let started = &Mutex::new(Vec::new());
        let response = in_order(&event, "test", |record| async move {
            let i = position(record);
            started.lock().map(|mut s| s.push(i)).ok();
            if i == 2 {
                Err(StoreError::failed("refused"))
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(*started.lock().unwrap(), vec![0, 1, 2]);
        assert_eq!(reported(&response), vec![2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn records_run_side_by_side_up_to_the_limit() {
        let event = batch(40);
        let (now, most) = (&Mutex::new(0usize), &Mutex::new(0usize));
        in_batch(&event, "test", 8, |_| async move {
            if let (Ok(mut n), Ok(mut m)) = (now.lock(), most.lock()) {
                *n += 1;
                *m = (*m).max(*n);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            now.lock().map(|mut n| *n -= 1).ok();
            Ok(())
        })
        .await;
        assert_eq!(*most.lock().unwrap(), 8);
    }
}

//! Reading DynamoDB stream records, shared by the stream-fed jobs.

use crate::domain::reservation::Reservation;
use crate::store::schema::reservations::RES_SK;
use crate::store::schema::SK;
use aws_lambda_events::event::dynamodb::EventRecord;

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

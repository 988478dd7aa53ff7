//! Lambda function `hold-cleanup`: TTL deletions of unpaid holds, from the
//! reservations table's stream.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_stream(shared::jobs::StreamConsumer::HoldCleanup).await
}

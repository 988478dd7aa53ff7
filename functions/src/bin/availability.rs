//! Lambda function `availability`: seats left per schedule, from the
//! reservation events queue.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_queue(shared::jobs::QueueConsumer::Availability).await
}

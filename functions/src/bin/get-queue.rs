//! Lambda function `get-queue`: see [`shared::Endpoint::QueueStatus`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::QueueStatus.serve().await
}

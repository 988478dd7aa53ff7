//! Lambda function `get-queue`: see [`shared::Endpoint::QueueStatus`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::QueueStatus).await
}

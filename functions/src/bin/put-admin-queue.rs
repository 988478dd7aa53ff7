//! Lambda function `put-admin-queue`: see [`shared::Endpoint::SetQueueControl`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::SetQueueControl.serve().await
}

//! Lambda function `get-admin-queue`: see [`shared::Endpoint::GetQueueControl`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::GetQueueControl.serve().await
}

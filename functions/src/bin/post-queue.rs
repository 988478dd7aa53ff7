//! Lambda function `post-queue`: see [`shared::Endpoint::JoinQueue`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::JoinQueue.serve().await
}

//! Lambda function `post-admin-concert`: see [`shared::Endpoint::CreateConcert`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::CreateConcert.serve().await
}

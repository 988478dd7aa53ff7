//! Lambda function `get-concert`: see [`shared::Endpoint::GetConcert`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::GetConcert.serve().await
}

//! Lambda function `get-concert`: see [`shared::Endpoint::GetConcert`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::GetConcert).await
}

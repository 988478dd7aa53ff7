//! Lambda function `get-points`: see [`shared::Endpoint::GetPoints`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::GetPoints).await
}

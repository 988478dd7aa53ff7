//! Lambda function `get-seats`: see [`shared::Endpoint::ListSeats`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::ListSeats).await
}

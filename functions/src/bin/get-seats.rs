//! Lambda function `get-seats`: see [`shared::Endpoint::ListSeats`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ListSeats.serve().await
}

//! Lambda function `get-concerts`: see [`shared::Endpoint::ListConcerts`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ListConcerts.serve().await
}

//! Lambda function `get-concerts`: see [`shared::Endpoint::ListConcerts`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::ListConcerts).await
}

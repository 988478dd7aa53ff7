//! Lambda function `post-reservation`: see [`shared::Endpoint::Reserve`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::Reserve).await
}

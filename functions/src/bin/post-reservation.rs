//! Lambda function `post-reservation`: see [`shared::Endpoint::Reserve`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::Reserve.serve().await
}

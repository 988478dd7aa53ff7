//! Lambda function `post-payment`: see [`shared::Endpoint::Pay`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::Pay.serve().await
}

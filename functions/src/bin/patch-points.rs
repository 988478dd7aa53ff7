//! Lambda function `patch-points`: see [`shared::Endpoint::ChargePoints`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::ChargePoints).await
}

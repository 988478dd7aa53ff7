//! Lambda function `patch-points`: see [`shared::Endpoint::ChargePoints`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ChargePoints.serve().await
}

//! Lambda function `get-points-history`: see [`shared::Endpoint::PointsHistory`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::PointsHistory.serve().await
}

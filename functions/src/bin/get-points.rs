//! Lambda function `get-points`: see [`shared::Endpoint::GetPoints`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::GetPoints.serve().await
}

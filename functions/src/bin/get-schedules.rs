//! Lambda function `get-schedules`: see [`shared::Endpoint::ListSchedules`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ListSchedules.serve().await
}

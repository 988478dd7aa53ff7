//! Lambda function `get-schedules`: see [`shared::Endpoint::ListSchedules`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_http(shared::Endpoint::ListSchedules).await
}

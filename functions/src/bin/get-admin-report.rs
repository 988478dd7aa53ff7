//! Lambda function `get-admin-report`: see [`shared::Endpoint::ScheduleReport`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ScheduleReport.serve().await
}

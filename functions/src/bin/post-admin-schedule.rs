//! Lambda function `post-admin-schedule`: see [`shared::Endpoint::CreateSchedule`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::CreateSchedule.serve().await
}

//! Lambda function `post-admin-schedule-cancel`: see [`shared::Endpoint::CancelSchedule`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::CancelSchedule.serve().await
}

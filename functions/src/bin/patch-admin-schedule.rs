//! Lambda function `patch-admin-schedule`: see [`shared::Endpoint::ChangeSchedule`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::Endpoint::ChangeSchedule.serve().await
}

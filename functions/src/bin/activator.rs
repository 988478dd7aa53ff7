//! Lambda function `activator`: admission rounds, started by EventBridge.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_scheduled(shared::jobs::Scheduled::Activator).await
}

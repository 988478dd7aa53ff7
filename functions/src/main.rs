//! The one binary every Lambda function deploys: it runs as the endpoint
//! or job its function's `Handler` names (see `shared::lambda`).

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_from_env().await
}

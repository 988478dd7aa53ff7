//! Lambda function `schedule-jobs`: see [`shared::jobs::StreamConsumer::ScheduleJobs`].

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::serve_stream(shared::jobs::StreamConsumer::ScheduleJobs).await
}

//! Entry points of the non-HTTP Lambda binaries (HTTP endpoints serve
//! through [`crate::Endpoint::serve`]): build the app once per cold start,
//! then serve events with it.

use crate::app::App;
pub use lambda_http::Error;

/// Human-readable logs for the local stack and tools.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
}

/// Logs as Lambda's logging configuration asks: JSON lines when the
/// function's `LogFormat` is JSON, at its `ApplicationLogLevel`.
pub fn init_lambda_logs() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// Runs a scheduled job as a Lambda function (EventBridge target). A job
/// that fails returns its error, so the function's `Errors` metric counts it.
pub async fn serve_scheduled(job: crate::jobs::Scheduled) -> Result<(), Error> {
    init_lambda_logs();
    let metrics = crate::counters::install();
    let app = App::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |_event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let app = app.clone();
            async move {
                let done = job.invocation(&app, crate::jobs::SCHEDULED_RUN).await;
                crate::counters::flush(metrics);
                done?;
                Ok::<_, Error>(())
            }
        },
    ))
    .await
}

/// Runs a DynamoDB stream consumer as a Lambda function.
pub async fn serve_stream(consumer: crate::jobs::StreamConsumer) -> Result<(), Error> {
    init_lambda_logs();
    let metrics = crate::counters::install();
    let app = App::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::dynamodb::Event>| {
            let app = app.clone();
            async move {
                let answer = consumer.handle(&app, event.payload).await;
                crate::counters::flush(metrics);
                Ok::<_, Error>(answer)
            }
        },
    ))
    .await
}

/// Runs an SQS consumer as a Lambda function.
pub async fn serve_queue(consumer: crate::jobs::QueueConsumer) -> Result<(), Error> {
    init_lambda_logs();
    let metrics = crate::counters::install();
    let app = App::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
            let app = app.clone();
            async move {
                let answer = consumer.handle(&app, event.payload).await;
                crate::counters::flush(metrics);
                Ok::<_, Error>(answer)
            }
        },
    ))
    .await
}

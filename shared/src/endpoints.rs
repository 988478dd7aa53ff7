//! The table of API endpoints. Each one is its own Lambda function, named
//! here by its binary; `template.yaml` routes to these names and the local
//! gateway serves the template's routes through this same table.

use crate::app::App;
use crate::handlers::{admin, catalog, history, payments, points, queue, reservations};
use crate::http::access_log::RequestLine;
use crate::http::{AppError, Reply};
use crate::lambda::{init_lambda_logs, Error};
use lambda_http::{service_fn, Body, Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    ListConcerts,
    GetConcert,
    ListSchedules,
    ListSeats,
    JoinQueue,
    QueueStatus,
    Reserve,
    ChargePoints,
    GetPoints,
    Pay,
    CreateConcert,
    CreateSchedule,
    ChangeSchedule,
    CancelSchedule,
    ScheduleReport,
    GetQueueControl,
    SetQueueControl,
    CancelReservation,
    ListReservations,
    PointsHistory,
}

impl Endpoint {
    pub const ALL: &'static [Endpoint] = &[
        Endpoint::ListConcerts,
        Endpoint::GetConcert,
        Endpoint::ListSchedules,
        Endpoint::ListSeats,
        Endpoint::JoinQueue,
        Endpoint::QueueStatus,
        Endpoint::Reserve,
        Endpoint::ChargePoints,
        Endpoint::GetPoints,
        Endpoint::Pay,
        Endpoint::CreateConcert,
        Endpoint::CreateSchedule,
        Endpoint::ChangeSchedule,
        Endpoint::CancelSchedule,
        Endpoint::ScheduleReport,
        Endpoint::GetQueueControl,
        Endpoint::SetQueueControl,
        Endpoint::CancelReservation,
        Endpoint::ListReservations,
        Endpoint::PointsHistory,
    ];

    /// The function's binary in `functions/src/bin/` and its `Binary` in the template.
    pub fn binary(self) -> &'static str {
        match self {
            Endpoint::ListConcerts => "get-concerts",
            Endpoint::GetConcert => "get-concert",
            Endpoint::ListSchedules => "get-schedules",
            Endpoint::ListSeats => "get-seats",
            Endpoint::JoinQueue => "post-queue",
            Endpoint::QueueStatus => "get-queue",
            Endpoint::Reserve => "post-reservation",
            Endpoint::ChargePoints => "patch-points",
            Endpoint::GetPoints => "get-points",
            Endpoint::Pay => "post-payment",
            Endpoint::CreateConcert => "post-admin-concert",
            Endpoint::CreateSchedule => "post-admin-schedule",
            Endpoint::ChangeSchedule => "patch-admin-schedule",
            Endpoint::CancelSchedule => "post-admin-schedule-cancel",
            Endpoint::ScheduleReport => "get-admin-report",
            Endpoint::GetQueueControl => "get-admin-queue",
            Endpoint::SetQueueControl => "put-admin-queue",
            Endpoint::CancelReservation => "post-reservation-cancel",
            Endpoint::ListReservations => "get-reservations",
            Endpoint::PointsHistory => "get-points-history",
        }
    }

    pub fn by_binary(name: &str) -> Option<Endpoint> {
        Self::ALL.iter().copied().find(|e| e.binary() == name)
    }

    /// The endpoint's answer to `req`, logged as one line.
    pub async fn reply(self, app: &App, req: &Request) -> Reply {
        let started = std::time::Instant::now();
        let reply = self.answer(app, req).await;
        let line = RequestLine::of(req, &reply, self.binary());
        line.log(started.elapsed());
        crate::counters::answered(self, &reply, line.code.as_deref());
        reply
    }

    async fn answer(self, app: &App, req: &Request) -> Reply {
        // Behind CloudFront, only requests that came through it count.
        if let Some(secret) = &app.config.edge_origin_secret {
            let sent = crate::http::request::header(req, "x-origin-verify");
            if sent != Some(secret.as_str()) {
                return Reply::error(&AppError::NotThroughEdge);
            }
        }
        let result = match self {
            Endpoint::ListConcerts => catalog::list_concerts(app, req).await,
            Endpoint::GetConcert => catalog::get_concert(app, req).await,
            Endpoint::ListSchedules => catalog::list_schedules(app, req).await,
            Endpoint::ListSeats => catalog::list_seats(app, req).await,
            Endpoint::JoinQueue => queue::join(app, req).await,
            Endpoint::QueueStatus => queue::status(app, req).await,
            Endpoint::Reserve => reservations::reserve(app, req).await,
            Endpoint::ChargePoints => points::charge(app, req).await,
            Endpoint::GetPoints => points::get(app, req).await,
            Endpoint::Pay => payments::pay(app, req).await,
            Endpoint::CreateConcert => admin::concerts::create(app, req).await,
            Endpoint::CreateSchedule => admin::schedules::create(app, req).await,
            Endpoint::ChangeSchedule => admin::schedules::patch(app, req).await,
            Endpoint::CancelSchedule => admin::schedules::cancel(app, req).await,
            Endpoint::ScheduleReport => admin::report::report(app, req).await,
            Endpoint::GetQueueControl => admin::queue::get(app, req).await,
            Endpoint::SetQueueControl => admin::queue::put(app, req).await,
            Endpoint::CancelReservation => reservations::cancel(app, req).await,
            Endpoint::ListReservations => history::reservations(app, req).await,
            Endpoint::PointsHistory => history::points(app, req).await,
        };
        Reply::from(result)
    }

    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        self.reply(app, &req).await.into_response()
    }

    /// Runs this endpoint as a Lambda function: the app is built once per
    /// cold start, then serves every request.
    pub async fn serve(self) -> Result<(), Error> {
        init_lambda_logs();
        let metrics = crate::counters::install();
        let app = App::from_env().await?;
        lambda_http::run(service_fn(move |req: Request| {
            let app = app.clone();
            async move {
                let response = self.handle(&app, req).await;
                crate::counters::flush(metrics);
                Ok::<_, std::convert::Infallible>(response)
            }
        }))
        .await
    }
}

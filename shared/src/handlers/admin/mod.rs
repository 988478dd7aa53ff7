//! The organiser API (`/admin/*`, SPEC §6). In AWS, API Gateway lets a
//! request through only with a valid SigV4 signature of a principal the
//! stack's policy allows, and names it in the event; the local gateway
//! checks `ADMIN_TOKEN` and names its organiser the same way. The handlers
//! trust only that name.

pub mod concerts;
pub mod queue;
pub mod reconcile;
pub mod repair;
pub mod report;
pub mod rooms;
pub mod schedules;

use crate::app::App;
use crate::domain::catalog::Schedule;
use crate::http::request::{iam_principal, path_id};
use crate::http::AppError;
use lambda_http::Request;

/// The organiser the gateway verified; 401 when none.
pub fn organiser(req: &Request) -> Result<String, AppError> {
    iam_principal(req).ok_or(AppError::AdminUnauthorized)
}

/// The schedule an organiser's request names in its path, as it is now:
/// 401 without an organiser, 404 for an unknown schedule.
pub async fn named_schedule(app: &App, req: &Request) -> Result<Schedule, AppError> {
    organiser(req)?;
    let schedule_id = path_id(req, "scheduleId")?;
    app.db
        .schedule_now(schedule_id)
        .await?
        .ok_or(AppError::ScheduleNotFound)
}

/// An organiser's time (ISO-8601 with an offset or `Z`) in ms.
pub fn parse_time(raw: &str, name: &str) -> Result<i64, AppError> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            AppError::bad_request(format!(
                "{name}는 2026-12-01T20:00:00+09:00 같은 ISO-8601 시각이어야 합니다."
            ))
        })
}

/// Parses an optional time field.
pub fn parse_opt_time(raw: Option<&str>, name: &str) -> Result<Option<i64>, AppError> {
    raw.map(|r| parse_time(r, name)).transpose()
}

/// Idempotency records of organiser writes are scoped to the organiser.
pub fn idempotency_scope(organiser: &str) -> String {
    format!("admin:{organiser}")
}

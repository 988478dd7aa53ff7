//! `POST /admin/reconcile`: one reconciliation round now (SPEC §11).

use super::organiser;
use crate::app::App;
#[cfg(feature = "openapi")]
use crate::http::error::ErrorBody;
use crate::http::{AppError, Reply};
#[cfg(feature = "openapi")]
use crate::settlement::reconcile::Round;
use crate::settlement::{provider, reconcile};
use lambda_http::Request;

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "reconcile",
        post, path = "/admin/reconcile", tag = "organiser",
        security(("organiser" = [])),
        responses(
            (status = 200, description = "What the round settled, expired and left pending", body = Round),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 404, description = "PAYMENT_PROVIDER=none (NOT_FOUND)", body = ErrorBody),
        )
    )
)]
pub async fn run(app: &App, req: &Request) -> Result<Reply, AppError> {
    organiser(req)?;
    provider(app)?;
    Reply::ok(&reconcile::round(app).await?)
}

//! `POST /admin/concerts`: a new concert.

use super::{idempotency_scope, organiser};
use crate::app::App;
use crate::domain::catalog::Concert;
use crate::domain::organiser::check_concert;
use crate::handlers::idempotency::{self, Done, Keyed};
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, JsonBodyRefusals};
use crate::http::json::typed_body;
use crate::http::{AppError, Reply};
use crate::store::idempotency::Claim;
use crate::store::StoreError;
use chrono::NaiveDate;
use lambda_http::Request;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewConcert {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, example = "아이유 HER WORLD TOUR")
    )]
    title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-12-01"))]
    start_date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-12-03"))]
    end_date: NaiveDate,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "create_concert",
        post, path = "/admin/concerts", tag = "organiser",
        security(("organiser" = [])),
        params(("Idempotency-Key" = Option<String>, Header, pattern = r"^[ \t]*[!-~]{1,255}[ \t]*$",
            description = "Same key and body: the first reply again, nothing created twice")),
        request_body = NewConcert,
        responses(
            JsonBodyRefusals,
            (status = 201, description = "The concert", body = Concert),
            (status = 400, description = "Malformed body, empty title, or start after end", body = ErrorBody),
            (status = 401, description = "관리자 인증이 필요합니다.", body = ErrorBody),
            (status = 422, description = "Key reused with another body", body = ErrorBody),
        )
    )
)]
pub async fn create(app: &App, req: &Request) -> Result<Reply, AppError> {
    let who = organiser(req)?;
    let (value, body): (_, NewConcert) = typed_body(req)?;
    let title = check_concert(&body.title, body.start_date, body.end_date)?;
    let scope = idempotency_scope(&who);
    let keyed = Keyed {
        scope: &scope,
        op: "concert",
        request: &value,
    };
    let concert = Concert {
        id: 0,
        title,
        start_date: body.start_date,
        end_date: body.end_date,
        has_room: false,
    };
    idempotency::once(app, req, keyed, |claim| async move {
        insert(app, concert, claim.as_ref()).await
    })
    .await
}

async fn insert(app: &App, mut concert: Concert, claim: Option<&Claim>) -> Result<Done, AppError> {
    concert.id = app.db.next_id("concert").await?;
    let reply = Reply::created(&concert)?;
    let commit = idempotency::commit(app, claim, Some(&reply))?;
    match app.db.create_concert(&concert, commit).await {
        Ok(()) => Ok(Done {
            reply,
            recorded: claim.is_some(),
        }),
        // Only a counter moved back by hand could hand out a used id.
        Err(StoreError::IdTaken) => Err(AppError::internal("concert id already used")),
        Err(e) => Err(e.into()),
    }
}

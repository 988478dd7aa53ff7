//! `GET /reservations` and `GET /points/{userId}/history`: a fan's own
//! reservations and point movements, newest first, paged.

use super::identity;
use super::reservations::ReservationBody;
use crate::app::App;
use crate::clock::format_ms;
use crate::domain::ids::parse_id;
#[cfg(feature = "openapi")]
use crate::domain::ids::UserId;
use crate::domain::points::EntryKind;
use crate::domain::reservation::status_at;
#[cfg(feature = "openapi")]
use crate::http::error::{ErrorBody, IdentityRefusals};
use crate::http::request::{path_user, query_param};
use crate::http::{AppError, Reply};
use lambda_http::Request;
use serde::Serialize;

/// Default and largest page (SPEC §5).
const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

/// `?limit=`: 1–100, 20 when absent.
fn limit(req: &Request) -> Result<usize, AppError> {
    let limit = match query_param(req, "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => parse_id(&raw, "limit")?,
    };
    if limit > MAX_LIMIT {
        return Err(AppError::bad_request("limit는 1~100이어야 합니다."));
    }
    Ok(limit as usize)
}

fn bad_cursor() -> AppError {
    AppError::bad_request("cursor가 올바르지 않습니다.")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReservationsBody {
    reservations: Vec<ReservationBody>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    next_cursor: Option<String>,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "list_reservations",
        security((), ("identityToken" = [])),
        get, path = "/reservations", tag = "reservations",
        params(
            ("userId" = UserId, Query),
            ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
            ("cursor" = Option<String>, Query, pattern = r"^[0-9]{1,16}-[0-9]{1,16}$", description = "`nextCursor` of the previous page"),
        ),
        responses(
            IdentityRefusals,
            (status = 200, description = "The user's reservations, newest first, each with its status now", body = ReservationsBody),
            (status = 400, description = "Malformed user id, limit or cursor", body = ErrorBody),
        )
    )
)]
pub async fn reservations(app: &App, req: &Request) -> Result<Reply, AppError> {
    let user = identity::query_user(app, req)?;
    let limit = limit(req)?;
    // The cursor is `{createdAt}-{reserveId}` of the last item shown.
    let after = query_param(req, "cursor")
        .map(|c| {
            let (at, rid) = c.split_once('-').ok_or_else(bad_cursor)?;
            Ok::<_, AppError>((
                at.parse::<i64>().map_err(|_| bad_cursor())?,
                rid.parse::<u64>().map_err(|_| bad_cursor())?,
            ))
        })
        .transpose()?;
    let page = app.db.reservations_of(&user, limit, after).await?;
    let now = app.now_ms();
    Reply::ok(&ReservationsBody {
        reservations: page
            .items
            .into_iter()
            .map(|mut r| {
                r.status = status_at(&r, now);
                ReservationBody::from(&r)
            })
            .collect(),
        next_cursor: page.next.map(|(at, rid)| format!("{at}-{rid}")),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryBody {
    entries: Vec<EntryBody>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    next_cursor: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryBody {
    entry_id: String,
    kind: EntryKind,
    /// Signed: + for a charge, top-up, refund or reversed withdrawal; − for
    /// a payment, withdrawal or reversed top-up.
    amount: i64,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reserve_id: Option<u64>,
    /// `TOPUP` and `TOPUP_REVERSED`: the top-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
    /// `WITHDRAWAL` and `WITHDRAWAL_REVERSED`: the withdrawal.
    #[serde(skip_serializing_if = "Option::is_none")]
    withdrawal_id: Option<String>,
}

#[cfg_attr(
    feature = "openapi",
    utoipa::path(
        operation_id = "points_history",
        security((), ("identityToken" = [])),
        get, path = "/points/{userId}/history", tag = "points",
        params(
            ("userId" = UserId, Path),
            ("limit" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
            ("cursor" = Option<String>, Query, pattern = r"^[0-9]{16}#[0-9]{1,16}$", description = "`nextCursor` of the previous page"),
        ),
        responses(
            IdentityRefusals,
            (status = 200, description = "Point movements, newest first; their amounts sum to the balance", body = HistoryBody),
            (status = 400, description = "Malformed user id, limit or cursor", body = ErrorBody),
        )
    )
)]
pub async fn points(app: &App, req: &Request) -> Result<Reply, AppError> {
    let caller = identity::caller(app, req)?;
    let user = path_user(req)?;
    identity::acts_for(caller.as_deref(), &user)?;
    let limit = limit(req)?;
    let before = query_param(req, "cursor");
    let valid = |c: &str| {
        let (at, id) = c.split_once('#')?;
        (at.len() == 16 && at.bytes().all(|b| b.is_ascii_digit()) && id.parse::<u64>().is_ok())
            .then_some(())
    };
    if before.as_deref().is_some_and(|c| valid(c).is_none()) {
        return Err(bad_cursor());
    }
    let page = app.db.ledger_page(&user, limit, before.as_deref()).await?;
    Reply::ok(&HistoryBody {
        entries: page
            .items
            .into_iter()
            .map(|e| EntryBody {
                entry_id: e.entry_id.to_string(),
                kind: e.kind,
                amount: e.amount,
                at: format_ms(e.at),
                reserve_id: e.reserve_id,
                order_id: e.order_id,
                withdrawal_id: e.withdrawal_id,
            })
            .collect(),
        next_cursor: page.next,
    })
}

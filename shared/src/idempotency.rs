//! `Idempotency-Key` handling shared by every mutating endpoint: the same
//! key with the same body replays the first reply exactly and has no
//! second effect; the same key with another body is a 422.

use crate::app::App;
use crate::error::AppError;
use crate::http::Reply;
use crate::store::idempotency::{idem_pk, Begin, IdemClaim};
use lambda_http::Request;
use std::future::Future;

pub const HEADER: &str = "idempotency-key";

/// What an operation hands back: its reply, and whether its own
/// transaction already stored that reply with the claim.
pub struct Done {
    pub reply: Reply,
    pub recorded: bool,
}

/// The request's key: 1–128 visible ASCII characters, if present.
/// Surrounding spaces are not part of it (HTTP strips them anyway).
pub fn key_of(req: &Request) -> Result<Option<String>, AppError> {
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = raw.to_str().unwrap_or_default().trim_matches([' ', '\t']);
    if !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Some(key.to_string()))
    } else {
        Err(AppError::bad_request(
            "Idempotency-Key는 1~128자의 영문, 숫자, 기호여야 합니다.",
        ))
    }
}

/// Runs `apply` once per key. `apply` gets the claim to commit inside its
/// own transaction (None without a key). `rebuild` answers a retry whose
/// effect committed before its reply could be stored.
pub async fn once<A, AF, B, BF>(
    app: &App,
    req: &Request,
    user_id: &str,
    op: &str,
    request: &serde_json::Value,
    apply: A,
    rebuild: B,
) -> Result<Reply, AppError>
where
    A: FnOnce(Option<IdemClaim>) -> AF,
    AF: Future<Output = Result<Done, AppError>>,
    B: FnOnce() -> BF,
    BF: Future<Output = Result<Reply, AppError>>,
{
    let Some(key) = key_of(req)? else {
        return apply(None).await.map(|d| d.reply);
    };
    // serde_json sorts object keys, so equal bodies compare equal however
    // they were spaced or ordered.
    let canonical = request.to_string();
    match app
        .db
        .idem_begin(idem_pk(user_id, op, &key), &canonical, app.now_ms())
        .await?
    {
        Begin::Replay(reply) => Ok(reply),
        Begin::InProgress => Err(AppError::IdempotencyInProgress),
        Begin::Applied(claim) => {
            let reply = rebuild().await?;
            app.db.idem_finish(&claim, &reply).await?;
            Ok(reply)
        }
        Begin::Fresh(claim) => match apply(Some(claim.clone())).await {
            Ok(done) => {
                if !done.recorded {
                    app.db.idem_finish(&claim, &done.reply).await?;
                }
                Ok(done.reply)
            }
            // A refusal is an answer too: replayed like a success.
            Err(e) if e.status().is_client_error() => {
                app.db.idem_finish(&claim, &Reply::error(&e)).await?;
                Err(e)
            }
            Err(e) => {
                if let Err(release) = app.db.idem_release(&claim).await {
                    tracing::error!(error = %release, "idempotency claim not released");
                }
                Err(e)
            }
        },
    }
}

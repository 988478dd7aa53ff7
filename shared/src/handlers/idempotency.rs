//! `Idempotency-Key` on mutating requests, as a linear pair around the
//! operation: [`begin`] claims the key (or finds its answer), the operation
//! commits the claim in its own transaction ([`commit`]), and [`finish`]
//! stores an answer the transaction could not carry. The same key with the
//! same body replays the first answer exactly and has no second effect;
//! the same key with another body is a 422.

use crate::app::App;
use crate::http::{AppError, Reply};
use crate::store::idempotency::{Begin, Claim, Commit, Recorded};
use crate::store::schema::idempotency::idem_pk;
use aws_sdk_dynamodb::types::Update;
use lambda_http::Request;

pub const HEADER: &str = "idempotency-key";

/// What claiming the request's key found.
#[derive(Debug)]
pub enum Begun {
    /// Run the operation, committing the claim (None: no key) with it.
    Run(Option<Claim>),
    /// Answered before: answer exactly this.
    Replay(Reply),
    /// The effect committed but its answer was lost: rebuild the answer.
    Rebuild(Claim),
}

/// An operation's answer, and whether its own transaction recorded it.
#[derive(Debug)]
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

/// Claims the request's key for `user`'s operation `op` with this body.
pub async fn begin(
    app: &App,
    req: &Request,
    user: &str,
    op: &str,
    body: &serde_json::Value,
) -> Result<Begun, AppError> {
    let Some(key) = key_of(req)? else {
        return Ok(Begun::Run(None));
    };
    // serde_json sorts object keys, so equal bodies compare equal however
    // they were spaced or ordered.
    let canonical = body.to_string();
    let pk = idem_pk(user, op, &key);
    match app.db.idem_begin(pk, &canonical, app.now_ms()).await? {
        Begin::Claimed(claim) => Ok(Begun::Run(Some(claim))),
        Begin::Replay(recorded) => {
            crate::counters::replayed();
            Ok(Begun::Replay(Reply {
                status: recorded.status,
                body: recorded.body,
                retry_after: None,
            }))
        }
        Begin::Applied(claim) => Ok(Begun::Rebuild(claim)),
        Begin::InProgress => Err(AppError::IdempotencyInProgress),
        Begin::Mismatch => Err(AppError::IdempotencyMismatch),
    }
}

/// The write that completes `claim` inside the operation's transaction,
/// carrying `reply` when it is known before writing.
pub fn commit(
    app: &App,
    claim: Option<&Claim>,
    reply: Option<&Reply>,
) -> Result<Option<Update>, AppError> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    let commit = Commit {
        claim: claim.clone(),
        answer: reply.map(recorded),
    };
    Ok(Some(app.db.idem_commit(&commit)?))
}

/// Stores what the operation's transaction did not: an answer read after
/// the write, or a refusal (replayed like a success). A failure of ours
/// gives the claim back so a retry runs afresh.
pub async fn finish(
    app: &App,
    claim: Option<Claim>,
    result: Result<Done, AppError>,
) -> Result<Reply, AppError> {
    let Some(claim) = claim else {
        return result.map(|done| done.reply);
    };
    match result {
        Ok(done) if done.recorded => Ok(done.reply),
        Ok(done) => {
            app.db.idem_finish(&claim, &recorded(&done.reply)).await?;
            Ok(done.reply)
        }
        Err(e) if e.status().is_client_error() => {
            app.db
                .idem_finish(&claim, &recorded(&Reply::error(&e)))
                .await?;
            Err(e)
        }
        Err(e) => {
            if let Err(release) = app.db.idem_release(&claim).await {
                tracing::error!(error = %release, "idempotency claim not released");
            }
            Err(e)
        }
    }
}

fn recorded(reply: &Reply) -> Recorded {
    Recorded {
        status: reply.status,
        body: reply.body.clone(),
    }
}

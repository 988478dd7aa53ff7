//! `Idempotency-Key` on mutating requests. A handler calls [`once`] with
//! what the request is ([`Keyed`]) and its effect; read top to bottom:
//! [`begin`] claims the key (or finds its answer), the effect commits the
//! claim in its own transaction ([`commit`]), and [`finish`] stores an
//! answer the transaction could not carry. The same key with the same
//! request replays the first answer exactly and has no second effect; the
//! same key with another request is a 422. Stored answers are the 2xx and
//! the business refusals (402, 404, 409, 410, 422); a 400, 401, 403 or a
//! failure of ours is not stored, so its retry runs again (SPEC §5).

use crate::app::App;
use crate::http::{AppError, Reply};
use crate::store::idempotency::{Begin, Claim, Commit, Recorded};
use crate::store::schema::idempotency::idem_pk;
use aws_sdk_dynamodb::types::Update;
use lambda_http::Request;
use std::future::Future;

pub const HEADER: &str = "idempotency-key";

/// Longest key (SPEC §5).
pub const MAX_KEY: usize = 255;

/// What an idempotent request is, as its key covers it: whose, which
/// operation, and the request a retry must repeat (its body, and the ids
/// of its path where it has some).
pub struct Keyed<'a> {
    pub scope: &'a str,
    pub op: &'static str,
    pub request: &'a serde_json::Value,
}

/// What claiming the request's key found.
#[derive(Debug)]
enum Begun {
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

/// The request's key: 1–255 visible ASCII characters (`!` to `~`), if
/// present; any other value is refused, never ignored. Surrounding spaces
/// are not part of it (HTTP strips them anyway).
pub fn key_of(req: &Request) -> Result<Option<String>, AppError> {
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let refused =
        || AppError::bad_request("Idempotency-Key는 1~255자의 영문, 숫자, 기호여야 합니다.");
    // `to_str` refuses anything but visible ASCII, spaces and tabs.
    let key = raw
        .to_str()
        .map_err(|_| refused())?
        .trim_matches([' ', '\t']);
    if !key.is_empty() && key.len() <= MAX_KEY && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Some(key.to_string()))
    } else {
        Err(refused())
    }
}

/// Runs `effect` at most once per key: a retry gets the first answer. The
/// effect commits the claim it is given in its own transaction; its answer
/// must be recorded there or be a refusal.
pub async fn once<F, Fut>(
    app: &App,
    req: &Request,
    keyed: Keyed<'_>,
    effect: F,
) -> Result<Reply, AppError>
where
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<Done, AppError>>,
{
    let lost = || async { Err(AppError::internal("effect committed without its answer")) };
    once_or_rebuild(app, req, keyed, effect, lost).await
}

/// [`once`] for an effect whose answer is read after its transaction:
/// when the effect committed but its answer was lost, `rebuild` reads it.
pub async fn once_or_rebuild<F, Fut, R, RFut>(
    app: &App,
    req: &Request,
    keyed: Keyed<'_>,
    effect: F,
    rebuild: R,
) -> Result<Reply, AppError>
where
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = Result<Done, AppError>>,
    R: FnOnce() -> RFut,
    RFut: Future<Output = Result<Done, AppError>>,
{
    match begin(app, req, keyed).await? {
        Begun::Replay(reply) => Ok(reply),
        Begun::Run(claim) => {
            let done = effect(claim.clone()).await;
            finish(app, claim, done).await
        }
        Begun::Rebuild(claim) => finish(app, Some(claim), rebuild().await).await,
    }
}

/// Whether a refusal is stored and replayed: the business answers, not
/// the ones a retry may see change (400, 401, 403).
pub fn is_stored(status: u16) -> bool {
    matches!(status, 200..=299 | 402 | 404 | 409 | 410 | 422)
}

/// Claims the request's key for its scope and operation.
async fn begin(app: &App, req: &Request, keyed: Keyed<'_>) -> Result<Begun, AppError> {
    let Some(key) = key_of(req)? else {
        return Ok(Begun::Run(None));
    };
    // serde_json sorts object keys, so equal bodies compare equal however
    // they were spaced or ordered.
    let canonical = keyed.request.to_string();
    let pk = idem_pk(keyed.scope, keyed.op, &key);
    match app.db.idem_begin(pk, &canonical, app.now_ms()).await? {
        Begin::Claimed(claim) => Ok(Begun::Run(Some(claim))),
        Begin::Replay(recorded) => {
            crate::counters::replayed();
            Ok(Begun::Replay(Reply {
                status: recorded.status,
                body: recorded.body,
                retry_after: None,
                max_age: None,
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
/// the write, or a business refusal (replayed like a success). Any other
/// refusal, or a failure of ours, gives the claim back so a retry runs
/// afresh.
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
        Err(e) if is_stored(e.status().as_u16()) => {
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

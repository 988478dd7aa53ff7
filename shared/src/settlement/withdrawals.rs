//! A withdrawal's cancels, sent and settled: by its own request first,
//! then by reconciliation until every planned cancel is answered.

use super::provider;
use crate::app::App;
use crate::domain::money::{withdrawal_status, Part, PartState, Withdrawal, WithdrawalStatus};
use crate::domain::points::{EntryKind, LedgerEntry, Source};
use crate::http::AppError;
use crate::provider::ProviderError;
use crate::store::StoreError;
use std::time::{Duration, Instant};

/// How long a fan's request keeps sending cancels: a slow provider
/// leaves the rest to reconciliation rather than the function timing out.
pub const REQUEST_BUDGET: Duration = Duration::from_secs(5);

/// Sends every PENDING part's cancel (each with its own idempotency key)
/// until `budget` is spent, and records what the provider answered;
/// finishes the withdrawal once no part is left unanswered. Returns it as
/// it stands after.
pub async fn advance(
    app: &App,
    id: &str,
    budget: Duration,
) -> Result<(Withdrawal, Vec<Part>), AppError> {
    let started = Instant::now();
    let (w, parts) = app.db.withdrawal(id).await?.ok_or(AppError::NotFound)?;
    for part in parts.iter().filter(|p| p.state == PartState::Pending) {
        if started.elapsed() >= budget {
            break;
        }
        settle_part(app, &w, part).await?;
    }
    let (mut w, parts) = app.db.withdrawal(id).await?.ok_or(AppError::NotFound)?;
    let status = withdrawal_status(&parts);
    if w.status == WithdrawalStatus::Pending && status != WithdrawalStatus::Pending {
        app.db.finish_withdrawal(&w, status).await?;
        w.status = status;
    }
    Ok((w, parts))
}

/// One planned cancel: done when the provider took it; reversed only when
/// it refused and the payment's `cancels` show it did not happen; left
/// PENDING when the answer is unknown.
async fn settle_part(app: &App, w: &Withdrawal, part: &Part) -> Result<(), AppError> {
    let client = &provider(app)?.client;
    let id = &w.withdrawal_id;
    let reason = part.cancel_reason(id);
    let answer = client
        .cancel(
            &part.payment_key,
            &reason,
            part.amount,
            &part.cancel_key(id),
        )
        .await;
    match answer {
        Ok(_) => {
            app.db.part_done(id, part).await?;
        }
        Err(ProviderError::Refused { code, .. }) => {
            let happened = match client.payment(&part.payment_key).await {
                Ok(p) => p.is_some_and(|p| p.cancels().iter().any(|c| c.cancel_reason == reason)),
                Err(_) => return Ok(()),
            };
            if happened {
                app.db.part_done(id, part).await?;
            } else {
                tracing::warn!(withdrawal = %id, part = part.index, code, "cancel refused; reversed");
                reverse(app, w, part).await?;
            }
        }
        Err(ProviderError::Unavailable(_)) => {}
    }
    Ok(())
}

async fn reverse(app: &App, w: &Withdrawal, part: &Part) -> Result<(), AppError> {
    for _ in 0..3 {
        let entry = LedgerEntry::provider(
            app.entropy(),
            EntryKind::WithdrawalReversed,
            &w.user_id,
            part.amount,
            app.now_ms(),
            Source::Withdrawal(&w.withdrawal_id),
        );
        match app.db.part_refused(w, part, &entry).await {
            Ok(_) => return Ok(()),
            Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal("no free ledger id"))
}

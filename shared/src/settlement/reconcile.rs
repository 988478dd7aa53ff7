//! Reconciliation (SPEC §11): every top-up still PENDING after
//! `RECONCILE_AFTER_SECONDS` is settled by the provider's record of its
//! order, and every PENDING withdrawal's cancels are sent again. An
//! outage only delays this; nothing is lost or doubled.

use super::{provider, settle, withdrawals};
use crate::app::App;
use crate::domain::money::{TopupStatus, WithdrawalStatus};
use crate::http::AppError;
use crate::store::schema::money::Pending;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Round {
    pub settled_topups: u64,
    pub expired_topups: u64,
    pub settled_withdrawals: u64,
    /// Top-ups and withdrawals the round looked at that are still pending.
    pub pending: u64,
}

/// How long one round works (the function's timeout is 60 s); what it
/// does not reach waits for the next round.
pub const ROUND_BUDGET: Duration = Duration::from_secs(40);

/// One round; a no-op without a provider.
pub async fn round(app: &App) -> Result<Round, AppError> {
    let mut round = Round::default();
    if app.provider.is_none() {
        return Ok(round);
    }
    let started = Instant::now();
    let left = || ROUND_BUDGET.saturating_sub(started.elapsed());
    let now = app.now_ms();
    let due = now - app.config.payment.reconcile_after_seconds * 1000;
    let mut overdue = (0, 0);
    for order_id in app.db.pending_since(Pending::Topup, due).await? {
        if left().is_zero() {
            round.pending += 1;
            continue;
        }
        match topup(app, &order_id, now).await {
            Ok(Some(TopupStatus::Done)) => round.settled_topups += 1,
            Ok(Some(TopupStatus::Expired)) => round.expired_topups += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                round.pending += 1;
                overdue.0 += 1;
            }
        }
    }
    for id in app.db.pending_since(Pending::Withdrawal, now + 1).await? {
        match withdrawals::advance(app, &id, left()).await {
            Ok((w, _)) if w.status != WithdrawalStatus::Pending => round.settled_withdrawals += 1,
            Ok((w, _)) => {
                round.pending += 1;
                if now - w.created_at > app.config.payment.topup_pending_seconds * 1000 {
                    overdue.1 += 1;
                }
            }
            Err(e) => {
                tracing::warn!(withdrawal = %id, error = %e, "withdrawal not advanced");
                round.pending += 1;
            }
        }
    }
    crate::counters::pending_overdue(overdue.0, overdue.1);
    Ok(round)
}

/// Settles one pending top-up by the provider's record of its order:
/// the status it ended in, None while it stays pending.
async fn topup(app: &App, order_id: &str, now: i64) -> Result<Option<TopupStatus>, AppError> {
    let Some(topup) = app.db.topup(order_id).await? else {
        return Ok(None);
    };
    if topup.status != TopupStatus::Pending {
        return Ok(Some(topup.status));
    }
    let record = provider(app)?.client.payment_of_order(order_id).await;
    let record = match record {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(order = %order_id, error = %e, "top-up not reconciled");
            return Ok(None);
        }
    };
    match record {
        Some(p) if p.is_paid() => {
            let after = settle(app, topup, &p).await?;
            Ok(Some(after.status).filter(|s| *s != TopupStatus::Pending))
        }
        // Never to be charged, or no longer confirmable by the fan.
        Some(p) if p.is_dead() || now >= topup.expires_at => expire(app, topup).await,
        None if now >= topup.expires_at => expire(app, topup).await,
        _ => Ok(None),
    }
}

async fn expire(
    app: &App,
    topup: crate::domain::money::Topup,
) -> Result<Option<TopupStatus>, AppError> {
    if app
        .db
        .close_topup(&topup, TopupStatus::Expired, None)
        .await?
    {
        Ok(Some(TopupStatus::Expired))
    } else {
        Ok(Some(super::reread(app, &topup.order_id).await?.status))
    }
}

//! Settling money with the payment provider (SPEC §11): confirm, the
//! webhook and reconciliation all credit a top-up through [`settle`], by
//! the provider's own record of the payment, so whichever comes first
//! credits it and the others find it DONE.

pub mod reconcile;
pub mod withdrawals;

use crate::app::App;
use crate::domain::money::{Topup, TopupStatus, WITHDRAWAL_REASON};
use crate::domain::points::{EntryKind, LedgerEntry, Source};
use crate::http::AppError;
use crate::provider::{Payment, Provider};
use crate::store::topups::Credit;
use crate::store::StoreError;

/// Rounds of a settlement that keeps finding its top-up moved on.
const SETTLE_ATTEMPTS: usize = 4;

/// The provider, or 404 `NOT_FOUND` for the routes that need one.
pub fn provider(app: &App) -> Result<&Provider, AppError> {
    app.provider.as_deref().ok_or(AppError::NotFound)
}

/// Credits `topup` if `payment` — the provider's record, naming this
/// order — says it was paid its amount; the top-up as it stands after.
/// Credits at most once however many callers race here.
pub async fn settle(app: &App, topup: Topup, payment: &Payment) -> Result<Topup, AppError> {
    let paid = payment.is_paid()
        && payment.order_id == topup.order_id
        && payment.total_amount == topup.amount;
    let mut seen = topup;
    if !paid {
        return Ok(seen);
    }
    for _ in 0..SETTLE_ATTEMPTS {
        if seen.status == TopupStatus::Done {
            return Ok(seen);
        }
        let entry = LedgerEntry::provider(
            app.entropy(),
            EntryKind::Topup,
            &seen.user_id,
            seen.amount,
            app.now_ms(),
            Source::Topup {
                order_id: &seen.order_id,
                payment_key: Some(&payment.payment_key),
            },
        );
        match app
            .db
            .credit_topup(&seen, &entry, &payment.payment_key, app.now_ms())
            .await
        {
            Ok(Credit::Credited(after)) => {
                crate::counters::topup_credited(after.amount);
                tracing::info!(order = %after.order_id, amount = after.amount, "top-up credited");
                return Ok(after);
            }
            Ok(Credit::Moved) => seen = reread(app, &seen.order_id).await?,
            Err(StoreError::IdTaken) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Busy("top-up kept moving".into()))
}

/// Takes back, from a DONE top-up, what the provider cancelled of its
/// charge by itself (cancels that are not our withdrawals').
pub async fn take_back_reversals(
    app: &App,
    topup: &Topup,
    payment: &Payment,
) -> Result<(), AppError> {
    let external: i64 = payment
        .cancels()
        .iter()
        .filter(|c| !c.cancel_reason.starts_with(WITHDRAWAL_REASON))
        .map(|c| c.cancel_amount)
        .sum();
    if topup.status != TopupStatus::Done || external <= topup.reversed {
        return Ok(());
    }
    let entry_for = |amount| {
        LedgerEntry::provider(
            app.entropy(),
            EntryKind::TopupReversed,
            &topup.user_id,
            amount,
            app.now_ms(),
            Source::Topup {
                order_id: &topup.order_id,
                payment_key: topup.payment_key.as_deref(),
            },
        )
    };
    match app.db.reverse_topup(topup, entry_for, external).await? {
        Some(0) => Ok(()),
        Some(short) => {
            tracing::error!(order = %topup.order_id, short, "provider reversal exceeded the balance");
            crate::counters::reversal_shortfall(short);
            Ok(())
        }
        // Moved on meanwhile: the provider's next webhook tries again.
        None => Err(AppError::Busy("top-up moved during a reversal".into())),
    }
}

pub(crate) async fn reread(app: &App, order_id: &str) -> Result<Topup, AppError> {
    app.db
        .topup(order_id)
        .await?
        .ok_or_else(|| AppError::internal("top-up vanished"))
}

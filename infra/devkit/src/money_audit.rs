//! SPEC §4.7 over all data, against the payment provider's own records
//! (the sandbox's): per user, Σ `TOPUP` = Σ of their orders the provider
//! reports paid; Σ `WITHDRAWAL` − Σ `WITHDRAWAL_REVERSED` = Σ the
//! provider cancelled for withdrawals; what the provider cancelled by
//! itself = Σ `TOPUP_REVERSED` + the recorded shortfall; and no card is
//! refunded, nor planned to be, beyond its charge.

use crate::inspect::{self, Error};
use shared::domain::money::WITHDRAWAL_REASON;
use shared::domain::points::EntryKind;
use shared::store::Db;
use std::collections::BTreeMap;

/// One payment as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub order_id: String,
    /// Charged (whatever was cancelled since).
    pub paid: bool,
    pub total: i64,
    /// `(amount, reason)` of each cancel.
    pub cancels: Vec<(i64, String)>,
}

/// The sandbox's records as the audit reads them.
pub fn provider_records(sandbox: &sandbox::Sandbox) -> Vec<ProviderPayment> {
    sandbox
        .records()
        .into_iter()
        .map(|r| ProviderPayment {
            paid: r.paid(),
            order_id: r.order_id,
            total: r.total_amount,
            cancels: r
                .cancels
                .into_iter()
                .map(|c| (c.cancel_amount, c.cancel_reason))
                .collect(),
        })
        .collect()
}

/// Per user: (topped up, withdrawn net, reversed + shortfall).
type Sums = BTreeMap<String, [i64; 3]>;

/// The violations of SPEC §4.7 once everything has settled; empty when
/// money has a source.
pub async fn money_source(db: &Db, provider: &[ProviderPayment]) -> Result<Vec<String>, Error> {
    compare(db, provider, |ours, theirs, i| ours[i] != theirs[i]).await
}

/// The violations of SPEC §4.7 while money is in flight: no point is
/// credited before the provider charged it (a confirm whose answer is
/// pending has charged but not yet credited), and no card gets back more
/// than was debited for it (a withdrawal debits before the provider
/// cancels, and gives back only what the provider refused).
pub async fn money_in_flight(db: &Db, provider: &[ProviderPayment]) -> Result<Vec<String>, Error> {
    compare(db, provider, |ours, theirs, i| match i {
        0 => ours[0] > theirs[0],
        1 => ours[1] < theirs[1],
        _ => ours[2] != theirs[2],
    })
    .await
}

/// What is left to give back on each card: never below nothing, never
/// above its charge (`charged`, by order).
async fn remainders(db: &Db, charged: &BTreeMap<String, i64>) -> Result<Vec<String>, Error> {
    Ok(inspect::funds(db)
        .await?
        .into_iter()
        .filter_map(|f| {
            let amount = charged.get(&f.order_id).copied().unwrap_or(0);
            (!(0..=amount).contains(&f.remaining)).then(|| {
                format!(
                    "order {}: {} left to refund of {amount} charged",
                    f.order_id, f.remaining
                )
            })
        })
        .collect())
}

/// Per user, our sums against the provider's; `differs(ours, theirs, i)`
/// says whether sum `i` (topped up, withdrawn, reversed) is a violation.
async fn compare(
    db: &Db,
    provider: &[ProviderPayment],
    differs: impl Fn(&[i64; 3], &[i64; 3], usize) -> bool,
) -> Result<Vec<String>, Error> {
    let mut ours: Sums = BTreeMap::new();
    let mut owner = BTreeMap::new();
    let mut charged = BTreeMap::new();
    for t in inspect::topups(db).await? {
        ours.entry(t.user_id.clone()).or_default()[2] += t.shortfall;
        owner.insert(t.order_id.clone(), t.user_id.clone());
        charged.insert(t.order_id.clone(), t.amount);
    }
    let mut violations = remainders(db, &charged).await?;
    let users: std::collections::BTreeSet<&String> = owner.values().collect();
    for user in users {
        for e in inspect::ledger(db, user).await? {
            let sums = ours.entry(user.clone()).or_default();
            match e.kind {
                EntryKind::Topup => sums[0] += e.amount,
                EntryKind::Withdrawal | EntryKind::WithdrawalReversed => sums[1] -= e.amount,
                EntryKind::TopupReversed => sums[2] -= e.amount,
                _ => {}
            }
        }
    }
    let mut theirs: Sums = BTreeMap::new();
    for p in provider.iter().filter(|p| p.paid) {
        let Some(user) = owner.get(&p.order_id) else {
            violations.push(format!(
                "the provider charged order {} we never made",
                p.order_id
            ));
            continue;
        };
        let sums = theirs.entry(user.clone()).or_default();
        sums[0] += p.total;
        for (amount, reason) in &p.cancels {
            sums[if reason.starts_with(WITHDRAWAL_REASON) {
                1
            } else {
                2
            }] += amount;
        }
        let cancelled: i64 = p.cancels.iter().map(|c| c.0).sum();
        if cancelled > p.total {
            violations.push(format!(
                "order {}: {cancelled} refunded of {}",
                p.order_id, p.total
            ));
        }
    }
    let users: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for user in users {
        let (a, b) = (
            ours.get(user).copied().unwrap_or_default(),
            theirs.get(user).copied().unwrap_or_default(),
        );
        for (i, what) in ["topped up", "withdrawn", "reversed by the provider"]
            .iter()
            .enumerate()
        {
            if differs(&a, &b, i) {
                violations.push(format!(
                    "{user}: {what} {} in our ledger, {} at the provider",
                    a[i], b[i]
                ));
            }
        }
    }
    Ok(violations)
}

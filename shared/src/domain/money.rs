//! Money in and out through the payment provider (SPEC §11): top-ups,
//! withdrawals back to the card, and the rules that decide their states.

use super::ids::Entropy;
use super::Invalid;
use serde::{Deserialize, Serialize};

/// Where a top-up stands. `PENDING` → `DONE` | `FAILED` | `EXPIRED`, and
/// `FAILED` | `EXPIRED` → `DONE` when the provider reports it paid after all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TopupStatus {
    Pending,
    Done,
    Failed,
    Expired,
}

impl TopupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TopupStatus::Pending => "PENDING",
            TopupStatus::Done => "DONE",
            TopupStatus::Failed => "FAILED",
            TopupStatus::Expired => "EXPIRED",
        }
    }
}

/// Points bought with a card: an order with the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topup {
    pub order_id: String,
    pub user_id: String,
    pub amount: i64,
    pub status: TopupStatus,
    pub created_at: i64,
    /// Unconfirmed by then, it lapses.
    pub expires_at: i64,
    /// The provider's payment, once one was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<i64>,
    /// The balance right after the credit: what a repeated confirm shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<i64>,
    /// The provider's code when it refused the charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
    /// Points taken back because the provider cancelled part of the
    /// charge by itself (not through a withdrawal).
    #[serde(default)]
    pub reversed: i64,
    /// Of `reversed`, what the balance no longer had.
    #[serde(default)]
    pub shortfall: i64,
}

/// An order id: unguessable, 36 characters of `A-Z a-z 0-9 _ -`.
pub fn order_id(entropy: &dyn Entropy) -> String {
    format!("top_{:016x}{:016x}", entropy.next_u64(), entropy.next_u64())
}

/// A withdrawal's id, in the same alphabet as order ids.
pub fn withdrawal_id(entropy: &dyn Entropy) -> String {
    format!("wd_{:016x}{:016x}", entropy.next_u64(), entropy.next_u64())
}

/// The withdrawal an idempotency key stands for: the same user and key
/// always name the same withdrawal, so a retry finds the one it made.
pub fn keyed_withdrawal_id(user_id: &str, key: &str) -> String {
    let name = format!("{user_id}\n{key}");
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes());
    format!("wd_{}", id.simple())
}

/// Whether `id` can be an order or withdrawal id at all (SPEC §11: 6–64
/// characters of `A-Z a-z 0-9 _ -`).
pub fn valid_order_id(id: &str) -> bool {
    (6..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What the service asks the provider for, named for the fan's checkout.
pub fn order_name(amount: i64) -> String {
    format!("포인트 {amount} 충전")
}

/// Why a new top-up is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopupRefusal {
    TooManyPending,
    OverBalance,
}

/// The balance as a new top-up sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Committed {
    pub point: i64,
    pub pending_count: i64,
    pub pending_amount: i64,
}

/// At most `max_pending` pending top-ups, and balance + pending + amount
/// within `max_balance`.
pub fn admit_topup(
    now: Committed,
    amount: i64,
    max_pending: i64,
    max_balance: i64,
) -> Result<(), TopupRefusal> {
    if now.pending_count >= max_pending {
        return Err(TopupRefusal::TooManyPending);
    }
    let total = now
        .point
        .checked_add(now.pending_amount)
        .and_then(|t| t.checked_add(amount));
    match total {
        Some(t) if t <= max_balance => Ok(()),
        _ => Err(TopupRefusal::OverBalance),
    }
}

/// How a confirm request stands against the top-up it names, checked in
/// SPEC §11's order after the owner: the amount, then the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmCheck {
    /// Ask the provider.
    Confirm,
    /// Already credited with this payment: answer as the first time.
    Replay,
    AmountMismatch,
    Closed,
}

pub fn check_confirm(topup: &Topup, payment_key: &str, amount: i64, now: i64) -> ConfirmCheck {
    if amount != topup.amount {
        return ConfirmCheck::AmountMismatch;
    }
    match topup.status {
        TopupStatus::Done if topup.payment_key.as_deref() == Some(payment_key) => {
            ConfirmCheck::Replay
        }
        TopupStatus::Pending if now < topup.expires_at => ConfirmCheck::Confirm,
        _ => ConfirmCheck::Closed,
    }
}

/// A withdrawal's state: `PENDING` while a planned cancel is unanswered,
/// then `DONE` (all went through), `PARTIAL` or `FAILED` (all refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WithdrawalStatus {
    Pending,
    Done,
    Partial,
    Failed,
}

/// One planned cancel of a withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PartState {
    Pending,
    Done,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    pub withdrawal_id: String,
    pub user_id: String,
    pub amount: i64,
    pub status: WithdrawalStatus,
    pub created_at: i64,
}

/// A partial cancel of one top-up's charge, planned with its withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    pub index: u32,
    pub order_id: String,
    pub payment_key: String,
    /// When the top-up became DONE: where its fund sits.
    pub done_at: i64,
    pub amount: i64,
    pub state: PartState,
}

impl Part {
    /// The cancel's idempotency key with the provider: one per planned
    /// cancel, so every retry is the same cancel.
    pub fn cancel_key(&self, withdrawal_id: &str) -> String {
        format!("{withdrawal_id}-{}", self.index)
    }

    /// The reason sent with the cancel; it names the part, so the
    /// payment's `cancels` show whether this cancel happened.
    pub fn cancel_reason(&self, withdrawal_id: &str) -> String {
        format!("{WITHDRAWAL_REASON}{withdrawal_id}#{}", self.index)
    }
}

/// Every cancel reason of ours starts with this.
pub const WITHDRAWAL_REASON: &str = "withdrawal ";

/// The uncancelled remainder of a DONE top-up's charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fund {
    pub order_id: String,
    pub user_id: String,
    pub payment_key: String,
    pub done_at: i64,
    pub remaining: i64,
}

/// Most cancels one withdrawal plans (they share one transaction).
pub const MAX_PARTS: usize = 45;

/// The cancels that take `amount` back to the cards, newest top-up first
/// (`funds` in that order), none beyond a fund's remainder; None when the
/// funds (or [`MAX_PARTS`] of them) do not reach.
pub fn plan_withdrawal(funds: &[Fund], amount: i64) -> Option<Vec<Part>> {
    let mut left = amount;
    let mut parts = Vec::new();
    for fund in funds.iter().filter(|f| f.remaining > 0) {
        if left == 0 {
            break;
        }
        if parts.len() == MAX_PARTS {
            return None;
        }
        let take = left.min(fund.remaining);
        parts.push(Part {
            index: parts.len() as u32,
            order_id: fund.order_id.clone(),
            payment_key: fund.payment_key.clone(),
            done_at: fund.done_at,
            amount: take,
            state: PartState::Pending,
        });
        left -= take;
    }
    (left == 0 && !parts.is_empty()).then_some(parts)
}

/// The withdrawal's state from its parts'.
pub fn withdrawal_status(parts: &[Part]) -> WithdrawalStatus {
    let count = |s| parts.iter().filter(|p| p.state == s).count();
    if count(PartState::Pending) > 0 {
        WithdrawalStatus::Pending
    } else if count(PartState::Refused) == 0 {
        WithdrawalStatus::Done
    } else if count(PartState::Done) == 0 {
        WithdrawalStatus::Failed
    } else {
        WithdrawalStatus::Partial
    }
}

/// A withdrawal is a whole number of points from 1 to `max`.
pub fn validate_withdrawal(amount: i64, max: i64) -> Result<(), Invalid> {
    if (1..=max).contains(&amount) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "amount는 1 이상 {max} 이하의 정수여야 합니다."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::SeededEntropy;

    fn fund(order: &str, remaining: i64) -> Fund {
        Fund {
            order_id: order.into(),
            user_id: "u".into(),
            payment_key: format!("pk_{order}"),
            done_at: 1,
            remaining,
        }
    }

    #[test]
    fn ids_fit_the_alphabet() {
        let e = SeededEntropy::new(7);
        for id in [order_id(&e), withdrawal_id(&e)] {
            assert!(valid_order_id(&id), "{id}");
        }
        let keyed = keyed_withdrawal_id("u", "k");
        assert!(valid_order_id(&keyed));
        assert_eq!(keyed, keyed_withdrawal_id("u", "k"));
        assert_ne!(keyed, keyed_withdrawal_id("u", "k2"));
        assert_ne!(keyed, keyed_withdrawal_id("u2", "k"));
        for bad in ["", "abc", "has space!", &"x".repeat(65)] {
            assert!(!valid_order_id(bad), "{bad}");
        }
    }

    #[test]
    fn pending_top_ups_count_against_the_cap() {
        let c = |point, n, pending| Committed {
            point,
            pending_count: n,
            pending_amount: pending,
        };
        assert_eq!(admit_topup(c(0, 0, 0), 100, 3, 100), Ok(()));
        assert_eq!(
            admit_topup(c(50, 1, 40), 11, 3, 100),
            Err(TopupRefusal::OverBalance)
        );
        assert_eq!(
            admit_topup(c(0, 3, 3), 1, 3, 100),
            Err(TopupRefusal::TooManyPending)
        );
        assert_eq!(
            admit_topup(c(i64::MAX, 0, 0), 1, 3, i64::MAX),
            Err(TopupRefusal::OverBalance)
        );
    }

    #[test]
    fn confirm_checks_amount_before_state() {
        let mut t = Topup {
            order_id: "top_1".into(),
            user_id: "u".into(),
            amount: 500,
            status: TopupStatus::Pending,
            created_at: 0,
            expires_at: 100,
            payment_key: None,
            done_at: None,
            point: None,
            provider_code: None,
            reversed: 0,
            shortfall: 0,
        };
        assert_eq!(check_confirm(&t, "k", 500, 10), ConfirmCheck::Confirm);
        assert_eq!(check_confirm(&t, "k", 500, 100), ConfirmCheck::Closed);
        assert_eq!(check_confirm(&t, "k", 5, 10), ConfirmCheck::AmountMismatch);
        t.status = TopupStatus::Done;
        t.payment_key = Some("k".into());
        assert_eq!(check_confirm(&t, "k", 500, 1000), ConfirmCheck::Replay);
        assert_eq!(check_confirm(&t, "other", 500, 10), ConfirmCheck::Closed);
        t.status = TopupStatus::Failed;
        assert_eq!(check_confirm(&t, "k", 500, 10), ConfirmCheck::Closed);
    }

    #[test]
    fn a_withdrawal_takes_the_newest_funds_first_within_their_remainders() {
        let funds = [fund("new", 300), fund("spent", 0), fund("old", 1000)];
        let parts = plan_withdrawal(&funds, 500).unwrap();
        let got: Vec<_> = parts
            .iter()
            .map(|p| (p.order_id.as_str(), p.amount, p.index))
            .collect();
        assert_eq!(got, [("new", 300, 0), ("old", 200, 1)]);
        assert_eq!(plan_withdrawal(&funds, 1301), None);
        assert_eq!(plan_withdrawal(&funds, 1300).map(|p| p.len()), Some(2));
        let many: Vec<_> = (0..100).map(|i| fund(&format!("f{i}"), 1)).collect();
        assert_eq!(plan_withdrawal(&many, 46), None, "one transaction's worth");
        assert_eq!(plan_withdrawal(&many, 45).map(|p| p.len()), Some(45));
    }

    #[test]
    fn status_follows_the_parts() {
        let part = |state| Part {
            index: 0,
            order_id: "o".into(),
            payment_key: "k".into(),
            done_at: 0,
            amount: 1,
            state,
        };
        use PartState::*;
        let status =
            |s: &[PartState]| withdrawal_status(&s.iter().map(|&x| part(x)).collect::<Vec<_>>());
        assert_eq!(status(&[Done, Pending]), WithdrawalStatus::Pending);
        assert_eq!(status(&[Done, Done]), WithdrawalStatus::Done);
        assert_eq!(status(&[Done, Refused, Done]), WithdrawalStatus::Partial);
        assert_eq!(status(&[Refused]), WithdrawalStatus::Failed);
    }

    #[test]
    fn a_part_names_itself_to_the_provider() {
        let p = Part {
            index: 2,
            order_id: "o".into(),
            payment_key: "k".into(),
            done_at: 0,
            amount: 1,
            state: PartState::Pending,
        };
        assert_eq!(p.cancel_key("wd_1"), "wd_1-2");
        assert_eq!(p.cancel_reason("wd_1"), "withdrawal wd_1#2");
    }
}

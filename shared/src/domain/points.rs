//! Prepaid points: amounts, the ledger and payments.

use super::ids::{random_id, Entropy};
use super::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EntryKind {
    /// + points on the fan's word (`PAYMENT_PROVIDER=none` only).
    Charge,
    /// − a ticket's price.
    Payment,
    /// + a cancelled ticket's price.
    Refund,
    /// + a charge the payment provider confirmed.
    Topup,
    /// − points sent back to the card.
    Withdrawal,
    /// + the part of a withdrawal the provider refused.
    WithdrawalReversed,
    /// − a charge the provider cancelled by itself.
    TopupReversed,
}

/// One movement of a user's balance, written in the same transaction as
/// the balance change: the balance is always the sum of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub entry_id: u64,
    pub user_id: String,
    pub kind: EntryKind,
    /// Positive for a charge, negative for a payment.
    pub amount: i64,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve_id: Option<u64>,
    /// The top-up of a `TOPUP` or `TOPUP_REVERSED` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The withdrawal of a `WITHDRAWAL` or `WITHDRAWAL_REVERSED` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_id: Option<String>,
    /// The provider's payment behind a `TOPUP` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_key: Option<String>,
}

impl LedgerEntry {
    /// A charge of `amount` with a fresh random id.
    pub fn charge(entropy: &dyn Entropy, user_id: &str, amount: i64, at: i64) -> Self {
        LedgerEntry {
            entry_id: random_id(entropy),
            user_id: user_id.to_string(),
            kind: EntryKind::Charge,
            amount,
            at,
            reserve_id: None,
            order_id: None,
            withdrawal_id: None,
            payment_key: None,
        }
    }

    /// The refund of a cancelled ticket, in full.
    pub fn refund(
        entropy: &dyn Entropy,
        user_id: &str,
        reserve_id: u64,
        price: i64,
        at: i64,
    ) -> Self {
        LedgerEntry {
            entry_id: random_id(entropy),
            user_id: user_id.to_string(),
            kind: EntryKind::Refund,
            amount: price,
            at,
            reserve_id: Some(reserve_id),
            order_id: None,
            withdrawal_id: None,
            payment_key: None,
        }
    }

    /// The debit of a payment; it shares the payment's id.
    pub fn payment(p: &Payment) -> Self {
        LedgerEntry {
            entry_id: p.payment_id,
            user_id: p.user_id.clone(),
            kind: EntryKind::Payment,
            amount: -p.price,
            at: p.created_at,
            reserve_id: Some(p.reserve_id),
            order_id: None,
            withdrawal_id: None,
            payment_key: None,
        }
    }

    /// A movement of money through the provider: `amount` signed, naming
    /// its top-up or withdrawal.
    pub fn provider(
        entropy: &dyn Entropy,
        kind: EntryKind,
        user_id: &str,
        amount: i64,
        at: i64,
        source: Source<'_>,
    ) -> Self {
        let (order_id, withdrawal_id, payment_key) = match source {
            Source::Topup {
                order_id,
                payment_key,
            } => (
                Some(order_id.to_string()),
                None,
                payment_key.map(str::to_string),
            ),
            Source::Withdrawal(id) => (None, Some(id.to_string()), None),
        };
        LedgerEntry {
            entry_id: random_id(entropy),
            user_id: user_id.to_string(),
            kind,
            amount,
            at,
            reserve_id: None,
            order_id,
            withdrawal_id,
            payment_key,
        }
    }
}

/// What a provider entry names.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Topup {
        order_id: &'a str,
        payment_key: Option<&'a str>,
    },
    Withdrawal(&'a str),
}

/// A completed payment, as its receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_id: u64,
    pub reserve_id: u64,
    pub user_id: String,
    pub price: i64,
    pub created_at: i64,
}

impl Payment {
    /// The payment of hold `r` by its holder, at its price.
    pub fn of(r: &super::reservation::Reservation, payment_id: u64, now_ms: i64) -> Self {
        Payment {
            payment_id,
            reserve_id: r.reserve_id,
            user_id: r.user_id.clone(),
            price: r.price,
            created_at: now_ms,
        }
    }
}

/// A charge is a whole number of points from 1 to `max_charge`.
pub fn validate_charge(amount: i64, max_charge: i64) -> Result<(), Invalid> {
    if (1..=max_charge).contains(&amount) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "amount는 1 이상 {max_charge} 이하의 정수여야 합니다."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_bounds() {
        assert!(validate_charge(1, 10).is_ok());
        assert!(validate_charge(10, 10).is_ok());
        for bad in [0, -1, 11, i64::MIN, i64::MAX] {
            assert!(validate_charge(bad, 10).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_payment_debits_its_price_under_its_own_id() {
        let p = Payment {
            payment_id: 7,
            reserve_id: 9,
            user_id: "u".into(),
            price: 500,
            created_at: 1,
        };
        let e = LedgerEntry::payment(&p);
        assert_eq!((e.entry_id, e.amount, e.reserve_id), (7, -500, Some(9)));
        assert_eq!(
            LedgerEntry::charge(&crate::domain::ids::OsEntropy, "u", 5, 2).kind,
            EntryKind::Charge
        );
    }
}

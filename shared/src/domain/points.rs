//! Prepaid points: amounts, the ledger and payments.

use super::ids::{random_id, Entropy};
use super::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EntryKind {
    Charge,
    Payment,
    Refund,
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
        }
    }
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

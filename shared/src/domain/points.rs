//! Prepaid points: amounts, the ledger and payments.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EntryKind {
    Charge,
    Payment,
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
pub fn validate_charge(amount: i64, max_charge: i64) -> Result<(), AppError> {
    if (1..=max_charge).contains(&amount) {
        Ok(())
    } else {
        Err(AppError::bad_request(format!(
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
}

//! Identifier rules of the API: user ids, numeric ids, generated ids.

use crate::error::AppError;

/// Largest id a JSON number carries exactly in every client (2^53 - 1).
pub const MAX_JSON_ID: u64 = (1 << 53) - 1;

/// `userId`: 1–64 letters, digits, `.`, `_`, `@` or `-`.
pub fn validate_user_id(user_id: &str) -> Result<(), AppError> {
    let ok = !user_id.is_empty()
        && user_id.len() <= 64
        && user_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "userId는 1~64자의 영문, 숫자, '.', '_', '@', '-'만 사용할 수 있습니다.",
        ))
    }
}

/// A positive integer id as written in a path or query string.
pub fn parse_id(raw: &str, name: &str) -> Result<u64, AppError> {
    match raw.parse::<u64>() {
        Ok(v) if (1..=MAX_JSON_ID).contains(&v) && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(v),
        _ => Err(AppError::bad_request(format!(
            "{name}는 양의 정수여야 합니다."
        ))),
    }
}

/// A fresh random id for a reservation or payment: 53 random bits, so no
/// counter is shared between writers; the insert's condition rejects the
/// (vanishingly rare) collision and the caller draws again.
pub fn random_id() -> u64 {
    loop {
        let id = rand::random::<u64>() & MAX_JSON_ID;
        if id != 0 {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids() {
        for ok in ["a", "user1234", "a.b_c@d-e", &"x".repeat(64)] {
            assert!(validate_user_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", " a", "a b", "한글", "a/b", &"x".repeat(65)] {
            assert!(validate_user_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id("42", "id"), Ok(42));
        for bad in [
            "0",
            "-1",
            "+1",
            "1.5",
            "abc",
            "",
            "9007199254740992",
            "99999999999999999999",
        ] {
            assert!(parse_id(bad, "id").is_err(), "{bad}");
        }
        for _ in 0..1000 {
            let id = random_id();
            assert!((1..=MAX_JSON_ID).contains(&id));
        }
    }
}

/// JSON integers for `#[serde(deserialize_with)]`. JSON Schema's `integer`
/// includes numbers written with a zero fraction (`36204.0`), so these
/// accept them; `1.5`, strings and out-of-range values stay errors.
pub mod json_int {
    use serde::de::{Deserialize, Deserializer, Error};

    fn number<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Number, D::Error> {
        serde_json::Number::deserialize(d)
    }

    fn integral(n: &serde_json::Number) -> Option<f64> {
        n.as_f64().filter(|f| f.fract() == 0.0 && f.is_finite())
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let n = number(d)?;
        n.as_u64()
            .or_else(|| {
                integral(&n)
                    .filter(|f| (0.0..=u64::MAX as f64).contains(f))
                    .map(|f| f as u64)
            })
            .ok_or_else(|| D::Error::custom(format!("expected a non-negative integer, found {n}")))
    }

    pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let n = number(d)?;
        n.as_i64()
            .or_else(|| {
                integral(&n)
                    .filter(|f| (i64::MIN as f64..i64::MAX as f64).contains(f))
                    .map(|f| f as i64)
            })
            .ok_or_else(|| D::Error::custom(format!("expected an integer, found {n}")))
    }

    #[cfg(test)]
    mod tests {
        #[derive(serde::Deserialize)]
        struct U(#[serde(deserialize_with = "super::u64")] u64);
        #[derive(serde::Deserialize)]
        struct I(#[serde(deserialize_with = "super::i64")] i64);

        #[test]
        fn integral_numbers_only() {
            let u = |s: &str| serde_json::from_str::<U>(s).map(|v| v.0).ok();
            let i = |s: &str| serde_json::from_str::<I>(s).map(|v| v.0).ok();
            assert_eq!(u("7"), Some(7));
            assert_eq!(u("7.0"), Some(7));
            assert_eq!(u("7.5"), None);
            assert_eq!(u("-7"), None);
            assert_eq!(u("\"7\""), None);
            assert_eq!(u("null"), None);
            assert_eq!(u("1e30"), None);
            assert_eq!(i("-7.0"), Some(-7));
            assert_eq!(i("1e30"), None);
            assert_eq!(i("-0.5"), None);
        }
    }
}

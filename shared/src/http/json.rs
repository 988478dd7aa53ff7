//! JSON request bodies: the typed body and its canonical value (the
//! idempotency record compares it), and JSON-Schema integers.

use super::error::AppError;
use super::request::json_body;
use lambda_http::Request;

/// Parses a JSON body twice over: as a value (the idempotency record
/// compares it) and as the request type.
pub fn typed_body<T: serde::de::DeserializeOwned>(
    req: &Request,
) -> Result<(serde_json::Value, T), AppError> {
    let value: serde_json::Value = json_body(req)?;
    let typed = serde_json::from_value(value.clone())
        .map_err(|e| AppError::bad_request(format!("요청 본문을 읽을 수 없습니다: {e}")))?;
    Ok((value, typed))
}

/// JSON integers for `#[serde(deserialize_with)]`. JSON Schema's `integer`
/// includes numbers written with a zero fraction (`36204.0`), so these
/// accept them; `1.5`, strings and out-of-range values stay errors.
pub mod int {
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

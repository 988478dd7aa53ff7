//! JSON request bodies: the typed body and its canonical value (the
//! idempotency record compares it), and JSON-Schema integers.

use super::error::AppError;
use super::request::{body_bytes, json_body};
use lambda_http::Request;

/// Parses a JSON body twice over: as a value (the idempotency record
/// compares it) and, from the same text, as the request type (whose
/// numbers are read from their decimal text, [`int`]).
pub fn typed_body<T: serde::de::DeserializeOwned>(
    req: &Request,
) -> Result<(serde_json::Value, T), AppError> {
    let value: serde_json::Value = json_body(req)?;
    let typed = serde_json::from_slice(body_bytes(req))
        .map_err(|e| AppError::bad_request(format!("요청 본문을 읽을 수 없습니다: {e}")))?;
    Ok((value, typed))
}

/// JSON integers for `#[serde(deserialize_with)]`, read exactly from the
/// number's text ([`super::number`]): JSON Schema's `integer` includes
/// numbers written with a zero fraction (`36204.0`) or an exponent
/// (`5e2`), so these accept them; `1.5`, strings and out-of-range values
/// stay errors. Only a body read from text carries the text.
pub mod int {
    use super::super::number::{exact, Exact};
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_json::value::RawValue;

    fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if !text.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
            return Err(D::Error::custom(format!(
                "expected an integer, found {text}"
            )));
        }
        match exact(text) {
            Exact::Integer(v) => Ok(v),
            Exact::TooLarge => Err(D::Error::custom(format!("{text} is out of range"))),
            Exact::Fraction => Err(D::Error::custom(format!(
                "expected an integer, found {text}"
            ))),
        }
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let v = integer(d)?;
        u64::try_from(v)
            .map_err(|_| D::Error::custom(format!("expected a non-negative integer, found {v}")))
    }

    pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v = integer(d)?;
        i64::try_from(v).map_err(|_| D::Error::custom(format!("{v} is out of range")))
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
            assert_eq!(u("700e-2"), Some(7));
            assert_eq!(u("8749453825332380.0"), Some(8749453825332380));
            assert_eq!(u("18446744073709551615"), Some(u64::MAX));
            assert_eq!(u("18446744073709551616"), None);
            assert_eq!(u("7.5"), None);
            assert_eq!(u("-7"), None);
            assert_eq!(u("\"7\""), None);
            assert_eq!(u("null"), None);
            assert_eq!(u("true"), None);
            assert_eq!(u("[7]"), None);
            assert_eq!(u("1e30"), None);
            assert_eq!(i("-7.0"), Some(-7));
            assert_eq!(i("1e30"), None);
            assert_eq!(i("-0.5"), None);
        }
    }
}

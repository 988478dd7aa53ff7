//! The one reader of JSON numbers (SPEC §5): a number is read from its
//! decimal text, never through a float, so `8749453825332380.0` is that id
//! exactly and `0.99999999999999999` is not an integer.

/// What a number's decimal text stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exact {
    /// Exactly this integer.
    Integer(i128),
    /// An integer too large for any field (`1e400`).
    TooLarge,
    /// Not an integer (`5.5`, `5e-1`, `0.99999999999999999`).
    Fraction,
}

/// Digits an `i128` always holds.
const MAX_DIGITS: usize = 38;

/// The exact value of a JSON number's text (`-12`, `5.0`, `5e2`, `500e-2`).
pub fn exact(text: &str) -> Exact {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Exact::Integer(0);
    }
    let trailing_zeros = digits.len() - digits.trim_end_matches('0').len();
    // An exponent too long for i64 is either far past every range or far
    // below one; its sign says which.
    let exponent: i64 = match exponent.trim_start_matches('+').parse() {
        Ok(e) => e,
        Err(_) if exponent.starts_with('-') => return Exact::Fraction,
        Err(_) => return Exact::TooLarge,
    };
    let shift = exponent
        .saturating_sub(frac.len() as i64)
        .saturating_add(trailing_zeros as i64);
    if shift < 0 {
        return Exact::Fraction;
    }
    if significant.len() as i64 + shift > MAX_DIGITS as i64 {
        return Exact::TooLarge;
    }
    let value = significant
        .parse::<i128>()
        .ok()
        .and_then(|v| v.checked_mul(10i128.checked_pow(shift as u32)?));
    match value {
        Some(v) if negative => Exact::Integer(-v),
        Some(v) => Exact::Integer(v),
        None => Exact::TooLarge,
    }
}

/// Whether the text is exactly an integer, whatever its size.
pub fn integral(text: &str) -> bool {
    exact(text) != Exact::Fraction
}

/// JSON integers for `#[serde(deserialize_with)]`, read exactly from the
/// number's text ([`exact`]): JSON Schema's `integer` includes
/// numbers written with a zero fraction (`36204.0`) or an exponent
/// (`5e2`), so these accept them; `1.5`, strings and out-of-range values
/// stay errors. Only a body read from text carries the text.
pub mod int {
    use super::{exact, Exact};
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

    /// A field that may be sent as `null` (meaning "none") or an integer;
    /// with `#[serde(default)]` an absent field stays `None` (unchanged).
    pub fn nullable_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        if raw.get() == "null" {
            return Ok(Some(None));
        }
        let mut de = serde_json::Deserializer::from_str(raw.get());
        u64(&mut de)
            .map(|v| Some(Some(v)))
            .map_err(D::Error::custom)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_exactly() {
        assert_eq!(
            exact("8749453825332380.0"),
            Exact::Integer(8749453825332380)
        );
        assert_eq!(exact("8749453825332381"), Exact::Integer(8749453825332381));
        assert_eq!(exact("500e-2"), Exact::Integer(5));
        assert_eq!(exact("5E+2"), Exact::Integer(500));
        assert_eq!(exact("-7.000"), Exact::Integer(-7));
        assert_eq!(exact("0.0"), Exact::Integer(0));
        assert_eq!(exact("-0"), Exact::Integer(0));
        assert_eq!(exact("0e999999999999999999999"), Exact::Integer(0));
        assert_eq!(exact("9007199254740993"), Exact::Integer(9007199254740993));
        assert_eq!(exact("1e400"), Exact::TooLarge);
        assert_eq!(exact("1e99999999999999999999"), Exact::TooLarge);
        assert_eq!(
            exact("99999999999999999999999999999999999999999"),
            Exact::TooLarge
        );
        assert_eq!(exact("0.99999999999999999"), Exact::Fraction);
        assert_eq!(exact("5.5"), Exact::Fraction);
        assert_eq!(exact("5e-1"), Exact::Fraction);
        assert_eq!(exact("1e-400"), Exact::Fraction);
        assert_eq!(exact("1e-99999999999999999999"), Exact::Fraction);
    }

    #[test]
    fn integral_texts() {
        for ok in [
            "5", "-5", "0", "5.0", "5e2", "5E+2", "50e-1", "0.0", "-0", "1.000", "1e400",
        ] {
            assert!(integral(ok), "{ok}");
        }
        for no in ["0.99999999999999999", "5.5", "5e-1", "1e-400", "0.1"] {
            assert!(!integral(no), "{no}");
        }
    }
}

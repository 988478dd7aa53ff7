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

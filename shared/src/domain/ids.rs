//! Identifier rules of the API: user ids, numeric ids, generated ids.

use super::Invalid;

/// Largest id a JSON number carries exactly in every client (2^53 - 1).
pub const MAX_JSON_ID: u64 = (1 << 53) - 1;

/// `userId`: 1–64 letters, digits, `.`, `_`, `@` or `-`.
pub fn validate_user_id(user_id: &str) -> Result<(), Invalid> {
    let ok = !user_id.is_empty()
        && user_id.len() <= 64
        && user_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "userId는 1~64자의 영문, 숫자, '.', '_', '@', '-'만 사용할 수 있습니다.",
        ))
    }
}

/// A positive integer id as written in a path or query string.
pub fn parse_id(raw: &str, name: &str) -> Result<u64, Invalid> {
    match raw.parse::<u64>() {
        Ok(v) if raw.bytes().all(|b| b.is_ascii_digit()) => check_id(v, name),
        _ => Err(not_an_id(name)),
    }
}

/// A positive integer id as a JSON body carries it: 1 to 2^53 - 1.
pub fn check_id(id: u64, name: &str) -> Result<u64, Invalid> {
    if (1..=MAX_JSON_ID).contains(&id) {
        Ok(id)
    } else {
        Err(not_an_id(name))
    }
}

fn not_an_id(name: &str) -> Invalid {
    Invalid(format!("{name}는 양의 정수여야 합니다."))
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
        assert_eq!(check_id(MAX_JSON_ID, "id"), Ok(MAX_JSON_ID));
        assert!(check_id(0, "id").is_err() && check_id(MAX_JSON_ID + 1, "id").is_err());
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

//! What serde_json lets through and the API does not (SPEC §5): a body
//! that is not an object, a key given twice (serde keeps the last), and
//! a number that is not exactly an integer (`0.99999999999999999` reads as
//! the float 1.0). Run on text serde has already found to be valid JSON.

/// Deepest nesting looked at; deeper bodies are refused.
const MAX_DEPTH: usize = 64;

/// The rule a valid JSON text breaks, if any.
pub fn check(text: &[u8]) -> Result<(), &'static str> {
    let mut s = Scanner { b: text, i: 0 };
    s.ws();
    if s.peek() != Some(b'{') {
        return Err("요청 본문은 JSON 객체여야 합니다.");
    }
    s.value(0)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

const MALFORMED: &str = "요청 본문을 읽을 수 없습니다.";

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), &'static str> {
        if depth > MAX_DEPTH {
            return Err("요청 본문이 너무 깊게 중첩되어 있습니다.");
        }
        self.ws();
        match self.peek().ok_or(MALFORMED)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(|_| ()),
            b'-' | b'0'..=b'9' => self.number(),
            _ => {
                // true, false, null
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    self.i += 1;
                }
                Ok(())
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), &'static str> {
        self.i += 1;
        let mut keys = std::collections::HashSet::new();
        loop {
            self.ws();
            match self.peek().ok_or(MALFORMED)? {
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                b',' => self.i += 1,
                _ => {
                    let raw = self.string()?;
                    // Decoded, so "a" and "\u0061" are the same key.
                    let key: String = serde_json::from_slice(raw).map_err(|_| MALFORMED)?;
                    if !keys.insert(key) {
                        return Err("같은 키가 두 번 있습니다.");
                    }
                    self.ws();
                    self.i += 1; // ':'
                    self.value(depth + 1)?;
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), &'static str> {
        self.i += 1;
        loop {
            self.ws();
            match self.peek().ok_or(MALFORMED)? {
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                b',' => self.i += 1,
                _ => self.value(depth + 1)?,
            }
        }
    }

    /// The raw string token, quotes included.
    fn string(&mut self) -> Result<&[u8], &'static str> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek().ok_or(MALFORMED)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Ok(&self.b[start..self.i]);
                }
                _ => self.i += 1,
            }
        }
    }

    fn number(&mut self) -> Result<(), &'static str> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| MALFORMED)?;
        if crate::domain::number::integral(text) {
            Ok(())
        } else {
            Err("숫자는 정수여야 합니다.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_once_each_key_integers_only() {
        assert!(check(br#"{"a": 1, "b": {"c": [1, 2.0, "x\"y"]}, "d": true}"#).is_ok());
        assert!(check(br#"["user", 5]"#).is_err());
        assert!(check(b"5").is_err());
        assert!(check(br#"{"a": 1, "a": 2}"#).is_err());
        assert!(check(br#"{"a": 1, "\u0061": 2}"#).is_err());
        assert!(check(br#"{"a": {"b": 1}, "c": {"b": 2}}"#).is_ok());
        assert!(check(br#"{"amount": 0.99999999999999999}"#).is_err());
        assert!(check(br#"{"x": [0.5]}"#).is_err());
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(check(deep.as_bytes()).is_err());
    }
}

//! Identifier rules of the API: user ids, numeric ids, generated ids.
//! [`UserId`] and the id types of request bodies check themselves when
//! read, and describe themselves once to the OpenAPI document.

use super::Invalid;
use serde::{de::Error as _, Deserialize, Deserializer, Serialize};

/// The pattern of a `userId`, for the OpenAPI document.
pub const USER_ID_PATTERN: &str = r"^[A-Za-z0-9._@-]{1,64}$";

/// A `userId` as the API accepts it: checked when read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        validate_user_id(raw)?;
        Ok(UserId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for UserId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        UserId::parse(&raw).map_err(|e| D::Error::custom(e.0))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for UserId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(64))
            .pattern(Some(USER_ID_PATTERN))
            .examples(["user1234"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for UserId {}

/// A positive id a request body carries: 1 to 2^53 - 1, read exactly from
/// its text, named in the message that refuses it.
macro_rules! body_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let id = super::number::int::u64(d)
                    .map_err(|_| D::Error::custom(not_an_id($field).0))?;
                check_id(id, $field).map($name).map_err(|e| D::Error::custom(e.0))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                id_schema()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

body_id!(
    /// `concertId` in a body.
    ConcertId,
    "concertId"
);
body_id!(
    /// `scheduleId` in a body.
    ScheduleId,
    "scheduleId"
);
body_id!(
    /// `seatId` in a body.
    SeatId,
    "seatId"
);
body_id!(
    /// `reserveId` in a body.
    ReserveId,
    "reserveId"
);

#[cfg(feature = "openapi")]
fn id_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(Some(1))
        .maximum(Some(MAX_JSON_ID))
        .into()
}

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

/// Where every id, token and draw the service makes comes from: the
/// system's random source in production, a seeded one where a test or a
/// simulation must repeat a run exactly.
pub trait Entropy: Send + Sync + std::fmt::Debug {
    fn next_u64(&self) -> u64;
}

/// The operating system's random source.
#[derive(Debug, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn next_u64(&self) -> u64 {
        rand::random()
    }
}

/// A repeatable source: the same seed, the same ids in the same order.
#[derive(Debug)]
pub struct SeededEntropy(std::sync::Mutex<rand::rngs::StdRng>);

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        use rand::SeedableRng;
        SeededEntropy(std::sync::Mutex::new(rand::rngs::StdRng::seed_from_u64(
            seed,
        )))
    }
}

impl Entropy for SeededEntropy {
    fn next_u64(&self) -> u64 {
        use rand::RngCore;
        // A poisoned lock still holds a usable generator.
        let mut rng = self.0.lock().unwrap_or_else(|e| e.into_inner());
        rng.next_u64()
    }
}

/// A fresh random id for a reservation, payment or ledger entry: 53
/// random bits, so no counter is shared between writers; the insert's
/// condition rejects the (vanishingly rare) collision and the caller
/// draws again.
pub fn random_id(entropy: &dyn Entropy) -> u64 {
    loop {
        let id = entropy.next_u64() & MAX_JSON_ID;
        if id != 0 {
            return id;
        }
    }
}

/// A fresh queue token id: a random (version 4) UUID, unguessable.
pub fn token_id(entropy: &dyn Entropy) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&entropy.next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&entropy.next_u64().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
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
    fn a_seed_repeats_every_id() {
        let (a, b) = (SeededEntropy::new(7), SeededEntropy::new(7));
        let draw = |e: &dyn Entropy| (random_id(e), token_id(e), random_id(e));
        assert_eq!(draw(&a), draw(&b));
        assert_ne!(draw(&a), draw(&SeededEntropy::new(8)));
        let token = token_id(&OsEntropy);
        let parsed = uuid::Uuid::parse_str(&token).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_ne!(token, token_id(&OsEntropy));
    }

    #[test]
    fn typed_ids_check_themselves_when_read() {
        let user = |s: &str| {
            serde_json::from_str::<UserId>(s)
                .map(|u| u.to_string())
                .ok()
        };
        assert_eq!(user(r#""a.b_c@d-e""#).as_deref(), Some("a.b_c@d-e"));
        assert_eq!(user(r#""a b""#), None);
        assert_eq!(user("5"), None);
        let seat = |s: &str| serde_json::from_str::<SeatId>(s).map(SeatId::get);
        assert_eq!(seat("8749453825332380.0").ok(), Some(8749453825332380));
        assert_eq!(seat("1e2").ok(), Some(100));
        for bad in ["0", "-1", "1.5", "9007199254740992", "\"7\"", "null"] {
            let e = seat(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("seatId는 양의 정수여야 합니다."),
                "{bad}: {e}"
            );
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
            let id = random_id(&OsEntropy);
            assert!((1..=MAX_JSON_ID).contains(&id));
        }
    }
}

//! A show file: the organiser API's own request bodies, in one document.
//!
//! ```json
//! { "concert": { "title": "…", "startDate": "2026-12-24", "endDate": "2026-12-25" },
//!   "schedules": [ { "date": "2026-12-24", "sections": [ … ] } ] }
//! ```
//!
//! `concertId` instead of `concert` adds the schedules to a concert that
//! exists. Every call carries an `Idempotency-Key` made from the file's
//! bytes and the call's place in it, so loading the same file again
//! creates nothing twice.

use crate::Error;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Show {
    /// The body of `POST /admin/concerts`.
    #[serde(default)]
    pub concert: Option<Value>,
    /// An existing concert to add the schedules to.
    #[serde(default)]
    pub concert_id: Option<u64>,
    /// Bodies of `POST /admin/concerts/{concertId}/schedules`.
    #[serde(default)]
    pub schedules: Vec<Value>,
}

impl Show {
    pub fn parse(bytes: &[u8]) -> Result<Show, Error> {
        let show: Show = serde_json::from_slice(bytes)
            .map_err(|e| Error::Show(format!("not a show file: {e}")))?;
        match (&show.concert, show.concert_id) {
            (Some(_), None) | (None, Some(_)) => Ok(show),
            _ => Err(Error::Show(
                "a show file names either `concert` or `concertId`".into(),
            )),
        }
    }
}

/// The key of call `what` of the file with these bytes: stable across
/// runs and machines (FNV-1a, not std's randomly seeded hasher).
pub fn idempotency_key(file: &[u8], what: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in file {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("show-{hash:016x}-{what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_show_names_one_concert() {
        let ok = br#"{"concert": {"title": "t"}, "schedules": []}"#;
        assert!(Show::parse(ok).is_ok());
        assert!(Show::parse(br#"{"concertId": 3}"#).is_ok());
        assert!(Show::parse(br#"{"schedules": []}"#).is_err());
        assert!(Show::parse(br#"{"concert": {}, "concertId": 3}"#).is_err());
        assert!(Show::parse(br#"{"concert": {}, "venue": 1}"#).is_err());
    }

    #[test]
    fn keys_depend_on_the_file_and_the_call_only() {
        let a = idempotency_key(b"one", "concert");
        assert_eq!(a, idempotency_key(b"one", "concert"));
        assert_ne!(a, idempotency_key(b"two", "concert"));
        assert_ne!(a, idempotency_key(b"one", "schedule-0"));
        assert!(a.len() <= 128 && a.bytes().all(|b| b.is_ascii_graphic()));
    }
}

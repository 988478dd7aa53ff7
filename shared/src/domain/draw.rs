//! The pre-queue draw of a room (SPEC §12, §4.8): everyone who joins before
//! `opensAt` gets one uniformly random order, verifiable by commit and
//! reveal. The room's secret 32-byte seed is committed to by its SHA-256
//! (`seedHash`, public from the start) and published at `opensAt`; each
//! pre-queued token's draw key is HMAC-SHA256(seed, tokenId), and the
//! order is ascending by key. The key's first 52 bits place the token in
//! the waiting index at join, so the opening writes nothing.

use super::ids::Entropy;
use aws_lc_rs::{digest, hmac};

/// A room's seed: 32 random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl std::fmt::Debug for Seed {
    // The seed is secret until the room opens: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(…)")
    }
}

impl Seed {
    /// A fresh seed from the app's source of randomness.
    pub fn draw(entropy: &dyn Entropy) -> Seed {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&entropy.next_u64().to_be_bytes());
        }
        Seed(bytes)
    }

    /// The seed as published: 64 lowercase hex characters.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// A published seed read back; None unless 64 hex characters.
    pub fn from_hex(text: &str) -> Option<Seed> {
        let bytes = unhex(text)?;
        Some(Seed(bytes.try_into().ok()?))
    }

    /// The commitment: SHA-256 of the 32 bytes, in hex.
    pub fn hash_hex(&self) -> String {
        hex(digest::digest(&digest::SHA256, &self.0).as_ref())
    }

    /// A token's draw key: HMAC-SHA256 keyed with the seed over the token
    /// id's text.
    pub fn key(&self, token_id: &str) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let tag = hmac::sign(&key, token_id.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

/// Where a pre-queued token stands in the waiting index: its draw key's
/// first 52 bits (ascending bytewise = ascending as a number), below every
/// later join's place ([`after_opening`]).
pub fn drawn_place(key: &[u8; 32]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&key[..8]);
    u64::from_be_bytes(first) >> 12
}

/// Every drawn place is below this; every later join's at or above it.
pub const DRAWN_BELOW: u64 = 1 << 53;

/// The place of the `sequence`-th join after the opening (1-based): behind
/// every drawn one.
pub fn after_opening(sequence: u64) -> u64 {
    DRAWN_BELOW + sequence
}

/// A drawn fan's estimated rank among the `prequeued` (1-based): the key's
/// quantile of the pre-queue; off by about √prequeued from the exact rank,
/// which admission follows.
pub fn estimated_rank(place: u64, prequeued: u64) -> u64 {
    let quantile = place as f64 / (1u64 << 52) as f64;
    ((quantile * prequeued as f64) as u64 + 1).min(prequeued.max(1))
}

/// Polls a second the opening may bring back: the §10 budget (46,000/s)
/// with room to spare.
pub const OPENING_POLLS_PER_SECOND: u64 = 40_000;

/// When a pre-queued fan should come back, in ms after `now`: at the
/// opening plus their share of a spread that keeps the returning fans
/// within the poll budget, between 1 and 30 s from now.
pub fn poll_after_opening_ms(place: u64, prequeued: u64, now: i64, opens_at: i64) -> u64 {
    let spread_ms = (prequeued * 1000 / OPENING_POLLS_PER_SECOND).min(30_000);
    let share = (place as f64 / (1u64 << 52) as f64 * spread_ms as f64) as i64;
    let until = (opens_at - now).max(0) + share;
    (until as u64).clamp(1_000, 30_000)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::SeededEntropy;

    /// The commitment and the keys are what anyone can recompute from the
    /// published seed (RFC 4231-style known answers for the primitives).
    #[test]
    fn the_draw_is_verifiable_from_the_published_seed() {
        let seed = Seed::from_hex(&"00".repeat(32)).unwrap();
        assert_eq!(
            seed.hash_hex(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        let key = seed.key("abc");
        let again = Seed::from_hex(&seed.hex()).unwrap().key("abc");
        assert_eq!(key, again);
        assert_ne!(key, seed.key("abd"));
        assert!(Seed::from_hex("zz").is_none());
        assert!(Seed::from_hex(&"AB".repeat(32)).is_none(), "lowercase only");
        assert_eq!(format!("{seed:?}"), "Seed(…)");
    }

    #[test]
    fn drawn_places_come_first_in_key_order() {
        let seed = Seed::draw(&SeededEntropy::new(7));
        let mut keys: Vec<[u8; 32]> = (0..1_000).map(|i| seed.key(&format!("t{i}"))).collect();
        keys.sort();
        let places: Vec<u64> = keys.iter().map(drawn_place).collect();
        assert!(
            places.windows(2).all(|w| w[0] <= w[1]),
            "bytewise = numeric"
        );
        assert!(places.iter().all(|p| *p < after_opening(1)));
        assert_eq!(drawn_place(&[0xff; 32]), (1 << 52) - 1);
    }

    /// 1,000 fans in join order: the drawn order has nothing to do with it
    /// (Spearman's ρ between join order and drawn place near 0; for 1,000
    /// independent ranks |ρ| > 0.1 has probability below 0.2%).
    #[test]
    fn the_drawn_order_is_independent_of_the_join_order() {
        for s in 0..5 {
            let seed = Seed::draw(&SeededEntropy::new(s));
            let ids = SeededEntropy::new(100 + s);
            let joined: Vec<String> = (0..1_000)
                .map(|_| format!("{:016x}", ids.next_u64()))
                .collect();
            let mut drawn: Vec<(u64, usize)> = joined
                .iter()
                .enumerate()
                .map(|(i, t)| (drawn_place(&seed.key(t)), i))
                .collect();
            drawn.sort();
            let n = drawn.len() as f64;
            let d2: f64 = drawn
                .iter()
                .enumerate()
                .map(|(rank, (_, join))| (rank as f64 - *join as f64).powi(2))
                .sum();
            let rho = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
            assert!(rho.abs() < 0.1, "seed {s}: ρ = {rho:.3}");
        }
    }

    #[test]
    fn estimated_ranks_span_the_prequeue_and_never_pass_it() {
        assert_eq!(estimated_rank(0, 1_000), 1);
        assert_eq!(estimated_rank((1 << 52) - 1, 1_000), 1_000);
        assert_eq!(estimated_rank(1 << 51, 1_000), 501);
        assert_eq!(estimated_rank(123, 0), 1);
    }

    #[test]
    fn the_opening_returns_fans_within_the_poll_budget() {
        let opens = 100_000;
        // Far from the opening: the longest wait.
        assert_eq!(poll_after_opening_ms(0, 10, 0, opens), 30_000);
        // A million pre-queued, one second before: spread over 25 s.
        let first = poll_after_opening_ms(0, 1_000_000, opens - 1_000, opens);
        let last = poll_after_opening_ms((1 << 52) - 1, 1_000_000, opens - 1_000, opens);
        assert_eq!(first, 1_000);
        assert!((25_900..=26_000).contains(&last), "{last}");
        // After the opening: never below a second.
        assert_eq!(poll_after_opening_ms(0, 10, opens + 5_000, opens), 1_000);
    }
}

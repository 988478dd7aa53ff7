//! The waiting room's rules: ticket numbers from sharded counters, positions,
//! and what a token allows at a given instant.

use super::draw::{estimated_rank, DRAWN_BELOW};
use super::room::{RoomId, DEFAULT_ROOM};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TokenStatus {
    Wait,
    Active,
    /// Ended early (after payment); the slot is free again.
    Ended,
}

/// The queue record of one user: their current token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueToken {
    pub token_id: String,
    pub user_id: String,
    pub ticket: u64,
    pub status: TokenStatus,
    pub issued_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
    /// The user's holds taken with this token: reservation id → hold end.
    #[serde(default)]
    pub holds: std::collections::HashMap<String, i64>,
    /// Counts holds taken; a payment ends the token only if none was
    /// taken since it read the token.
    #[serde(default)]
    pub version: u64,
    /// When its holder last asked about it (refreshed at most every
    /// [`SEEN_EVERY_MS`]); a waiting token unseen for `QUEUE_IDLE_SECONDS`
    /// is skipped at admission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
    /// The room it waits in: a concert's id, or 0 for the default room.
    #[serde(default, skip_serializing_if = "crate::domain::room::is_default")]
    pub room: RoomId,
}

/// Counter shards per room stay at most this many, so a room's
/// waiting-index partitions can be numbered `room × 1024 + shard` (concert
/// ids below 2^53 keep that within a DynamoDB number and an i64).
pub const MAX_SHARDS: u32 = 1024;

/// A last-seen mark is rewritten only when older than this: one write per
/// polling fan per 10 s at most, not one per request.
pub const SEEN_EVERY_MS: i64 = 10_000;

/// Whether a token last seen at `last_seen` needs its mark refreshed now.
pub fn seen_is_stale(last_seen: i64, now_ms: i64) -> bool {
    now_ms - last_seen >= SEEN_EVERY_MS
}

/// Whether a waiting token last seen at `last_seen` has been abandoned.
pub fn idle(last_seen: i64, now_ms: i64, idle_seconds: i64) -> bool {
    now_ms - last_seen >= idle_seconds * 1000
}

/// What a token is at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Waiting,
    Active,
    /// Expired or ended: refused everywhere, and the user may join again.
    Over,
}

impl QueueToken {
    /// A new token waiting in `room` at `place`, issued (and seen) at `now_ms`.
    pub fn waiting(token_id: String, user_id: &str, room: RoomId, place: u64, now_ms: i64) -> Self {
        QueueToken {
            token_id,
            user_id: user_id.to_string(),
            ticket: place,
            status: TokenStatus::Wait,
            issued_at: now_ms,
            active_at: None,
            expire_at: None,
            slot: None,
            holds: Default::default(),
            version: 0,
            last_seen: Some(now_ms),
            room,
        }
    }

    /// When it was last seen (its issue, for a token never polled).
    pub fn seen_at(&self) -> i64 {
        self.last_seen.unwrap_or(self.issued_at)
    }

    /// Whether any of its holds is still running at `now_ms`.
    pub fn holds_a_seat(&self, now_ms: i64) -> bool {
        self.holds.values().any(|until| *until > now_ms)
    }

    /// Up to `most` holds that ended by `now_ms`, oldest first: the next
    /// hold drops them from the token, so it carries live holds only
    /// instead of growing with every lapse over its window.
    pub fn lapsed_holds(&self, now_ms: i64, most: usize) -> Vec<&str> {
        let mut lapsed: Vec<(&str, i64)> = self
            .holds
            .iter()
            .filter(|(_, until)| **until <= now_ms)
            .map(|(rid, until)| (rid.as_str(), *until))
            .collect();
        lapsed.sort_unstable_by_key(|(rid, until)| (*until, *rid));
        lapsed.into_iter().take(most).map(|(rid, _)| rid).collect()
    }

    /// Whether a hold other than `reserve_id` is still running at `now_ms`.
    pub fn holds_besides(&self, reserve_id: u64, now_ms: i64) -> bool {
        let own = reserve_id.to_string();
        self.holds
            .iter()
            .any(|(rid, until)| *rid != own && *until > now_ms)
    }

    pub fn state_at(&self, now_ms: i64) -> TokenState {
        match (self.status, self.expire_at) {
            (TokenStatus::Wait, _) => TokenState::Waiting,
            (TokenStatus::Active, Some(until)) if now_ms < until => TokenState::Active,
            _ => TokenState::Over,
        }
    }
}

/// Ticket number handed out by shard `shard` (0-based) when its counter
/// reaches `count` (1-based). Shards interleave, so numbers stay unique and
/// each shard's numbers grow in step with the others'.
pub fn ticket_number(shard: u32, shards: u32, count: u64) -> u64 {
    (count.saturating_sub(1)) * u64::from(shards) + u64::from(shard) + 1
}

/// The shard a user joins through: a stable hash, so a status poll knows
/// which counter item to read alongside the token without a second call.
pub fn shard_of(user_id: &str, shards: u32) -> u32 {
    // FNV-1a: stable across processes and releases, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(shards.max(1))) as u32
}

/// Place in line: tickets count the people who joined up to and including
/// this one, `admitted` those let in since the queue began. At least 1.
pub fn position(ticket: u64, admitted: u64) -> u64 {
    ticket.saturating_sub(admitted).max(1)
}

/// The line as the activator's last round left it; every counter shard
/// carries a copy, so joins and polls read it with what they read anyway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Line {
    /// Tokens ever admitted.
    pub admitted: u64,
    /// Slots the last admitting round left free (`None` before any).
    pub free: Option<u64>,
    /// Admissions per minute of the last admitting round: faster than
    /// full windows whenever payments end tokens early.
    pub per_minute: u64,
    /// A room's pre-queue, counted when it opened (`None` before, and in
    /// the default room).
    pub prequeued: Option<u64>,
    /// Of those who left the line, the ones admitted (the rest were ended
    /// as idle).
    pub entered: u64,
}

/// Where a waiting token stands in its room's line: the drawn pre-queue by
/// draw place, then everyone else by arrival (ties by ticket). The default
/// room has no draw.
pub fn line_key(room: RoomId, ticket: u64, issued_at: i64) -> (u8, i64, u64) {
    if room != DEFAULT_ROOM && ticket < DRAWN_BELOW {
        (0, 0, ticket)
    } else {
        (1, issued_at, ticket)
    }
}

/// A waiting token's place in line (at least 1), `None` while its room has
/// not opened. `left` counts everyone who has left the line; a drawn fan's
/// rank is estimated from their draw place among the `prequeued` (a guess
/// from the fan's own shard until the activator has counted them), a later
/// fan's is exact.
pub fn place_in_line(t: &QueueToken, line: Line, guessed_prequeued: u64) -> u64 {
    if t.room == DEFAULT_ROOM {
        return position(t.ticket, line.admitted);
    }
    let prequeued = line.prequeued.unwrap_or(guessed_prequeued);
    let rank = match t.ticket.checked_sub(DRAWN_BELOW) {
        None => estimated_rank(t.ticket, prequeued),
        Some(sequence) => prequeued + sequence,
    };
    position(rank, line.admitted)
}

/// How fast the line moves: the slots, how long each is held at most,
/// and how often a round runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub max_active: u32,
    pub active_seconds: i64,
    pub tick_seconds: u64,
}

/// Seconds until admission: the next round when a free slot is left for
/// this place, else one round plus the people ahead beyond the free slots
/// at the last round's pace, or at least the pace of full windows.
pub fn estimated_wait_seconds(position: u64, line: Line, pace: Pace) -> u64 {
    let ahead = position.saturating_sub(1);
    // Before any round has admitted anyone the line's pace is unknown:
    // ask again after the first round.
    let Some(free) = line.free else {
        return pace.tick_seconds;
    };
    let beyond = ahead.saturating_sub(free);
    if ahead < free {
        return pace.tick_seconds;
    }
    let full_windows = f64::from(pace.max_active.max(1)) / pace.active_seconds.max(1) as f64;
    let rate = full_windows.max(line.per_minute as f64 / 60.0);
    pace.tick_seconds + (beyond as f64 / rate).ceil() as u64
}

/// Bounds of the poll interval a waiting fan is given.
pub const POLL_MIN_MS: u64 = 1_000;
pub const POLL_MAX_MS: u64 = 30_000;

/// When a waiting fan should ask again: half the estimated wait, so a fan
/// polls a few times while far back and about every round near the front,
/// between one and thirty seconds.
pub fn poll_after_ms(position: u64, line: Line, pace: Pace) -> u64 {
    let wait_ms = estimated_wait_seconds(position, line, pace).saturating_mul(1000);
    (wait_ms / 2).clamp(POLL_MIN_MS, POLL_MAX_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(status: TokenStatus, expire_at: Option<i64>) -> QueueToken {
        QueueToken {
            token_id: "t".into(),
            user_id: "u".into(),
            ticket: 1,
            status,
            issued_at: 0,
            active_at: None,
            expire_at,
            slot: None,
            holds: Default::default(),
            version: 0,
            last_seen: None,
            room: DEFAULT_ROOM,
        }
    }

    #[test]
    fn lapsed_holds_are_the_ended_ones_oldest_first() {
        let mut t = token(TokenStatus::Active, Some(300_000));
        t.holds = [("7", 50), ("8", 100), ("9", 101), ("6", 20)]
            .into_iter()
            .map(|(rid, until)| (rid.to_string(), until))
            .collect();
        assert_eq!(t.lapsed_holds(100, 10), vec!["6", "7", "8"]);
        assert_eq!(t.lapsed_holds(100, 2), vec!["6", "7"]);
        assert!(t.lapsed_holds(19, 10).is_empty());
    }

    #[test]
    fn active_ends_exactly_at_expiry() {
        let t = token(TokenStatus::Active, Some(300_000));
        assert_eq!(t.state_at(299_999), TokenState::Active);
        assert_eq!(t.state_at(300_000), TokenState::Over);
        assert_eq!(
            token(TokenStatus::Wait, None).state_at(i64::MAX),
            TokenState::Waiting
        );
        assert_eq!(
            token(TokenStatus::Ended, Some(10)).state_at(0),
            TokenState::Over
        );
    }

    #[test]
    fn tickets_are_unique_across_shards() {
        let mut seen = std::collections::HashSet::new();
        for shard in 0..8 {
            for count in 1..=100 {
                assert!(seen.insert(ticket_number(shard, 8, count)));
            }
        }
        assert_eq!(seen.len(), 800);
        assert_eq!(*seen.iter().min().unwrap(), 1);
        assert_eq!(*seen.iter().max().unwrap(), 800);
    }

    #[test]
    fn positions_and_waits() {
        assert_eq!(position(10, 9), 1);
        assert_eq!(position(15, 9), 6);
        assert_eq!(position(3, 10), 1);
        assert_eq!(position(1, 0), 1);
        assert!(shard_of("user1", 16) < 16);
        assert_eq!(shard_of("user1", 16), shard_of("user1", 16));
    }

    #[test]
    fn waits_count_free_slots_then_the_rate() {
        let pace = Pace {
            max_active: 1000,
            active_seconds: 300,
            tick_seconds: 5,
        };
        let full = Line {
            free: Some(0),
            ..Line::default()
        };
        let open = Line {
            free: Some(100),
            ..Line::default()
        };
        // Before any round the next round is the best guess.
        assert_eq!(estimated_wait_seconds(100_000, Line::default(), pace), 5);
        assert_eq!(estimated_wait_seconds(100, open, pace), 5);
        assert_eq!(estimated_wait_seconds(101, open, pace), 5);
        assert_eq!(estimated_wait_seconds(1101, open, pace), 305);
        assert_eq!(estimated_wait_seconds(1, full, pace), 5);
        assert_eq!(estimated_wait_seconds(1001, full, pace), 305);
        assert_eq!(poll_after_ms(1, open, pace), 2_500);
        assert_eq!(poll_after_ms(1_000_000, full, pace), 30_000);
        let fast = Pace {
            tick_seconds: 1,
            ..pace
        };
        assert_eq!(poll_after_ms(1, full, fast), 1_000);
        // Payments that end windows early speed the line up.
        let brisk = Line {
            per_minute: 60_000,
            ..full
        };
        assert_eq!(estimated_wait_seconds(10_001, brisk, pace), 15);
    }
}

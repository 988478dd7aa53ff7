//! A concert's waiting room (SPEC §12): its settings, its draw's seed, and
//! how many fans a round may let in.

use super::draw::Seed;
use super::Invalid;
use serde::{Deserialize, Serialize};

/// The room a token belongs to: a concert's id, or the default room.
pub type RoomId = u64;
pub const DEFAULT_ROOM: RoomId = 0;

/// Whether a token of `room` may act on `concert` (SPEC §12): a room's
/// token on its own concert only, a default-room token on concerts
/// without a room.
pub fn in_scope(room: RoomId, concert_id: u64, concert_has_room: bool) -> bool {
    match room {
        DEFAULT_ROOM => !concert_has_room,
        r => r == concert_id,
    }
}

pub fn is_default(room: &RoomId) -> bool {
    *room == DEFAULT_ROOM
}

/// A fan's holds in one room, whichever of their tokens made them
/// (SPEC §7): a payment ends the payer's token only when none of these
/// but the one paid still runs. `version` rises with every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomHolds {
    /// Reservation id → end of the hold.
    pub holds: Vec<(u64, i64)>,
    pub version: u64,
}

impl RoomHolds {
    /// Whether a hold other than `reserve_id` still runs at `now_ms`.
    pub fn others_running(&self, reserve_id: u64, now_ms: i64) -> bool {
        self.holds
            .iter()
            .any(|(rid, until)| *rid != reserve_id && *until > now_ms)
    }

    /// Up to `most` holds that ended by `now_ms`, to drop with the next
    /// change.
    pub fn lapsed(&self, now_ms: i64, most: usize) -> Vec<u64> {
        let mut ended: Vec<(i64, u64)> = self
            .holds
            .iter()
            .filter(|(_, until)| *until <= now_ms)
            .map(|(rid, until)| (*until, *rid))
            .collect();
        ended.sort_unstable();
        ended.into_iter().take(most).map(|(_, rid)| rid).collect()
    }
}

/// Largest `maxActive` and `admitPerSecond` the organiser may set.
pub const MAX_ACTIVE_LIMIT: u64 = 1_000_000;
pub const ADMIT_PER_SECOND_LIMIT: u64 = 100_000;

/// Whether admission holds while the service is in distress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Guard {
    #[default]
    Auto,
    Off,
}

/// A room as stored: the organiser's settings, the draw's seed (secret
/// until `opensAt`) and what the activator last found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub concert_id: u64,
    pub max_active: u32,
    #[serde(default)]
    pub admit_per_second: Option<u32>,
    pub opens_at: i64,
    #[serde(default)]
    pub paused: bool,
    #[serde(default)]
    pub guard: Guard,
    /// The draw's seed as 64 hex characters, and its SHA-256.
    pub seed: String,
    pub seed_hash: String,
    /// No seat of the concert's schedules free or held (set by the activator).
    #[serde(default)]
    pub sold_out: bool,
}

impl Room {
    pub fn is_open(&self, now_ms: i64) -> bool {
        now_ms >= self.opens_at
    }

    /// The seed, published only from `opensAt`.
    pub fn published_seed(&self, now_ms: i64) -> Option<&str> {
        self.is_open(now_ms).then_some(self.seed.as_str())
    }

    pub fn seed(&self) -> Option<Seed> {
        Seed::from_hex(&self.seed)
    }
}

/// An organiser's change: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomChange {
    pub max_active: Option<u64>,
    /// `Some(None)`: no rate limit.
    pub admit_per_second: Option<Option<u64>>,
    pub opens_at: Option<i64>,
    pub paused: Option<bool>,
    pub guard: Option<Guard>,
}

/// A change checked against the limits, as the store writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedChange {
    pub max_active: Option<u32>,
    pub admit_per_second: Option<Option<u32>>,
    pub opens_at: Option<i64>,
    pub paused: Option<bool>,
    pub guard: Option<Guard>,
}

impl RoomChange {
    pub fn check(&self) -> Result<CheckedChange, Invalid> {
        let max_active = self
            .max_active
            .map(|m| within(m, MAX_ACTIVE_LIMIT, "maxActive는 1~1000000이어야 합니다."))
            .transpose()?;
        let admit_per_second = self
            .admit_per_second
            .map(|rate| {
                rate.map(|r| {
                    within(
                        r,
                        ADMIT_PER_SECOND_LIMIT,
                        "admitPerSecond는 1~100000 또는 null이어야 합니다.",
                    )
                })
                .transpose()
            })
            .transpose()?;
        Ok(CheckedChange {
            max_active,
            admit_per_second,
            opens_at: self.opens_at,
            paused: self.paused,
            guard: self.guard,
        })
    }

    /// A new room from the first change: `maxActive` is required then;
    /// `opensAt` defaults to now.
    pub fn create(&self, concert_id: u64, seed: &Seed, now_ms: i64) -> Result<Room, Invalid> {
        let c = self.check()?;
        let max_active = c
            .max_active
            .ok_or_else(|| Invalid::new("새 대기실에는 maxActive가 필요합니다."))?;
        Ok(Room {
            concert_id,
            max_active,
            admit_per_second: c.admit_per_second.flatten(),
            opens_at: c.opens_at.unwrap_or(now_ms),
            paused: c.paused.unwrap_or(false),
            guard: c.guard.unwrap_or_default(),
            seed: seed.hex(),
            seed_hash: seed.hash_hex(),
            sold_out: false,
        })
    }
}

fn within(value: u64, most: u64, message: &str) -> Result<u32, Invalid> {
    u32::try_from(value)
        .ok()
        .filter(|v| (1..=most).contains(&u64::from(*v)))
        .ok_or_else(|| Invalid::new(message))
}

/// The inlet: how many a round may admit at `admit_per_second` after
/// `elapsed_ms` since the last round, with the fraction left over by
/// earlier rounds (`carry`, below 1); returns the count and the new carry.
/// No limit: every free slot. A round after a stall counts at most
/// `most_ms`, so a late activator does not flood the sale.
pub fn inlet(
    admit_per_second: Option<u32>,
    elapsed_ms: i64,
    most_ms: i64,
    carry: f64,
) -> (u64, f64) {
    let Some(rate) = admit_per_second else {
        return (u64::MAX, 0.0);
    };
    let elapsed = elapsed_ms.clamp(0, most_ms.max(0)) as f64 / 1000.0;
    let allowed = f64::from(rate) * elapsed + carry;
    let whole = allowed.floor();
    (whole as u64, allowed - whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::SeededEntropy;

    #[test]
    fn a_room_needs_its_size_and_checks_its_limits() {
        let seed = Seed::draw(&SeededEntropy::new(1));
        let none = RoomChange::default();
        assert!(none.create(7, &seed, 5).is_err());
        let room = RoomChange {
            max_active: Some(10),
            ..RoomChange::default()
        }
        .create(7, &seed, 5)
        .unwrap();
        assert_eq!((room.opens_at, room.admit_per_second), (5, None));
        assert_eq!(room.seed_hash, seed.hash_hex());
        assert!(!room.is_open(4) && room.is_open(5));
        assert_eq!(room.published_seed(4), None);
        for bad in [0, 1_000_001] {
            let c = RoomChange {
                max_active: Some(bad),
                ..RoomChange::default()
            };
            assert!(c.check().is_err());
        }
        let rate = |r| RoomChange {
            admit_per_second: Some(r),
            ..RoomChange::default()
        };
        assert!(rate(Some(0)).check().is_err());
        assert!(rate(Some(100_001)).check().is_err());
        assert_eq!(rate(None).check().unwrap().admit_per_second, Some(None));
        assert_eq!(
            rate(Some(100_000)).check().unwrap().admit_per_second,
            Some(Some(100_000))
        );
    }

    #[test]
    fn a_fans_other_holds_in_the_room_keep_the_token() {
        let h = RoomHolds {
            holds: vec![(1, 100), (2, 50), (3, 10)],
            version: 4,
        };
        assert!(h.others_running(2, 60));
        assert!(!h.others_running(1, 60));
        assert_eq!(h.lapsed(60, 5), vec![3, 2]);
        assert_eq!(h.lapsed(60, 1), vec![3]);
    }

    #[test]
    fn a_token_acts_only_in_its_room() {
        assert!(in_scope(DEFAULT_ROOM, 5, false));
        assert!(!in_scope(DEFAULT_ROOM, 5, true));
        assert!(in_scope(5, 5, true));
        assert!(!in_scope(5, 6, true));
        assert!(!in_scope(5, 6, false));
    }

    #[test]
    fn the_inlet_carries_fractions_across_rounds() {
        // 2.5 a second, rounds every 1 s: 2, 3, 2, 3 …
        let (mut total, mut carry) = (0, 0.0);
        let mut each = Vec::new();
        for _ in 0..10 {
            let (n, c) = inlet(Some(5), 500, 2_000, carry);
            carry = c;
            each.push(n);
            total += n;
        }
        assert_eq!(total, 25);
        assert!(each.iter().all(|n| *n == 2 || *n == 3));
        // A long stall lets in at most its cap's worth, not the backlog.
        assert_eq!(inlet(Some(100), 60_000, 2_000, 0.0).0, 200);
        assert_eq!(inlet(None, 1_000, 2_000, 0.0).0, u64::MAX);
    }
}

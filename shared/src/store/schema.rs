//! The one home of every key, attribute name and state value the tables
//! hold, table by table (docs/data-model.md draws the same layout). The
//! adapter, the jobs, the dev kit and the tests all go through here.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

/// Partition and sort key attributes of every table.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
/// DynamoDB TTL attribute (epoch seconds) of every table that expires items.
pub const TTL: &str = "ttl";

/// Zero-padded so that string order equals numeric order.
pub fn pad(id: u64) -> String {
    format!("{id:016}")
}

/// A state value (`TEMP`, `ACTIVE`, …) exactly as the domain type
/// serialises it, for condition expressions.
pub fn state<T: Serialize>(value: T) -> AttributeValue {
    serde_dynamo::to_attribute_value(value).unwrap_or(AttributeValue::Null(true))
}

/// `CatalogTable`: concerts, schedules and seats.
pub mod catalog {
    use super::pad;
    use crate::domain::catalog::{block_of, SEAT_BLOCK};

    /// Id counters: sort key `concert`, `schedule` or [`SEQ_SEAT`], value
    /// in [`SEQ_VALUE`].
    pub const SEQ_PK: &str = "SEQ";
    pub const SEQ_SEAT: &str = "seat";
    pub const SEQ_VALUE: &str = "v";
    /// Every concert is listed under this partition.
    pub const CONCERTS_PK: &str = "CONCERTS";
    /// A schedule's own item under `schedule_pk`.
    pub const META_SK: &str = "#META";
    /// A schedule's seat map (its sections), under `schedule_pk`.
    pub const LAYOUT_SK: &str = "#LAYOUT";
    pub const SEAT_PREFIX: &str = "SEAT#";
    pub const SCHEDULE_PREFIX: &str = "SCHEDULE#";

    pub fn concert_sk(concert_id: u64) -> String {
        format!("CONCERT#{}", pad(concert_id))
    }
    /// Partition of a concert's schedule listings.
    pub fn concert_pk(concert_id: u64) -> String {
        concert_sk(concert_id)
    }
    pub fn schedule_sk(schedule_id: u64) -> String {
        format!("{SCHEDULE_PREFIX}{}", pad(schedule_id))
    }
    /// Partition of a schedule's own item.
    pub fn schedule_pk(schedule_id: u64) -> String {
        schedule_sk(schedule_id)
    }
    /// Partition of one block of a schedule's seats.
    pub fn block_pk(schedule_id: u64, block: u64) -> String {
        format!("{}#B{block:06}", schedule_pk(schedule_id))
    }
    /// Partition of a seat: its block's.
    pub fn seat_pk(schedule_id: u64, seat_id: u64) -> String {
        block_pk(schedule_id, block_of(seat_id))
    }
    /// A concert's attribute that marks it as having its own waiting room.
    pub const HAS_ROOM: &str = "hasRoom";
    /// A schedule's attributes (both copies), as
    /// `domain::catalog::Schedule` serialises them, that updates name.
    pub mod schedule_attr {
        pub const STATUS: &str = "status";
        pub const SALE_OPENS_AT: &str = "saleOpensAt";
        pub const SALE_CLOSES_AT: &str = "saleClosesAt";
    }

    /// A seat's attributes, as `domain::catalog::Seat` serialises them;
    /// `store/seat.rs` builds every condition on them.
    pub mod seat_attr {
        pub const CONCERT_ID: &str = "concertId";
        pub const HOLD_ID: &str = "holdId";
        pub const HOLD_UNTIL: &str = "holdUntil";
        pub const HOLDER: &str = "holder";
        /// Who last held the seat without paying, and when that hold
        /// ended (released or lapsed): the same fan's cool-off (SPEC §7).
        pub const LAST_HOLDER: &str = "lastHolder";
        pub const LAST_END: &str = "lastEnd";
        /// The end of the last hold let go or returned. A new hold must
        /// end after it: the seats-left records name a seat's holds by
        /// their ends, so a host whose clock lags must not re-hold a seat
        /// with an end before the previous hold's.
        pub const LAST_UNTIL: &str = "lastUntil";
        pub const SOLD_RESERVE_ID: &str = "soldReserveId";
        pub const SOLD_TO: &str = "soldTo";
        /// Set by its schedule's cancellation.
        pub const CANCELLED: &str = "cancelled";
        pub const REFUNDED_TICKETS: &str = "refundedTickets";
        pub const REFUNDED_POINTS: &str = "refundedPoints";
    }
    pub use seat_attr::CANCELLED as SEAT_CANCELLED;
    pub fn seat_sk(seat_id: u64) -> String {
        format!("{SEAT_PREFIX}{}", pad(seat_id))
    }

    /// Seats-left item of one block: its own partition, so seat events of
    /// different blocks never share a key.
    pub fn avail_pk(schedule_id: u64, block: u64) -> String {
        format!("AVAIL#{}#B{block:06}", pad(schedule_id))
    }
    pub const AVAIL_SK: &str = "AVAIL";
    /// On a seats-left item: seat → end of its running hold, and seat →
    /// end of the hold that was sold (both in ms).
    pub const HELD: &str = "h";
    pub const SOLD: &str = "sold";
    /// A seat's name inside its block's maps: two digits, so a full block
    /// stays near 1 KB.
    pub fn seat_in_block(seat_id: u64) -> String {
        format!("{:02}", seat_id % SEAT_BLOCK)
    }
}

/// `QueueTable`: counter shards, tokens, admission slots and the users'
/// hold slots.
pub mod queue {
    pub const USER_PREFIX: &str = "USER#";
    pub const TOKEN_SK: &str = "TOKEN";
    pub const COUNTER_SK: &str = "COUNTER";
    /// The organiser's control of admission, and its attributes.
    pub const CONTROL_PK: &str = "QUEUE";
    pub const CONTROL_SK: &str = "CONTROL";
    pub const PAUSED: &str = "paused";
    pub const MAX_ACTIVE: &str = "maxActive";
    /// Admission slots are spread over this many partitions (`k mod 64`),
    /// so admissions and payments never share one hot key.
    pub const SLOT_SHARDS: u32 = 64;
    /// The attributes of the queue table's items that conditions and
    /// updates name: a token's (as `domain::queue::QueueToken` serialises
    /// them), a user's pointer, a counter shard's and an admission slot's.
    pub mod attr {
        pub const STATUS: &str = "status";
        pub const USER_ID: &str = "userId";
        pub const TOKEN_ID: &str = "tokenId";
        pub const TICKET: &str = "ticket";
        pub const ISSUED_AT: &str = "issuedAt";
        pub const ACTIVE_AT: &str = "activeAt";
        pub const EXPIRE_AT: &str = "expireAt";
        pub const LAST_SEEN: &str = "lastSeen";
        pub const SLOT: &str = "slot";
        pub const HOLDS: &str = "holds";
        pub const VERSION: &str = "version";
        /// A counter shard's: tickets issued, the line it was told.
        pub const NEXT: &str = "next";
        pub const ADMITTED: &str = "admitted";
        pub const FREE: &str = "free";
        pub const PER_MINUTE: &str = "perMinute";
        /// An admission slot's end, and a lease's.
        pub const UNTIL: &str = "until";
        /// A lease's holder and its fencing token (a counter shard carries
        /// the token of the last holder that wrote it).
        pub const HOLDER: &str = "holder";
        pub const EPOCH: &str = "epoch";
        /// A room's counter shard: joins before the opening, and the
        /// pre-queue's size once drawn.
        pub const PRE: &str = "pre";
        /// A counter shard's copy of how many were ever admitted.
        pub const ENTERED: &str = "entered";
        pub const PREQUEUED: &str = "prequeued";
        /// A room's attributes that updates name.
        pub const OPENS_AT: &str = "opensAt";
        pub const SOLD_OUT: &str = "soldOut";
        pub const ADMIT_PER_SECOND: &str = "admitPerSecond";
        pub const GUARD: &str = "guard";
    }

    /// Sparse index of waiting tokens: hash `waitShard`, range `ticket`.
    pub const WAITING_INDEX: &str = "waiting";
    pub const WAIT_SHARD: &str = "waitShard";

    pub fn user_pk(user_id: &str) -> String {
        format!("{USER_PREFIX}{user_id}")
    }
    pub fn user_of(pk: &str) -> Option<&str> {
        pk.strip_prefix(USER_PREFIX)
    }
    pub fn token_pk(token_id: &str) -> String {
        format!("TOKEN#{token_id}")
    }
    pub fn token_of(pk: &str) -> Option<&str> {
        pk.strip_prefix("TOKEN#")
    }
    /// A lease: one holder at a time of work that must not run twice.
    pub const LEASE_SK: &str = "LEASE";
    pub fn lease_pk(name: &str) -> String {
        format!("LEASE#{name}")
    }
    /// The default room's keys keep their names; a room's carry its
    /// concert id, so no two rooms share an item.
    pub fn counter_pk(room: u64, shard: u32) -> String {
        match room {
            0 => format!("COUNTER#{shard}"),
            r => format!("COUNTER#{r}#{shard}"),
        }
    }
    pub fn slot_pk(room: u64, slot: u32) -> String {
        slot_shard_pk(room, slot % SLOT_SHARDS)
    }
    pub fn slot_shard_pk(room: u64, shard: u32) -> String {
        match room {
            0 => format!("SLOTS#{shard}"),
            r => format!("SLOTS#{r}#{shard}"),
        }
    }
    /// The sort key of a user's pointer to their live token in a room.
    pub fn user_token_sk(room: u64) -> String {
        match room {
            0 => TOKEN_SK.to_string(),
            r => format!("{TOKEN_SK}#{r}"),
        }
    }
    pub use crate::domain::queue::MAX_SHARDS;
    /// A room's waiting-index partitions are `room × MAX_SHARDS + shard`.
    pub fn wait_shard(room: u64, shard: u32) -> u64 {
        room * u64::from(MAX_SHARDS) + u64::from(shard)
    }
    /// A fan's holds in a room, under `USER#{userId}`: one attribute per
    /// hold (`h{reserveId}` → its end) and `version`.
    pub fn room_holds_sk(room: u64) -> String {
        format!("HOLDS#{room}")
    }
    pub const ROOM_HOLD_PREFIX: &str = "h";
    pub fn room_hold_attr(reserve_id: u64) -> String {
        format!("{ROOM_HOLD_PREFIX}{reserve_id}")
    }
    /// The activator's lease of a room.
    pub fn activator_lease(room: u64) -> String {
        match room {
            0 => "activator".to_string(),
            r => format!("activator#{r}"),
        }
    }
    /// A room (SPEC §12), and the listing of every room the activator
    /// reads once a round.
    pub const ROOM_SK: &str = "ROOM";
    pub const ROOMS_PK: &str = "ROOMS";
    pub fn room_pk(concert_id: u64) -> String {
        format!("ROOM#{concert_id}")
    }
    /// The guard's item (`GUARD`/`STATE`): the state of each alarm it
    /// follows, as `alarm:{name}`.
    pub const GUARD_PK: &str = "GUARD";
    pub const GUARD_SK: &str = "STATE";
    pub const ALARM_PREFIX: &str = "alarm:";
    pub fn slot_sk(slot: u32) -> String {
        format!("{slot:08}")
    }

    /// A user's hold slots in one schedule: here, not beside the
    /// reservations, so that taking and freeing a slot adds no record to
    /// the reservations table's stream.
    pub const HOLDS_SK: &str = "HOLDS";
    pub fn holds_pk(user_id: &str, schedule_id: u64) -> String {
        format!("HOLDS#{user_id}#{schedule_id}")
    }
    /// The end a paid ticket's slot carries: never, until it is cancelled.
    pub const TICKET_KEPT: i64 = 9_007_199_254_740_991;
    /// Attributes of hold slot `k` on the holds item: its expiry and its
    /// reservation.
    pub fn slot_attrs(k: u32) -> (String, String) {
        (format!("s{k}"), format!("r{k}"))
    }
}

/// `ReservationsTable`: reservation records (its stream feeds the
/// availability count and the hold cleanup).
pub mod reservations {
    pub const RES_SK: &str = "RES";
    /// A reservation record's attributes, as `domain::reservation::Reservation`
    /// serialises them, that conditions and updates name.
    pub mod attr {
        pub const STATUS: &str = "status";
        pub const USER_ID: &str = "userId";
        pub const EXPIRES_AT: &str = "expiresAt";
        pub const CREATED_AT: &str = "createdAt";
        pub const PAYMENT_ID: &str = "paymentId";
        pub const CANCELLED_BY: &str = "cancelledBy";
        pub const CANCELLED_AT: &str = "cancelledAt";
        pub const REFUND: &str = "refund";
    }
    /// A user's reservations: hash `userId`, range `createdAt`.
    pub const BY_USER_INDEX: &str = "byUser";

    pub fn reservation_pk(reserve_id: u64) -> String {
        format!("RES#{reserve_id}")
    }
}

/// `PointsTable`: balances and their ledgers.
pub mod points {
    use crate::domain::points::LedgerEntry;

    pub const USER_PREFIX: &str = "USER#";
    pub const BALANCE_SK: &str = "BALANCE";
    pub const BALANCE: &str = "point";
    pub const LEDGER_PREFIX: &str = "LEDGER#";
    /// A payment's receipt rides on its ledger entry under this attribute.
    pub const RECEIPT: &str = "payment";

    pub fn user_pk(user_id: &str) -> String {
        format!("{USER_PREFIX}{user_id}")
    }
    pub fn user_of(pk: &str) -> Option<&str> {
        pk.strip_prefix(USER_PREFIX)
    }
    pub fn ledger_sk(entry: &LedgerEntry) -> String {
        format!("{LEDGER_PREFIX}{:016}#{}", entry.at, entry.entry_id)
    }
}

/// `PointsTable` also holds the money that moves through the payment
/// provider (SPEC §11): top-ups, withdrawals with one item per planned
/// cancel, each user's refundable funds and the markers of what is still
/// pending, so every credit or debit shares a transaction with them.
pub mod money {
    pub const TOPUP_PREFIX: &str = "TOPUP#";
    pub const TOPUP_SK: &str = "TOPUP";
    pub const WITHDRAWAL_PREFIX: &str = "WITHDRAWAL#";
    pub const WITHDRAWAL_SK: &str = "WITHDRAWAL";
    pub const PART_PREFIX: &str = "PART#";
    /// `USER#{user}`/`FUND#{doneAt}#{orderId}`: a DONE top-up's remainder.
    pub const FUND_PREFIX: &str = "FUND#";
    /// `PENDING#{kind}#{shard}`/`{since}#{id}`: one marker per pending
    /// top-up or withdrawal, for reconciliation to find.
    pub const PENDING_PREFIX: &str = "PENDING#";
    /// Marker partitions per kind, to spread a rush of top-ups.
    pub const PENDING_SHARDS: u64 = 8;

    /// Attributes that conditions and updates name.
    pub mod attr {
        pub const STATUS: &str = "status";
        pub const PAYMENT_KEY: &str = "paymentKey";
        pub const DONE_AT: &str = "doneAt";
        pub const POINT: &str = "point";
        pub const PROVIDER_CODE: &str = "providerCode";
        pub const REVERSED: &str = "reversed";
        pub const SHORTFALL: &str = "shortfall";
        pub const REMAINING: &str = "remaining";
        pub const STATE: &str = "state";
        /// On the balance item: how many top-ups are pending, and their sum.
        pub const PENDING_COUNT: &str = "pendingTopups";
        pub const PENDING_AMOUNT: &str = "pendingAmount";
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Pending {
        Topup,
        Withdrawal,
    }

    pub fn topup_pk(order_id: &str) -> String {
        format!("{TOPUP_PREFIX}{order_id}")
    }
    pub fn withdrawal_pk(id: &str) -> String {
        format!("{WITHDRAWAL_PREFIX}{id}")
    }
    pub fn part_sk(index: u32) -> String {
        format!("{PART_PREFIX}{index:03}")
    }
    pub fn fund_sk(done_at: i64, order_id: &str) -> String {
        format!("{FUND_PREFIX}{done_at:016}#{order_id}")
    }
    pub fn pending_pk(kind: Pending, shard: u64) -> String {
        let kind = match kind {
            Pending::Topup => "TOPUP",
            Pending::Withdrawal => "WITHDRAWAL",
        };
        format!("{PENDING_PREFIX}{kind}#{shard}")
    }
    /// The marker of `id`, pending since `since`: its partition follows
    /// from the id, so whoever settles it finds it again.
    pub fn pending_key(kind: Pending, id: &str, since: i64) -> (String, String) {
        let shard = id
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
            % PENDING_SHARDS;
        (pending_pk(kind, shard), format!("{since:016}#{id}"))
    }
}

/// `JobsTable`: one item per background job; its stream runs the job.
pub mod jobs {
    use crate::domain::jobs::JobKind;

    /// A job's attributes, as `domain::jobs::Job` serialises them, that
    /// its progress condition names.
    pub mod attr {
        pub const NEXT_BLOCK: &str = "nextBlock";
        pub const DONE: &str = "done";
        /// Times an organiser's repair wrote the job again.
        pub const RESTARTS: &str = "restarts";
    }

    pub fn job_pk(kind: JobKind, schedule_id: u64) -> String {
        let kind = match kind {
            JobKind::Prepare => "PREPARE",
            JobKind::Cancel => "CANCEL",
        };
        format!("JOB#{kind}#{schedule_id}")
    }
}

/// `IdempotencyTable`: one record per (user, operation, key).
pub mod idempotency {
    /// A record's attributes: its state, the request it answers, when it
    /// was claimed, and the stored answer.
    pub mod attr {
        pub const STATE: &str = "state";
        pub const REQUEST: &str = "request";
        pub const CLAIMED_AT: &str = "claimedAt";
        pub const STATUS: &str = "status";
        pub const BODY: &str = "body";
    }
    pub const PENDING: &str = "PENDING";
    pub const DONE: &str = "DONE";
    pub const APPLIED: &str = "APPLIED";

    pub fn idem_pk(user_id: &str, op: &str, key: &str) -> String {
        format!("IDEM#{user_id}#{op}#{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::queue::TokenStatus;
    use crate::domain::reservation::ReservationStatus;

    #[test]
    fn states_are_the_domains_serialised_names() {
        assert_eq!(
            state(ReservationStatus::Temp),
            AttributeValue::S("TEMP".into())
        );
        assert_eq!(
            state(TokenStatus::Active),
            AttributeValue::S("ACTIVE".into())
        );
    }

    #[test]
    fn seat_attributes_are_the_seats_serialised_names() {
        use crate::domain::catalog::{Seat, SeatCancel};
        use catalog::seat_attr as a;
        let seat = Seat {
            hold_id: Some(1),
            hold_until: Some(2),
            holder: Some("u".into()),
            sold_reserve_id: Some(3),
            sold_to: Some("u".into()),
            cancelled: Some(SeatCancel::Free),
            refunded_tickets: 1,
            refunded_points: 1,
            seat_id: 1,
            schedule_id: 1,
            concert_id: 1,
            seat_number: "A-1-1".into(),
            price: 1,
        };
        let item: std::collections::HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&seat).unwrap();
        for name in [
            a::CONCERT_ID,
            a::HOLD_ID,
            a::HOLD_UNTIL,
            a::HOLDER,
            a::SOLD_RESERVE_ID,
            a::SOLD_TO,
            a::CANCELLED,
            a::REFUNDED_TICKETS,
            a::REFUNDED_POINTS,
        ] {
            assert!(item.contains_key(name), "{name}");
        }
    }

    #[test]
    fn keys_sort_numerically() {
        assert!(catalog::seat_sk(9) < catalog::seat_sk(10));
        assert_eq!(queue::user_of(&queue::user_pk("a")), Some("a"));
    }
}

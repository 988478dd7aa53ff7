//! A fan's holds in one room (`QueueTable`, `USER#{userId}`/`HOLDS#{room}`),
//! whichever token made them (SPEC §7): a hold adds itself, a payment or
//! a release removes itself, and every change raises `version`, so two
//! payments at once of a fan's last two holds cannot both see the other
//! still running.

use super::error::{OrFailed, StoreError};
use super::io::{key, n, num_attr};
use super::schema::queue::attr::VERSION;
use super::schema::queue::{room_hold_attr, room_holds_sk, user_pk, ROOM_HOLD_PREFIX};
use super::schema::TTL;
use super::Db;
use crate::domain::reservation::Reservation;
use crate::domain::room::RoomHolds;
use aws_sdk_dynamodb::types::Update;

/// The record outlives the fan's last hold by this long (TTL).
const RETENTION_SECS: i64 = 8 * 24 * 3600;
/// Lapsed holds one change drops, so the item stays small.
const MOST_DROPPED: usize = 16;

impl Db {
    /// The fan's holds in `room`, read strongly (a payment decides on it).
    pub async fn room_holds(&self, user_id: &str, room: u64) -> Result<RoomHolds, StoreError> {
        let item = self
            .get(
                &self.tables.queue,
                key(user_pk(user_id), room_holds_sk(room)),
                true,
            )
            .await?
            .unwrap_or_default();
        let holds = item
            .iter()
            .filter_map(|(name, value)| {
                let rid = name.strip_prefix(ROOM_HOLD_PREFIX)?.parse().ok()?;
                Some((rid, value.as_n().ok()?.parse().ok()?))
            })
            .collect();
        let version = num_attr(&item, VERSION).unwrap_or(0).max(0) as u64;
        Ok(RoomHolds { holds, version })
    }

    /// The write that adds hold `r` to its fan's holds in its room, for
    /// the hold's transaction.
    pub(crate) fn note_room_hold(&self, r: &Reservation) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(user_pk(&r.user_id), room_holds_sk(r.room))))
            .update_expression("SET #hold = :until, #ttl = :ttl ADD #version :one")
            .expression_attribute_names("#hold", room_hold_attr(r.reserve_id))
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":until", n(r.expires_at))
            .expression_attribute_values(":ttl", n(r.expires_at / 1000 + RETENTION_SECS))
            .expression_attribute_values(":one", n(1))
            .build()
            .or_failed()
    }

    /// The write that removes hold `r` (and some lapsed ones) from its
    /// fan's holds, for the payment's transaction: conditional on the
    /// holds being as `read` when the payment decided on them (`None`:
    /// whatever they are).
    pub(crate) fn drop_room_hold(
        &self,
        r: &Reservation,
        read: Option<&RoomHolds>,
        now_ms: i64,
    ) -> Result<Update, StoreError> {
        let mut names = vec![room_hold_attr(r.reserve_id)];
        if let Some(h) = read {
            names.extend(
                h.lapsed(now_ms, MOST_DROPPED)
                    .into_iter()
                    .filter(|rid| *rid != r.reserve_id)
                    .map(room_hold_attr),
            );
        }
        let removed: Vec<String> = (0..names.len()).map(|i| format!("#h{i}")).collect();
        let mut update = Update::builder()
            .table_name(&self.tables.queue)
            .set_key(Some(key(user_pk(&r.user_id), room_holds_sk(r.room))))
            .update_expression(format!("REMOVE {} ADD #version :one", removed.join(", ")))
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":one", n(1));
        for (alias, name) in removed.iter().zip(names) {
            update = update.expression_attribute_names(alias, name);
        }
        if let Some(h) = read {
            update = match h.version {
                0 => update.condition_expression("attribute_not_exists(#version)"),
                v => update
                    .condition_expression("#version = :version")
                    .expression_attribute_values(":version", n(v)),
            };
        }
        update.build().or_failed()
    }

    /// Drops a released hold from its fan's holds in its room.
    pub async fn forget_room_hold(&self, r: &Reservation, now_ms: i64) -> Result<(), StoreError> {
        self.update_alone(self.drop_room_hold(r, None, now_ms)?)
            .await
            .map(|_| ())
    }
}

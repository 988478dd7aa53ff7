//! Seats-left bookkeeping on each schedule's listing item
//! (`CONCERT#{concert}`/`SCHEDULE#{schedule}`): `sold` (seat → reservation),
//! `holdUntil` and `holdRes` (seat → hold end, reservation). Maintained by
//! the availability consumer off the sale path; every update is
//! conditional on the seat's own entry, so redelivery changes nothing.

use super::error::StoreError;
use super::io::{conditional, key, n};
use super::schema::catalog::{concert_pk, schedule_sk};
use super::Db;
use crate::domain::availability::{SeatChange, SeatEvent};

impl Db {
    /// Applies one seat event; `false` when it was already applied or is
    /// superseded (a later hold, a sale).
    pub async fn apply_seat_event(&self, e: &SeatEvent) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.catalog)
            .set_key(Some(key(
                concert_pk(e.concert_id),
                schedule_sk(e.schedule_id),
            )))
            .expression_attribute_names("#s", e.seat_id.to_string());
        let update = match e.change {
            SeatChange::Held { until } => update
                .update_expression("SET holdUntil.#s = :until, holdRes.#s = :rid")
                .condition_expression(
                    "attribute_exists(pk) AND attribute_not_exists(sold.#s) \
                     AND (attribute_not_exists(holdUntil.#s) OR holdUntil.#s < :until)",
                )
                .expression_attribute_values(":until", n(until))
                .expression_attribute_values(":rid", n(e.reserve_id)),
            SeatChange::Sold => update
                .update_expression("SET sold.#s = :rid REMOVE holdUntil.#s, holdRes.#s")
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(sold.#s)")
                .expression_attribute_values(":rid", n(e.reserve_id)),
            SeatChange::Lapsed => update
                .update_expression("REMOVE holdUntil.#s, holdRes.#s")
                .condition_expression("holdRes.#s = :rid")
                .expression_attribute_values(":rid", n(e.reserve_id)),
        };
        conditional(update.send().await)
    }
}

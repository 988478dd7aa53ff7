//! Key layout of every table, in one place (see docs/data-model.md).

/// Zero-padded so that string order equals numeric order.
pub fn pad(id: u64) -> String {
    format!("{id:016}")
}

pub const CONCERTS_PK: &str = "CONCERTS";
pub const META_SK: &str = "#META";
pub const SEAT_SK_PREFIX: &str = "SEAT#";
pub const SCHEDULE_SK_PREFIX: &str = "SCHEDULE#";

pub fn concert_sk(concert_id: u64) -> String {
    format!("CONCERT#{}", pad(concert_id))
}

pub fn concert_pk(concert_id: u64) -> String {
    format!("CONCERT#{}", pad(concert_id))
}

pub fn schedule_sk(schedule_id: u64) -> String {
    format!("{SCHEDULE_SK_PREFIX}{}", pad(schedule_id))
}

pub fn schedule_pk(schedule_id: u64) -> String {
    format!("SCHEDULE#{}", pad(schedule_id))
}

pub fn seat_sk(seat_id: u64) -> String {
    format!("{SEAT_SK_PREFIX}{}", pad(seat_id))
}

//! A schedule's seat map (SPEC §13): its sections placed on its seat ids,
//! and which seats are free as one bit each.

use super::catalog::{Schedule, Seat};
use super::organiser::Section;
use serde::{Deserialize, Serialize};

/// A section with the first of its seat ids: seat `n` of row `r` is
/// `first_seat_id + (r−1)·seats_per_row + n − 1`, numbered `name-r-n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlacedSection {
    pub name: String,
    pub rows: u32,
    pub seats_per_row: u32,
    pub price: i64,
    pub first_seat_id: u64,
}

impl PlacedSection {
    pub fn seats(&self) -> u64 {
        u64::from(self.rows) * u64::from(self.seats_per_row)
    }

    /// The number of seat `seat_id` of this section (`name-row-seat`), or
    /// None when the seat is not in it.
    pub fn number_of(&self, seat_id: u64) -> Option<String> {
        let i = seat_id.checked_sub(self.first_seat_id)?;
        if i >= self.seats() {
            return None;
        }
        let per_row = u64::from(self.seats_per_row);
        Some(format!(
            "{}-{}-{}",
            self.name,
            i / per_row + 1,
            i % per_row + 1
        ))
    }
}

/// A schedule's sections, one run of seat ids each, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Layout {
    pub schedule_id: u64,
    pub sections: Vec<PlacedSection>,
}

impl Layout {
    /// The organiser's sections placed one after another from the
    /// schedule's first seat id.
    pub fn place(schedule: &Schedule, sections: &[Section]) -> Layout {
        let mut next = schedule.first_seat_id;
        let sections = sections
            .iter()
            .map(|s| {
                let placed = PlacedSection {
                    name: s.name.clone(),
                    rows: s.rows,
                    seats_per_row: s.seats_per_row,
                    price: s.price,
                    first_seat_id: next,
                };
                next += placed.seats();
                placed
            })
            .collect();
        Layout {
            schedule_id: schedule.schedule_id,
            sections,
        }
    }
}

impl Layout {
    /// The seats with ids in `range` (inclusive start, exclusive end), in
    /// id order, numbered and priced by their section.
    pub fn seats_in(&self, schedule: &Schedule, range: std::ops::Range<u64>) -> Vec<Seat> {
        self.sections
            .iter()
            .flat_map(|s| {
                let end = s.first_seat_id + s.seats();
                let ids = s.first_seat_id.max(range.start)..end.min(range.end);
                ids.filter_map(move |id| {
                    let number = s.number_of(id)?;
                    Some(Seat::new(schedule, id, number, s.price))
                })
            })
            .collect()
    }
}

/// One bit per seat of `schedule` in id order, most significant bit
/// first: 1 when the seat is reservable at `now_ms`. `seats` are the
/// schedule's seats as read; one not among them counts as taken.
pub fn free_bitmap<'a>(
    schedule: &Schedule,
    seats: impl IntoIterator<Item = &'a Seat>,
    now_ms: i64,
) -> Vec<u8> {
    let mut bits = vec![0u8; u64::from(schedule.total_seats).div_ceil(8) as usize];
    for seat in seats {
        if schedule.has_seat(seat.seat_id) && seat.reservable_at(now_ms) {
            let i = seat.seat_id - schedule.first_seat_id;
            bits[(i / 8) as usize] |= 0x80 >> (i % 8);
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::ScheduleStatus;

    fn schedule(first: u64, total: u32) -> Schedule {
        Schedule {
            schedule_id: 9,
            concert_id: 1,
            date: "2026-12-01".parse().unwrap(),
            total_seats: total,
            first_seat_id: first,
            sale_opens_at: 0,
            sale_closes_at: i64::MAX,
            status: ScheduleStatus::Ready,
        }
    }

    fn section(name: &str, rows: u32, per_row: u32) -> Section {
        Section {
            name: name.into(),
            rows,
            seats_per_row: per_row,
            price: 10,
        }
    }

    #[test]
    fn sections_are_placed_one_run_each_and_numbered_row_by_row() {
        let layout = Layout::place(
            &schedule(200, 10),
            &[section("A", 2, 3), section("VIP", 2, 2)],
        );
        let firsts: Vec<u64> = layout.sections.iter().map(|s| s.first_seat_id).collect();
        assert_eq!(firsts, vec![200, 206]);
        let a = &layout.sections[0];
        assert_eq!(a.number_of(200).as_deref(), Some("A-1-1"));
        assert_eq!(a.number_of(203).as_deref(), Some("A-2-1"));
        assert_eq!(a.number_of(205).as_deref(), Some("A-2-3"));
        assert_eq!(a.number_of(206), None);
        assert_eq!(
            layout.sections[1].number_of(209).as_deref(),
            Some("VIP-2-2")
        );
    }

    #[test]
    fn seats_are_numbered_section_row_seat_and_priced_in_id_order() {
        let s = schedule(100, 8);
        let layout = Layout::place(&s, &[section("A", 2, 3), section("VIP", 1, 2)]);
        let all = layout.seats_in(&s, 0..u64::MAX);
        let names: Vec<_> = all
            .iter()
            .map(|x| (x.seat_id, x.seat_number.as_str()))
            .collect();
        assert_eq!(names[0], (100, "A-1-1"));
        assert_eq!(names[3], (103, "A-2-1"));
        assert_eq!(names[6], (106, "VIP-1-1"));
        assert_eq!(all.len(), 8);
        let some = layout.seats_in(&s, 105..107);
        assert_eq!(some.len(), 2);
        assert_eq!(some[1].seat_number, "VIP-1-1");
    }

    #[test]
    fn the_bitmap_has_one_bit_per_seat_most_significant_first() {
        // Seats 195..=204: 196 held until 50, 201 sold, 203 never read.
        let s = schedule(195, 10);
        let layout = Layout::place(&s, &[section("A", 1, 10)]);
        let mut seats = layout.seats_in(&s, 0..u64::MAX);
        seats[1].hold_until = Some(50);
        seats[6].sold_reserve_id = Some(7);
        seats.remove(8);
        assert_eq!(free_bitmap(&s, &seats, 10), vec![0b1011_1101, 0b0100_0000]);
        // Once the hold has ended its seat is free again; the sold one not.
        assert_eq!(free_bitmap(&s, &seats, 50), vec![0b1111_1101, 0b0100_0000]);
        // A seat of another schedule changes nothing.
        let other = Seat::new(&schedule(300, 1), 300, "X-1-1".into(), 1);
        assert_eq!(free_bitmap(&s, [&other], 0), vec![0, 0]);
    }

    #[test]
    fn sixty_thousand_seats_fit_in_seven_and_a_half_kilobytes() {
        let s = schedule(100, 60_000);
        let seats = Layout::place(&s, &[section("A", 200, 300)]).seats_in(&s, 0..u64::MAX);
        let bits = free_bitmap(&s, &seats, 0);
        assert_eq!(bits.len(), 7_500);
        assert!(bits.iter().all(|b| *b == 0xff));
    }
}

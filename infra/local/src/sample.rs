//! Sample concerts loaded into an empty local catalogue.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use shared::domain::catalog::{Concert, Schedule, ScheduleStatus};
use shared::domain::organiser::{day_of, start_of_day, Section};
use shared::store::catalog::CatalogData;

/// The sample hall: 10 rows of 30 seats in four priced sections.
const SECTIONS: [(&str, u32, i64); 4] = [
    ("VIP", 2, 165_000),
    ("R", 3, 132_000),
    ("S", 3, 99_000),
    ("A", 2, 77_000),
];
const SEATS_PER_ROW: u32 = 30;

const TITLES: [&str; 4] = [
    "아이유 HER WORLD TOUR",
    "BTS 월드투어 서울",
    "성시경 연말 콘서트",
    "NewJeans Bunnies Camp",
];

fn hall() -> Vec<Section> {
    SECTIONS
        .iter()
        .map(|&(name, rows, price)| Section {
            name: name.into(),
            rows,
            seats_per_row: SEATS_PER_ROW,
            price,
        })
        .collect()
}

/// Four concerts of three dates each, starting a week after today (in
/// `tz`), each date with its own hall of 300 priced seats, on sale from
/// `now_ms` until the start of the show's day. Ids are sequential.
pub fn catalog(now_ms: i64, tz: Tz) -> CatalogData {
    let today = day_of(tz, now_ms);
    let mut data = CatalogData::default();
    let mut schedule_id = 0;
    let mut next_seat = 1;
    for (i, title) in TITLES.iter().enumerate() {
        let concert_id = i as u64 + 1;
        let first = today + Days::new(7 + 14 * i as u64);
        let dates: Vec<NaiveDate> = (0..3).map(|d| first + Days::new(d)).collect();
        data.concerts.push(Concert {
            id: concert_id,
            title: (*title).to_string(),
            start_date: dates[0],
            end_date: dates[2],
            has_room: false,
        });
        for date in dates {
            schedule_id += 1;
            let schedule = Schedule {
                schedule_id,
                concert_id,
                date,
                total_seats: hall().iter().map(|s| s.rows * s.seats_per_row).sum(),
                first_seat_id: next_seat,
                sale_opens_at: now_ms,
                sale_closes_at: start_of_day(tz, date),
                status: ScheduleStatus::Ready,
            };
            next_seat += u64::from(schedule.total_seats);
            data.add_schedule(schedule, &hall());
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_shape() {
        let d = catalog(1_767_225_600_000, chrono_tz::Asia::Seoul);
        assert_eq!(d.concerts.len(), 4);
        assert_eq!(d.schedules.len(), 12);
        assert_eq!(d.seats.len(), 12 * 300);
        let ids: std::collections::HashSet<u64> = d.seats.iter().map(|s| s.seat_id).collect();
        assert_eq!(ids.len(), d.seats.len());
        assert_eq!(d.layouts.len(), 12);
        assert_eq!(d.seats[0].seat_number, "VIP-1-1");
        assert_eq!(d.seats[299].seat_number, "A-2-30");
        assert_eq!(d.seats[300].seat_id, d.layouts[1].sections[0].first_seat_id);
    }
}

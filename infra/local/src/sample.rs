//! Sample concerts loaded into an empty local catalogue.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use shared::domain::catalog::{Concert, Schedule, ScheduleStatus, Seat};
use shared::domain::organiser::{day_of, start_of_day};
use shared::store::catalog::CatalogData;

/// Rows and prices of the sample hall: 10 rows of 30 seats.
const ROWS: [(char, i64); 10] = [
    ('A', 165_000),
    ('B', 165_000),
    ('C', 132_000),
    ('D', 132_000),
    ('E', 132_000),
    ('F', 99_000),
    ('G', 99_000),
    ('H', 99_000),
    ('I', 77_000),
    ('J', 77_000),
];
const SEATS_PER_ROW: u32 = 30;

const TITLES: [&str; 4] = [
    "아이유 HER WORLD TOUR",
    "BTS 월드투어 서울",
    "성시경 연말 콘서트",
    "NewJeans Bunnies Camp",
];

/// Four concerts of three dates each, starting a week after today (in
/// `tz`), each date with its own hall of 300 priced seats, on sale from
/// `now_ms` until the start of the show's day. Ids are sequential.
pub fn catalog(now_ms: i64, tz: Tz) -> CatalogData {
    let today = day_of(tz, now_ms);
    let mut data = CatalogData::default();
    let mut schedule_id = 0;
    let mut seat_id = 0;
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
                total_seats: ROWS.len() as u32 * SEATS_PER_ROW,
                first_seat_id: seat_id + 1,
                sale_opens_at: now_ms,
                sale_closes_at: start_of_day(tz, date),
                status: ScheduleStatus::Ready,
            };
            for (row, price) in ROWS {
                for n in 1..=SEATS_PER_ROW {
                    seat_id += 1;
                    data.seats
                        .push(Seat::new(&schedule, seat_id, format!("{row}{n}"), price));
                }
            }
            data.schedules.push(schedule);
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
    }
}

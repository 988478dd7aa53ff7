//! Sample concerts loaded into an empty local catalogue.

use chrono::{Days, NaiveDate};
use shared::domain::catalog::{Concert, Schedule, Seat};
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

/// Four concerts of three dates each, starting a week after `today`, each
/// date with its own hall of 300 priced seats. Ids are sequential.
pub fn catalog(today: NaiveDate) -> CatalogData {
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
        });
        for date in dates {
            schedule_id += 1;
            data.schedules.push(Schedule {
                schedule_id,
                concert_id,
                date,
                total_seats: ROWS.len() as u32 * SEATS_PER_ROW,
                first_seat_id: seat_id + 1,
            });
            for (row, price) in ROWS {
                for n in 1..=SEATS_PER_ROW {
                    seat_id += 1;
                    data.seats.push(Seat {
                        seat_id,
                        schedule_id,
                        concert_id,
                        seat_number: format!("{row}{n}"),
                        price,
                        hold_id: None,
                        hold_until: None,
                        holder: None,
                        sold_reserve_id: None,
                    });
                }
            }
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_shape() {
        let d = catalog("2026-01-01".parse().unwrap());
        assert_eq!(d.concerts.len(), 4);
        assert_eq!(d.schedules.len(), 12);
        assert_eq!(d.seats.len(), 12 * 300);
        let ids: std::collections::HashSet<u64> = d.seats.iter().map(|s| s.seat_id).collect();
        assert_eq!(ids.len(), d.seats.len());
    }
}

//! The organiser's rules: what makes a concert or a schedule valid, the
//! sale window's defaults, and the seats a schedule's sections make.
//! Dates are judged in the sale's time zone (`SALE_TIMEZONE`), never UTC.

use super::catalog::{Concert, Schedule, ScheduleStatus};
use super::Invalid;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Most seats one schedule may have (SPEC §6).
pub const MAX_SEATS: u64 = 60_000;
/// Price range of a seat, in points.
pub const MAX_PRICE: i64 = 10_000_000;
/// Most sections of one schedule, and the longest section name.
pub const MAX_SECTIONS: usize = 100;
const MAX_SECTION_NAME: usize = 20;
const MAX_TITLE: usize = 200;

/// The date `ms` falls on in `tz`.
pub fn day_of(tz: Tz, ms: i64) -> NaiveDate {
    crate::clock::to_datetime(ms)
        .with_timezone(&tz)
        .date_naive()
}

/// The first millisecond of `date` in `tz` (the earliest, should a
/// transition skip midnight).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight).earliest() {
        Some(t) => t.timestamp_millis(),
        // No midnight that day: the day starts at the first valid hour.
        None => (1..24)
            .filter_map(|h| {
                tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                    .earliest()
            })
            .map(|t| t.timestamp_millis())
            .next()
            .unwrap_or(midnight.and_utc().timestamp_millis()),
    }
}

/// Until when a paid ticket for a show on `date` can be cancelled:
/// `cutoff_hours` before the start of the show's day.
pub fn refund_deadline(tz: Tz, date: NaiveDate, cutoff_hours: i64) -> i64 {
    start_of_day(tz, date) - cutoff_hours * 3_600_000
}

/// A new concert as the organiser sends it.
pub fn check_concert(title: &str, start: NaiveDate, end: NaiveDate) -> Result<String, Invalid> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(Invalid::new("title은 1~200자여야 합니다."));
    }
    // NUL, terminal escapes and line breaks have no place in a title that
    // every ticket, log line and report prints.
    if title.chars().any(char::is_control) {
        return Err(Invalid::new("title에 제어 문자를 쓸 수 없습니다."));
    }
    if start > end {
        return Err(Invalid::new("startDate는 endDate보다 늦을 수 없습니다."));
    }
    Ok(title.to_string())
}

/// One priced block of rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    pub name: String,
    pub rows: u32,
    pub seats_per_row: u32,
    pub price: i64,
}

/// A schedule as the organiser asks for it, times in ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRequest {
    pub date: NaiveDate,
    pub sale_opens_at: Option<i64>,
    pub sale_closes_at: Option<i64>,
    pub sections: Vec<Section>,
}

/// A checked schedule, waiting for its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSchedule {
    pub date: NaiveDate,
    pub sale_opens_at: i64,
    pub sale_closes_at: i64,
    pub total_seats: u32,
}

/// Checks a schedule for `concert` at `now_ms`: the date within the
/// concert, sections named once each, 1..60000 seats, prices in range, a
/// window that opens before it closes (defaults: now, and the start of
/// the show's day).
pub fn plan_schedule(
    concert: &Concert,
    req: &ScheduleRequest,
    tz: Tz,
    now_ms: i64,
) -> Result<PlannedSchedule, Invalid> {
    if req.date < concert.start_date || req.date > concert.end_date {
        return Err(Invalid::new("date는 콘서트 기간 안이어야 합니다."));
    }
    let total = check_sections(&req.sections)?;
    let opens = req.sale_opens_at.unwrap_or(now_ms);
    let closes = req
        .sale_closes_at
        .unwrap_or_else(|| start_of_day(tz, req.date));
    check_window(opens, closes)?;
    Ok(PlannedSchedule {
        date: req.date,
        sale_opens_at: opens,
        sale_closes_at: closes,
        total_seats: total,
    })
}

/// A sale window must open before it closes.
pub fn check_window(opens: i64, closes: i64) -> Result<(), Invalid> {
    if opens < closes {
        Ok(())
    } else {
        Err(Invalid::new(
            "saleOpensAt는 saleClosesAt보다 앞서야 합니다.",
        ))
    }
}

/// The seat count of valid sections.
fn check_sections(sections: &[Section]) -> Result<u32, Invalid> {
    if sections.is_empty() || sections.len() > MAX_SECTIONS {
        return Err(Invalid::new("sections는 1~100개여야 합니다."));
    }
    let mut names = std::collections::HashSet::new();
    let mut total: u64 = 0;
    for s in sections {
        let len = s.name.chars().count();
        if len == 0 || len > MAX_SECTION_NAME || !s.name.chars().all(char::is_alphanumeric) {
            return Err(Invalid::new("구역 이름은 1~20자의 글자와 숫자여야 합니다."));
        }
        if !names.insert(s.name.as_str()) {
            return Err(Invalid::new("구역 이름이 중복되었습니다."));
        }
        if !(1..=MAX_PRICE).contains(&s.price) {
            return Err(Invalid::new("price는 1~10000000이어야 합니다."));
        }
        // Checked: huge sections must not wrap round into a small total.
        total = u64::from(s.rows)
            .checked_mul(u64::from(s.seats_per_row))
            .and_then(|n| total.checked_add(n))
            .ok_or_else(too_many_seats)?;
    }
    if !(1..=MAX_SEATS).contains(&total)
        || sections.iter().any(|s| s.rows == 0 || s.seats_per_row == 0)
    {
        return Err(too_many_seats());
    }
    Ok(total as u32)
}

fn too_many_seats() -> Invalid {
    Invalid::new("좌석 수는 1~60000이어야 합니다.")
}

impl PlannedSchedule {
    /// The schedule once its ids are known; PREPARING until every seat exists.
    pub fn with_ids(&self, schedule_id: u64, concert_id: u64, first_seat_id: u64) -> Schedule {
        Schedule {
            schedule_id,
            concert_id,
            date: self.date,
            total_seats: self.total_seats,
            first_seat_id,
            sale_opens_at: self.sale_opens_at,
            sale_closes_at: self.sale_closes_at,
            status: ScheduleStatus::Preparing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn concert() -> Concert {
        Concert {
            id: 1,
            title: "t".into(),
            start_date: day("2026-12-01"),
            end_date: day("2026-12-03"),
            has_room: false,
        }
    }

    fn section(name: &str, rows: u32, per_row: u32, price: i64) -> Section {
        Section {
            name: name.into(),
            rows,
            seats_per_row: per_row,
            price,
        }
    }

    fn request(date: &str, sections: Vec<Section>) -> ScheduleRequest {
        ScheduleRequest {
            date: day(date),
            sale_opens_at: None,
            sale_closes_at: None,
            sections,
        }
    }

    #[test]
    fn the_show_day_starts_at_midnight_in_seoul() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        // 2026-12-02T00:00+09:00 = 2026-12-01T15:00Z
        let start = start_of_day(seoul, day("2026-12-02"));
        assert_eq!(crate::clock::format_ms(start), "2026-12-01T15:00:00.000Z");
        assert_eq!(day_of(seoul, start), day("2026-12-02"));
        assert_eq!(day_of(seoul, start - 1), day("2026-12-01"));
    }

    #[test]
    fn a_schedule_is_planned_with_default_window() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let now = start_of_day(seoul, day("2026-11-20"));
        let p = plan_schedule(
            &concert(),
            &request("2026-12-02", vec![section("A", 2, 3, 10)]),
            seoul,
            now,
        )
        .unwrap();
        assert_eq!(p.total_seats, 6);
        assert_eq!(p.sale_opens_at, now);
        assert_eq!(p.sale_closes_at, start_of_day(seoul, day("2026-12-02")));
    }

    #[test]
    fn bad_schedules_are_refused() {
        let tz: Tz = "Asia/Seoul".parse().unwrap();
        let now = start_of_day(tz, day("2026-11-20"));
        let plan = |r: ScheduleRequest| plan_schedule(&concert(), &r, tz, now);
        let ok = || vec![section("A", 1, 1, 10)];
        assert!(
            plan(request("2026-11-30", ok())).is_err(),
            "before the concert"
        );
        assert!(
            plan(request("2026-12-04", ok())).is_err(),
            "after the concert"
        );
        assert!(plan(request("2026-12-01", vec![])).is_err(), "no sections");
        let dup = vec![section("A", 1, 1, 10), section("A", 1, 1, 10)];
        assert!(plan(request("2026-12-01", dup)).is_err(), "duplicate names");
        assert!(plan(request("2026-12-01", vec![section("A", 0, 1, 10)])).is_err());
        assert!(plan(request("2026-12-01", vec![section("A", 1, 1, 0)])).is_err());
        assert!(plan(request("2026-12-01", vec![section("A", 1, 1, -5)])).is_err());
        assert!(plan(request(
            "2026-12-01",
            vec![section("A", 1, 1, MAX_PRICE + 1)]
        ))
        .is_err());
        assert!(plan(request("2026-12-01", vec![section("A-1", 1, 1, 10)])).is_err());
        let big = vec![section("A", 200, 300, 10), section("B", 1, 1, 10)];
        assert!(plan(request("2026-12-01", big)).is_err(), "60,001 seats");
        // Two sections whose counts overflow a u64 when added: still refused.
        let huge = vec![
            section("A", u32::MAX, u32::MAX, 10),
            section("B", u32::MAX, u32::MAX, 10),
        ];
        assert!(
            plan(request("2026-12-01", huge)).is_err(),
            "overflowing total"
        );
        let max = vec![section("A", 200, 300, 10)];
        assert_eq!(
            plan(request("2026-12-01", max)).unwrap().total_seats,
            60_000
        );
        let shut = ScheduleRequest {
            sale_opens_at: Some(now + 10),
            sale_closes_at: Some(now + 10),
            ..request("2026-12-01", ok())
        };
        assert!(plan(shut).is_err(), "opens = closes");
        // A show today: the default close (its midnight) is already past.
        let today = ScheduleRequest {
            date: day("2026-11-20"),
            ..request("2026-12-01", ok())
        };
        let c = Concert {
            start_date: day("2026-11-20"),
            ..concert()
        };
        assert!(plan_schedule(&c, &today, tz, now).is_err());
    }

    #[test]
    fn titles_are_printable_text() {
        let d = day("2026-12-01");
        assert_eq!(check_concert("  Live 2026  ", d, d).unwrap(), "Live 2026");
        assert!(check_concert(&"가".repeat(200), d, d).is_ok());
        for bad in [
            "",
            "   ",
            "a\u{0}b",
            "\u{1b}[31mred",
            "two\nlines",
            "tab\there",
            "del\u{7f}",
        ] {
            assert!(check_concert(bad, d, d).is_err(), "{bad:?}");
        }
        assert!(check_concert(&"가".repeat(201), d, d).is_err());
    }
}

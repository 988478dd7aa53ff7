//! The admission guard (SPEC §12): admission holds by itself while the
//! service is in distress. In AWS that is any of the named CloudWatch
//! alarms in ALARM; locally, the share of `503 BUSY` among the last 10 s
//! of sale-path answers.

use std::collections::VecDeque;

/// How far back the local guard looks, and how many answers it needs
/// before it judges at all (too few: `OK`).
pub const WINDOW_MS: i64 = 10_000;
pub const MIN_ANSWERS: u32 = 20;

/// Whether an alarm in this state holds admission: only `ALARM` does (an
/// alarm without data, `INSUFFICIENT_DATA`, does not).
pub fn alarm_holds(state: &str) -> bool {
    state == "ALARM"
}

/// The local guard's view: sale-path answers and how many were busy, per
/// second, over the last [`WINDOW_MS`].
#[derive(Debug, Default, Clone)]
pub struct BusyWindow {
    seconds: VecDeque<(i64, u32, u32)>,
}

impl BusyWindow {
    pub fn record(&mut self, now_ms: i64, busy: bool) {
        let second = now_ms.div_euclid(1000);
        match self.seconds.back_mut() {
            Some((s, answers, busies)) if *s == second => {
                *answers += 1;
                *busies += u32::from(busy);
            }
            _ => self.seconds.push_back((second, 1, u32::from(busy))),
        }
        self.forget(now_ms);
    }

    fn forget(&mut self, now_ms: i64) {
        let oldest = (now_ms - WINDOW_MS).div_euclid(1000);
        while self.seconds.front().is_some_and(|(s, _, _)| *s <= oldest) {
            self.seconds.pop_front();
        }
    }

    /// Whether more than `ratio` of at least [`MIN_ANSWERS`] answers of the
    /// last 10 s were busy.
    pub fn holding(&mut self, now_ms: i64, ratio: f64) -> bool {
        self.forget(now_ms);
        let (answers, busy) = self
            .seconds
            .iter()
            .fold((0, 0), |(a, b), (_, x, y)| (a + x, b + y));
        answers >= MIN_ANSWERS && f64::from(busy) > ratio * f64::from(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_holds_on_a_busy_share_of_enough_answers_and_forgets_after_ten_seconds() {
        let mut w = BusyWindow::default();
        // Nineteen answers, all busy: too few to judge.
        for i in 0..19 {
            w.record(i * 10, true);
        }
        assert!(!w.holding(200, 0.05));
        w.record(300, false);
        assert!(w.holding(300, 0.05));
        // 1 busy in 20 is exactly 5%: not more than the ratio.
        let mut calm = BusyWindow::default();
        for i in 0..20 {
            calm.record(i, i == 0);
        }
        assert!(!calm.holding(20, 0.05));
        // Ten seconds later the busy answers are forgotten.
        assert!(!w.holding(10_300, 0.05));
        assert!(alarm_holds("ALARM") && !alarm_holds("INSUFFICIENT_DATA") && !alarm_holds("OK"));
    }
}

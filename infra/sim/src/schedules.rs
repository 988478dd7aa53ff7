//! The organiser's schedules mid-sale (SPEC §6): sale windows moved,
//! dates cancelled, stuck jobs repaired; the schedule jobs' stream
//! delivered (a failed step comes again; now and then a batch twice); and
//! the seats-left pipe, whose queue delivers in any order and now and
//! then twice.

use crate::model::{Hold, Token, Window};
use crate::steps::Sim;
use crate::world::SCHEDULES;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;
use shared::domain::catalog::ScheduleStatus;
use shared::jobs::QueueConsumer;

/// Messages the seats-left consumer gets in one invocation at most.
const SQS_BATCH: usize = 10;

impl Sim {
    /// The organiser moves a schedule's sale window (closing it soon,
    /// opening it later, or wide open again), cancels a date (rarely, once
    /// a run at most), or repairs a schedule.
    pub async fn schedule_change(&mut self, rng: &mut StdRng) -> String {
        let (schedule, ..) = SCHEDULES[rng.random_range(0..SCHEDULES.len())];
        match rng.random_range(0..10) {
            0..2 if self.cancelled.is_empty() => self.cancel_date(schedule, rng).await,
            2..4 => {
                let path = format!("/admin/schedules/{schedule}/repair");
                let a = self
                    .world
                    .call("POST", &path, Some(crate::world::ADMIN), None, None)
                    .await;
                format!("repair {schedule}: {} {}", a.status, a.code())
            }
            _ => self.move_window(schedule, rng).await,
        }
    }

    async fn move_window(&mut self, schedule: u64, rng: &mut StdRng) -> String {
        let now = self.world.now();
        let at = |ms: i64| shared::clock::format_ms(ms);
        let (opens, closes) = match rng.random_range(0..3) {
            0 => (now - 1_000, now + rng.random_range(5..60) * 1000),
            1 => (now + rng.random_range(5..60) * 1000, now + 3_600_000),
            _ => (now - 1_000, now + 30 * 86_400_000),
        };
        let body = json!({"saleOpensAt": at(opens), "saleClosesAt": at(closes)});
        let path = format!("/admin/schedules/{schedule}");
        let a = self.world.admin("PATCH", &path, &body).await;
        // A 5xx may follow the write: the window may have moved, or not.
        if a.status == 200 || a.status >= 500 {
            self.windows.entry(schedule).or_default().push(Window {
                from: now,
                opens,
                closes,
                certain: a.status == 200,
            });
        }
        format!("window {schedule} {body}: {} {}", a.status, a.code())
    }

    /// The organiser cancels a date while admitted fans hold its seats:
    /// the job walks the seats as the holds arrive. Its holds end and its
    /// tickets are refunded behind the fans' backs.
    async fn cancel_date(&mut self, schedule: u64, rng: &mut StdRng) -> String {
        let sends = self.rush(schedule, rng);
        let path = format!("/admin/schedules/{schedule}/cancel");
        let w = &self.world;
        let (a, answers) = tokio::join!(
            w.call("POST", &path, Some(crate::world::ADMIN), None, None),
            futures::future::join_all(sends.iter().map(|(_, t, body, later)| async move {
                for _ in 0..*later {
                    tokio::task::yield_now().await;
                }
                w.call("POST", "/reservations", Some(&t.id), Some(body), None)
                    .await
            }))
        );
        let mut line = format!("cancel date {schedule}: {} {};", a.status, a.body["status"]);
        for ((f, t, body, _), h) in sends.into_iter().zip(answers) {
            if h.status == 201 {
                let seat = body["seatId"].as_u64().unwrap_or(0);
                self.held(f, Hold::answered(&h.body, schedule, seat, t.room));
            }
            line.push_str(&format!(" {} {} {}", self.fans[f].user, h.status, h.code()));
        }
        // A 5xx may follow the status change, or come before it: the
        // organiser looks at the date.
        let now_status = self.world.clean.schedule_now(schedule).await;
        let cancelling = now_status.ok().flatten().is_some_and(|s| {
            matches!(
                s.status,
                ScheduleStatus::Cancelling | ScheduleStatus::Cancelled
            )
        });
        if cancelling {
            self.cancelled.insert(schedule, self.world.now());
            self.fans_learn_of_cancellations();
        }
        line
    }

    /// Up to three admitted fans about to hold seats of `schedule`, each a
    /// few DynamoDB calls later than the last.
    fn rush(&self, schedule: u64, rng: &mut StdRng) -> Vec<(usize, Token, serde_json::Value, u32)> {
        let Some(&(_, concert, first, seats)) = SCHEDULES.iter().find(|s| s.0 == schedule) else {
            return Vec::new();
        };
        let admitted = self.admitted_to(concert);
        if admitted.is_empty() {
            return Vec::new();
        }
        (0..rng.random_range(0..=3))
            .filter_map(|_| {
                let f = admitted[rng.random_range(0..admitted.len())];
                let t = self.fans[f].tokens.last()?.clone();
                let seat = first + rng.random_range(0..seats);
                let body = json!({"userId": self.fans[f].user, "concertId": concert, "scheduleId": schedule, "seatId": seat});
                Some((f, t, body, rng.random_range(0..20)))
            })
            .collect()
    }

    /// Fans with a hold or a ticket on a cancelled date: the job releases
    /// and refunds them without an answer to them, so their balances are
    /// read back; the tickets are no longer theirs (the holds they may
    /// still try to pay).
    pub fn fans_learn_of_cancellations(&mut self) {
        let cancelled = |h: &Hold| self.cancelled.contains_key(&h.schedule);
        for fan in &mut self.fans {
            if fan.holds.iter().chain(&fan.tickets).any(cancelled) {
                fan.unsure = true;
            }
            fan.tickets.retain(|h| !cancelled(h));
        }
    }

    /// The schedule jobs' stream: what is new, now and then the same
    /// batch twice; a failed step is delivered again next time.
    pub async fn job_stream(&mut self, rng: &mut StdRng) -> String {
        let before = self.world.jobs.reader.last_sequence().map(str::to_string);
        let app = self.world.gw.app.clone();
        let read = self.world.jobs.deliver(&app).await.unwrap_or(0);
        let twice = read > 0 && rng.random_bool(0.2);
        if twice {
            self.world.jobs.reader.rewind_to_after(before);
            let _ = self.world.jobs.deliver(&app).await;
        }
        // A job that went on may have refunded a ticket paid meanwhile.
        self.fans_learn_of_cancellations();
        format!("jobs: {read} records{}", if twice { " twice" } else { "" })
    }

    /// The seats-left pipe: new records into the queue (one in ten twice),
    /// then a few of the queued messages, in any order, to the consumer;
    /// those it fails stay queued.
    pub async fn seats_left_pipe(&mut self, rng: &mut StdRng) -> String {
        let records = self.world.pipe.next_batch(100).unwrap_or_default();
        for r in &records {
            let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
            m.message_id = Some(r.event_id.clone());
            m.body = serde_json::to_string(r).ok();
            if rng.random_bool(0.1) {
                self.world.queue.push(m.clone());
            }
            self.world.queue.push(m);
        }
        self.world.queue.shuffle(rng);
        let take = rng.random_range(0..=self.world.queue.len());
        let sent: Vec<_> = self.world.queue.drain(..take).collect();
        let mut failed = 0;
        for chunk in sent.chunks(SQS_BATCH) {
            let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
            event.records = chunk.to_vec();
            let answer = QueueConsumer::Availability
                .handle(self.world.app(), event)
                .await;
            for f in answer.batch_item_failures {
                let back = chunk
                    .iter()
                    .find(|m| m.message_id.as_deref() == Some(f.item_identifier.as_str()));
                if let Some(m) = back {
                    self.world.queue.push(m.clone());
                    failed += 1;
                }
            }
        }
        if self.world.queue.is_empty() {
            if let Ok(Err(broken)) = crate::checks::seats_left(self).await {
                self.broken = Some(broken.0);
            }
        }
        format!(
            "pipe: {} new, {take} delivered, {failed} failed, {} queued",
            records.len(),
            self.world.queue.len()
        )
    }
}

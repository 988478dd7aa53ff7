//! The fans' requests: joining, polling, browsing, holding (alone or in a
//! crowd on one seat), paying, letting go, and sending a keyed request
//! again — each answer kept in the model of what the fan was promised.

use crate::model::{Hold, Sent, Token};
use crate::steps::Sim;
use crate::world::{PLAIN_CONCERT, ROOM_CONCERT, SCHEDULES};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

impl Sim {
    /// A fan does what their last answers suggest: join, poll while
    /// waiting, and once admitted browse, hold, top up, pay or let go.
    pub(crate) async fn fan_acts(&mut self, rng: &mut StdRng) -> String {
        // A fan holding seats is in a hurry.
        let f = match rng.random_bool(0.5) {
            true => self.fan_with(rng, |fan| !fan.holds.is_empty()),
            false => self.fan(rng),
        };
        let fan = &self.fans[f];
        match fan.heard {
            None => self.join_as(f, rng).await,
            Some("WAIT") => self.poll_as(f, rng).await,
            _ if !(fan.holds.is_empty() && fan.tickets.is_empty()) && rng.random_bool(0.1) => {
                self.cancel_as(f, rng).await
            }
            _ if !fan.holds.is_empty() && rng.random_bool(0.6) => {
                let price = fan.holds.iter().map(|h| h.price).max().unwrap_or(0);
                if fan.balance < price && rng.random_bool(0.8) {
                    self.charge_as(f, rng).await
                } else {
                    self.pay_as(f, rng).await
                }
            }
            _ if fan.balance > 0 && rng.random_bool(0.05) => self.withdraw_as(f, rng).await,
            _ if rng.random_bool(0.2) => self.browse_as(f, rng).await,
            _ => self.hold_as(f, rng).await,
        }
    }

    /// Requests sent at once, interleaving at every DynamoDB call: fans
    /// admitted holding the same seat, a fan's confirm meeting the
    /// provider's webhook, a fan paying one hold twice, or paying and
    /// letting it go together.
    pub(crate) async fn crowd(&mut self, rng: &mut StdRng) -> String {
        match rng.random_range(0..5) {
            0 | 1 => return self.same_seat(rng).await,
            2 if self.world.sandbox.is_some() => return self.confirm_meets_webhook(rng).await,
            _ => {}
        }
        let f = self.fan_with(rng, |fan| !fan.holds.is_empty());
        let holds = self.fans[f].holds.clone();
        let (Some(h), Some(t)) = (holds.first().cloned(), self.fans[f].tokens.last().cloned())
        else {
            return "crowd: no hold".into();
        };
        let user = self.fans[f].user.clone();
        let pay = json!({"userId": user, "reserveId": h.reserve_id, "amount": h.price});
        let cancel = format!("/reservations/{}/cancel", h.reserve_id);
        let second = rng.random_bool(0.5);
        let w = &self.world;
        let (a, b) = tokio::join!(
            w.call("POST", "/payments", Some(&t.id), Some(&pay), None),
            async {
                match second {
                    true => {
                        w.call("POST", "/payments", Some(&t.id), Some(&pay), None)
                            .await
                    }
                    false => {
                        w.call("POST", &cancel, None, Some(&json!({"userId": user})), None)
                            .await
                    }
                }
            }
        );
        self.after_payment(f, &h, a.status);
        if second {
            self.after_payment(f, &h, b.status);
        } else if b.status == 200 {
            let fan = &mut self.fans[f];
            fan.balance += b.body["refund"].as_i64().unwrap_or(0);
            fan.holds.retain(|x| x.reserve_id != h.reserve_id);
            fan.tickets.retain(|x| x.reserve_id != h.reserve_id);
        } else if b.status >= 500 {
            self.fans[f].unsure = true;
        }
        let what = if second { "pay" } else { "cancel" };
        format!(
            "crowd {user} pays {} and {what}s: {} {} / {} {}",
            h.reserve_id,
            a.status,
            a.code(),
            b.status,
            b.code()
        )
    }

    /// Two to four fans who heard they are ACTIVE hold one seat at once.
    pub(crate) async fn same_seat(&mut self, rng: &mut StdRng) -> String {
        let (schedule, concert, first, seats) = SCHEDULES[rng.random_range(0..SCHEDULES.len())];
        let admitted = self.admitted_to(concert);
        if admitted.len() < 2 {
            return "crowd: fewer than two admitted".into();
        }
        let n = rng.random_range(2..=admitted.len().min(4));
        let picked: Vec<usize> = (0..n)
            .map(|_| admitted[rng.random_range(0..admitted.len())])
            .collect();
        let seat = first + rng.random_range(0..seats);
        let sends: Vec<(usize, Token, serde_json::Value)> = picked
            .iter()
            .filter_map(|f| {
                let t = self.fans[*f].tokens.last()?.clone();
                let body = json!({"userId": self.fans[*f].user, "concertId": concert, "scheduleId": schedule, "seatId": seat});
                Some((*f, t, body))
            })
            .collect();
        let w = &self.world;
        let answers =
            futures::future::join_all(sends.iter().map(|(_, t, body)| {
                w.call("POST", "/reservations", Some(&t.id), Some(body), None)
            }))
            .await;
        let mut line = format!("crowd on {schedule}/{seat}:");
        for ((f, t, _), a) in sends.into_iter().zip(answers) {
            if a.status == 201 {
                self.held(f, Hold::answered(&a.body, schedule, seat, t.room));
            }
            line.push_str(&format!(" {} {} {}", self.fans[f].user, a.status, a.code()));
        }
        line
    }

    /// The fans who heard they are admitted, with a token for `concert`'s
    /// room (the default room for a concert without one).
    pub(crate) fn admitted_to(&self, concert: u64) -> Vec<usize> {
        let room = if concert == ROOM_CONCERT {
            ROOM_CONCERT
        } else {
            0
        };
        (0..self.fans.len())
            .filter(|f| self.fans[*f].heard == Some("ACTIVE"))
            .filter(|f| self.fans[*f].tokens.last().is_some_and(|t| t.room == room))
            .collect()
    }

    /// A hold answered 201: the fan's, and a promise that the schedule was
    /// on sale then — inside a window the organiser set, as a copy of the
    /// schedule at most `CATALOG_CACHE_MS` old knows it (SPEC §6), and not
    /// cancelled before that.
    pub(crate) fn held(&mut self, f: usize, hold: Hold) {
        let now = self.world.now();
        let stale = self.world.app().config.catalog_cache_ms as i64;
        let windows = self
            .windows
            .get(&hold.schedule)
            .cloned()
            .unwrap_or_default();
        // A window holds until one set for certain after it replaces it,
        // and for as long again as a copy of the schedule may be kept.
        let known = windows.iter().enumerate().filter(|(i, _)| {
            let replaced = windows[i + 1..].iter().find(|w| w.certain);
            replaced.map_or(i64::MAX, |w| w.from.saturating_add(stale)) > now
        });
        let open = known
            .clone()
            .any(|(_, w)| (w.opens..w.closes).contains(&now));
        if !open {
            self.broken = Some(format!(
                "hold {} of seat {} at {now}, outside its windows {:?}",
                hold.reserve_id,
                hold.seat,
                known.map(|(_, w)| w).collect::<Vec<_>>()
            ));
        } else if self
            .cancelled
            .get(&hold.schedule)
            .is_some_and(|at| now - at > stale)
        {
            self.broken = Some(format!(
                "hold {} of seat {} on cancelled schedule {}",
                hold.reserve_id, hold.seat, hold.schedule
            ));
        }
        self.fans[f].holds.push(hold);
    }

    /// What an answer to a request with the fan's newest token says of it.
    pub(crate) fn heard(&mut self, f: usize, status: u16, said: Option<&'static str>) {
        let fan = &mut self.fans[f];
        match (status, said) {
            (401, _) => fan.heard = None,
            (_, Some(s)) => fan.heard = Some(s),
            _ => {}
        }
    }

    pub(crate) async fn join(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan(rng);
        self.join_as(f, rng).await
    }

    pub(crate) async fn join_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let concert = if rng.random_bool(0.6) {
            ROOM_CONCERT
        } else {
            PLAIN_CONCERT
        };
        let body = json!({"userId": self.fans[f].user, "concertId": concert});
        let a = self
            .world
            .call("POST", "/queues", None, Some(&body), None)
            .await;
        self.joined(f, &a);
        format!(
            "join {} {concert}: {} {}",
            self.fans[f].user,
            a.status,
            a.code()
        )
    }

    /// What a join's answer gives the fan.
    pub(crate) fn joined(&mut self, f: usize, a: &crate::world::Answer) {
        if a.status == 201 {
            let id = a.body["tokenId"].as_str().unwrap_or_default().to_string();
            let room = a.body["concertId"].as_u64().unwrap_or(0);
            self.fans[f].tokens.push(Token { id, room });
            self.fans[f].heard = Some("WAIT");
        }
    }

    /// A fan's token, newest most often.
    pub(crate) fn token(&self, f: usize, rng: &mut StdRng) -> Option<Token> {
        let tokens = &self.fans[f].tokens;
        match tokens.len() {
            0 => None,
            n if rng.random_bool(0.8) => tokens.get(n - 1).cloned(),
            n => tokens.get(rng.random_range(0..n)).cloned(),
        }
    }

    pub(crate) async fn poll_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let Some(t) = self.token(f, rng) else {
            return "poll: no token".into();
        };
        let path = format!("/queues/{}", self.fans[f].user);
        let a = self.world.call("GET", &path, Some(&t.id), None, None).await;
        let newest = self.fans[f].tokens.last().is_some_and(|n| n.id == t.id);
        if newest {
            let said = match a.body["status"].as_str() {
                Some("ACTIVE") => Some("ACTIVE"),
                Some("WAIT") => Some("WAIT"),
                _ => None,
            };
            self.heard(f, a.status, said);
        }
        format!(
            "poll {} {}: {} {} {}",
            self.fans[f].user,
            t.room,
            a.status,
            a.body["status"],
            a.code()
        )
    }

    pub(crate) async fn browse_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let Some(t) = self.token(f, rng) else {
            return "browse: no token".into();
        };
        let (schedule, _, _, _) = SCHEDULES[rng.random_range(0..SCHEDULES.len())];
        let path = format!("/concerts/schedules/{schedule}/seats");
        let a = self.world.call("GET", &path, Some(&t.id), None, None).await;
        let seats = a.body["seats"].as_array().map_or(0, Vec::len);
        format!(
            "browse {} {schedule}: {} {} {seats} seats",
            self.fans[f].user,
            a.status,
            a.code()
        )
    }

    pub(crate) async fn hold(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan_with(rng, |fan| !fan.tokens.is_empty());
        self.hold_as(f, rng).await
    }

    pub(crate) async fn hold_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let Some(t) = self.token(f, rng) else {
            return "hold: no token".into();
        };
        // Mostly a seat of the token's own concert; now and then another's.
        let own = SCHEDULES
            .iter()
            .position(|s| s.1 == t.room || (t.room == 0 && s.1 == PLAIN_CONCERT));
        let pick = match own {
            Some(i) if rng.random_bool(0.9) => i,
            _ => rng.random_range(0..SCHEDULES.len()),
        };
        let (schedule, concert, first, seats) = SCHEDULES[pick];
        let seat = first + rng.random_range(0..seats);
        let user = self.fans[f].user.clone();
        let body =
            json!({"userId": user, "concertId": concert, "scheduleId": schedule, "seatId": seat});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("h{}", rng.random::<u32>()));
        let newest = self.fans[f].tokens.last().is_some_and(|n| n.id == t.id);
        let a = self
            .keyed(f, "POST", "/reservations".into(), Some(t.id), body, key)
            .await;
        if newest {
            self.heard(f, a.status, None);
        }
        if a.status == 201 {
            self.held(f, Hold::answered(&a.body, schedule, seat, t.room));
        }
        format!("hold {user} {schedule}/{seat}: {} {}", a.status, a.code())
    }

    /// Points for a fan: through the provider when the world has one,
    /// else on the fan's word.
    pub(crate) async fn charge_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        if self.world.sandbox.is_some() {
            return self.topup_as(f, rng).await;
        }
        let amount = rng.random_range(1..=10) * 10_000;
        let user = self.fans[f].user.clone();
        let body = json!({"userId": user, "amount": amount});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("c{}", rng.random::<u32>()));
        let a = self
            .keyed(f, "PATCH", "/points".into(), None, body, key)
            .await;
        match a.status {
            200 => self.fans[f].balance += amount,
            s if s >= 500 => self.fans[f].unsure = true,
            _ => {}
        }
        format!("charge {user} {amount}: {} {}", a.status, a.code())
    }

    pub(crate) async fn pay_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let holds = self.fans[f].holds.clone();
        let Some(h) = (!holds.is_empty()).then(|| holds[rng.random_range(0..holds.len())].clone())
        else {
            return "pay: no hold".into();
        };
        let Some(t) = self.token(f, rng) else {
            return "pay: no token".into();
        };
        let user = self.fans[f].user.clone();
        let body = json!({"userId": user, "reserveId": h.reserve_id, "amount": h.price});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("p{}", rng.random::<u32>()));
        let a = self
            .keyed(f, "POST", "/payments".into(), Some(t.id), body, key)
            .await;
        self.after_payment(f, &h, a.status);
        format!("pay {user} {}: {} {}", h.reserve_id, a.status, a.code())
    }

    /// What a payment's answer says about the fan's points and holds.
    pub(crate) fn after_payment(&mut self, f: usize, h: &Hold, status: u16) {
        let fan = &mut self.fans[f];
        match status {
            201 => {
                fan.balance -= h.price;
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
                fan.tickets.push(h.clone());
            }
            // Gone or paid already: not the fan's running hold any more.
            409 | 410 => fan.holds.retain(|x| x.reserve_id != h.reserve_id),
            s if s >= 500 => {
                fan.unsure = true;
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
            }
            _ => {}
        }
    }

    pub(crate) async fn cancel_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let fan = &self.fans[f];
        let all: Vec<Hold> = fan.holds.iter().chain(&fan.tickets).cloned().collect();
        let Some(h) = (!all.is_empty()).then(|| all[rng.random_range(0..all.len())].clone()) else {
            return "cancel: nothing".into();
        };
        let user = fan.user.clone();
        let path = format!("/reservations/{}/cancel", h.reserve_id);
        let a = self
            .world
            .call("POST", &path, None, Some(&json!({"userId": user})), None)
            .await;
        let ticket = self.fans[f]
            .tickets
            .iter()
            .any(|t| t.reserve_id == h.reserve_id);
        if ticket {
            self.refund_promise(&h, &a);
        }
        let fan = &mut self.fans[f];
        match a.status {
            200 => {
                fan.balance += a.body["refund"].as_i64().unwrap_or(0);
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
                fan.tickets.retain(|x| x.reserve_id != h.reserve_id);
            }
            s if s >= 500 => {
                fan.unsure = true;
                fan.holds.retain(|x| x.reserve_id != h.reserve_id);
                fan.tickets.retain(|x| x.reserve_id != h.reserve_id);
            }
            _ => {}
        }
        format!("cancel {user} {}: {} {}", h.reserve_id, a.status, a.code())
    }

    /// A ticket cancelled before the cut-off of its show's day is refunded
    /// in full; from the cut-off on it is refused `REFUND_CLOSED`.
    fn refund_promise(&mut self, h: &Hold, a: &crate::world::Answer) {
        let config = &self.world.app().config;
        let date = chrono::NaiveDate::parse_from_str(crate::world::SHOW_DATE, "%Y-%m-%d");
        let Ok(date) = date else { return };
        let deadline = shared::domain::organiser::refund_deadline(
            config.sale_timezone,
            date,
            config.refund_cutoff_hours,
        );
        let now = self.world.now();
        let refunded = a.status == 200 && a.body["refund"].as_i64() == Some(h.price);
        let closed = a.status == 409 && a.code() == "REFUND_CLOSED";
        if (now < deadline && closed) || (now >= deadline && refunded) {
            self.broken = Some(format!(
                "ticket {} cancelled at {now} (cut-off {deadline}): {} {}",
                h.reserve_id, a.status, a.body
            ));
        }
    }

    /// Sends a request, with an idempotency key when given, and keeps it
    /// to be sent again.
    pub(crate) async fn keyed(
        &mut self,
        f: usize,
        method: &'static str,
        path: String,
        token: Option<String>,
        body: serde_json::Value,
        key: Option<String>,
    ) -> crate::world::Answer {
        let a = self
            .world
            .call(method, &path, token.as_deref(), Some(&body), key.as_deref())
            .await;
        if let Some(key) = key {
            self.fans[f].last_keyed = Some(Sent {
                method,
                path,
                token,
                body,
                key,
                status: a.status,
                answer: a.body.clone(),
            });
        }
        a
    }

    /// A fan sends their last keyed request again, as after a lost answer.
    /// The fan's app lost the key and sends the request again as a new
    /// one: no stored answer is owed, and whatever it does must not double
    /// an effect the first one had (the audits see to that); the fan no
    /// longer knows their balance.
    async fn retry_anew(&mut self, f: usize, sent: Sent, rng: &mut StdRng) -> String {
        let key = format!("n{}", rng.random::<u32>());
        let a = sent.again(&self.world, &key).await;
        self.fans[f].unsure = true;
        // A new withdrawal left pending may give points back later.
        if sent.path == "/points/withdrawals" && a.status >= 500 {
            self.fans[f].lost_withdrawal = true;
        }
        if sent.path == "/points/withdrawals" && a.body["status"] == "PENDING" {
            self.fans[f].withdrawals.push(crate::money::Withdrawal {
                id: a.body["withdrawalId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                amount: a.body["amount"].as_i64().unwrap_or(0),
                // Sent while the fan's balance was unknown.
                sure: false,
            });
        }
        format!(
            "retry anew {} {} {}: {} {}",
            self.fans[f].user,
            sent.method,
            sent.path,
            a.status,
            a.code()
        )
    }

    pub(crate) async fn retry(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan(rng);
        let Some(sent) = self.fans[f].last_keyed.clone() else {
            return "retry: nothing sent".into();
        };
        if rng.random_bool(0.25) {
            return self.retry_anew(f, sent, rng).await;
        }
        let a = sent.again(&self.world, &sent.key).await;
        // A 2xx or business 4xx was stored: its retry gets it again (SPEC
        // §5), unless DynamoDB is down now.
        // The idempotency layer's own refusals (a claim still pending, a
        // key reused) are not answers of the request: never stored.
        let own = ["IDEMPOTENCY_IN_PROGRESS", "IDEMPOTENCY_KEY_REUSED"]
            .contains(&sent.answer["code"].as_str().unwrap_or(""));
        let stored = !own
            && ((200..300).contains(&sent.status)
                || [402, 404, 409, 410, 422].contains(&sent.status));
        let line = format!(
            "retry {} {} {}: {} {}",
            self.fans[f].user,
            sent.method,
            sent.path,
            a.status,
            a.code()
        );
        if stored && a.status != 503 && (a.status, &a.body) != (sent.status, &sent.answer) {
            self.broken = Some(format!(
                "a keyed retry got {} {} after {} {}",
                a.status, a.body, sent.status, sent.answer
            ));
        }
        if !stored {
            // The first attempt's fate was unknown; this one may settle it.
            self.fans[f].unsure = true;
            if sent.path == "/points/withdrawals" {
                self.fans[f].lost_withdrawal = true;
            }
        }
        line
    }
}

//! Money through the payment provider (SPEC §11), when the world has one:
//! fans top up (create, pay in the provider's window, confirm), withdraw,
//! and learn of settlements made behind their back; the provider sends
//! webhooks and fails calls; the organiser runs reconciliation. What the
//! fans' answers say is kept for the balance check.

use crate::steps::Sim;
use rand::rngs::StdRng;
use rand::Rng;
use sandbox::{Mode, Operation};
use serde_json::json;

/// A top-up a fan made, as far as their answers tell.
#[derive(Debug, Clone)]
pub struct Topup {
    pub order: String,
    pub amount: i64,
    /// Set once the fan paid in the provider's window.
    pub payment_key: Option<String>,
    /// An answer said DONE: its points are in the fan's balance.
    pub credited: bool,
}

/// A withdrawal whose cancels were still unanswered when the fan last
/// heard of it: `amount` is what may still come back should they all be
/// refused, known only when the fan knew their balance (`sure`).
#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub id: String,
    pub amount: i64,
    pub sure: bool,
}

impl Sim {
    /// A fan moves their newest top-up on: a new one, paying it in the
    /// provider's window (now and then declined), or confirming it.
    pub async fn topup_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let open = self.fans[f]
            .topups
            .iter()
            .rposition(|t| !t.credited)
            .filter(|_| rng.random_bool(0.8));
        match open {
            // A fan in a hurry pays and confirms at once.
            None if rng.random_bool(0.5) => {
                let made = self.new_topup(f, rng).await;
                let last = self.fans[f].topups.len().saturating_sub(1);
                match self.fans[f].topups.get(last) {
                    Some(t) if t.payment_key.is_none() && made.contains(": 201") => {
                        let paid = self.checkout(f, last, rng);
                        let confirmed = self.confirm(f, last, rng).await;
                        format!("{made}; {paid}; {confirmed}")
                    }
                    _ => made,
                }
            }
            None => self.new_topup(f, rng).await,
            Some(i) if self.fans[f].topups[i].payment_key.is_none() => {
                let paid = self.checkout(f, i, rng);
                if rng.random_bool(0.6) {
                    let confirmed = self.confirm(f, i, rng).await;
                    format!("{paid}; {confirmed}")
                } else {
                    paid
                }
            }
            Some(i) => self.confirm(f, i, rng).await,
        }
    }

    async fn new_topup(&mut self, f: usize, rng: &mut StdRng) -> String {
        let amount = rng.random_range(1..=10) * 10_000;
        let user = self.fans[f].user.clone();
        let body = json!({"userId": user, "amount": amount});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("t{}", rng.random::<u32>()));
        let a = self
            .keyed(f, "POST", "/points/topups".into(), None, body, key)
            .await;
        if a.status == 201 {
            self.fans[f].topups.push(Topup {
                order: a.body["orderId"].as_str().unwrap_or_default().to_string(),
                amount,
                payment_key: None,
                credited: false,
            });
        }
        format!("topup {user} {amount}: {} {}", a.status, a.code())
    }

    /// The fan pays in the provider's window (one in ten is declined).
    fn checkout(&mut self, f: usize, i: usize, rng: &mut StdRng) -> String {
        let Some(sandbox) = self.world.sandbox.clone() else {
            return "checkout: no provider".into();
        };
        let fan = &mut self.fans[f];
        let t = &mut fan.topups[i];
        let decline = rng.random_bool(0.1);
        match sandbox.checkout(&t.order, t.amount, decline) {
            Ok(record) => {
                t.payment_key = Some(record.payment_key);
                format!(
                    "checkout {} {}{}",
                    fan.user,
                    t.amount,
                    if decline { " (declined)" } else { "" }
                )
            }
            Err(e) => format!("checkout refused: {e:?}"),
        }
    }

    async fn confirm(&mut self, f: usize, i: usize, rng: &mut StdRng) -> String {
        let t = self.fans[f].topups[i].clone();
        let user = self.fans[f].user.clone();
        // Now and then the app sends a wrong amount: refused before the
        // provider is asked.
        let amount = match rng.random_bool(0.05) {
            true => t.amount + 1,
            false => t.amount,
        };
        let body = json!({"userId": user, "paymentKey": t.payment_key, "amount": amount});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("k{}", rng.random::<u32>()));
        let path = format!("/points/topups/{}/confirm", t.order);
        let a = self.keyed(f, "POST", path, None, body, key).await;
        match a.status {
            200 => self.credited(f, &t.order),
            s if s >= 500 => self.fans[f].unsure = true,
            _ => {}
        }
        format!("confirm {user} {}: {} {}", t.amount, a.status, a.code())
    }

    /// A fan's confirm and the provider's webhook for the same payment at
    /// once, as when the provider calls back while the app confirms.
    pub async fn confirm_meets_webhook(&mut self, rng: &mut StdRng) -> String {
        let f = self.fan(rng);
        let made = self.new_topup(f, rng).await;
        let fresh = self.fans[f].topups.len().checked_sub(1);
        let Some(i) = fresh.filter(|_| made.contains(": 201")) else {
            return format!("crowd: {made}");
        };
        self.checkout(f, i, rng);
        let t = self.fans[f].topups[i].clone();
        let (Some(sandbox), Some(key)) = (&self.world.sandbox, &t.payment_key) else {
            return "crowd: no provider".into();
        };
        let Some(hook) = sandbox.webhook(key) else {
            return "crowd: unknown payment".into();
        };
        let user = self.fans[f].user.clone();
        let body = json!({"userId": user, "paymentKey": key, "amount": t.amount});
        let path = format!("/points/topups/{}/confirm", t.order);
        // The provider calls back once it has approved: somewhere along the
        // confirm's own DynamoDB calls.
        let later = rng.random_range(0..12);
        let w = &self.world;
        let (confirmed, hooked) =
            tokio::join!(w.call("POST", &path, None, Some(&body), None), async {
                for _ in 0..later {
                    tokio::task::yield_now().await;
                }
                w.call("POST", "/webhooks/payments", None, Some(&hook), None)
                    .await
            });
        match confirmed.status {
            200 => self.credited(f, &t.order),
            s if s >= 500 => self.fans[f].unsure = true,
            _ => {}
        }
        self.look_at_money(f).await;
        format!(
            "crowd {user} confirms {} as the webhook comes: {} {} / {} {}",
            t.amount,
            confirmed.status,
            confirmed.code(),
            hooked.status,
            hooked.code()
        )
    }

    /// An answer said the top-up is DONE: its points count once.
    fn credited(&mut self, f: usize, order: &str) {
        let fan = &mut self.fans[f];
        if let Some(t) = fan.topups.iter_mut().find(|t| t.order == order) {
            if !t.credited {
                t.credited = true;
                fan.balance += t.amount;
            }
        }
    }

    /// A fan asks for some of their points back on their cards (now and
    /// then more than they may).
    pub async fn withdraw_as(&mut self, f: usize, rng: &mut StdRng) -> String {
        let user = self.fans[f].user.clone();
        let most = self.fans[f].balance.max(1);
        let amount = match rng.random_bool(0.1) {
            true => most + 10_000,
            false => rng.random_range(1..=most),
        };
        let body = json!({"userId": user, "amount": amount});
        let key = rng
            .random_bool(0.5)
            .then(|| format!("w{}", rng.random::<u32>()));
        let faultless = self
            .world
            .sandbox
            .as_ref()
            .is_some_and(|s| !s.faults_armed());
        let a = self
            .keyed(f, "POST", "/points/withdrawals".into(), None, body, key)
            .await;
        // The provider refuses a cancel only when told to, or when it is
        // beyond what is left of the charge: the plan must never ask that.
        let status = a.body["status"].as_str().unwrap_or("");
        if a.status == 201 && faultless && (status == "PARTIAL" || status == "FAILED") {
            self.broken = Some(format!(
                "withdrawal {} of {amount} ended {status} with no provider fault",
                a.body["withdrawalId"]
            ));
        }
        let fan = &mut self.fans[f];
        match (a.status, a.body["status"].as_str()) {
            (201, Some("DONE")) => fan.balance -= amount,
            (201, Some("FAILED")) => {}
            // Parts refused while others wait come back at once (SPEC
            // §11): the answer's balance says how much.
            (201, Some("PENDING")) => {
                let after = fan.balance - amount;
                let back = a.body["point"].as_i64().map_or(0, |p| (p - after).max(0));
                fan.balance = after + back;
                fan.withdrawals.push(Withdrawal {
                    id: a.body["withdrawalId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    amount: amount - back,
                    sure: true,
                });
            }
            // Some parts refused: which the answer does not say.
            (201, _) => fan.unsure = true,
            (s, _) if s >= 500 => {
                fan.unsure = true;
                fan.lost_withdrawal = true;
            }
            _ => {}
        }
        format!("withdraw {user} {amount}: {} {}", a.status, a.code())
    }

    /// The provider calls the webhook for one of the payments it has
    /// (now and then twice), and the fan looks at their top-ups.
    pub async fn webhook(&mut self, rng: &mut StdRng) -> String {
        let Some(sandbox) = self.world.sandbox.clone() else {
            return "webhook: no provider".into();
        };
        let paid: Vec<(usize, String)> = self
            .fans
            .iter()
            .enumerate()
            .flat_map(|(f, fan)| {
                fan.topups
                    .iter()
                    .filter_map(move |t| Some((f, t.payment_key.clone()?)))
            })
            .collect();
        if paid.is_empty() {
            return "webhook: no payment".into();
        }
        let (f, key) = paid[rng.random_range(0..paid.len())].clone();
        let Some(body) = sandbox.webhook(&key) else {
            return "webhook: unknown payment".into();
        };
        let mut line = format!("webhook for {}:", self.fans[f].user);
        for _ in 0..1 + usize::from(rng.random_bool(0.2)) {
            let a = self
                .world
                .call("POST", "/webhooks/payments", None, Some(&body), None)
                .await;
            line.push_str(&format!(" {} {}", a.status, a.code()));
        }
        self.look_at_money(f).await;
        line
    }

    /// The organiser runs a reconciliation round; every fan with money
    /// in flight looks at it after.
    pub async fn reconcile(&mut self) -> String {
        let a = self
            .world
            .call(
                "POST",
                "/admin/reconcile",
                Some(crate::world::ADMIN),
                None,
                None,
            )
            .await;
        for f in 0..self.fans.len() {
            self.look_at_money(f).await;
        }
        format!("reconcile: {} {}", a.status, a.body)
    }

    /// The fan reads their top-ups not yet credited and their pending
    /// withdrawals, as the app does on return: what settled behind their
    /// back is learnt from these answers.
    async fn look_at_money(&mut self, f: usize) {
        let user = self.fans[f].user.clone();
        let open: Vec<String> = self.fans[f]
            .topups
            .iter()
            .filter(|t| !t.credited && t.payment_key.is_some())
            .map(|t| t.order.clone())
            .collect();
        for order in open {
            let path = format!("/points/topups/{order}?userId={user}");
            let a = self.world.call("GET", &path, None, None, None).await;
            match (a.status, a.body["status"].as_str()) {
                (200, Some("DONE")) => self.credited(f, &order),
                (s, _) if s >= 500 => self.fans[f].unsure = true,
                _ => {}
            }
        }
        if self.fans[f].lost_withdrawal {
            self.fans[f].unsure = true;
        }
        let pending = std::mem::take(&mut self.fans[f].withdrawals);
        for w in pending {
            let path = format!("/points/withdrawals/{}?userId={user}", w.id);
            let a = self.world.call("GET", &path, None, None, None).await;
            let fan = &mut self.fans[f];
            match (a.status, a.body["status"].as_str()) {
                (200, Some("DONE")) => {}
                (200, Some("FAILED")) if w.sure => fan.balance += w.amount,
                // Parts refused while others wait are given back at once;
                // the answer does not say which.
                _ => {
                    fan.unsure = true;
                    if !matches!(a.body["status"].as_str(), Some("PARTIAL" | "FAILED")) {
                        fan.withdrawals.push(w);
                    }
                }
            }
        }
    }

    /// The provider fails its next call or two: down, answer lost after
    /// the effect, or refused.
    pub fn provider_fault(&mut self, rng: &mut StdRng) -> String {
        let Some(sandbox) = &self.world.sandbox else {
            return "provider fault: no provider".into();
        };
        let op = [Operation::Confirm, Operation::Cancel, Operation::Any][rng.random_range(0..3)];
        let mode = [Mode::Down, Mode::LoseAnswer, Mode::Refuse][rng.random_range(0..3)];
        let count = 1;
        sandbox.fault(op, mode, 0, count);
        format!("provider fault {op:?} {mode:?} x{count}")
    }
}

impl Sim {
    /// The end of a run: every fault off, the clock past every pending
    /// top-up's lapse, and reconciliation run until nothing is pending
    /// (a few rounds at most) — after which §4.7 holds with equality.
    pub async fn settle(&mut self) -> String {
        self.world.faults.clear();
        if let Some(sandbox) = &self.world.sandbox {
            sandbox.clear_faults();
        }
        let lapse = self.world.app().config.payment.topup_pending_seconds;
        let mut line = String::from("settle:");
        for _ in 0..5 {
            self.world.clock.advance_ms((lapse + 60) * 1000);
            let said = self.reconcile().await;
            line.push(' ');
            line.push_str(&said);
            if said.contains("\"pending\":0") {
                break;
            }
        }
        line
    }
}

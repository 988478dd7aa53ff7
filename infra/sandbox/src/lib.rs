//! A stand-in of Toss Payments API v1 (SPEC §11): the provider's own
//! records of payments, the calls the service makes (confirm, look up,
//! cancel, each idempotent by key), the fan's checkout, faults on demand
//! and webhook replay. [`Sandbox`] is the provider as a library, so a
//! simulation can run it in-process; [`http`] serves it under
//! `/sandbox/toss` on the local stack.

pub mod http;
pub mod in_process;
mod page;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::clock::{Clock, SystemClock};
use shared::domain::ids::{Entropy, OsEntropy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The provider's record of one payment, as its API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub payment_key: String,
    pub order_id: String,
    pub order_name: String,
    pub method: &'static str,
    pub currency: &'static str,
    pub status: &'static str,
    pub total_amount: i64,
    pub balance_amount: i64,
    pub requested_at: String,
    pub approved_at: Option<String>,
    pub cancels: Vec<Cancel>,
    #[serde(skip)]
    declines: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancel {
    pub cancel_amount: i64,
    pub cancel_reason: String,
    pub canceled_at: String,
    pub transaction_key: String,
}

/// Which calls a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Confirm,
    Cancel,
    Any,
}

/// What a fault does to the call it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// 500 `FAILED_INTERNAL_SYSTEM_PROCESSING`, no effect.
    Down,
    /// The call takes effect, then no answer ever comes.
    LoseAnswer,
    /// Refused with no effect.
    Refuse,
}

/// An answer of the provider's API, or none at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Reply(u16, Value),
    Hang,
}

#[derive(Debug, Clone, Copy)]
struct Fault {
    op: Operation,
    mode: Mode,
    after: u32,
    left: u32,
}

#[derive(Debug, Default)]
struct State {
    payments: HashMap<String, Record>,
    /// The latest payment of each order.
    by_order: HashMap<String, String>,
    /// Armed faults: operation, mode, calls to let through first, calls hit.
    faults: Vec<Fault>,
    /// Answers of confirms and cancels by idempotency key.
    answered: HashMap<String, Value>,
    issued: u64,
}

#[derive(Debug)]
pub struct Sandbox {
    /// The secret key the service must send.
    pub secret_key: String,
    state: Mutex<State>,
    /// Its clock and the source of its payment keys: the system's, or a
    /// simulation's.
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer::Reply(status, json!({ "code": code, "message": message }))
}

/// A time in Korean time as the provider writes it.
fn kst(utc: chrono::DateTime<chrono::Utc>) -> String {
    match chrono::FixedOffset::east_opt(9 * 3600) {
        Some(kst) => utc
            .with_timezone(&kst)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    }
}

impl Sandbox {
    pub fn new(secret_key: &str) -> Sandbox {
        Sandbox::with(secret_key, Arc::new(SystemClock), Arc::new(OsEntropy))
    }

    /// A sandbox on `clock`, its payment keys drawn from `entropy` (a
    /// simulation fixes both, so its runs repeat).
    pub fn with(secret_key: &str, clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>) -> Sandbox {
        Sandbox {
            secret_key: secret_key.to_string(),
            state: Mutex::new(State::default()),
            clock,
            entropy,
        }
    }

    fn now(&self) -> String {
        kst(self.clock.now())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The fan pays in the provider's window: a new payment of the order,
    /// authorised and awaiting the service's confirm.
    pub fn checkout(&self, order_id: &str, amount: i64, decline: bool) -> Result<Record, Answer> {
        if order_id.is_empty() || amount <= 0 {
            return Err(error(
                400,
                "INVALID_REQUEST",
                "orderId and a positive amount are required",
            ));
        }
        let mut st = self.state();
        st.issued += 1;
        let payment_key = format!(
            "sbx_{}_{:016x}{:016x}",
            st.issued,
            self.entropy.next_u64(),
            self.entropy.next_u64()
        );
        let record = Record {
            payment_key: payment_key.clone(),
            order_id: order_id.to_string(),
            order_name: format!("포인트 {amount} 충전"),
            method: "카드",
            currency: "KRW",
            status: "IN_PROGRESS",
            total_amount: amount,
            balance_amount: amount,
            requested_at: self.now(),
            approved_at: None,
            cancels: Vec::new(),
            declines: decline,
        };
        st.payments.insert(payment_key.clone(), record.clone());
        st.by_order.insert(order_id.to_string(), payment_key);
        Ok(record)
    }

    /// A checkout under a given payment key (the repository's sample
    /// events name one).
    pub fn checkout_as(
        &self,
        payment_key: &str,
        order_id: &str,
        amount: i64,
    ) -> Result<Record, Answer> {
        let mut record = self.checkout(order_id, amount, false)?;
        let mut st = self.state();
        st.payments.remove(&record.payment_key);
        record.payment_key = payment_key.to_string();
        st.payments.insert(payment_key.to_string(), record.clone());
        st.by_order
            .insert(order_id.to_string(), payment_key.to_string());
        Ok(record)
    }

    /// Whether any fault is armed and not yet spent.
    pub fn faults_armed(&self) -> bool {
        self.state().faults.iter().any(|f| f.left > 0)
    }

    /// Disarms every fault not yet spent.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// Arms a fault for `count` calls of `operation`, after letting
    /// `after` of them through.
    pub fn fault(&self, operation: Operation, mode: Mode, after: u32, count: u32) {
        self.state().faults.push(Fault {
            op: operation,
            mode,
            after,
            left: count,
        });
    }

    /// The fault a call of `op` meets now, if any (each armed fault
    /// first lets its `after` calls through).
    fn next_fault(st: &mut State, op: Operation) -> Option<Mode> {
        let f = st
            .faults
            .iter_mut()
            .find(|f| f.left > 0 && (f.op == op || f.op == Operation::Any))?;
        if f.after > 0 {
            f.after -= 1;
            return None;
        }
        f.left -= 1;
        let mode = f.mode;
        st.faults.retain(|f| f.left > 0);
        Some(mode)
    }

    /// The opening of a call that changes money: the answer its
    /// idempotency key already has, or a fault's, else the fault (a lost
    /// answer) the call goes ahead under.
    fn begin(
        st: &mut State,
        key: Option<&str>,
        op: Operation,
        (code, message): (&str, &str),
    ) -> Result<Option<Mode>, Answer> {
        if let Some(done) = key.and_then(|k| st.answered.get(k)) {
            return Err(Answer::Reply(200, done.clone()));
        }
        match Self::next_fault(st, op) {
            Some(Mode::Down) => Err(down()),
            Some(Mode::Refuse) => Err(error(403, code, message)),
            other => Ok(other),
        }
    }

    /// `POST /v1/payments/confirm`.
    pub fn confirm(
        &self,
        payment_key: &str,
        order_id: &str,
        amount: i64,
        key: Option<&str>,
    ) -> Answer {
        let mut st = self.state();
        let refusal = ("REJECT_CARD_PAYMENT", "카드사에서 거절된 결제입니다.");
        let fault = match Self::begin(&mut st, key, Operation::Confirm, refusal) {
            Ok(f) => f,
            Err(answer) => return answer,
        };
        let Some(p) = st.payments.get_mut(payment_key) else {
            return error(
                404,
                "NOT_FOUND_PAYMENT_SESSION",
                "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
            );
        };
        if p.order_id != order_id || p.total_amount != amount {
            return error(400, "INVALID_REQUEST", "주문 정보가 결제 정보와 다릅니다.");
        }
        match p.status {
            "IN_PROGRESS" if p.declines => {
                p.status = "ABORTED";
                return error(403, "REJECT_CARD_PAYMENT", "카드사에서 거절된 결제입니다.");
            }
            "IN_PROGRESS" => {}
            "ABORTED" | "EXPIRED" => {
                return error(403, "REJECT_CARD_PAYMENT", "카드사에서 거절된 결제입니다.")
            }
            _ => return error(400, ALREADY_PROCESSED, "이미 처리된 결제 입니다."),
        }
        p.status = "DONE";
        p.approved_at = Some(self.now());
        let body = json!(p);
        if let Some(k) = key {
            st.answered.insert(k.to_string(), body.clone());
        }
        after_effect(fault, body)
    }

    /// `GET /v1/payments/{paymentKey}`.
    pub fn payment(&self, payment_key: &str) -> Answer {
        let mut st = self.state();
        let fault = Self::next_fault_lookup(&mut st);
        if let Some(a) = fault {
            return a;
        }
        match st.payments.get(payment_key) {
            Some(p) => Answer::Reply(200, json!(p)),
            None => not_found(),
        }
    }

    /// `GET /v1/payments/orders/{orderId}`.
    pub fn payment_of_order(&self, order_id: &str) -> Answer {
        let mut st = self.state();
        if let Some(a) = Self::next_fault_lookup(&mut st) {
            return a;
        }
        let found = st.by_order.get(order_id).and_then(|k| st.payments.get(k));
        match found {
            Some(p) => Answer::Reply(200, json!(p)),
            None => not_found(),
        }
    }

    fn next_fault_lookup(st: &mut State) -> Option<Answer> {
        let any = st
            .faults
            .iter()
            .any(|f| f.op == Operation::Any && f.left > 0);
        if !any {
            return None;
        }
        match Self::next_fault(st, Operation::Any)? {
            Mode::Down => Some(down()),
            Mode::LoseAnswer => Some(Answer::Hang),
            Mode::Refuse => Some(not_found()),
        }
    }

    /// `POST /v1/payments/{paymentKey}/cancel`.
    pub fn cancel(
        &self,
        payment_key: &str,
        reason: &str,
        amount: i64,
        key: Option<&str>,
    ) -> Answer {
        let mut st = self.state();
        let refusal = ("NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.");
        let fault = match Self::begin(&mut st, key, Operation::Cancel, refusal) {
            Ok(f) => f,
            Err(answer) => return answer,
        };
        let issued = st.issued;
        let Some(p) = st.payments.get_mut(payment_key) else {
            return not_found();
        };
        if !matches!(p.status, "DONE" | "PARTIAL_CANCELED") {
            return error(
                403,
                "NOT_CANCELABLE_PAYMENT",
                "취소 할 수 없는 결제 입니다.",
            );
        }
        if amount <= 0 || amount > p.balance_amount {
            return error(403, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
        }
        p.balance_amount -= amount;
        p.status = if p.balance_amount == 0 {
            "CANCELED"
        } else {
            "PARTIAL_CANCELED"
        };
        p.cancels.push(Cancel {
            cancel_amount: amount,
            cancel_reason: reason.to_string(),
            canceled_at: self.now(),
            transaction_key: format!("sbx_tx_{issued}_{}", p.cancels.len()),
        });
        let body = json!(p);
        if let Some(k) = key {
            st.answered.insert(k.to_string(), body.clone());
        }
        after_effect(fault, body)
    }

    /// The webhook the provider would send for the payment as it is now.
    pub fn webhook(&self, payment_key: &str) -> Option<Value> {
        let st = self.state();
        let p = st.payments.get(payment_key)?;
        Some(json!({ "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": self.now(), "data": p }))
    }

    /// Every payment the sandbox holds (for the audit of SPEC §4.7).
    pub fn records(&self) -> Vec<Record> {
        self.state().payments.values().cloned().collect()
    }
}

/// The code a confirm of a confirmed payment meets.
pub const ALREADY_PROCESSED: &str = "ALREADY_PROCESSED_PAYMENT";

fn down() -> Answer {
    error(
        500,
        "FAILED_INTERNAL_SYSTEM_PROCESSING",
        "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
    )
}

fn not_found() -> Answer {
    error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
}

/// The answer of a call that took effect: lost when the fault says so.
fn after_effect(fault: Option<Mode>, body: Value) -> Answer {
    match fault {
        Some(Mode::LoseAnswer) => Answer::Hang,
        _ => Answer::Reply(200, body),
    }
}

impl Record {
    /// Ever charged (whatever was cancelled since).
    pub fn paid(&self) -> bool {
        matches!(self.status, "DONE" | "PARTIAL_CANCELED" | "CANCELED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(a: &Answer) -> u16 {
        match a {
            Answer::Reply(s, _) => *s,
            Answer::Hang => 0,
        }
    }

    #[test]
    fn a_payment_is_confirmed_once_and_cancelled_within_its_balance() {
        let sb = Sandbox::new("k");
        let p = sb.checkout("order-1", 1000, false).unwrap();
        assert_eq!(
            status(&sb.confirm(&p.payment_key, "order-1", 999, None)),
            400
        );
        assert_eq!(
            status(&sb.confirm(&p.payment_key, "order-1", 1000, Some("order-1"))),
            200
        );
        assert_eq!(
            status(&sb.confirm(&p.payment_key, "order-1", 1000, Some("order-1"))),
            200,
            "replayed"
        );
        assert_eq!(
            status(&sb.confirm(&p.payment_key, "order-1", 1000, None)),
            400,
            "already processed"
        );
        assert_eq!(
            status(&sb.cancel(&p.payment_key, "r", 600, Some("c1"))),
            200
        );
        assert_eq!(
            status(&sb.cancel(&p.payment_key, "r", 600, Some("c1"))),
            200,
            "same cancel"
        );
        assert_eq!(
            status(&sb.cancel(&p.payment_key, "r", 600, Some("c2"))),
            403,
            "beyond the balance"
        );
        let rec = &sb.records()[0];
        assert_eq!(
            (rec.balance_amount, rec.cancels.len(), rec.status),
            (400, 1, "PARTIAL_CANCELED")
        );
    }

    #[test]
    fn faults_hit_the_next_calls_only() {
        let sb = Sandbox::new("k");
        let p = sb.checkout("order-2", 10, false).unwrap();
        sb.fault(Operation::Confirm, Mode::Down, 0, 1);
        assert_eq!(
            status(&sb.confirm(&p.payment_key, "order-2", 10, Some("order-2"))),
            500
        );
        sb.fault(Operation::Confirm, Mode::LoseAnswer, 0, 1);
        assert_eq!(
            sb.confirm(&p.payment_key, "order-2", 10, Some("order-2")),
            Answer::Hang
        );
        assert_eq!(sb.records()[0].status, "DONE", "lost answer, kept effect");
        assert_eq!(
            status(&sb.confirm(&p.payment_key, "order-2", 10, Some("order-2"))),
            200
        );
        let p2 = sb.checkout("order-4", 10, false).unwrap();
        sb.confirm(&p2.payment_key, "order-4", 10, None);
        sb.fault(Operation::Cancel, Mode::Refuse, 1, 1);
        assert_eq!(
            status(&sb.cancel(&p2.payment_key, "a", 1, None)),
            200,
            "let through"
        );
        assert_eq!(
            status(&sb.cancel(&p2.payment_key, "b", 1, None)),
            403,
            "refused"
        );
        assert_eq!(
            status(&sb.cancel(&p2.payment_key, "c", 1, None)),
            200,
            "used up"
        );
        let declined = sb.checkout("order-3", 10, true).unwrap();
        assert_eq!(
            status(&sb.confirm(&declined.payment_key, "order-3", 10, None)),
            403
        );
    }
}

// Points: the balance, top-up through the provider's window and its
// confirmation on return, withdrawal back to the card, the history.
import * as api from "./api.js";
import { app, attempt } from "./session.js";
import { h, show, notice, points, when, form, paged } from "./ui.js";

const KINDS = { CHARGE: "충전", TOPUP: "카드 충전", PAYMENT: "결제", REFUND: "환불", WITHDRAWAL: "카드 환불",
  WITHDRAWAL_REVERSED: "카드 환불 취소", TOPUP_REVERSED: "충전 취소" };

const user = () => encodeURIComponent(app.who.userId);

export async function pointsPage() {
  const balance = await attempt(() => api.get(`/points/${user()}`, { auth: "identity" }));
  if (!balance) return;
  const history = paged(null, async (cursor) => {
    const body = await attempt(() => api.get(`/points/${user()}/history?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { auth: "identity" }));
    return body && { items: body.entries, nextCursor: body.nextCursor };
  }, (e) => h("tr", {}, h("td", {}, when(e.at)), h("td", {}, KINDS[e.kind] || e.kind),
    h("td", { style: "text-align:right" }, `${e.amount > 0 ? "+" : ""}${points(e.amount)}`)), "내역이 없습니다.");
  const provider = app.config.payment.provider;
  const charge = provider === "none"
    ? form([{ name: "amount", placeholder: "충전할 포인트", type: "number", min: 1 }], "충전", async ({ amount }) => {
      const done = await attempt(() => api.call("PATCH", "/points", { body: { userId: app.who.userId, amount: Number(amount) }, auth: "identity", key: api.newKey() }));
      if (done) { notice(`${points(amount)} 충전되었습니다.`, true); pointsPage(); }
    })
    : form([{ name: "amount", placeholder: "충전할 금액 (원)", type: "number", min: 1 }], "카드로 충전", ({ amount }) => topup(Number(amount)));
  const withdraw = provider === "none" ? null : h("div", { class: "card" }, h("h2", {}, "카드로 환불"),
    h("p", { class: "muted" }, "쓰지 않은 포인트를 충전한 카드로 돌려받습니다."),
    form([{ name: "amount", placeholder: "환불할 포인트", type: "number", min: 1 }], "환불 요청", async ({ amount }) => {
      const w = await attempt(() => api.post("/points/withdrawals", { userId: app.who.userId, amount: Number(amount) }, { auth: "identity", key: api.newKey() }));
      if (w) { notice(w.status === "DONE" ? `${points(w.amount)} 카드로 환불되었습니다.` : `환불 요청이 접수되었습니다 (${w.status}).`, true); pointsPage(); }
    }));
  show(h("div", { class: "card" }, h("h1", {}, "포인트"), h("p", { class: "big", id: "balance" }, points(balance.point)), charge),
    withdraw,
    h("div", { class: "card", id: "history" }, h("h2", {}, "내역"), history.box));
  await history.next();
}

/** Creates the top-up, then leaves for the provider's payment window. */
async function topup(amount) {
  const t = await attempt(() => api.post("/points/topups", { userId: app.who.userId, amount }, { auth: "identity", key: api.newKey() }));
  if (!t) return;
  const back = location.origin + location.pathname;
  const c = t.checkout;
  const successUrl = `${back}?topup=success`;
  const failUrl = `${back}?topup=fail`;
  if (c.provider === "sandbox") {
    const q = new URLSearchParams({ orderId: c.orderId, amount: c.amount, successUrl, failUrl });
    location.assign(`${api.base()}/sandbox/toss/checkout?${q}`);
    return;
  }
  await loadToss();
  // The provider's own window; it comes back to successUrl with
  // paymentKey, orderId and amount, or to failUrl with code and message.
  window.TossPayments(c.clientKey).requestPayment("카드", {
    amount: c.amount, orderId: c.orderId, orderName: c.orderName, successUrl, failUrl,
  }).catch((e) => notice(e.message || "결제창을 열지 못했습니다."));
}

function loadToss() {
  if (window.TossPayments) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = "https://js.tosspayments.com/v1/payment";
    s.onload = resolve;
    s.onerror = () => reject(new Error("결제창을 불러오지 못했습니다."));
    document.head.append(s);
  }).catch((e) => notice(e.message));
}

/** Back from the payment window: confirm the charge, then the balance. */
export async function topupReturn(params) {
  if (params.get("topup") !== "success") {
    notice(params.get("message") || "결제가 취소되었습니다.");
    return;
  }
  if (!app.who) { notice("로그인 후 다시 시도해 주세요."); return; }
  const orderId = params.get("orderId");
  const body = { userId: app.who.userId, paymentKey: params.get("paymentKey"), amount: Number(params.get("amount")) };
  const done = await attempt(() => api.post(`/points/topups/${encodeURIComponent(orderId)}/confirm`, body, { auth: "identity", key: `confirm-${orderId}` }));
  if (done) notice(`${points(done.amount)} 충전되었습니다. 잔액 ${points(done.point)}`, true);
}

// The fan's app: concerts, the waiting room, the seat map with holds,
// points and tickets. Hash routes; every page reads the API afresh.
import * as api from "./api.js";
import * as auth from "./auth.js";
import * as queue from "./queue.js";
import { h, show, notice, points, clock, when, form, paged } from "./ui.js";
import { messageOf } from "./messages.js";
import { SeatMap } from "./seatmap.js";
import { topupReturn, pointsPage } from "./points.js";
import { app as state, later, every, leavePage, attempt } from "./session.js";

async function start() {
  state.config = await fetch("config.json").then((r) => r.json());
  api.configure(state.config);
  const params = new URLSearchParams(location.search);
  if (params.has("code") && state.config.auth === "cognito") {
    try { await auth.finishHostedSignIn(state.config.cognito, params); } catch (e) { notice(e.message); }
    history.replaceState(null, "", location.pathname + location.hash);
  }
  state.signedOut = () => signedIn(null);
  signedIn(auth.current());
  if (params.get("topup")) {
    history.replaceState(null, "", location.pathname + "#/points");
    await topupReturn(params);
  }
  addEventListener("hashchange", route);
  await route();
}

function signedIn(who) {
  state.who = who;
  api.setIdentity(who);
  const box = document.getElementById("who");
  if (who) {
    box.replaceChildren(h("span", { id: "signed-in" }, `${who.name || who.userId} 님`),
      h("button", { class: "secondary", onclick: () => { auth.signOut(); signedIn(null); route(); } }, "로그아웃"));
  } else if (state.config.auth === "cognito") {
    box.replaceChildren(h("button", { onclick: () => auth.startHostedSignIn(state.config.cognito) }, "로그인"));
  } else {
    box.replaceChildren(form([{ name: "userId", placeholder: "사용자 ID" }], "로그인", async ({ userId }) => {
      try { signedIn(await auth.signInAs(state.config.auth, userId)); notice(null); await route(); } catch (e) { notice(e); }
    }));
  }
}

function needSignIn() {
  show(h("div", { class: "card" }, h("h2", {}, "로그인이 필요합니다"), h("p", { class: "muted" }, "위의 로그인 상자에서 로그인해 주세요.")));
}

async function route() {
  leavePage();
  const [, page, a, b] = (location.hash || "#/").slice(1).split("/");
  if (!page) return concerts();
  if (!state.who) return needSignIn();
  if (page === "concert") return concertPage(Number(a));
  if (page === "seats") return seatsPage(Number(a), Number(b));
  if (page === "points") return pointsPage();
  if (page === "tickets") return ticketsPage();
  return concerts();
}

async function concerts() {
  const list = await attempt(() => api.get("/concerts"));
  if (!list) return;
  show(h("h1", {}, "공연"), h("div", { class: "grid" }, list.map((c) => h("a", { class: "card", href: `#/concert/${c.id}`, style: "color:inherit;text-decoration:none" },
    h("h3", {}, c.title), h("p", { class: "muted" }, `${c.startDate} ~ ${c.endDate}`), c.hasRoom ? h("span", { class: "status" }, "대기실") : null))));
}

/** A concert: its room's countdown, joining, the line, then its dates. */
async function concertPage(id) {
  const concert = await attempt(() => api.get(`/concerts/${id}`));
  if (!concert) return;
  const room = concert.hasRoom ? await attempt(() => api.get(`/concerts/${id}/room`)) : null;
  const token = queue.storedToken(state.who.userId, concert);
  if (token) return waitPage(concert, room, token);
  const opens = room && Date.parse(room.opensAt);
  const countdown = h("p", { class: "big", id: "opens-in" });
  const tick = () => { countdown.textContent = opens > Date.now() ? `오픈까지 ${clock(opens - Date.now())}` : "예매 진행 중"; };
  tick();
  if (opens) every(tick, 250);
  show(h("div", { class: "card" }, h("h1", {}, concert.title), h("p", { class: "muted" }, `${concert.startDate} ~ ${concert.endDate}`),
    room ? countdown : null,
    room && room.soldOut ? h("p", {}, "매진되었습니다.") : null,
    room && opens > Date.now() ? h("p", { class: "muted" }, "오픈 전에 참여한 모든 분은 오픈 순간 공정한 추첨으로 순서가 정해집니다. 먼저 누른다고 앞서지 않습니다.") : null,
    h("button", { id: "join", onclick: async () => {
      const t = await attempt(() => queue.join(state.who.userId, concert));
      if (t) waitPage(concert, room, t);
    } }, "대기열 참여")));
}

async function waitPage(concert, room, token) {
  const line = h("p", { class: "big", id: "position" });
  const detail = h("p", { class: "muted", id: "wait-detail" });
  show(h("div", { class: "card", id: "waiting" }, h("h1", {}, concert.title), h("h2", {}, "대기 중"), line, detail,
    h("p", { class: "muted" }, "이 화면을 닫지 마세요. 차례가 오면 자동으로 좌석 선택으로 넘어갑니다.")));
  const render = (t) => {
    const opens = t.opensAt && Date.parse(t.opensAt);
    if (t.priority === null && opens) {
      line.textContent = opens > Date.now() ? `오픈까지 ${clock(opens - Date.now())}` : "순서를 정하는 중…";
      detail.textContent = "오픈 순간 추첨으로 순서가 정해집니다.";
    } else {
      line.textContent = `내 앞에 ${Number(t.priority).toLocaleString("ko-KR")}명`;
      detail.textContent = t.soldOut ? "매진되었습니다." : t.estimatedWaitSeconds != null ? `예상 대기 ${clock(t.estimatedWaitSeconds * 1000)}` : "";
    }
  };
  let current = token;
  const poll = async () => {
    try {
      current = await queue.status(state.who.userId, concert, current);
    } catch (e) {
      if (e.status === 401) { notice(e); return concertPage(concert.id); }
      notice(e);
      return later(poll, (e.retryAfter || 2) * 1000);
    }
    if (current.status === "ACTIVE") return schedulesPage(concert, current);
    if (current.status === "ENDED") { queue.forgetToken(state.who.userId, concert); return concertPage(concert.id); }
    render(current);
    later(poll, current.pollAfterMs || 1000);
  };
  if (token.status === "ACTIVE") return poll();
  render(token);
  every(() => render(current), 500);
  later(poll, token.pollAfterMs || 1000);
}

async function schedulesPage(concert, token) {
  notice(null);
  const body = await attempt(() => api.get(`/concerts/${concert.id}/schedules`, { auth: token.tokenId }));
  if (!body) return;
  const left = token.expireAt ? h("p", { class: "muted" }, `입장 시간: ${when(token.expireAt)}까지`) : null;
  show(h("div", { class: "card", id: "schedules" }, h("h1", {}, concert.title), h("h2", {}, "날짜 선택"), left,
    body.schedules.length ? body.schedules.map((s) => h("p", { class: "row" },
      h("a", { class: "button", href: `#/seats/${concert.id}/${s.scheduleId}` }, s.date),
      h("span", { class: "muted" }, s.onSale ? `남은 좌석 ${s.availableSeats.toLocaleString("ko-KR")}석` : "예매 기간이 아닙니다")))
      : h("p", {}, "예매 가능한 날짜가 없습니다.")));
}

/** The seat map of one date, the fan's holds with their timers, payment. */
async function seatsPage(concertId, scheduleId) {
  const concert = await attempt(() => api.get(`/concerts/${concertId}`));
  if (!concert) return;
  const token = queue.storedToken(state.who.userId, concert);
  if (!token) return concertPage(concertId);
  const started = performance.now();
  const layoutAsked = api.get(`/concerts/schedules/${scheduleId}/layout`).catch((e) => e);
  let free;
  try {
    free = await api.get(`/concerts/schedules/${scheduleId}/availability`, { auth: token.tokenId });
  } catch (e) {
    // Over (401): join again; still waiting (403): back to the line.
    if (e.status === 401) queue.forgetToken(state.who.userId, concert);
    notice(e);
    return e.status === 401 || e.code === "TOKEN_NOT_ACTIVE" ? concertPage(concertId) : undefined;
  }
  const layout = await layoutAsked;
  if (layout instanceof Error) return notice(layout);
  const canvas = h("canvas", { class: "seatmap", id: "seatmap", role: "img", "aria-label": "좌석 배치도" });
  const wrap = h("div", { class: "map-wrap" }, canvas);
  const holds = h("div", { id: "holds" });
  const legend = h("div", { class: "legend" }, layout.sections.map((s) => h("span", {}, `${s.name} ${points(s.price)}`)),
    h("span", {}, h("span", { class: "swatch", style: "background:#c9cdd8" }), "선택 불가"),
    h("span", {}, h("span", { class: "swatch", style: "background:#f59e0b" }), "내 선점"));
  const count = h("span", { id: "free-count", class: "muted" });
  show(h("div", { class: "card" }, h("h1", {}, concert.title), h("p", { class: "row" }, `좌석 선택`, count), legend, wrap,
    form([{ name: "number", placeholder: "좌석 번호 (예: VIP-1-3)" }], "선택", ({ number }) => {
      const seat = map.seatNamed(number);
      return seat ? pick(seat) : notice("없는 좌석 번호입니다.");
    })), holds);
  const map = new SeatMap(canvas, layout, Math.min(wrap.clientWidth || 900, 1200));
  const mine = new Map(); // seatId → hold
  // Holds made earlier on this date (another page, a reload) that still run.
  const mineBefore = await attempt(() => api.get(`/reservations?userId=${encodeURIComponent(state.who.userId)}&limit=50`, { auth: "identity" }));
  for (const r of (mineBefore && mineBefore.reservations) || []) {
    const left = Date.parse(r.expiredAt) - Date.now();
    if (r.status === "TEMP" && r.scheduleId === scheduleId && left > 0) mine.set(r.seatId, { ...r, endsAt: Date.now() + left });
  }
  let ticks = [];
  const drawHolds = () => {
    ticks = [];
    holds.replaceChildren(...[...mine.values()].map((hold) => {
      const timer = h("span", { class: "timer" });
      const tick = () => {
        const left = hold.endsAt - Date.now();
        timer.textContent = left > 0 ? clock(left) : "만료";
        return left > 0;
      };
      tick();
      ticks.push({ hold, tick });
      return h("div", { class: "card hold", "data-reserve": hold.reserveId },
        h("h3", {}, `${hold.seatNumber} · ${points(hold.price)}`), h("p", { class: "row" }, "남은 시간 ", timer),
        h("p", { class: "row" },
          h("button", { class: "pay", onclick: () => pay(hold) }, "결제"),
          h("button", { class: "secondary release", onclick: () => release(hold) }, "선점 해제")));
    }));
  };
  const refresh = (body) => {
    map.setAvailability(body);
    map.mine = new Set(mine.keys());
    map.draw();
    count.textContent = `남은 좌석 ${map.free.toLocaleString("ko-KR")}석`;
  };
  refresh(free);
  drawHolds();
  canvas.dataset.readyMs = String(Math.round(performance.now() - started));
  const pick = async (seat) => {
    if (mine.has(seat.seatId) || map.ended) return;
    if (!map.isFree(seat.seatId)) return notice(`${seat.number}: 선택할 수 없는 좌석입니다.`);
    let taken = false;
    const hold = await attempt(() => api.post("/reservations", { userId: state.who.userId, concertId, scheduleId, seatId: seat.seatId }, { auth: token.tokenId })
      .catch((e) => { taken = e.code === "SEAT_TAKEN"; throw e; }));
    if (taken) { map.mark(seat.seatId, false); map.draw(); }
    if (!hold) return;
    notice(`${hold.seatNumber} 좌석을 ${clock(Date.parse(hold.expiredAt) - Date.parse(hold.createdAt))} 동안 선점했습니다.`, true);
    hold.endsAt = Date.now() + (Date.parse(hold.expiredAt) - Date.parse(hold.createdAt));
    mine.set(hold.seatId, hold);
    map.mine = new Set(mine.keys());
    map.draw();
    drawHolds();
  };
  canvas.addEventListener("click", (e) => {
    const r = canvas.getBoundingClientRect();
    const seat = map.seatAt(e.clientX - r.left, e.clientY - r.top);
    if (seat) pick(seat);
  });
  every(() => {
    const over = ticks.filter(({ tick }) => !tick());
    for (const { hold } of over) letGo(hold, true);
    if (over.length) notice("선점 시간이 끝난 좌석이 있습니다. 좌석을 다시 골라 주세요.");
  }, 1000);
  // A hold paid (the seat stays taken) or let go (free again).
  const letGo = (hold, free) => {
    mine.delete(hold.seatId);
    map.mark(hold.seatId, free);
    map.mine = new Set(mine.keys());
    map.draw();
    drawHolds();
  };
  const pay = async (hold) => {
    const paid = await attempt(() => api.post("/payments", { userId: state.who.userId, reserveId: hold.reserveId, amount: hold.price },
      { auth: token.tokenId, key: api.newKey() }));
    if (!paid) return;
    letGo(hold, false);
    notice(`${hold.seatNumber} 결제가 완료되었습니다. 내 예매에서 확인하세요.`, true);
  };
  const release = async (hold) => {
    const done = await attempt(() => api.post(`/reservations/${hold.reserveId}/cancel`, { userId: state.who.userId }, { auth: "identity" }));
    if (!done) return;
    letGo(hold, true);
    notice(`${hold.seatNumber} 선점을 해제했습니다.`, true);
  };
  // The token's time is over (or a payment ended it): the map stops, the
  // holds can still be paid or let go, and the fan may join again.
  const over = () => {
    queue.forgetToken(state.who.userId, concert);
    canvas.style.opacity = "0.4";
    map.ended = true;
    holds.before(h("div", { class: "card", id: "token-over" }, h("p", {}, "입장 시간이 끝났습니다. 좌석을 더 고르려면 대기열에 다시 참여해 주세요."),
      h("a", { class: "button", href: `#/concert/${concertId}` }, "대기열 다시 참여")));
  };
  const poll = async () => {
    try { refresh(await api.get(`/concerts/schedules/${scheduleId}/availability`, { auth: token.tokenId })); }
    catch (e) { if (e.status === 401) return over(); }
    later(poll, 2000);
  };
  later(poll, 2000);
}

async function ticketsPage() {
  const labels = { TEMP: "선점", COMPLETE: "예매 완료", EXPIRED: "만료", CANCELLED: "취소" };
  const user = encodeURIComponent(state.who.userId);
  const cancel = async (r) => {
    const done = await attempt(() => api.post(`/reservations/${r.reserveId}/cancel`, { userId: state.who.userId }, { auth: "identity" }));
    if (done) { notice(done.refund ? `취소되었습니다. ${points(done.refund)} 환불되었습니다.` : "취소되었습니다.", true); ticketsPage(); }
  };
  const list = paged(h("tr", {}, h("th", {}, "공연"), h("th", {}, "좌석"), h("th", {}, "금액"), h("th", {}, "상태"), h("th", {})),
    async (cursor) => {
      const body = await attempt(() => api.get(`/reservations?userId=${user}&limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { auth: "identity" }));
      return body && { items: body.reservations, nextCursor: body.nextCursor };
    },
    (r) => h("tr", { "data-reserve": r.reserveId },
      h("td", {}, r.concert.title, h("br"), h("span", { class: "muted" }, r.schedule)), h("td", {}, r.seatNumber), h("td", {}, points(r.price)),
      h("td", {}, h("span", { class: `status ${r.status}` }, labels[r.status] || r.status)),
      h("td", {}, r.status === "COMPLETE" || r.status === "TEMP"
        ? h("button", { class: "danger cancel", onclick: () => cancel(r) }, r.status === "COMPLETE" ? "예매 취소" : "선점 해제") : null)),
    "예매 내역이 없습니다.");
  show(h("div", { class: "card", id: "tickets" }, h("h1", {}, "내 예매"), list.box));
  await list.next();
}

start().catch((e) => show(h("div", { class: "card" }, h("h2", {}, "앱을 시작하지 못했습니다"), h("p", {}, messageOf(e)))));

// Small DOM helpers shared by the views.
import { messageOf } from "./messages.js";

/** An element with attributes (`on…` are listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function show(...children) {
  const view = document.getElementById("view");
  view.replaceChildren(...children);
  return view;
}

/** A message above the page: an error (with its code's text) or good news. */
export function notice(what, ok = false) {
  const box = document.getElementById("notice");
  if (!what) { box.hidden = true; return; }
  box.textContent = typeof what === "string" ? what : messageOf(what);
  if (what && what.code) box.dataset.code = what.code; else delete box.dataset.code;
  box.className = ok ? "notice ok" : "notice";
  box.hidden = false;
  window.scrollTo({ top: 0 });
}

export const points = (n) => `${Number(n).toLocaleString("ko-KR")}P`;

/** `m:ss` (or `h:mm:ss`) of a duration. */
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

export function when(iso) {
  return new Date(iso).toLocaleString("ko-KR", { dateStyle: "medium", timeStyle: "short" });
}

/** A form of labelled inputs and one button; `submit` gets the values. */
export function form(fields, label, submit) {
  const inputs = fields.map((f) => h("input", { name: f.name, placeholder: f.placeholder, type: f.type || "text",
    inputmode: f.type === "number" ? "numeric" : undefined, min: f.min, value: f.value, "aria-label": f.placeholder, required: true }));
  const button = h("button", { type: "submit" }, label);
  const el = h("form", { class: "inline", onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    try { await submit(Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()]))); }
    finally { button.disabled = false; }
  } }, inputs, button);
  return el;
}

/**
 * A table read page by page: `load(cursor)` gives `{items, nextCursor}`
 * (or nothing after an error), `row(item)` a table row. Returns the
 * element and the call that reads the first page.
 */
export function paged(head, load, row, empty) {
  const rows = h("tbody");
  const more = h("button", { class: "secondary more", type: "button" }, "더 보기");
  more.hidden = true;
  const box = h("div", {}, h("table", {}, head ? h("thead", {}, head) : null, rows), more);
  let cursor = null;
  const next = async () => {
    more.disabled = true;
    const page = await load(cursor);
    more.disabled = false;
    if (!page) return;
    rows.append(...page.items.map(row));
    cursor = page.nextCursor;
    more.hidden = !cursor;
    if (!rows.children.length) box.replaceChildren(h("p", { class: "muted" }, empty));
  };
  more.addEventListener("click", next);
  return { box, next };
}

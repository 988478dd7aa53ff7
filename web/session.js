// What every page shares: the stack's config, the signed-in fan, and the
// timers of the page on screen (stopped when the fan leaves it).
import * as auth from "./auth.js";
import { notice } from "./ui.js";

export const app = { config: null, who: null, timers: new Set(), signedOut: () => {} };

export function later(fn, ms) {
  const t = setTimeout(() => { app.timers.delete(t); fn(); }, ms);
  app.timers.add(t);
  return t;
}
export function every(fn, ms) { const t = setInterval(fn, ms); app.timers.add(t); return t; }
export function leavePage() {
  for (const t of app.timers) { clearTimeout(t); clearInterval(t); }
  app.timers.clear();
}

/** Runs `fn`, showing its error; an expired sign-in signs the fan out. */
export async function attempt(fn) {
  try { return await fn(); } catch (e) {
    if (e.code === "IDENTITY_INVALID") { auth.signOut(); app.signedOut(); }
    notice(e);
    return undefined;
  }
}

// The waiting room: a concert's room (its countdown from the public room
// route), joining, and polling exactly when `pollAfterMs` says until the
// fan is admitted.
import { get, post, ApiError } from "./api.js";

const key = (userId, room) => `concert.token.${userId}.${room}`;
/** The room a concert's fans wait in: its own, or the default one. */
export const roomOf = (concert) => (concert.hasRoom ? String(concert.id) : "default");

export function storedToken(userId, concert) {
  try { return JSON.parse(localStorage.getItem(key(userId, roomOf(concert)))); } catch { return null; }
}
export function keepToken(userId, concert, token) {
  localStorage.setItem(key(userId, roomOf(concert)), JSON.stringify(token));
}
export function forgetToken(userId, concert) { localStorage.removeItem(key(userId, roomOf(concert))); }

export async function join(userId, concert) {
  const token = await post("/queues", { userId, concertId: concert.id }, { auth: "identity" });
  keepToken(userId, concert, token);
  return token;
}

/** The token's state now; a token the service no longer knows is forgotten. */
export async function status(userId, concert, token) {
  try {
    const now = await get(`/queues/${encodeURIComponent(userId)}`, { auth: token.tokenId });
    const kept = { ...token, ...now };
    keepToken(userId, concert, kept);
    return kept;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) forgetToken(userId, concert);
    throw e;
  }
}

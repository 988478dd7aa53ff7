// The API as the app calls it: JSON in and out, the fan's identity on the
// identity routes and the queue token on the token routes, one error shape.

let config = { apiUrl: "" };
let identity = null; // { userId, idToken? }

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function configure(c) { config = c; }
export function setIdentity(who) { identity = who; }
export function base() { return config.apiUrl || location.origin; }

/** A fresh key for a POST that may be sent again (SPEC §5). */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * One call. `auth` is "identity" (the signed-in fan's id token, when the
 * stack verifies identity), a queue token string, or nothing.
 */
export async function call(method, path, { body, auth, key } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth === "identity" && identity && identity.idToken) headers.Authorization = `Bearer ${identity.idToken}`;
  else if (auth && auth !== "identity") headers.Authorization = `Bearer ${auth}`;
  if (key) headers["Idempotency-Key"] = key;
  let res;
  try {
    res = await fetch(base() + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "NETWORK", String(e), null);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const code = (data && data.code) || (res.status === 401 ? "IDENTITY_INVALID" : res.status >= 500 ? "INTERNAL" : "ERROR");
    const err = new ApiError(res.status, code, (data && data.message) || res.statusText, data);
    err.retryAfter = Number(res.headers.get("Retry-After")) || null;
    throw err;
  }
  return data;
}

export const get = (path, opts) => call("GET", path, opts);
export const post = (path, body, opts = {}) => call("POST", path, { ...opts, body });

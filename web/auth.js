// Who the fan is. `open`: the name they type (the local stack's default
// trusts it); `dev`: a token from the local development identity provider
// (`POST /dev/tokens`); `cognito`: the hosted sign-in page, authorization
// code with PKCE, the id token's `sub` as the user id.
import { post } from "./api.js";

const KEY = "concert.identity";
const VERIFIER = "concert.pkce";

export function current() {
  try {
    const who = JSON.parse(localStorage.getItem(KEY));
    if (who && (!who.expiresAt || who.expiresAt > Date.now())) return who;
  } catch { /* nothing stored */ }
  return null;
}

function remember(who) { localStorage.setItem(KEY, JSON.stringify(who)); return who; }
export function signOut() { localStorage.removeItem(KEY); }

function claims(idToken) {
  const part = idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
  return JSON.parse(json);
}

/** Signs in as `userId` where the stack lets a fan name themselves. */
export async function signInAs(mode, userId) {
  if (mode === "dev") {
    const { idToken } = await post("/dev/tokens", { userId });
    return remember({ userId, idToken, expiresAt: claims(idToken).exp * 1000 });
  }
  return remember({ userId });
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// The page the app is served from (CloudFront: the root; locally /app/).
function redirectUri() { return new URL(".", location.href).href; }

/** Leaves for Cognito's hosted sign-in page. */
export async function startHostedSignIn(cognito) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(VERIFIER, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: "code", client_id: cognito.clientId, redirect_uri: redirectUri(),
    scope: "openid email", code_challenge_method: "S256", code_challenge: challenge, state,
  });
  location.assign(`https://${cognito.domain}/oauth2/authorize?${q}`);
}

/** Back from the hosted page with `?code=`: the code for tokens. */
export async function finishHostedSignIn(cognito, params) {
  const saved = JSON.parse(sessionStorage.getItem(VERIFIER) || "null");
  sessionStorage.removeItem(VERIFIER);
  if (!saved || saved.state !== params.get("state")) throw new Error("로그인 요청이 일치하지 않습니다. 다시 로그인해 주세요.");
  const res = await fetch(`https://${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: cognito.clientId, code: params.get("code"),
      redirect_uri: redirectUri(), code_verifier: saved.verifier,
    }),
  });
  if (!res.ok) throw new Error("로그인하지 못했습니다. 다시 시도해 주세요.");
  const { id_token: idToken } = await res.json();
  const c = claims(idToken);
  return remember({ userId: c.sub, name: c.email || c.sub, idToken, expiresAt: c.exp * 1000 });
}

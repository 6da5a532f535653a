// ui/auth.js — who is logged in: the token and what it says about the user.
// Owned by the UI helper. The token is kept in localStorage so a reload (and
// a second tab) stays logged in; logout removes it. The token's payload is
// read only to show the user, municipality and role: the server verifies
// the signature and decides.

const KEY = 'samplan.auth';

function base64UrlDecode(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=');
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

// {user, municipality, plans, expires} from a JWT, or null when it is not one.
export function decodeToken(token) {
  const parts = String(token || '').trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const p = JSON.parse(base64UrlDecode(parts[1]));
    if (typeof p.sub !== 'string') return null;
    return { user: p.sub, municipality: p.mun || '', plans: p.plans || {}, expires: p.exp || 0 };
  } catch {
    return null;
  }
}

export function roleFor(auth, plan) {
  if (!auth) return null;
  const plans = auth.plans || {};
  return plans[plan] || plans['*'] || auth.role || null;
}

export function loadAuth(storage = globalThis.localStorage) {
  try {
    const a = JSON.parse(storage.getItem(KEY) || 'null');
    if (!a || !a.token) return null;
    if (a.expires && a.expires * 1000 < Date.now()) {
      storage.removeItem(KEY);
      return null;
    }
    return a;
  } catch {
    return null;
  }
}

export function saveAuth(auth, storage = globalThis.localStorage) {
  storage.setItem(KEY, JSON.stringify(auth));
}

export function clearAuth(storage = globalThis.localStorage) {
  storage.removeItem(KEY);
}

// An auth record from a pasted token; null when it cannot be a token.
export function authFromToken(token) {
  const info = decodeToken(token);
  if (!info) return null;
  return { token: token.trim(), ...info };
}

export async function demoLogin(user, fetchFn = globalThis.fetch) {
  const res = await fetchFn('/api/demo-login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || `HTTP ${res.status}`);
  const info = decodeToken(body.token) || {};
  return { token: body.token, user: body.user, municipality: body.municipality,
    role: body.role, plans: info.plans || {}, expires: body.expires || info.expires || 0 };
}

export async function api(path, auth, fetchFn = globalThis.fetch) {
  const res = await fetchFn(path, { headers: { Authorization: `Bearer ${auth.token}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((body.error && body.error.message) || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

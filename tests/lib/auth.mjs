// Logging in for API tests. Every route except the "public" ones needs a logged-in caller, so
// tests start a server on a demo database (`wangge demo` writes one account per built-in role to
// DB.accounts.json) and log in as the role they need:
//
//   const server = await startDemoServer();
//   const op = await loginAs(server, 'center_operator');
//   const res = await op.get('/api/v1/grids');          // { status, headers, body, text }
//   await op.post('/api/v1/grids', { ... });            // cookie + X-CSRF-Token sent for you
//
// Roles: center_operator, center_leader, dept_handler, grid_worker, sysadmin, secadmin, auditor.
// The administrators log in with a TOTP code computed here from their secret.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { advanceClock, hasTestClock, serverNow } from './clock.mjs';
import { makeTempDir, runCli, startServer } from './server.mjs';

// Cheap password hashing for tests (the floor is libsodium's minimum); see docs/security.md.
export const testEnv = {
  WANGGE_ARGON2_OPSLIMIT: '1',
  WANGGE_ARGON2_MEMLIMIT_KB: '1024',
};

/** Creates a demo database in a new temporary folder; resolves to its path. */
export async function makeDemoDb({ env = {} } = {}) {
  const dir = makeTempDir('wangge-demo-');
  const db = path.join(dir, 'wangge.db');
  const r = await runCli(['demo', '--db', db], { env: { ...testEnv, ...env } });
  if (r.code !== 0) throw new Error(`wangge demo failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return db;
}

/** Starts `wangge serve` on a fresh demo database (or db). Same options as startServer. */
export async function startDemoServer({ db, args = [], env = {} } = {}) {
  db = db || await makeDemoDb({ env });
  return startServer({ db, args, env: { ...testEnv, ...env } });
}

/** The demo accounts of a database: [{role, username, password, organisation, totp_secret?, user_id, org_id, region_code}]. */
export function readAccounts(db) {
  return JSON.parse(readFileSync(`${db}.accounts.json`, 'utf8'));
}

export function accountFor(db, role) {
  const a = readAccounts(db).find((x) => x.role === role || x.username === role);
  if (!a) throw new Error(`no demo account for ${role}`);
  return a;
}

// ---- TOTP (RFC 6238, SHA-1, 6 digits, 30 s) ----

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error('bad base32');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The TOTP code of a base32 secret for time step `step` (default: now). */
export function totpCode(secret, step = Math.floor(Date.now() / 1000 / 30)) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

// A code can be used once per step (the server refuses replays) and the server accepts one step
// either side of its now: hand out now-1, now, now+1 in turn. When all three are used, move the
// server's test clock to the next step (servers started with --enable-internal), or else wait
// for it. Steps are counted on the server's clock when server is given (tests/lib/clock.mjs):
// pass it whenever that server's clock may have been moved.
const lastStep = new Map();
export async function freshTotp(secret, server) {
  for (;;) {
    const now = Math.floor(serverNow(server) / 30);
    const last = lastStep.get(secret) ?? -Infinity;
    // The current step first: it stays valid through the next boundary (the server accepts one
    // step either side), whereas the previous one may expire between typing and submitting.
    for (const s of [now, now + 1, now - 1]) {
      if (s > last) { lastStep.set(secret, s); return totpCode(secret, s); }
    }
    if (last > now + 2) {
      throw new Error(`TOTP: step ${last} of this secret was used, but the server's clock is at step ${now}; `
        + 'was its clock moved back?');
    }
    if (hasTestClock(server)) {
      // To the start of the next step, plus a second of margin.
      await advanceClock(server, Math.ceil(30 - (serverNow(server) % 30)) + 1);
    } else {
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

// ---- a client with a session ----

function cookiesFrom(headers) {
  const jar = {};
  for (const c of headers.getSetCookie?.() ?? []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return jar;
}

async function call(url, { method = 'GET', body, headers = {} } = {}) {
  const h = new Headers(headers);
  if (!h.has('accept')) h.set('accept', 'application/json');
  let payload = body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    payload = JSON.stringify(body);
    if (!h.has('content-type')) h.set('content-type', 'application/json');
  }
  const res = await fetch(url, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A client for a session cookie (or an API token): request(method, path, body, headers). */
export function clientFor(server, { cookie, csrf, token, login } = {}) {
  const request = (method, p, body, headers = {}) => {
    const h = { ...headers };
    if (cookie && !('cookie' in h)) h.cookie = `wg_session=${cookie}`;
    if (csrf && method !== 'GET' && method !== 'HEAD' && !('x-csrf-token' in h)) h['x-csrf-token'] = csrf;
    if (token && !('authorization' in h)) h.authorization = `Bearer ${token}`;
    return call(server.url + p, { method, body, headers: h });
  };
  return {
    cookie, csrf, token, login,
    request,
    get: (p, headers) => request('GET', p, undefined, headers),
    post: (p, body, headers) => request('POST', p, body ?? {}, headers),
    put: (p, body, headers) => request('PUT', p, body ?? {}, headers),
    patch: (p, body, headers) => request('PATCH', p, body ?? {}, headers),
    del: (p, headers) => request('DELETE', p, undefined, headers),
  };
}

/** POST /api/v1/session; resolves to the raw answer plus the cookies it set. */
export async function login(server, username, password, extra = {}) {
  const res = await call(`${server.url}/api/v1/session`, {
    method: 'POST', body: { username, password, ...extra },
  });
  return { ...res, cookies: cookiesFrom(res.headers) };
}

/**
 * Logs in as the demo account of role (or a user name) on a server started on a demo database.
 * Resolves to a client (see clientFor) whose .login holds the login answer's body.
 */
export async function loginAs(server, role) {
  const a = accountFor(server.db, role);
  const extra = a.totp_secret ? { totp: await freshTotp(a.totp_secret, server) } : {};
  const res = await login(server, a.username, a.password, extra);
  if (res.status !== 200) throw new Error(`login as ${role} failed: ${res.status} ${res.text}`);
  return clientFor(server, { cookie: res.cookies.wg_session, csrf: res.body.csrf_token, login: res.body });
}

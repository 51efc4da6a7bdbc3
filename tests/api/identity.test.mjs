// Identity and access through the real server (issue 4): login, cookies and CSRF, logout,
// lockout (and its audit record), TOTP for administrators, enrolment and recovery codes, the
// first-login password change, separation of the three administrators, self-grant refusal,
// masking and audited unmasking, API tokens. The last test checks that no secret handed out
// during the file appears in the server log or in any later response.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  accountFor, clientFor, freshTotp, login, loginAs, startDemoServer, totpCode,
} from '../lib/auth.mjs';
import { serverNow } from '../lib/clock.mjs';

let server;
const secrets = new Set(); // every secret value handed out
const laterTexts = [];     // every response body read after the first secret was handed out

// Every item of a keyset-paged list, following next_cursor with small pages.
async function allPages(client, path, limit = 3) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await client.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['items', 'next_cursor']);
    assert.ok(r.body.items.length <= limit);
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
    if (!cursor) return items;
  }
  throw new Error(`${path}: too many pages`);
}

function remember(...values) { for (const v of values) if (v) secrets.add(v); }
function seen(res) { laterTexts.push(res.text + JSON.stringify([...res.headers.entries()].filter(([k]) => k !== 'set-cookie'))); return res; }

async function as(role) {
  const c = await loginAs(server, role);
  remember(c.cookie);
  const wrap = (fn) => async (...a) => seen(await fn(...a));
  return { ...c, get: wrap(c.get), post: wrap(c.post), put: wrap(c.put), patch: wrap(c.patch), del: wrap(c.del) };
}

before(async () => {
  // --enable-internal: the test clock, so TOTP steps are moved on instead of waited for.
  server = await startDemoServer({ args: ['--enable-internal'] });
  for (const role of ['sysadmin', 'secadmin', 'auditor', 'center_operator', 'center_leader', 'dept_handler', 'grid_worker']) {
    const a = accountFor(server.db, role);
    remember(a.password, a.totp_secret);
  }
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('login and sessions', () => {
  test('login sets HttpOnly SameSite=Strict cookies and returns who I am', async () => {
    const a = accountFor(server.db, 'center_operator');
    const res = await login(server, a.username, a.password);
    assert.equal(res.status, 200);
    remember(res.cookies.wg_session);
    const cookies = res.headers.getSetCookie();
    const sess = cookies.find((c) => c.startsWith('wg_session='));
    assert.match(sess, /HttpOnly/);
    assert.match(sess, /SameSite=Strict/);
    assert.match(sess, /Path=\//);
    assert.doesNotMatch(sess, /Secure/);
    const csrf = cookies.find((c) => c.startsWith('wg_csrf='));
    assert.doesNotMatch(csrf, /HttpOnly/);
    assert.equal(res.cookies.wg_csrf, res.body.csrf_token);
    assert.equal(res.body.user.username, 'operator');
    assert.ok(res.body.permissions.includes('grid.write'));
    assert.deepEqual(res.body.roles.map((r) => r.name), ['center_operator']);
    assert.equal(res.body.must_change_password, false);
    assert.equal(res.body.totp_required, false);
    assert.equal(res.cookies.wg_session.length, 43);
  });

  test('wrong password and unknown user answer alike', async () => {
    const a = await login(server, 'leader', 'Wrong-password-1');
    const b = await login(server, 'no-such-user', 'Wrong-password-1');
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.equal(a.body.error.code, 'bad_credentials');
    assert.deepEqual(a.body, b.body);
  });

  test('no login: 401; public routes stay open', async () => {
    const c = clientFor(server, {});
    assert.equal((await c.get('/api/v1/session')).status, 401);
    assert.equal((await c.get('/api/v1/grids')).body.error.code, 'unauthenticated');
    assert.equal((await c.get('/healthz')).status, 200);
    const bad = clientFor(server, { cookie: 'x'.repeat(43) });
    assert.equal((await bad.get('/api/v1/session')).body.error.code, 'session_expired');
  });

  test('CSRF: cookie-authenticated writes need X-CSRF-Token', async () => {
    const op = await as('center_operator');
    const noCsrf = clientFor(server, { cookie: op.cookie });
    let r = await noCsrf.patch(`/api/v1/orgs/${op.login.org.id}`, {});
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'csrf_failed');
    r = await noCsrf.patch(`/api/v1/orgs/${op.login.org.id}`, {}, { 'x-csrf-token': 'A'.repeat(43) });
    assert.equal(r.body.error.code, 'csrf_failed');
    // With the token the request gets through to the permission check (operator lacks org.write).
    r = await op.patch(`/api/v1/orgs/${op.login.org.id}`, {});
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'forbidden');
    // GETs need no token.
    assert.equal((await noCsrf.get('/api/v1/session')).status, 200);
  });

  test('logout ends the session; log out everywhere ends all of them', async () => {
    const one = await as('center_leader');
    const two = await as('center_leader');
    assert.equal((await one.del('/api/v1/session')).status, 200);
    assert.equal((await one.get('/api/v1/session')).status, 401);
    assert.equal((await two.get('/api/v1/session')).status, 200);
    const three = await as('center_leader');
    assert.equal((await three.del('/api/v1/sessions')).status, 200);
    assert.equal((await two.get('/api/v1/session')).status, 401);
    assert.equal((await three.get('/api/v1/session')).status, 401);
  });
});

describe('timeouts', () => {
  // Idle timeout and absolute lifetime: tests/api/clock.test.mjs (the test clock, no sleeping).

  test('--secure-cookies marks cookies Secure', async () => {
    const s = await startDemoServer({ args: ['--secure-cookies'] });
    try {
      const a = accountFor(s.db, 'center_operator');
      const res = await login(s, a.username, a.password);
      for (const c of res.headers.getSetCookie()) assert.match(c, /; Secure/);
    } finally {
      await s.stop();
    }
  });
});

describe('lockout', () => {
  test('five wrong passwords lock the account; the lock is audited and can be released', async () => {
    const a = accountFor(server.db, 'dept_handler');
    for (let i = 0; i < 5; i++) assert.equal((await login(server, a.username, `Wrong-pass-${i}x`)).status, 401);
    const locked = await login(server, a.username, a.password);
    assert.equal(locked.status, 423);
    assert.equal(locked.body.error.code, 'account_locked');

    const auditor = await as('auditor');
    const r = await auditor.get('/api/v1/audit?action=login.lockout');
    assert.equal(r.status, 200);
    assert.ok(r.body.items.some((x) => x.object === `account:${a.username}`), JSON.stringify(r.body));
    const fails = await auditor.get(`/api/v1/audit?user=${a.username}&action=session.login&outcome=failure`);
    assert.ok(fails.body.items.length >= 5, JSON.stringify(fails.body));
    const denied = await auditor.get(`/api/v1/audit?user=${a.username}&outcome=denied`);
    assert.ok(denied.body.items.some((x) => x.detail.startsWith('账号已锁定')), JSON.stringify(denied.body));

    const sec = await as('secadmin');
    const lock = (await allPages(sec, '/api/v1/lockouts')).find((x) => x.subject === a.username);
    assert.ok(lock);
    assert.equal((await sec.del(`/api/v1/lockouts/${lock.id}`)).status, 200);
    assert.equal((await login(server, a.username, a.password)).status, 200);
    const released = await auditor.get('/api/v1/audit?action=lockout.release');
    assert.equal(released.body.items[0].username, 'secadmin');
  });
});

describe('TOTP', () => {
  test('administrators need a TOTP code; codes cannot be reused', async () => {
    const a = accountFor(server.db, 'sysadmin');
    let r = await login(server, a.username, a.password);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'totp_required');
    r = await login(server, a.username, a.password, { totp: '12345' });
    assert.equal(r.body.error.code, 'totp_invalid');
    const code = await freshTotp(a.totp_secret, server);
    r = await login(server, a.username, a.password, { totp: code });
    assert.equal(r.status, 200);
    remember(r.cookies.wg_session);
    assert.equal(r.body.totp_required, true);
    assert.equal(r.body.totp_enrolled, true);
    r = await login(server, a.username, a.password, { totp: code });
    assert.equal(r.status, 401, 'replayed code');
  });

  test('enrolment with recovery codes (optional for other roles)', async () => {
    const w = await as('grid_worker');
    const begin = await w.post('/api/v1/session/totp', { password: accountFor(server.db, 'grid_worker').password });
    assert.equal(begin.status, 200);
    const secret = begin.body.secret;
    remember(secret);
    assert.match(begin.body.otpauth_uri, /^otpauth:\/\/totp\/wangge:worker\?secret=/);
    const now = () => totpCode(secret, Math.floor(serverNow(server) / 30)); // on the server's clock
    let r = await w.post('/api/v1/session/totp/confirm', { code: '000000' === now() ? '111111' : '000000' });
    assert.equal(r.status, 400);
    r = await w.post('/api/v1/session/totp/confirm', { code: now() });
    assert.equal(r.status, 200);
    assert.equal(r.body.recovery_codes.length, 10);
    const codes = r.body.recovery_codes;
    remember(...codes);
    assert.equal((await w.post('/api/v1/session/totp', { password: accountFor(server.db, 'grid_worker').password })).status, 409, 'no second enrolment');

    const a = accountFor(server.db, 'grid_worker');
    r = await login(server, a.username, a.password);
    assert.equal(r.body.error.code, 'totp_required');
    r = await login(server, a.username, a.password, { recovery_code: codes[0].toUpperCase() });
    assert.equal(r.status, 200);
    remember(r.cookies.wg_session);
    assert.equal(r.body.recovery_codes_left, 9);
    r = await login(server, a.username, a.password, { recovery_code: codes[0] });
    assert.equal(r.status, 401, 'recovery codes are single use');

    // The security administrator resets it (lost phone); the worker logs in with a password again.
    const sec = await as('secadmin');
    assert.equal((await sec.del(`/api/v1/users/${a.user_id}/totp`)).status, 200);
    assert.equal((await login(server, a.username, a.password)).status, 200);
  });
});

describe('administration and separation of duties', () => {
  test('new account: sysadmin creates, secadmin grants, user changes the one-time password', async () => {
    const sys = await as('sysadmin');
    const sec = await as('secadmin');
    const op = accountFor(server.db, 'center_operator');
    let r = await sys.post('/api/v1/users', { username: 'zhang.san', display_name: '张三', org_id: op.org_id, phone: '13900001111' });
    assert.equal(r.status, 201, r.text);
    const id = r.body.id;
    const otp = r.body.one_time_password;
    remember(otp);
    assert.equal(r.body.must_change_password, true);
    assert.deepEqual(r.body.roles, []);
    assert.equal(r.body.phone, '139****1111');

    r = await sys.put(`/api/v1/users/${id}/roles`, { roles: ['center_operator'] });
    assert.equal(r.status, 403, 'sysadmin cannot grant roles');
    r = await sec.post('/api/v1/users', { username: 'li.si', display_name: '李四', org_id: op.org_id });
    assert.equal(r.status, 403, 'secadmin cannot create users');
    r = await sec.put(`/api/v1/users/${id}/roles`, { roles: ['center_operator', 'auditor'] });
    assert.equal(r.status, 200, 'business + one admin family is allowed');
    r = await sec.put(`/api/v1/users/${id}/roles`, { roles: ['sysadmin', 'auditor'] });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'separation');
    r = await sec.put(`/api/v1/users/${id}/roles`, { roles: ['center_operator'] });
    assert.equal(r.status, 200);

    let l = await login(server, 'zhang.san', otp);
    assert.equal(l.status, 200);
    assert.equal(l.body.must_change_password, true);
    const u = clientFor(server, { cookie: l.cookies.wg_session, csrf: l.body.csrf_token });
    remember(u.cookie);
    assert.equal((await u.get('/api/v1/grids')).body.error.code, 'password_change_required');
    r = await u.put('/api/v1/session/password', { old_password: otp, new_password: 'short' });
    assert.equal(r.body.error.code, 'weak_password');
    r = await u.put('/api/v1/session/password', { old_password: otp, new_password: 'zhang.san-Pass-2024' });
    assert.equal(r.body.error.code, 'weak_password', 'contains the user name');
    r = await u.put('/api/v1/session/password', { old_password: 'nope', new_password: 'Gl0bal-Harbour-7' });
    assert.equal(r.body.error.code, 'wrong_password');
    r = await u.put('/api/v1/session/password', { old_password: otp, new_password: 'Gl0bal-Harbour-7' });
    assert.equal(r.status, 200);
    remember('Gl0bal-Harbour-7');
    assert.equal((await u.get('/api/v1/grids')).status, 200);
    assert.equal((await login(server, 'zhang.san', otp)).status, 401, 'the one-time password is gone');
  });

  test('three administrators: none does another\'s work', async () => {
    const sys = await as('sysadmin');
    const sec = await as('secadmin');
    const aud = await as('auditor');
    for (const [c, path] of [[sys, '/api/v1/roles'], [sys, '/api/v1/audit'], [sys, '/api/v1/tokens'], [sys, '/api/v1/lockouts'],
      [sec, '/api/v1/audit'], [sec, '/api/v1/audit/export'], [aud, '/api/v1/users'], [aud, '/api/v1/roles'], [aud, '/api/v1/orgs']]) {
      const r = await c.get(path);
      assert.equal(r.status, 403, `${c.login.user.username} GET ${path}`);
    }
    assert.equal((await aud.post('/api/v1/roles', { name: 'x', label: 'x', permissions: [] })).status, 403);
    assert.equal((await sec.post('/api/v1/orgs', { name: '某部门', kind: 'department', region_code: '371502000000' })).status, 403);
    assert.equal((await sys.post('/api/v1/orgs', { name: '东昌府区民政局', kind: 'department', region_code: '371502000000' })).status, 201);
    // Custom roles cannot mix administrator families either.
    const r = await sec.post('/api/v1/roles', { name: 'superuser', label: '超级用户', permissions: ['user.write', 'audit.read'] });
    assert.equal(r.status, 409);
    const ok = await sec.post('/api/v1/roles', { name: 'grid_checker', label: '网格检查员', permissions: ['grid.read', 'grid.check'] });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.permissions, ['grid.read', 'grid.check']);
  });

  test('no user grants itself a role; the refusal is audited', async () => {
    const sec = await as('secadmin');
    const me = sec.login.user.id;
    const r = await sec.put(`/api/v1/users/${me}/roles`, { roles: ['secadmin', 'center_leader'] });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'self_grant');
    const aud = await as('auditor');
    const log = await aud.get('/api/v1/audit?action=user.roles&outcome=denied');
    assert.ok(log.body.items.some((x) => x.username === 'secadmin' && x.object === `user:${me}`));
  });

  test('out-of-scope objects answer 404', async () => {
    const op = await as('center_operator');
    const sysAcc = accountFor(server.db, 'sysadmin');
    assert.equal((await op.get(`/api/v1/users/${sysAcc.user_id}`)).status, 404);
    assert.equal((await op.get(`/api/v1/orgs/${sysAcc.org_id}`)).status, 404);
    assert.equal((await op.get(`/api/v1/users/${op.login.user.id}`)).status, 200);
    assert.equal((await op.get('/api/v1/users/999999')).status, 404);
    const list = await allPages(op, '/api/v1/users');
    assert.ok(list.length > 0);
    assert.ok(list.every((u) => u.username !== 'sysadmin'));
  });
});

describe('sensitive data', () => {
  test('ID numbers and phones are masked; unmasking needs the right and a reason, and is audited', async () => {
    const worker = accountFor(server.db, 'grid_worker');
    const leader = await as('center_leader');
    let r = await leader.get(`/api/v1/users/${worker.user_id}`);
    assert.equal(r.status, 200);
    assert.match(r.body.id_number, /^3\*{16}[0-9X]$/);
    assert.equal(r.body.phone, '138****5678');
    assert.equal(r.body.masked, true);
    const all = await allPages(leader, '/api/v1/users', 50);
    assert.ok(all.every((u) => !u.id_number || /^\S\*+\S$/.test(u.id_number)));

    r = await leader.get(`/api/v1/users/${worker.user_id}?unmask=1`);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'reason_required');
    r = await leader.get(`/api/v1/users/${worker.user_id}?unmask=1&reason=${encodeURIComponent('核查网格员资格')}`);
    assert.equal(r.status, 200);
    assert.match(r.body.id_number, /^371502199003071\d{2}[0-9X]$/);
    assert.equal(r.body.phone, '13812345678');
    assert.equal(r.body.masked, false);

    const op = await as('center_operator');
    r = await op.get(`/api/v1/users/${worker.user_id}?unmask=1&reason=${encodeURIComponent('想看看')}`);
    assert.equal(r.status, 403);

    const aud = await as('auditor');
    const log = await aud.get('/api/v1/audit?action=sensitive.unmask');
    const ok = log.body.items.find((x) => x.outcome === 'success');
    assert.equal(ok.username, 'leader');
    assert.equal(ok.object, `user:${worker.user_id}`);
    assert.equal(ok.detail, '理由：核查网格员资格');
    assert.ok(log.body.items.some((x) => x.outcome === 'denied' && x.username === 'operator'));
  });
});

describe('API tokens', () => {
  test('secadmin issues a token bound to an organisation and permissions; it can be revoked', async () => {
    const sec = await as('secadmin');
    const op = accountFor(server.db, 'center_operator');
    let r = await sec.post('/api/v1/tokens', { name: '12345热线', org_id: op.org_id, permissions: ['user.write'], expires_in_days: 30 });
    assert.equal(r.status, 400, 'administrator permissions cannot go on a token');
    r = await sec.post('/api/v1/tokens', { name: '12345热线', org_id: op.org_id, permissions: ['grid.read', 'region.read'], expires_in_days: 30 });
    assert.equal(r.status, 201, r.text);
    const token = r.body.token;
    remember(token);
    assert.match(token, /^wgt_[A-Za-z0-9_-]{43}$/);
    const list = await sec.get('/api/v1/tokens');
    assert.ok(list.body.items.some((t) => t.id === r.body.id && t.active && t.prefix === token.slice(0, 12)));

    const t = clientFor(server, { token });
    const wrap = async (p) => seen(await t.get(p));
    assert.equal((await wrap('/api/v1/grids')).status, 200);
    const who = await wrap('/api/v1/session');
    assert.equal(who.body.kind, 'token');
    assert.equal(who.body.org.region_code, '371502000000');
    assert.equal((await wrap('/api/v1/users')).status, 403);
    // Tokens are not cookies: no CSRF token needed, but they only do what they carry.
    assert.equal(seen(await t.post('/api/v1/grids', {})).status, 403);
    assert.equal((await sec.del(`/api/v1/tokens/${r.body.id}`)).status, 200);
    const gone = await wrap('/api/v1/grids');
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.code, 'invalid_token');
  });
});

describe('lists, bodies and times', () => {
  const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;

  test('users, organisations and tokens page by cursor: every item once, the same as one big page', async () => {
    const sys = await as('sysadmin');
    const sec = await as('secadmin');
    for (const [c, path] of [[sys, '/api/v1/users'], [sys, '/api/v1/orgs'], [sec, '/api/v1/tokens']]) {
      const small = await allPages(c, path, 2);
      const big = await c.get(`${path}?limit=200`);
      assert.equal(big.status, 200, big.text);
      assert.equal(big.body.next_cursor, null);
      assert.deepEqual(small.map((x) => x.id), big.body.items.map((x) => x.id), path);
      assert.equal(new Set(small.map((x) => x.id)).size, small.length, `${path}: no item twice`);
    }
    // Organisations come in region order, so a county's units stay together.
    const orgs = await allPages(sys, '/api/v1/orgs', 2);
    assert.ok(orgs.length >= 4);
    assert.equal((await sys.get('/api/v1/users?limit=500')).body.error.code, 'bad_limit');
    assert.equal((await sys.get('/api/v1/users?cursor=%%%')).body.error.code, 'bad_cursor');
    assert.equal((await sys.get('/api/v1/orgs?cursor=bm90LWFuLWlk')).body.error.code, 'bad_cursor');
  });

  test('times are RFC 3339 in Asia/Shanghai', async () => {
    const sys = await as('sysadmin');
    const sec = await as('secadmin');
    const u = (await sys.get('/api/v1/users?limit=1')).body.items[0];
    assert.match(u.created_at, RFC3339);
    assert.match(u.password_changed_at, RFC3339);
    const o = (await sys.get('/api/v1/orgs?limit=1')).body.items[0];
    assert.match(o.created_at, RFC3339);
    assert.match(o.updated_at, RFC3339);
    const t = (await sec.get('/api/v1/tokens?limit=1')).body.items[0];
    assert.match(t.created_at, RFC3339);
    assert.match(t.expires_at, RFC3339);
    const me = await sys.get('/api/v1/session');
    assert.equal(me.status, 200);
  });

  test('unknown body fields are refused on every identity write', async () => {
    const sys = await as('sysadmin');
    const sec = await as('secadmin');
    const op = accountFor(server.db, 'center_operator');
    const cases = [
      [sys, 'post', '/api/v1/users', { username: 'x.extra', display_name: '某', org_id: op.org_id, role: 'sysadmin' }],
      [sys, 'patch', `/api/v1/users/${op.user_id}`, { display_name: '某', password: 'x' }],
      [sys, 'post', `/api/v1/users/${op.user_id}/password-reset`, { notify: true }],
      [sys, 'post', '/api/v1/orgs', { name: '某', kind: 'department', region_code: '371502000000', parent: 1 }],
      [sys, 'patch', `/api/v1/orgs/${op.org_id}`, { name: '某', kind: 'center' }],
      [sec, 'put', `/api/v1/users/${op.user_id}/roles`, { roles: [], reason: '' }],
      [sys, 'put', `/api/v1/users/${op.user_id}/grids`, { grid_ids: [], all: true }],
      [sec, 'post', '/api/v1/roles', { name: 'abc', label: '某', permissions: [], builtin: true }],
      [sec, 'post', '/api/v1/tokens', { name: '某', org_id: op.org_id, permissions: ['grid.read'], scope: 'all' }],
      [sys, 'put', '/api/v1/session/password', { old_password: 'a', new_password: 'b', force: true }],
      [sys, 'post', '/api/v1/session/totp/confirm', { code: '123456', secret: 'x' }],
    ];
    for (const [c, m, path, body] of cases) {
      const r = await c[m](path, body);
      assert.equal(r.status, 400, `${m} ${path}: ${r.text}`);
      assert.equal(r.body.error.code, 'unknown_field', `${m} ${path}`);
    }
    const l = await login(server, 'operator', 'whatever', { remember_me: true });
    assert.equal(l.status, 400);
    assert.equal(l.body.error.code, 'unknown_field');
  });
});

describe('secrets', () => {
  test('the audit export is CSV and is itself audited', async () => {
    const aud = await as('auditor');
    const r = await aud.get('/api/v1/audit/export?action=session.*');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    assert.match(r.text, /^\ufeff?"编号"/); // fetch drops the BOM the server sends for Excel
    const log = await aud.get('/api/v1/audit?action=audit.export');
    assert.equal(log.body.items[0].username, 'auditor');
  });

  test('no password, token, TOTP secret or session id in the log or in later responses', async () => {
    const logs = server.logs();
    assert.ok(secrets.size > 15, `collected ${secrets.size} secrets`);
    for (const s of secrets) {
      assert.ok(!logs.includes(s), `secret found in the server log: ${s.slice(0, 4)}…`);
      for (const t of laterTexts) assert.ok(!t.includes(s) || isFirstShowing(t, s), `secret repeated in a response: ${s.slice(0, 4)}…: ${t.slice(0, 300)}`);
    }
  });
});

// Responses that hand a secret out for the first time (enrolment, recovery codes, new token,
// one-time password) are allowed to contain it.
function isFirstShowing(text, s) {
  return (text.includes('"secret"') || text.includes('"recovery_codes"') || text.includes('"one_time_password"')
    || text.includes('"token":"wgt_')) && text.split(s).length <= (text.includes('otpauth_uri') ? 3 : 2);
}

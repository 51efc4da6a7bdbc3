// Login hardening (issue 8, items 5 and 6): attempts are reserved on the writer before the
// password is verified, so parallel wrong passwords get at most the threshold verified; account
// locks grow with backoff; a locked account's owner still logs in with password and TOTP from an
// address with no recent failures, and the answer never tells an attacker whether a password was
// right; `wangge user lockout-release` ends locks from the host; wrong old passwords on password
// change, TOTP enrolment begin and TOTP disabling count as login failures and end the session; the
// security settings show the lockout backoff and the caller cache; a login replaces the session cookie it was
// sent. Client addresses come through a trusted proxy (X-Forwarded-For from 127.0.0.1), so one
// test process can act from many addresses. Time passes by the test clock, never by sleeping.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { accountFor, clientFor, freshTotp, loginAs, startDemoServer, testEnv, totpCode } from '../lib/auth.mjs';
import { advanceClock, serverNow } from '../lib/clock.mjs';
import { runCli } from '../lib/server.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

async function withServer(env, fn) {
  const s = await startDemoServer({ args: ['--enable-internal', '--trusted-proxy', '127.0.0.1'], env });
  try {
    await fn(s);
  } finally {
    assert.equal(await s.stop(), 0);
  }
}

/** POST /api/v1/session from address `from` (through the trusted proxy); resolves to {status, code, body, cookie}. */
async function attempt(s, { username, password, totp, from = '198.51.100.1', cookie }) {
  const headers = { 'content-type': 'application/json', 'x-forwarded-for': from };
  if (cookie) headers.cookie = `wg_session=${cookie}`;
  const body = { username, password };
  if (totp) body.totp = totp;
  const res = await fetch(`${s.url}/api/v1/session`, { method: 'POST', headers, body: JSON.stringify(body) });
  const parsed = await res.json();
  const set = (res.headers.getSetCookie?.() ?? []).find((c) => c.startsWith('wg_session='));
  return { status: res.status, code: parsed?.error?.code, body: parsed, cookie: set ? set.split(';')[0].slice('wg_session='.length) : undefined };
}

const lockEnv = { WANGGE_LOCKOUT_ACCOUNT_FAILURES: '3', WANGGE_LOCKOUT_WINDOW_S: '600', WANGGE_LOCKOUT_DURATION_S: '900' };

describe('reserving attempts', () => {
  // A name nobody has is verified against a hash of the configured cost (so timing does not tell
  // which names exist): a costlier Argon2 here keeps the attempts in flight together.
  test('parallel wrong passwords: at most the threshold is verified, then the account is locked', () => withServer(
    { WANGGE_LOCKOUT_ADDRESS_FAILURES: '1000', WANGGE_ARGON2_MEMLIMIT_KB: '16384' },
    async (s) => {
      const N = 5; // the default threshold
      const a = { username: 'ghost.user', password: 'Some-Password-1x' };
      const all = await Promise.all(Array.from({ length: 4 * N }, (_, i) => attempt(s, {
        username: a.username, password: `Wrong-pass-${i}x`, from: `198.51.100.${i + 1}`,
      })));
      const verified = all.filter((r) => r.status === 401);
      assert.ok(verified.length <= N, `${verified.length} of ${4 * N} parallel attempts were verified (threshold ${N})`);
      assert.ok(all.every((r) => r.status === 401 || r.code === 'account_locked'), JSON.stringify(all.map((r) => r.status)));
      // Each verification was recorded as a wrong password; every other attempt was refused unverified.
      const wrong = Number(sql(s.db, `SELECT count(*) FROM audit_log WHERE action = 'session.login' AND username = '${a.username}' AND detail LIKE '用户不存在%'`));
      assert.ok(wrong <= N, `${wrong} Argon2 verifications recorded`);
      assert.equal((await attempt(s, { username: a.username, password: a.password, from: '203.0.113.9' })).code, 'account_locked');
    },
  ));

  test('a right password after wrong ones clears the count; sequential failures lock at the threshold', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'dept_handler');
      for (let i = 0; i < 2; i++) assert.equal((await attempt(s, { username: a.username, password: 'Wrong-pass-1x' })).status, 401);
      assert.equal((await attempt(s, { username: a.username, password: a.password })).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await attempt(s, { username: a.username, password: 'Wrong-pass-1x' })).status, 401);
      assert.equal((await attempt(s, { username: a.username, password: a.password })).code, 'account_locked');
      // No reservation is left behind by the refused attempt.
      assert.equal(sql(s.db, `SELECT count(*) FROM login_failures WHERE username = '${a.username}'`), '3');
    },
  ));
});

describe('backoff', () => {
  test('each lock that follows an unforgiven one lasts twice as long; the owner\'s login starts over', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'dept_handler');
      const fail3 = async () => {
        for (let i = 0; i < 3; i++) assert.equal((await attempt(s, { username: a.username, password: `Wrong-pass-${i}x` })).status, 401);
      };
      const right = async () => (await attempt(s, { username: a.username, password: a.password })).status;
      await fail3();
      assert.equal(await right(), 423, 'first lock');
      await advanceClock(s, 902); // the first lock (900 s) is over, its failures out of the window
      await fail3();
      assert.equal(await right(), 423, 'second lock');
      await advanceClock(s, 1798);
      assert.equal(await right(), 423, 'the second lock lasts 1800 s, not 900');
      await advanceClock(s, 4);
      assert.equal(await right(), 200, 'open after 1800 s');
      // The owner logged in: the next lock starts again at 900 s.
      await fail3();
      assert.equal(await right(), 423);
      await advanceClock(s, 902);
      assert.equal(await right(), 200, 'back to the first duration');
      const d = sql(s.db, `SELECT group_concat(until - locked_at, ',') FROM (SELECT * FROM lockouts WHERE kind = 'account' AND subject = '${a.username}' ORDER BY id)`);
      assert.equal(d, '900,1800,900');
    },
  ));

  test('the doubling stops at the maximum', () => withServer(
    { ...lockEnv, WANGGE_LOCKOUT_MAX_DURATION_S: '2000' },
    async (s) => {
      const a = accountFor(s.db, 'grid_worker');
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 3; i++) await attempt(s, { username: a.username, password: 'Wrong-pass-1x' });
        await advanceClock(s, 2002);
      }
      const d = sql(s.db, `SELECT group_concat(until - locked_at, ',') FROM (SELECT * FROM lockouts WHERE kind = 'account' AND subject = '${a.username}' ORDER BY id)`);
      assert.equal(d, '900,1800,2000');
    },
  ));
});

describe('the owner of a locked account', () => {
  test('gets in with password and TOTP from an address with no recent failures; nobody else learns anything', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'secadmin');
      const attacker = '203.0.113.66';
      for (let i = 0; i < 3; i++) assert.equal((await attempt(s, { username: a.username, password: `Wrong-pass-${i}x`, from: attacker })).status, 401);
      const fresh = () => freshTotp(a.totp_secret, s);
      // From the attacker's address even the owner's credentials are refused.
      assert.equal((await attempt(s, { username: a.username, password: a.password, totp: await fresh(), from: attacker })).code, 'account_locked');
      // Without a second factor: locked (not "totp_required", which would confirm the password).
      assert.equal((await attempt(s, { username: a.username, password: a.password, from: '198.51.100.20' })).code, 'account_locked');
      // A wrong code or a wrong password answer the same, and spend that address's try.
      const farCode = totpCode(a.totp_secret, Math.floor(serverNow(s) / 30) + 100);
      assert.equal((await attempt(s, { username: a.username, password: a.password, totp: farCode, from: '198.51.100.21' })).code, 'account_locked');
      assert.equal((await attempt(s, { username: a.username, password: a.password, totp: await fresh(), from: '198.51.100.21' })).code, 'account_locked', 'one try per address');
      assert.equal((await attempt(s, { username: a.username, password: 'Wrong-pass-9x', totp: await fresh(), from: '198.51.100.22' })).code, 'account_locked');
      // The owner, from a clean address, with password and code.
      const ok = await attempt(s, { username: a.username, password: a.password, totp: await fresh(), from: '198.51.100.23' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const sec = clientFor(s, { cookie: ok.cookie, csrf: ok.body.csrf_token });
      const locks = await sec.get('/api/v1/lockouts');
      assert.ok(!locks.body.items.some((l) => l.subject === a.username), 'the lock ended with the owner\'s login');
      assert.equal(sql(s.db, `SELECT count(*) FROM audit_log WHERE action = 'session.login' AND outcome = 'success' AND username = '${a.username}' AND detail LIKE '账号锁定期间凭第二因素登录%'`), '1');
    },
  ));

  test('an account without TOTP stays locked whatever it sends', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'center_operator');
      for (let i = 0; i < 3; i++) await attempt(s, { username: a.username, password: 'Wrong-pass-1x', from: '203.0.113.7' });
      const r = await attempt(s, { username: a.username, password: a.password, totp: '123456', from: '198.51.100.30' });
      assert.equal(r.code, 'account_locked');
    },
  ));

  test('locks per address keep working', () => withServer(
    { ...lockEnv, WANGGE_LOCKOUT_ADDRESS_FAILURES: '4' },
    async (s) => {
      const from = '203.0.113.40';
      for (let i = 0; i < 4; i++) assert.equal((await attempt(s, { username: `nobody${i}`, password: 'Wrong-pass-1x', from })).status, 401);
      const a = accountFor(s.db, 'dept_handler');
      assert.equal((await attempt(s, { username: a.username, password: a.password, from })).code, 'address_locked');
      assert.equal((await attempt(s, { username: a.username, password: a.password, from: '203.0.113.41' })).status, 200);
    },
  ));
});

describe('wangge user lockout-release', () => {
  test('ends the locks of an account or an address from the host, audited', async () => {
    const s = await startDemoServer({ args: ['--enable-internal', '--trusted-proxy', '127.0.0.1'], env: { ...lockEnv, WANGGE_LOCKOUT_ADDRESS_FAILURES: '4' } });
    try {
      const a = accountFor(s.db, 'dept_handler');
      for (let i = 0; i < 3; i++) await attempt(s, { username: a.username, password: 'Wrong-pass-1x', from: '203.0.113.50' });
      assert.equal((await attempt(s, { username: a.username, password: a.password, from: '198.51.100.50' })).code, 'account_locked');
      let r = await runCli(['user', 'lockout-release', '--db', s.db, '--username', a.username], { env: testEnv });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /1 lock\(s\) released/);
      assert.equal((await attempt(s, { username: a.username, password: a.password, from: '198.51.100.50' })).status, 200);
      r = await runCli(['user', 'lockout-release', '--db', s.db, '--username', a.username], { env: testEnv });
      assert.equal(r.code, 1, 'nothing left to release');

      const from = '203.0.113.51';
      for (let i = 0; i < 4; i++) await attempt(s, { username: `nobody${i}`, password: 'Wrong-pass-1x', from });
      assert.equal((await attempt(s, { username: a.username, password: a.password, from })).code, 'address_locked');
      r = await runCli(['user', 'lockout-release', '--db', s.db, '--address', from], { env: testEnv });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await attempt(s, { username: a.username, password: a.password, from })).status, 200);

      const rec = sql(s.db, "SELECT group_concat(object || '|' || outcome || '|' || source, ';') FROM audit_log WHERE action = 'lockout.release'");
      assert.equal(rec, `account:${a.username}|success|cli;account:${a.username}|denied|cli;address:${from}|success|cli`);
      assert.equal((await runCli(['user', 'lockout-release', '--db', s.db])).code, 2);
      assert.equal((await runCli(['user', 'lockout-release', '--db', s.db, '--username', 'a', '--address', 'b'])).code, 2);
    } finally {
      assert.equal(await s.stop(), 0);
    }
    // The command appended to the chain beside the running server: it still holds.
    const check = await runCli(['check', '--db', s.db]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});

describe('password change', () => {
  test('wrong old passwords count as login failures and end the session at the threshold', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'center_operator');
      const op = await loginAs(s, 'center_operator');
      const change = () => op.put('/api/v1/session/password', { old_password: 'Wrong-pass-1x', new_password: 'Another-Secret-42' });
      for (let i = 0; i < 2; i++) assert.equal((await change()).body.error.code, 'wrong_password');
      assert.equal((await op.get('/api/v1/session')).status, 200, 'below the threshold the session lives');
      const third = await change();
      assert.equal(third.status, 401);
      assert.equal(third.body.error.code, 'session_ended');
      assert.equal((await op.get('/api/v1/session')).body.error.code, 'session_expired');
      assert.equal((await attempt(s, { username: a.username, password: a.password })).code, 'account_locked');
    },
  ));

  test('parallel wrong old passwords get at most the threshold verified', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'center_leader');
      const c = await loginAs(s, 'center_leader');
      const all = await Promise.all(Array.from({ length: 12 }, (_, i) => c.put('/api/v1/session/password', { old_password: `Wrong-pass-${i}x`, new_password: 'Another-Secret-42' })));
      assert.ok(all.every((r) => r.status === 400 || r.status === 401), JSON.stringify(all.map((r) => r.status)));
      assert.ok(all.some((r) => r.body?.error?.code === 'session_ended'));
      // One reserved attempt per verification; the rest were refused unverified.
      assert.ok(Number(sql(s.db, `SELECT count(*) FROM login_failures WHERE username = '${a.username}'`)) <= 3);
      assert.equal((await c.get('/api/v1/session')).status, 401);
    },
  ));

  test('a right old password gives its attempt back', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'grid_worker');
      const w = await loginAs(s, 'grid_worker');
      assert.equal((await w.put('/api/v1/session/password', { old_password: 'Wrong-pass-1x', new_password: 'Another-Secret-42' })).status, 400);
      assert.equal((await w.put('/api/v1/session/password', { old_password: a.password, new_password: a.password })).body.error.code, 'same_password');
      assert.equal((await w.put('/api/v1/session/password', { old_password: a.password, new_password: 'Another-Secret-42' })).status, 200);
      assert.equal(sql(s.db, `SELECT count(*) FROM login_failures WHERE username = '${a.username}'`), '1', 'only the wrong one counts');
    },
  ));
});

describe('TOTP enrolment and disabling', () => {
  test('wrong passwords at TOTP begin count as login failures and end the session at the threshold', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'center_operator');
      const op = await loginAs(s, 'center_operator');
      const begin = () => op.post('/api/v1/session/totp', { password: 'Wrong-pass-1x' });
      for (let i = 0; i < 2; i++) assert.equal((await begin()).body.error.code, 'wrong_password');
      assert.equal((await op.get('/api/v1/session')).status, 200, 'below the threshold the session lives');
      const third = await begin();
      assert.equal(third.status, 401);
      assert.equal(third.body.error.code, 'session_ended');
      assert.equal((await op.get('/api/v1/session')).body.error.code, 'session_expired');
      assert.equal((await attempt(s, { username: a.username, password: a.password })).code, 'account_locked');
    },
  ));

  test('parallel wrong passwords at TOTP begin get at most the threshold verified', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'center_operator');
      const c = await loginAs(s, 'center_operator');
      const all = await Promise.all(Array.from({ length: 12 }, (_, i) => c.post('/api/v1/session/totp', { password: `Wrong-pass-${i}x` })));
      assert.ok(all.every((r) => r.status === 400 || r.status === 401), JSON.stringify(all.map((r) => r.status)));
      assert.ok(all.some((r) => r.body?.error?.code === 'session_ended'));
      assert.ok(Number(sql(s.db, `SELECT count(*) FROM login_failures WHERE username = '${a.username}'`)) <= 3);
      assert.equal((await c.get('/api/v1/session')).status, 401);
    },
  ));

  test('a right password gives its attempt back, also when the change is refused', () => withServer(
    lockEnv,
    async (s) => {
      const a = accountFor(s.db, 'grid_worker');
      const w = await loginAs(s, 'grid_worker');
      assert.equal((await w.post('/api/v1/session/totp/disable', { password: 'Wrong-pass-1x' })).body.error.code, 'wrong_password');
      assert.equal((await w.post('/api/v1/session/totp/disable', { password: a.password })).body.error.code, 'totp_not_enrolled');
      assert.equal((await w.post('/api/v1/session/totp', { password: a.password })).status, 200);
      assert.equal(sql(s.db, `SELECT count(*) FROM login_failures WHERE username = '${a.username}'`), '1', 'only the wrong one counts');
    },
  ));
});

describe('security settings', () => {
  test('GET /api/v1/security/settings shows the lockout backoff and the caller cache', () => withServer(
    { ...lockEnv, WANGGE_LOCKOUT_MAX_DURATION_S: '7200', WANGGE_LOCKOUT_BACKOFF_RESET_S: '43200', WANGGE_CALLER_CACHE_S: '7' },
    async (s) => {
      const sec = await loginAs(s, 'secadmin');
      const res = await sec.get('/api/v1/security/settings');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.lockout, { account_failures: 3, address_failures: res.body.lockout.address_failures, window_s: 600, duration_s: 900, max_duration_s: 7200, backoff_reset_s: 43200 });
      assert.deepEqual(res.body.caller_cache, { lifetime_s: 7 });
    },
  ));
});

describe('session cookies', () => {
  test('a login replaces the session cookie it was sent', () => withServer(
    {},
    async (s) => {
      const a = accountFor(s.db, 'center_operator');
      const first = await attempt(s, { username: a.username, password: a.password });
      assert.equal(first.status, 200);
      const old = clientFor(s, { cookie: first.cookie });
      assert.equal((await old.get('/api/v1/session')).status, 200);
      // A failed login leaves it alone.
      assert.equal((await attempt(s, { username: a.username, password: 'Wrong-pass-1x', cookie: first.cookie })).status, 401);
      assert.equal((await old.get('/api/v1/session')).status, 200);
      // A login that succeeds ends it, whoever's it was.
      const l = accountFor(s.db, 'dept_handler');
      const second = await attempt(s, { username: l.username, password: l.password, cookie: first.cookie });
      assert.equal(second.status, 200);
      assert.notEqual(second.cookie, first.cookie);
      assert.equal((await old.get('/api/v1/session')).body.error.code, 'session_expired');
      assert.equal((await clientFor(s, { cookie: second.cookie }).get('/api/v1/session')).body.user.username, l.username);
    },
  ));
});

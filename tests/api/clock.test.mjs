// Time passing, without sleeping: session idle timeout and absolute lifetime, the lockout window
// and duration, TOTP steps and password expiry, each checked by moving the server's test clock
// (POST /api/v1/internal/clock, tests/lib/clock.mjs) across the boundary. Every case checks both
// sides of the boundary, a second before and a second after, so a clock that did not move (or an
// off-by-one in the server's comparisons) fails here.
//
// Each test starts its own server, so the clock moves of one test cannot reach another's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountFor, freshTotp, login, loginAs, startDemoServer, totpCode } from '../lib/auth.mjs';
import { advanceClock, serverNow } from '../lib/clock.mjs';

async function withServer(env, fn) {
  const s = await startDemoServer({ args: ['--enable-internal'], env });
  try {
    await fn(s);
  } finally {
    assert.equal(await s.stop(), 0);
  }
}

const sessionCode = async (c) => {
  const r = await c.get('/api/v1/session');
  return r.status === 200 ? 'ok' : r.body?.error?.code;
};

describe('sessions', () => {
  test('idle timeout: activity keeps a session, silence ends it', () => withServer(
    { WANGGE_SESSION_IDLE_S: '600', WANGGE_SESSION_ABSOLUTE_S: '86400' },
    async (s) => {
      const a = await loginAs(s, 'center_operator');
      // Session times are whole seconds: a margin of two seconds on each side of the boundary.
      await advanceClock(s, 598);
      assert.equal(await sessionCode(a), 'ok', 'just inside the idle timeout');
      await advanceClock(s, 598);
      assert.equal(await sessionCode(a), 'ok', 'the last request restarted the idle time');
      await advanceClock(s, 602);
      assert.equal(await sessionCode(a), 'session_expired', 'idle for longer than the timeout');
    },
  ));

  test('absolute lifetime ends a session however active it is', () => withServer(
    { WANGGE_SESSION_IDLE_S: '600', WANGGE_SESSION_ABSOLUTE_S: '1800' },
    async (s) => {
      const a = await loginAs(s, 'center_leader');
      for (let t = 500; t <= 1500; t += 500) {
        await advanceClock(s, 500);
        assert.equal(await sessionCode(a), 'ok', `active, ${t} s after login`);
      }
      await advanceClock(s, 298); // 1798 s after login
      assert.equal(await sessionCode(a), 'ok');
      await advanceClock(s, 4); // 1802 s
      assert.equal(await sessionCode(a), 'session_expired');
      // A new login works.
      assert.equal(await sessionCode(await loginAs(s, 'center_leader')), 'ok');
    },
  ));
});

describe('lockout', () => {
  test('a locked account opens again when the lock duration has passed', () => withServer(
    { WANGGE_LOCKOUT_ACCOUNT_FAILURES: '3', WANGGE_LOCKOUT_WINDOW_S: '600', WANGGE_LOCKOUT_DURATION_S: '900' },
    async (s) => {
      const a = accountFor(s.db, 'dept_handler');
      for (let i = 0; i < 3; i++) assert.equal((await login(s, a.username, `Wrong-pass-${i}x`)).status, 401);
      assert.equal((await login(s, a.username, a.password)).status, 423);
      await advanceClock(s, 898);
      assert.equal((await login(s, a.username, a.password)).status, 423, 'still locked just before the end');
      await advanceClock(s, 4);
      assert.equal((await login(s, a.username, a.password)).status, 200, 'open after the lock duration');
    },
  ));

  test('failures older than the window are forgotten', () => withServer(
    { WANGGE_LOCKOUT_ACCOUNT_FAILURES: '3', WANGGE_LOCKOUT_WINDOW_S: '600', WANGGE_LOCKOUT_DURATION_S: '900' },
    async (s) => {
      const a = accountFor(s.db, 'grid_worker');
      for (let i = 0; i < 2; i++) assert.equal((await login(s, a.username, `Wrong-pass-${i}x`)).status, 401);
      await advanceClock(s, 602);
      // Two old failures and one new one: under the threshold of three within the window.
      assert.equal((await login(s, a.username, 'Wrong-pass-2x')).status, 401);
      assert.equal((await login(s, a.username, a.password)).status, 200, 'old failures no longer count');
      // Whereas three within the window lock.
      const b = accountFor(s.db, 'center_leader');
      for (let i = 0; i < 2; i++) assert.equal((await login(s, b.username, `Wrong-pass-${i}x`)).status, 401);
      await advanceClock(s, 590);
      assert.equal((await login(s, b.username, 'Wrong-pass-2x')).status, 401);
      assert.equal((await login(s, b.username, b.password)).status, 423, 'three failures within the window');
    },
  ));
});

describe('TOTP', () => {
  test('a used code is refused; the next step gives a fresh one; codes far from the clock are refused', () => withServer(
    {},
    async (s) => {
      const a = accountFor(s.db, 'auditor');
      await advanceClock(s, Math.ceil(30 - (serverNow(s) % 30)) + 5); // 5 to 6 s into a step
      const step = Math.floor(serverNow(s) / 30);
      const code = totpCode(a.totp_secret, step);
      assert.equal((await login(s, a.username, a.password, { totp: code })).status, 200);
      assert.equal((await login(s, a.username, a.password, { totp: code })).body.error.code, 'totp_invalid', 'replay');
      // Earlier steps are refused too once a later one was used.
      assert.equal((await login(s, a.username, a.password, { totp: totpCode(a.totp_secret, step - 1) })).status, 401);
      await advanceClock(s, 30);
      assert.equal((await login(s, a.username, a.password, { totp: totpCode(a.totp_secret, step + 1) })).status, 200);
      // Two steps ahead of the server's clock is outside the window of one step either side.
      assert.equal((await login(s, a.username, a.password, { totp: totpCode(a.totp_secret, step + 3) })).status, 401);
      // The real time's code is far in the past once the clock moved a day on.
      await advanceClock(s, 86400);
      assert.equal((await login(s, a.username, a.password, { totp: totpCode(a.totp_secret) })).status, 401);
      // freshTotp counts steps on the server's clock.
      assert.equal((await login(s, a.username, a.password, { totp: await freshTotp(a.totp_secret, s) })).status, 200);
    },
  ));

  test('freshTotp moves the test clock instead of waiting when a step is used up', () => withServer(
    {},
    async (s) => {
      const before = s.clockOffset;
      for (let i = 0; i < 5; i++) await loginAs(s, 'secadmin');
      assert.ok(s.clockOffset > before, 'the clock was moved on');
    },
  ));
});

describe('passwords', () => {
  test('a password older than the maximum age must be changed', () => withServer(
    { WANGGE_PASSWORD_MAX_AGE_DAYS: '90', WANGGE_SESSION_ABSOLUTE_S: '2592000', WANGGE_SESSION_IDLE_S: '604800' },
    async (s) => {
      const a = accountFor(s.db, 'center_operator');
      let r = await login(s, a.username, a.password);
      assert.equal(r.body.must_change_password, false);
      await advanceClock(s, 89 * 86400);
      r = await login(s, a.username, a.password);
      assert.equal(r.body.must_change_password, false, 'day 89');
      await advanceClock(s, 2 * 86400);
      r = await login(s, a.username, a.password);
      assert.equal(r.status, 200);
      assert.equal(r.body.must_change_password, true, 'day 91');
      const c = await loginAs(s, 'center_operator');
      assert.equal((await c.get('/api/v1/grids')).body.error.code, 'password_change_required');
    },
  ));
});

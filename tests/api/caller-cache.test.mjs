// The caller cache (issue 7, the request path): a session's caller is kept in memory for
// WANGGE_CALLER_CACHE_S seconds, and every change that affects it is seen by the very next
// request: logout, password change, roles, a role's permissions, the organisation (disabled,
// or the user moved to another one: a new scope), grid bindings, the account disabled. Each case
// first makes sure the caller is cached (two requests), then changes one thing and looks once.
// The server keeps entries for 300 s here, so only the invalidation can make these pass.
//
// Idle expiry stays right with the cache: the activity kept in memory counts (also across a
// reload after the entry went stale), silence ends a cached session, and last_seen_at reaches the
// database in the background (all of it by shutdown), not by a durable write on every request.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { accountFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { advanceClock, serverNow } from '../lib/clock.mjs';

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

let s;
let sys;
let sec;

before(async () => {
  s = await startDemoServer({ args: ['--enable-internal'], env: { WANGGE_CALLER_CACHE_S: '300' } });
  sys = await loginAs(s, 'sysadmin');
  sec = await loginAs(s, 'secadmin');
});

after(async () => { if (s) assert.equal(await s.stop(), 0); });

/** GET /api/v1/session twice (the second answer comes from the cache); resolves to the body. */
async function cached(c) {
  assert.equal((await c.get('/api/v1/session')).status, 200);
  const r = await c.get('/api/v1/session');
  assert.equal(r.status, 200);
  return r.body;
}

describe('the next request sees', () => {
  test('a logout', async () => {
    const c = await loginAs(s, 'center_leader');
    await cached(c);
    assert.equal((await c.del('/api/v1/session')).status, 200);
    assert.equal((await c.get('/api/v1/session')).body.error.code, 'session_expired');
  });

  test('a password change (other sessions end, this one stays)', async () => {
    const a = accountFor(s.db, 'center_leader');
    const one = await loginAs(s, 'center_leader');
    const two = await loginAs(s, 'center_leader');
    await cached(one);
    await cached(two);
    const r = await one.put('/api/v1/session/password', { old_password: a.password, new_password: 'Cache-Test-Pass-1' });
    assert.equal(r.status, 200, r.text);
    assert.equal((await two.get('/api/v1/session')).body.error.code, 'session_expired');
    assert.equal((await one.get('/api/v1/session')).status, 200);
    // Put it back, for the tests that log in as the leader again.
    assert.equal((await one.put('/api/v1/session/password', { old_password: 'Cache-Test-Pass-1', new_password: a.password })).status, 200);
  });

  test('a change of roles', async () => {
    const a = accountFor(s.db, 'center_operator');
    const op = await loginAs(s, 'center_operator');
    assert.ok((await cached(op)).permissions.includes('grid.write'));
    // dept_handler: no grid.write, and (unlike center_leader, which may unmask) no TOTP needed.
    assert.equal((await sec.put(`/api/v1/users/${a.user_id}/roles`, { roles: ['dept_handler'] })).status, 200);
    const me = (await op.get('/api/v1/session')).body;
    assert.ok(!me.permissions.includes('grid.write'), JSON.stringify(me.permissions));
    assert.deepEqual(me.roles.map((x) => x.name), ['dept_handler']);
    assert.equal((await op.patch('/api/v1/grids/none', { name: 'x' })).body.error.code, 'forbidden');
    assert.equal((await sec.put(`/api/v1/users/${a.user_id}/roles`, { roles: ['center_operator'] })).status, 200);
    assert.ok((await op.get('/api/v1/session')).body.permissions.includes('grid.write'));
  });

  test('a change of a role\'s permissions', async () => {
    const a = accountFor(s.db, 'dept_handler');
    let r = await sec.post('/api/v1/roles', { name: 'cache_checker', label: '缓存测试角色', permissions: ['grid.read'] });
    assert.equal(r.status, 201, r.text);
    const roleId = r.body.id;
    assert.equal((await sec.put(`/api/v1/users/${a.user_id}/roles`, { roles: ['dept_handler', 'cache_checker'] })).status, 200);
    const h = await loginAs(s, 'dept_handler');
    assert.ok(!(await cached(h)).permissions.includes('grid.check'));
    r = await sec.patch(`/api/v1/roles/${roleId}`, { permissions: ['grid.read', 'grid.check'] });
    assert.equal(r.status, 200, r.text);
    assert.ok((await h.get('/api/v1/session')).body.permissions.includes('grid.check'));
    assert.notEqual((await h.get('/api/v1/grids/checks')).body?.error?.code, 'forbidden');
    r = await sec.patch(`/api/v1/roles/${roleId}`, { permissions: ['grid.read'] });
    assert.equal((await h.get('/api/v1/grids/checks')).body.error.code, 'forbidden');
  });

  test('the organisation disabled, and enabled again', async () => {
    const a = accountFor(s.db, 'dept_handler');
    const h = await loginAs(s, 'dept_handler');
    await cached(h);
    assert.equal((await sys.patch(`/api/v1/orgs/${a.org_id}`, { disabled: true })).status, 200);
    assert.equal((await h.get('/api/v1/session')).status, 401);
    assert.equal((await sys.patch(`/api/v1/orgs/${a.org_id}`, { disabled: false })).status, 200);
    assert.equal((await h.get('/api/v1/session')).status, 200);
  });

  test('the user moved to another organisation: a new scope', async () => {
    const a = accountFor(s.db, 'center_leader');
    const l = await loginAs(s, 'center_leader');
    const was = (await cached(l)).org;
    const orgs = (await sys.get('/api/v1/orgs?limit=200')).body.items;
    const town = orgs.find((o) => o.kind === 'center' && o.region_code.startsWith(was.region_code.slice(0, 6)) && o.region_code !== was.region_code);
    assert.ok(town, JSON.stringify(orgs));
    assert.equal((await sys.patch(`/api/v1/users/${a.user_id}`, { org_id: town.id })).status, 200);
    const now = (await l.get('/api/v1/session')).body.org;
    assert.equal(now.region_code, town.region_code);
    assert.notEqual(now.region_path, was.region_path);
    assert.equal((await sys.patch(`/api/v1/users/${a.user_id}`, { org_id: a.org_id })).status, 200);
    assert.equal((await l.get('/api/v1/session')).body.org.region_code, was.region_code);
  });

  test('grid bindings of a grid worker', async () => {
    const a = accountFor(s.db, 'grid_worker');
    const w = await loginAs(s, 'grid_worker');
    const grids = (await cached(w)).grids;
    assert.equal(grids.length, 2);
    assert.equal((await w.get(`/api/v1/grids/${grids[1].code}`)).status, 200);
    assert.equal((await sys.put(`/api/v1/users/${a.user_id}/grids`, { grid_ids: [grids[0].id] })).status, 200);
    assert.deepEqual((await w.get('/api/v1/session')).body.grids.map((g) => g.id), [grids[0].id]);
    assert.equal((await w.get(`/api/v1/grids/${grids[1].code}`)).status, 404, 'no longer bound: out of scope');
    assert.equal((await sys.put(`/api/v1/users/${a.user_id}/grids`, { grid_ids: grids.map((g) => g.id) })).status, 200);
    assert.equal((await w.get(`/api/v1/grids/${grids[1].code}`)).status, 200);
  });

  test('grid bindings that make a caller grid-bound', async () => {
    const a = accountFor(s.db, 'center_leader');
    const l = await loginAs(s, 'center_leader');
    await cached(l);
    const page = (await l.get('/api/v1/grids?limit=5')).body.items;
    assert.ok(page.length > 1);
    assert.equal((await sys.put(`/api/v1/users/${a.user_id}/grids`, { grid_ids: [page[1].id] })).status, 200);
    assert.deepEqual((await l.get('/api/v1/grids?limit=5')).body.items.map((g) => g.code), [page[1].code]);
    assert.equal((await sys.put(`/api/v1/users/${a.user_id}/grids`, { grid_ids: [] })).status, 200);
    assert.equal((await l.get('/api/v1/grids?limit=5')).body.items.length, page.length);
  });

  test('the account disabled', async () => {
    const a = accountFor(s.db, 'center_operator');
    const op = await loginAs(s, 'center_operator');
    await cached(op);
    assert.equal((await sys.patch(`/api/v1/users/${a.user_id}`, { disabled: true })).status, 200);
    assert.equal((await op.get('/api/v1/session')).status, 401);
    assert.equal((await sys.patch(`/api/v1/users/${a.user_id}`, { disabled: false })).status, 200);
  });
});

describe('idle expiry with the cache', () => {
  test('activity in memory keeps a session; silence ends it although it is cached', async () => {
    const t = await startDemoServer({ args: ['--enable-internal'], env: { WANGGE_CALLER_CACHE_S: '300', WANGGE_SESSION_IDLE_S: '100' } });
    try {
      const c = await loginAs(t, 'center_operator');
      await cached(c);
      await advanceClock(t, 60);
      assert.equal((await c.get('/api/v1/session')).status, 200);
      await advanceClock(t, 60); // 120 s after login, 60 s after the last request
      assert.equal((await c.get('/api/v1/session')).status, 200);
      await advanceClock(t, 101); // still within the cache's 300 s, but idle for 101 s
      assert.equal((await c.get('/api/v1/session')).body.error.code, 'session_expired');
    } finally {
      assert.equal(await t.stop(), 0);
    }
  });

  test('activity not yet written survives a reload, and reaches the database by shutdown', async () => {
    const t = await startDemoServer({ args: ['--enable-internal'], env: { WANGGE_CALLER_CACHE_S: '30', WANGGE_SESSION_IDLE_S: '100' } });
    let last;
    try {
      const c = await loginAs(t, 'center_operator');
      const other = await loginAs(t, 'center_leader');
      await cached(c);
      await advanceClock(t, 20); // under the write granularity (idle/4 = 25 s): kept in memory only
      assert.equal((await c.get('/api/v1/session')).status, 200);
      // Any committed write makes the entry stale (here: the leader logs out) ...
      assert.equal((await other.del('/api/v1/session')).status, 200);
      // ... and 90 s later the reload counts the activity the database does not have yet.
      await advanceClock(t, 90);
      assert.equal((await c.get('/api/v1/session')).status, 200, 'idle 90 s, not 110 s');
      last = Math.floor(serverNow(t));
    } finally {
      assert.equal(await t.stop(), 0);
    }
    const seen = Number(sql(t.db, "SELECT max(s.last_seen_at) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'operator'"));
    assert.ok(Math.abs(seen - last) <= 1, `last_seen_at ${seen}, last request at ${last}`);
  });
});

// Fixes after issues 3 and 4:
// - grid workers are recognised by the principal's grid_bound flag (not by their organisation's
//   kind): a grid worker in a village/residents' committee sees only the grids bound to them in
//   every grid read (list, get, history, GeoJSON, locate);
// - GET /api/v1/users list items carry their roles;
// - audit records carry the organisation's name (search and CSV export);
// - audit details written by the identity module are Chinese.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, startDemoServer } from '../lib/auth.mjs';

let server, sys, sec, aud;
let worker, workerId, mine, other, community;

// A point inside a grid: the mean of its outer ring's distinct vertices (the demo's grids are
// convex-ish quads).
function inside(boundary) {
  const ring = boundary.type === 'Polygon' ? boundary.coordinates[0] : boundary.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

before(async () => {
  server = await startDemoServer();
  sys = await loginAs(server, 'sysadmin');
  sec = await loginAs(server, 'secadmin');
  aud = await loginAs(server, 'auditor');

  // A community with at least two active grids.
  const all = await sys.get('/api/v1/grids?limit=200');
  assert.equal(all.status, 200);
  const by = new Map();
  for (const g of all.body.items) by.set(g.community.code, [...(by.get(g.community.code) || []), g]);
  const [code, grids] = [...by.entries()].find(([, gs]) => gs.length >= 2);
  community = code;
  [mine, other] = grids;

  // A residents' committee of that community, and a grid worker in it bound to one grid.
  const org = await sys.post('/api/v1/orgs', { name: '测试居民委员会', kind: 'committee', region_code: community });
  assert.equal(org.status, 201, org.text);
  const u = await sys.post('/api/v1/users', { username: 'gw.committee', display_name: '委员会网格员', org_id: org.body.id });
  assert.equal(u.status, 201, u.text);
  workerId = u.body.id;
  const g = await sys.put(`/api/v1/users/${workerId}/grids`, { grid_ids: [mine.id] });
  assert.equal(g.status, 200, g.text);
  const r = await sec.put(`/api/v1/users/${workerId}/roles`, { roles: ['grid_worker'] });
  assert.equal(r.status, 200, r.text);

  // First login with the one-time password, then the required password change.
  const res = await login(server, 'gw.committee', u.body.one_time_password);
  assert.equal(res.status, 200, res.text);
  worker = clientFor(server, { cookie: res.cookies.wg_session, csrf: res.body.csrf_token, login: res.body });
  const pw = await worker.put('/api/v1/session/password', {
    old_password: u.body.one_time_password, new_password: 'Qingshan-Road-2026!',
  });
  assert.equal(pw.status, 200, pw.text);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('a grid worker in a committee sees only their grids', () => {
  test('GET /grids lists exactly the bound grid', async () => {
    const r = await worker.get('/api/v1/grids?status=all&limit=200');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((g) => g.code), [mine.code]);
    assert.equal(r.body.next_cursor, null);
    const inRegion = await worker.get(`/api/v1/grids?region=${community}`);
    assert.deepEqual(inRegion.body.items.map((g) => g.code), [mine.code]);
  });

  test('the neighbouring grid of the same community answers 404 everywhere', async () => {
    assert.equal((await worker.get(`/api/v1/grids/${mine.code}`)).status, 200);
    assert.equal((await worker.get(`/api/v1/grids/${other.code}`)).status, 404);
    assert.equal((await worker.get(`/api/v1/grids/${mine.code}/history`)).status, 200);
    assert.equal((await worker.get(`/api/v1/grids/${other.code}/history`)).status, 404);
  });

  test('GeoJSON of the community holds only the bound grid', async () => {
    const r = await worker.get(`/api/v1/regions/${community}/grids.geojson`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.features.map((f) => f.id), [mine.code]);
  });

  test('locate finds the bound grid and not the neighbour', async () => {
    const b = (await sys.get(`/api/v1/grids/${other.code}`)).body.boundary;
    const [lng, lat] = inside(b);
    const seenBySys = await sys.get(`/api/v1/grids/locate?lng=${lng}&lat=${lat}`);
    assert.equal(seenBySys.status, 200);
    assert.equal(seenBySys.body.code, other.code);
    assert.equal((await worker.get(`/api/v1/grids/locate?lng=${lng}&lat=${lat}`)).status, 404);

    const [mlng, mlat] = inside((await sys.get(`/api/v1/grids/${mine.code}`)).body.boundary);
    const hit = await worker.get(`/api/v1/grids/locate?lng=${mlng}&lat=${mlat}`);
    assert.equal(hit.status, 200);
    assert.equal(hit.body.code, mine.code);
  });
});

describe('users list', () => {
  test('list items carry roles with names and Chinese labels', async () => {
    const r = await sys.get('/api/v1/users?limit=100');
    assert.equal(r.status, 200);
    for (const u of r.body.items) assert.ok(Array.isArray(u.roles), `roles of ${u.username}`);
    const w = r.body.items.find((u) => u.id === workerId);
    assert.deepEqual(w.roles, [{ name: 'grid_worker', label: '网格员' }]);
    const op = r.body.items.find((u) => u.username === accountFor(server.db, 'center_operator').username);
    assert.deepEqual(op.roles, [{ name: 'center_operator', label: '中心操作员' }]);
    // The same as the single-user answer, on a later page too.
    const page1 = await sys.get('/api/v1/users?limit=2');
    assert.ok(page1.body.next_cursor);
    const page2 = await sys.get(`/api/v1/users?limit=2&cursor=${page1.body.next_cursor}`);
    assert.equal(page2.body.items.length, 2);
    assert.ok(page2.body.items[0].id > page1.body.items[1].id);
    for (const u of page2.body.items) {
      assert.deepEqual(u.roles, (await sys.get(`/api/v1/users/${u.id}`)).body.roles);
    }
  });
});

describe('audit records', () => {
  test('search and export carry the organisation name', async () => {
    const a = accountFor(server.db, 'sysadmin');
    const r = await aud.get(`/api/v1/audit?user=${a.username}&action=session.login`);
    assert.equal(r.status, 200);
    assert.ok(r.body.items.length >= 1);
    for (const it of r.body.items) assert.equal(it.org_name, a.organisation);
    const csv = await aud.get(`/api/v1/audit/export?user=${a.username}&action=session.login`);
    assert.equal(csv.status, 200);
    const [head, first] = csv.text.replace(/^\ufeff/, '').split('\r\n');
    assert.ok(head.includes('"组织ID","组织"'), head);
    assert.ok(first.includes(`"${a.organisation}"`), first);
  });

  test('details written by the identity module are Chinese', async () => {
    const roles = await aud.get(`/api/v1/audit?action=user.roles&limit=5`);
    assert.ok(roles.body.items.some((x) => x.detail === '角色：grid_worker'), JSON.stringify(roles.body.items));
    const grids = await aud.get(`/api/v1/audit?action=user.grids&limit=5`);
    assert.ok(grids.body.items.some((x) => x.detail === `网格：${mine.id}`), JSON.stringify(grids.body.items));
    const bad = await worker.put('/api/v1/session/password', { old_password: 'not-the-password', new_password: 'Another-Pass-2026!' });
    assert.equal(bad.status, 400);
    const fail = await aud.get('/api/v1/audit?action=user.password_change&outcome=failure');
    assert.match(fail.body.items[0].detail, /^当前密码错误/);
    const exp = await aud.get('/api/v1/audit?action=audit.export&limit=1');
    assert.match(exp.body.items[0].detail, /^导出 \d+ 条；/);
  });
});

// The authorization matrix, generated from the route table (`wangge routes`) and the permission
// catalog it prints, never from a hand-written list of routes:
//   - every route names a permission from the catalog, and every route has a fixture
//     (tests/api/fixtures/routes.mjs): a request with a VALID body that would succeed for an
//     authorised caller, so that refusals come from the permission check and the domain's own
//     checks, not from body validation. A route added without a fixture fails here;
//   - every route × every caller (one demo account per built-in role, plus a system and a
//     security administrator of one county) gets the answer the catalog predicts:
//       caller lacks the permission  → 403 forbidden (in its own scope and in another county);
//       caller holds it, own scope   → the fixture's success status (2xx);
//       caller holds it, other county → 404, as if the object did not exist — for reads and for
//                                       writes alike, never 400 and never a change;
//       internal routes (the server runs with --enable-internal) → served without a login;
//   - without a login every route that is not public answers 401;
//   - writes that hold the route permission but aim at the wrong scope or the wrong target
//     (another county, a township without Art. 7 authority, the caller's own account) are
//     refused by the domain, and the refusal is audited.
// Cases that need a domain check still missing on this code are marked todo with the reason (see
// TODO below): they run and report, without failing the suite, until the check lands.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientFor, login, startDemoServer } from '../lib/auth.mjs';
import { runCli } from '../lib/server.mjs';
import {
  buildWorld, FIXTURES, makeUser, OTHER_COUNTY, OWN_COUNTY, scoped,
} from './fixtures/routes.mjs';

const routesOut = await runCli(['routes']);
assert.equal(routesOut.code, 0, routesOut.stderr);
const table = JSON.parse(routesOut.stdout);

// The callers. cityWide callers have no "other county".
const CALLERS = [
  { name: 'center_operator', role: 'center_operator', cityWide: false },
  { name: 'center_leader', role: 'center_leader', cityWide: false },
  { name: 'dept_handler', role: 'dept_handler', cityWide: false },
  { name: 'grid_worker', role: 'grid_worker', cityWide: false },
  { name: 'sysadmin', role: 'sysadmin', cityWide: true },
  { name: 'secadmin', role: 'secadmin', cityWide: true },
  { name: 'auditor', role: 'auditor', cityWide: true },
  { name: 'sysadmin@county', role: 'sysadmin', cityWide: false },
  { name: 'secadmin@county', role: 'secadmin', cityWide: false },
];

// Known gaps: "caller route scope" → why it fails today. Each names the domain check it waits
// for; remove the entry when the check lands (the case then passes, reported as a todo that
// passed, and must be kept passing).
const TODO = {};
const todoFor = (caller, key, scope) => TODO[`${caller} ${key} ${scope}`];

const keyOf = (rt) => `${rt.method} ${rt.pattern}`;
const isInternal = (rt) => rt.flags.includes('internal');
// Routes that end the caller's sessions run last for each caller.
const ENDS_SESSION = new Set(['DELETE /api/v1/session', 'DELETE /api/v1/sessions']);
const ordered = [...table.routes].sort((x, y) => ENDS_SESSION.has(keyOf(x)) - ENDS_SESSION.has(keyOf(y))
  || (keyOf(x) === 'DELETE /api/v1/sessions') - (keyOf(y) === 'DELETE /api/v1/sessions'));

function holds(role, rt) {
  if (isInternal(rt) || rt.permission === 'public' || rt.permission === 'authenticated') return true;
  return table.builtin_roles.find((r) => r.name === role).permissions.includes(rt.permission);
}

function pathOf(pattern, params = {}) {
  return pattern.replace(/:([a-z_]+)/g, (_, name) => {
    assert.ok(params[name] !== undefined, `${pattern}: no value for :${name}`);
    return encodeURIComponent(String(params[name]));
  });
}

function send(client, rt, req) {
  const qs = req.query ? `?${new URLSearchParams(Object.entries(req.query).map(([k, v]) => [k, String(v)]))}` : '';
  const path = pathOf(rt.pattern, req.params) + qs;
  const body = rt.method === 'GET' || rt.method === 'DELETE' ? undefined : (req.body ?? {});
  return client.request(rt.method, path, body);
}

const show = (r) => `${r.status} ${r.text.slice(0, 300)}`;

let server, w;

before(async () => {
  server = await startDemoServer({
    args: ['--enable-internal'],
    env: {
      // Two failures lock an account (the lockout fixtures); the address lock stays out of
      // the way of the many logins from 127.0.0.1; sessions outlive the clock moves that TOTP
      // logins make (tests/lib/auth.mjs freshTotp).
      WANGGE_LOCKOUT_ACCOUNT_FAILURES: '2',
      WANGGE_LOCKOUT_ADDRESS_FAILURES: '100000',
      WANGGE_SESSION_IDLE_S: '604800',
      WANGGE_SESSION_ABSOLUTE_S: '2592000',
      // Every caller reports as a resident from 127.0.0.1: no quota in the way.
      WANGGE_REPORT_QUOTA_ADDRESS: '100000/100000',
    },
  });
  w = await buildWorld(server, table);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('the route table', () => {
  test('every route declares a permission from the catalog', async () => {
    const names = new Set(table.permissions.map((p) => p.name));
    assert.ok(table.routes.length > 20);
    for (const rt of table.routes) {
      assert.ok(rt.permission, `${keyOf(rt)} has no permission`);
      assert.ok(names.has(rt.permission), `${keyOf(rt)}: '${rt.permission}' is not in the catalog`);
      if (rt.permission === 'internal.probe') assert.ok(isInternal(rt), `${rt.pattern}: internal.probe on a public route`);
    }
    for (const role of table.builtin_roles) for (const p of role.permissions) assert.ok(names.has(p), `${role.name}: ${p}`);
    assert.equal((await runCli(['routes', '--check'])).code, 0);
    // Every built-in role has a demo account.
    assert.deepEqual(new Set(w.accounts.map((a) => a.role)), new Set(table.builtin_roles.map((r) => r.name)));
  });

  test('every route has a fixture, and every fixture a route', () => {
    const keys = new Set(table.routes.map(keyOf));
    const missing = [...keys].filter((k) => !FIXTURES[k]);
    assert.deepEqual(missing, [], 'routes without a fixture in tests/api/fixtures/routes.mjs');
    const stale = Object.keys(FIXTURES).filter((k) => !keys.has(k));
    assert.deepEqual(stale, [], 'fixtures of routes that no longer exist');
  });
});

describe('anonymous', () => {
  for (const rt of ordered) {
    const key = keyOf(rt);
    test(key, async () => {
      const fx = FIXTURES[key];
      assert.ok(fx, `no fixture for ${key}`);
      // The standing objects of a county-level caller; nothing is consumed.
      const req = await fx.request(w, w.callers.center_leader, 'own', false);
      const r = await send(clientFor(server, {}), rt, { ...req, client: undefined });
      if (rt.permission === 'public' || isInternal(rt)) {
        assert.ok(r.status !== 401 && r.status !== 403 && r.status < 500, `${key}: ${show(r)}`);
      } else {
        assert.equal(r.status, 401, `${key} without login: ${show(r)}`);
      }
    });
  }
});

for (const caller of CALLERS) {
  describe(caller.name, () => {
    for (const rt of ordered) {
      const key = keyOf(rt);
      const fx = FIXTURES[key];
      if (!fx) continue; // 'every route has a fixture' fails for it
      const scopes = scoped(fx) && !caller.cityWide ? ['own', 'other'] : ['own'];
      for (const scope of scopes) {
        const allowed = holds(caller.role, rt);
        const expect = !allowed ? '403 forbidden' : scope === 'own' ? String(fx.ok) : '404';
        const todo = todoFor(caller.name, key, scope);
        test(`${key} ${scope} → ${expect}`, todo ? { todo } : {}, async () => {
          const c = w.callers[caller.name];
          const req = await fx.request(w, c, scope, allowed);
          assert.ok(req, `${key}: the fixture has no ${scope} request for ${caller.name}`);
          const r = await send(req.client ?? c.client, rt, req);
          try {
            if (!allowed) {
              assert.equal(r.status, 403, `${caller.name} lacks ${rt.permission}: ${key} → ${show(r)}`);
              assert.equal(r.body?.error?.code, 'forbidden', show(r));
            } else if (scope === 'own') {
              assert.equal(r.status, fx.ok, `${caller.name} holds ${rt.permission}: ${key} → ${show(r)}`);
            } else {
              assert.equal(r.status, 404, `${caller.name}: ${key} aimed at another county → ${show(r)}`);
            }
          } finally {
            if (fx.after) await fx.after(w, c);
          }
        });
      }
    }
  });
}

describe('refused requests changed nothing', () => {
  test('standing objects aimed at by refused writes are intact', async () => {
    const sys = w.demo.sysadmin;
    for (const p of [w.own, w.other]) {
      for (const code of [p.standing.code, ...p.standingPair]) {
        const g = await sys.get(`/api/v1/grids/${code}`);
        assert.equal(g.body?.status, 'active', `${code} ${show(g)}`);
      }
    }
    // Out-of-scope writes changed nothing in the other county.
    const og = await sys.get(`/api/v1/grids/${w.other.standing.code}`);
    assert.equal(og.body.name, '矩阵他县网格');
    const ou = await sys.get(`/api/v1/users/${w.other.user.id}`);
    assert.equal(ou.body.display_name, w.other.user.username);
    assert.deepEqual(ou.body.roles, []);
    // The standing role, token and lockout are still there.
    const roles = (await w.demo.secadmin.get('/api/v1/roles')).body.items;
    assert.ok(roles.some((r) => r.id === w.role));
    const tokens = (await w.demo.secadmin.get('/api/v1/tokens')).body.items;
    assert.ok(tokens.find((t) => t.id === w.token.own)?.active);
    const locks = (await w.demo.secadmin.get('/api/v1/lockouts')).body.items;
    assert.ok(locks.some((l) => l.id === w.lockout));
  });

  test('the other county\'s token is still active', async () => {
    const tokens = (await w.demo.secadmin.get('/api/v1/tokens')).body.items;
    assert.ok(tokens.find((t) => t.id === w.token.other)?.active, 'revoked by a county security administrator');
  });
});

// Writes that hold the route's permission and a valid body, but aim at the wrong scope or the
// wrong target. The domain refuses them: 404 for what lies outside the caller's scope (as if it
// did not exist), 403/409 with a reason for a target the caller may see but not change this way.
describe('the domain refuses the wrong scope or the wrong target', () => {
  const county = (role) => w.callers[`${role}@county`].client;
  const code = (r) => r.body?.error?.code;

  test('a county system administrator cannot reach users and organisations of another county', async () => {
    const sys = county('sysadmin');
    let r = await sys.post(`/api/v1/users/${w.other.user.id}/password-reset`);
    assert.equal(r.status, 404, show(r));
    r = await sys.patch(`/api/v1/users/${w.other.user.id}`, { display_name: '越权改名' });
    assert.equal(r.status, 404, show(r));
    r = await sys.post('/api/v1/users', { username: 'mx_stray1', display_name: '越权新建', org_id: w.orgs.otherCenter });
    assert.equal(r.status, 404, show(r));
    r = await sys.patch(`/api/v1/orgs/${w.orgs.otherCenter}`, { name: '越权改名中心' });
    assert.equal(r.status, 404, show(r));
    r = await sys.post('/api/v1/orgs', { name: '越权部门', kind: 'department', region_code: OTHER_COUNTY });
    assert.equal(r.status, 404, show(r));
  });

  test('…nor move a user of its county into another county, nor bind grids of another county', async () => {
    const sys = county('sysadmin');
    let r = await sys.patch(`/api/v1/users/${w.own.user.id}`, { org_id: w.orgs.otherCenter });
    assert.equal(r.status, 404, show(r));
    assert.equal(code(r), 'unknown_org');
    r = await sys.put(`/api/v1/users/${w.own.teamUser.id}/grids`, { grid_ids: [w.own.teamGrids[0], w.other.teamGrids[0]] });
    assert.equal(r.status, 404, show(r));
    assert.equal(code(r), 'unknown_grid');
    // Grids of its county but outside the user's own community are refused too.
    const g = (await sys.get(`/api/v1/grids/${w.own.standing.code}`)).body;
    r = await sys.put(`/api/v1/users/${w.own.teamUser.id}/grids`, { grid_ids: [g.id] });
    assert.equal(r.status, 404, show(r));
    // The binding is unchanged.
    const u = (await sys.get(`/api/v1/users/${w.own.teamUser.id}`)).body;
    assert.deepEqual(u.grids.map((x) => x.id).sort(), [...w.own.teamGrids].sort());
  });

  test('a county security administrator cannot reach accounts or tokens of another county', async () => {
    const sec = county('secadmin');
    let r = await sec.del(`/api/v1/users/${w.other.user.id}/totp`);
    assert.equal(r.status, 404, show(r));
    r = await sec.put(`/api/v1/users/${w.other.user.id}/roles`, { roles: ['center_leader'] });
    assert.equal(r.status, 404, show(r));
    r = await sec.post('/api/v1/tokens', { name: '越权令牌', org_id: w.orgs.otherCenter, permissions: ['grid.read'] });
    assert.equal(r.status, 404, show(r));
  });

  test('a county security administrator cannot revoke another county\'s token', async () => {
    const other = await w.newToken(w.orgs.otherCenter);
    const r = await county('secadmin').del(`/api/v1/tokens/${other}`);
    assert.equal(r.status, 404, show(r));
  });

  test('lists of county-level callers hold nothing of another county', async () => {
    const op = w.callers.center_operator.client;
    const sys = county('sysadmin');
    const sec = county('secadmin');
    const regions = (await op.get('/api/v1/regions?limit=200')).body.items;
    assert.ok(regions.length > 0 && regions.every((x) => x.path.startsWith(`371500000000/${OWN_COUNTY}/`)), 'regions');
    const grids = (await op.get('/api/v1/grids?status=all&limit=200')).body.items;
    assert.ok(grids.length > 0 && grids.every((x) => x.path.startsWith(`371500000000/${OWN_COUNTY}/`)), 'grids');
    const users = (await sys.get('/api/v1/users?limit=200')).body.items;
    assert.ok(users.some((u) => u.id === w.own.user.id));
    assert.ok(!users.some((u) => u.id === w.other.user.id), 'users of another county listed');
    const orgs = (await sys.get('/api/v1/orgs?limit=200')).body.items;
    assert.ok(orgs.length > 0 && orgs.every((o) => o.region_code.startsWith('371502')), 'organisations');
    const geo = (await op.get(`/api/v1/regions/${OWN_COUNTY}/grids.geojson`)).body.features;
    assert.ok(geo.length > 0 && geo.every((f) => f.properties.code.startsWith('371502')), 'map');
    const tokens = (await sec.get('/api/v1/tokens')).body.items;
    assert.ok(tokens.some((t) => t.id === w.token.own));
  });

  test('a county security administrator\'s token list holds no token of another county', async () => {
    const tokens = (await county('secadmin').get('/api/v1/tokens')).body.items;
    assert.ok(!tokens.some((t) => t.org_id === w.orgs.otherCenter), 'tokens of another county listed');
  });

  test('a township center may see its grids but not change them (Art. 7: county level only)', async () => {
    const u = await makeUser(w, { orgId: w.orgs.townCenter, roles: ['center_operator'], prefix: 'mx_town_op' });
    const town = u.client;
    const g = w.own.standing;
    assert.equal((await town.get(`/api/v1/grids/${g.code}`)).status, 200, 'inside its scope');
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/grids/${g.code}`, { name: '乡镇改名' }],
      ['POST', `/api/v1/grids/${g.code}/retire`, { reason: '乡镇撤销' }],
      ['POST', '/api/v1/grids', { community: w.own.community, name: '乡镇新建', boundary: { type: 'Polygon', coordinates: [[[118.9, 30.9], [118.92, 30.9], [118.92, 30.92], [118.9, 30.92], [118.9, 30.9]]] } }],
    ]) {
      const r = await town.request(method, path, body);
      assert.equal(r.status, 403, `${method} ${path}: ${show(r)}`);
      assert.equal(code(r), 'not_county_authority', show(r));
    }
    // Outside its township the answer is the same Art. 7 refusal: it depends on the caller's
    // level only, never on the target, so it reveals nothing about grids it may not see (a
    // county-level caller gets 404 there, see the matrix above).
    const r = await town.patch(`/api/v1/grids/${w.other.standing.code}`, { name: '越界改名' });
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'not_county_authority', show(r));
    const missing = await town.patch('/api/v1/grids/371502001099999', { name: '不存在' });
    assert.deepEqual([missing.status, code(missing)], [r.status, code(r)], 'same answer for a grid that does not exist');
  });

  test('merging grids of two counties is refused as out of scope', async () => {
    const r = await w.callers.center_operator.client.post('/api/v1/grids/merge', {
      codes: [w.own.standingPair[0], w.other.standingPair[0]], name: '跨县合并',
    });
    assert.equal(r.status, 404, show(r));
  });

  test('administrators cannot act on their own account through the admin routes', async () => {
    const sys = w.callers.sysadmin, sec = w.callers.secadmin;
    let r = await sys.client.post(`/api/v1/users/${sys.userId}/password-reset`);
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'self_reset');
    r = await sys.client.patch(`/api/v1/users/${sys.userId}`, { disabled: true });
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'self_disable');
    r = await sec.client.put(`/api/v1/users/${sec.userId}/roles`, { roles: ['secadmin', 'center_leader'] });
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'self_grant');
    r = await sec.client.del(`/api/v1/users/${sec.userId}/totp`);
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'self_grant');
    // A locked security administrator cannot release their own lock from a session still open.
    const locked = await makeUser(w, { orgId: w.orgs.ownCenter, roles: ['secadmin'], prefix: 'mx_lock_sec' });
    for (let i = 0; i < 2; i++) await login(server, locked.username, `Wrong-pass-${i}-xyz`);
    const lock = (await locked.client.get('/api/v1/lockouts')).body.items.find((l) => l.subject === locked.username);
    assert.ok(lock, 'the account is locked');
    r = await locked.client.del(`/api/v1/lockouts/${lock.id}`);
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'self_grant');
  });

  test('roles: built-in roles are fixed, and no account holds two administrator families', async () => {
    const sec = w.callers.secadmin.client;
    const builtin = (await sec.get('/api/v1/roles')).body.items.find((x) => x.builtin && x.name === 'grid_worker');
    let r = await sec.patch(`/api/v1/roles/${builtin.id}`, { permissions: ['grid.read', 'grid.write'] });
    assert.equal(r.status, 403, show(r));
    assert.equal(code(r), 'builtin_role');
    r = await sec.del(`/api/v1/roles/${builtin.id}`);
    assert.equal(r.status, 403, show(r));
    r = await sec.put(`/api/v1/users/${w.own.user.id}/roles`, { roles: ['sysadmin', 'auditor'] });
    assert.equal(r.status, 409, show(r));
    assert.equal(code(r), 'separation');
  });

  let otherLock;
  const lockOtherAccount = async () => {
    if (otherLock) return otherLock;
    const u = await makeUser(w, { orgId: w.orgs.otherCenter, prefix: 'mx_yg_lock' });
    for (let i = 0; i < 2; i++) await login(server, u.username, `Wrong-pass-${i}-xyz`);
    otherLock = (await w.demo.secadmin.get('/api/v1/lockouts')).body.items.find((l) => l.subject === u.username);
    assert.ok(otherLock, 'the account is locked');
    return otherLock;
  };

  test('a county security administrator does not see the lockout of another county\'s account', async () => {
    const lock = await lockOtherAccount();
    const items = (await county('secadmin').get('/api/v1/lockouts')).body.items;
    assert.ok(!items.some((l) => l.id === lock.id), 'listed to a county security administrator');
  });

  test('…nor release it', async () => {
    const lock = await lockOtherAccount();
    const r = await county('secadmin').del(`/api/v1/lockouts/${lock.id}`);
    assert.equal(r.status, 404, show(r));
  });

  test('unmasking a user of another county answers 404 and records no unmasking', async () => {
    const leader = w.callers.center_leader.client;
    const reason = encodeURIComponent('核查身份信息');
    let r = await leader.get(`/api/v1/users/${w.other.user.id}?unmask=1&reason=${reason}`);
    assert.equal(r.status, 404, show(r));
    r = await leader.get(`/api/v1/users/${w.callers.grid_worker.userId}?unmask=1&reason=${reason}`);
    assert.equal(r.status, 200, show(r));
    assert.equal(r.body.masked, false);
    const audit = (await w.demo.auditor.get('/api/v1/audit?action=sensitive.unmask&limit=200')).body.items;
    assert.ok(audit.some((x) => x.object.includes(String(w.callers.grid_worker.userId))));
    assert.ok(!audit.some((x) => x.object.includes(String(w.other.user.id))), 'an unmasking of an out-of-scope user was recorded');
  });

  test('an API token acts with its organisation\'s scope', async () => {
    const created = await w.demo.secadmin.post('/api/v1/tokens', {
      name: '矩阵范围令牌', org_id: w.orgs.ownDept, permissions: ['grid.read', 'region.read'], expires_in_days: 1,
    });
    assert.equal(created.status, 201, show(created));
    const bearer = clientFor(server, { token: created.body.token });
    assert.equal((await bearer.get(`/api/v1/grids/${w.own.standing.code}`)).status, 200);
    assert.equal((await bearer.get(`/api/v1/grids/${w.other.standing.code}`)).status, 404);
    assert.equal((await bearer.get(`/api/v1/regions/${OTHER_COUNTY}`)).status, 404);
    // Only its permissions: no write, no user list.
    let r = await bearer.patch(`/api/v1/grids/${w.own.standing.code}`, { name: '令牌改名' });
    assert.equal(r.status, 403, show(r));
    r = await bearer.get('/api/v1/users');
    assert.equal(r.status, 403, show(r));
  });

  test('refusals by the domain are in the audit trail', async () => {
    const who = w.callers['sysadmin@county'].user.username;
    const r = await w.demo.auditor.get(`/api/v1/audit?user=${who}&outcome=denied&limit=200`);
    assert.equal(r.status, 200, show(r));
    const objects = r.body.items.map((x) => `${x.action} ${x.object}`);
    assert.ok(r.body.items.some((x) => x.object.includes(String(w.other.user.id))),
      `no denied record about user ${w.other.user.id} by ${who}: ${JSON.stringify(objects)}`);
  });
});

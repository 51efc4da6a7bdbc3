// The authorization matrix, generated from the route table (`wangge routes`) and the permission
// catalog it prints, never from a hand-written list:
//   - every route names a permission, and that permission is in the catalog (a route added
//     without one fails here);
//   - every route × every built-in role (logged in as the demo accounts) × (own scope, other
//     scope) gets the expected class of answer:
//       public / authenticated route → never 401/403-forbidden;
//       role lacks the permission     → 403 forbidden;
//       role holds it, own scope      → not 401 and not 403-forbidden (2xx, or a 4xx about the input);
//       role holds it, other scope    → 404 for reads; writes never succeed (404, or 400 for
//                                       the empty body before the lookup);
//   - without a login every non-public route answers 401.
// Requests carry empty bodies, so writes stop at validation and change nothing that matters.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { clientFor, loginAs, readAccounts, startDemoServer } from '../lib/auth.mjs';
import { runCli } from '../lib/server.mjs';

const OTHER_COUNTY = '371521000000'; // 阳谷县: outside 东昌府区, where the county-level demo accounts work

let server, table, accounts;
const clients = {};

function sql(db, q) {
  return execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
}

before(async () => {
  const r = await runCli(['routes']);
  assert.equal(r.code, 0, r.stderr);
  table = JSON.parse(r.stdout);
  server = await startDemoServer();
  accounts = readAccounts(server.db);
  for (const a of accounts) clients[a.role] = await loginAs(server, a.role);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

test('every route declares a permission from the catalog', async () => {
  const names = new Set(table.permissions.map((p) => p.name));
  assert.ok(table.routes.length > 20);
  for (const rt of table.routes) {
    assert.ok(rt.permission, `${rt.method} ${rt.pattern} has no permission`);
    assert.ok(names.has(rt.permission), `${rt.method} ${rt.pattern}: '${rt.permission}' is not in the catalog`);
    if (rt.permission === 'internal.probe') assert.ok(rt.flags.includes('internal'), `${rt.pattern}: internal.probe on a public route`);
  }
  for (const role of table.builtin_roles) for (const p of role.permissions) assert.ok(names.has(p), `${role.name}: ${p}`);
  assert.equal((await runCli(['routes', '--check'])).code, 0);
  // Every built-in role has a demo account.
  assert.deepEqual(new Set(accounts.map((a) => a.role)), new Set(table.builtin_roles.map((r) => r.name)));
});

// Objects for path parameters, per role: own = inside the role's scope, other = outside it
// (undefined when the role sees everything of its kind).
function objects(role) {
  const a = accounts.find((x) => x.role === role);
  const sys = accounts.find((x) => x.role === 'sysadmin');
  const worker = accounts.find((x) => x.role === 'grid_worker');
  const cityWide = a.region_code === '371500000000';
  const workerGrid = clients.grid_worker.login.grids[0].code;
  const otherGrid = sql(server.db, `SELECT code FROM grids WHERE path LIKE '371500000000/${OTHER_COUNTY}/%' AND status = 'active' ORDER BY code LIMIT 1`);
  const otherOrg = sql(server.db, `SELECT id FROM organisations WHERE region_code = '${OTHER_COUNTY}' LIMIT 1`);
  return {
    users: { own: a.user_id, other: cityWide ? undefined : sys.user_id },
    orgs: { own: a.org_id, other: cityWide ? undefined : (role === 'grid_worker' ? sys.org_id : otherOrg) },
    regions: { own: a.region_code, other: cityWide ? undefined : OTHER_COUNTY },
    grids: { own: workerGrid, other: cityWide ? undefined : otherGrid },
    // Unscoped resources: a missing id is enough to pass the permission check.
    roles: { own: 999999 }, tokens: { own: 999999 }, lockouts: { own: 999999 },
    probe: { own: 'k' },
    _worker: worker,
  };
}

function resourceOf(pattern) {
  const m = pattern.match(/^\/api\/v1\/(?:internal\/)?([a-z]+)\//);
  return m ? m[1] : null;
}

function fill(pattern, value) {
  return pattern.replace(/:[a-z_]+/g, () => encodeURIComponent(String(value)));
}

// Session routes that end sessions are run on a throwaway login.
const ENDS_SESSION = new Set(['DELETE /api/v1/session', 'DELETE /api/v1/sessions']);

function holds(role, permission) {
  if (permission === 'public' || permission === 'authenticated') return true;
  return table.builtin_roles.find((r) => r.name === role).permissions.includes(permission);
}

async function send(client, method, path) {
  const body = method === 'GET' || method === 'DELETE' ? undefined : {};
  return client.request(method, path, body);
}

function isForbidden(r) {
  return r.status === 403 && r.body?.error?.code === 'forbidden';
}

describe('route × role × scope', () => {
  const served = () => table.routes.filter((rt) => !rt.flags.includes('internal'));

  test('anonymous callers get 401 on every non-public route', async () => {
    const anon = clientFor(server, {});
    for (const rt of served()) {
      const path = fill(rt.pattern, 1);
      const r = await send(anon, rt.method, path);
      if (rt.permission === 'public') assert.ok(r.status !== 401 && r.status !== 403, `${rt.method} ${path}: ${r.status}`);
      else assert.equal(r.status, 401, `${rt.method} ${path} without login: ${r.status} ${r.text}`);
    }
  });

  for (const roleName of ['center_operator', 'center_leader', 'dept_handler', 'grid_worker', 'sysadmin', 'secadmin', 'auditor']) {
    test(roleName, async () => {
      const obj = objects(roleName);
      const results = [];
      const rows = served().sort((x, y) => ENDS_SESSION.has(`${x.method} ${x.pattern}`) - ENDS_SESSION.has(`${y.method} ${y.pattern}`));
      for (const rt of rows) {
        const key = `${rt.method} ${rt.pattern}`;
        const hasParam = rt.pattern.includes(':');
        const res = resourceOf(rt.pattern);
        const o = hasParam ? (obj[res] ?? { own: 'x' }) : { own: null };
        const client = ENDS_SESSION.has(key) ? await loginAs(server, roleName) : clients[roleName];
        const own = await send(client, rt.method, hasParam ? fill(rt.pattern, o.own) : rt.pattern);
        const allowed = holds(roleName, rt.permission);
        results.push(`${key} own → ${own.status}`);
        if (!allowed) {
          assert.ok(isForbidden(own), `${roleName} lacks ${rt.permission}: ${key} → ${own.status} ${own.text.slice(0, 200)}`);
        } else {
          assert.ok(own.status !== 401 && !isForbidden(own), `${roleName} holds ${rt.permission}: ${key} → ${own.status} ${own.text.slice(0, 200)}`);
          assert.ok(own.status < 500, `${key} → ${own.status} ${own.text.slice(0, 200)}`);
        }
        if (hasParam && o.other !== undefined && o.other !== '') {
          const other = await send(client, rt.method, fill(rt.pattern, o.other));
          results.push(`${key} other → ${other.status}`);
          if (!allowed) assert.ok(isForbidden(other), `${roleName}: ${key} other scope → ${other.status}`);
          else if (rt.method === 'GET') assert.equal(other.status, 404, `${roleName}: ${key} other scope → ${other.status} ${other.text.slice(0, 200)}`);
          else assert.ok([400, 404, 409].includes(other.status), `${roleName}: ${key} other scope write → ${other.status} ${other.text.slice(0, 200)}`);
        }
      }
      assert.ok(results.length >= served().length);
    });
  }
});

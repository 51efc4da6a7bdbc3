// The command center's numbers (issue 11, part 4): GET /api/v1/matters/dashboard reads counters
// the write path keeps (matter_counters, matter_daily, matter_grid_open, matter_org_counters).
// On a demo with generated matters, every number it answers for the city, a county and a
// township must equal a GROUP BY over the matters table, computed here with the sqlite3 CLI on
// the database file; then after live actions (report, accept, dispatch, supervise, remind, close,
// and the clock moved so that some turn red) again. Departments and grid workers are refused
// (403), a region outside the caller's scope is 404.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clientFor, login, loginAs, startDemoServer, testEnv } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { advanceClock } from '../lib/clock.mjs';
import { makeTempDir, runCli } from '../lib/server.mjs';

const CITY = '371500000000';
const COUNTY = '371502000000';   // 东昌府区: the demo's center operator and leader
const TOWNSHIP = '371502001000'; // 古楼街道: the demo's township operator
const OTHER_COUNTY = '371521000000'; // 阳谷县
const OPEN = "('reported', 'accepted', 'in_progress', 'done', 'verified', 'reviewing')";
const LEVEL_COLUMN = { 2: 'city_code', 3: 'county_code', 4: 'township_code' };

let server, db, cityOp, county, leader, township, worker, handler, sys, sec;

// ---- the GROUP BY side ----

function sql(query) {
  const out = execFileSync('sqlite3', ['-json', '-readonly', db, query], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

// What the dashboard should answer for region code, counted from the matters themselves.
function groupBy(code, today, weekFrom) {
  const [{ path: rpath, level }] = sql(`SELECT path, level FROM regions WHERE code = ${q(code)}`);
  const col = LEVEL_COLUMN[level];
  const where = `${col} = ${q(code)}`;
  const local = "strftime('%Y-%m-%d', created_at + 28800, 'unixepoch')";
  const under = (p) => `substr(${p}, 1, ${Buffer.byteLength(rpath)}) = ${q(rpath)}`;
  const obj = (rows, k = 'k') => Object.fromEntries(rows.map((r) => [r[k], r.n]));

  const byState = obj(sql(`SELECT state AS k, count(*) AS n FROM matters WHERE ${where} GROUP BY 1`));
  const [tot] = sql(`SELECT count(*) AS total, coalesce(sum(state IN ${OPEN}), 0) AS open, `
    + `coalesce(sum(state IN ${OPEN} AND alert = 1), 0) AS yellow, coalesce(sum(state IN ${OPEN} AND alert = 2), 0) AS red `
    + `FROM matters WHERE ${where}`);
  const openByCategory = obj(sql(`SELECT category AS k, count(*) AS n FROM matters WHERE ${where} AND state IN ${OPEN} GROUP BY 1`));
  const todaySource = obj(sql(`SELECT source AS k, count(*) AS n FROM matters WHERE ${where} AND ${local} = ${q(today)} GROUP BY 1`));
  const todayCategory = obj(sql(`SELECT category AS k, count(*) AS n FROM matters WHERE ${where} AND ${local} = ${q(today)} GROUP BY 1`));
  const byDay = obj(sql(`SELECT ${local} AS k, count(*) AS n FROM matters WHERE ${where} AND ${local} BETWEEN ${q(weekFrom)} AND ${q(today)} GROUP BY 1`));
  // Yellow and red held per organisation: the owner center of an open coloured matter, and each
  // organisation with open coloured work on an open matter.
  const marks = sql(`WITH marks(org, key) AS (SELECT owner_org_id, CASE alert WHEN 2 THEN 'red' ELSE 'yellow' END FROM matters `
    + `WHERE alert > 0 AND state IN ${OPEN} UNION ALL SELECT a.org_id, CASE a.alert WHEN 2 THEN 'red' ELSE 'yellow' END `
    + `FROM matter_assignments a JOIN matters m ON m.id = a.matter_id WHERE a.alert > 0 AND a.status IN ('pending', 'signed') `
    + `AND m.state IN ${OPEN}) SELECT k.org AS org, k.key AS key, count(*) AS n FROM marks k JOIN organisations o ON o.id = k.org `
    + `JOIN regions r ON r.code = o.region_code WHERE ${under('r.path')} GROUP BY 1, 2`);
  // Closings for 按期结案率: each matter's first close, counted for the center that closed it; on
  // time unless the matter was ever red.
  const closings = sql(`SELECT e.actor_org_id AS org, count(*) AS closed, sum(m.ever_red = 0) AS on_time FROM matter_events e `
    + `JOIN matters m ON m.id = e.matter_id JOIN organisations o ON o.id = e.actor_org_id JOIN regions r ON r.code = o.region_code `
    + `WHERE e.action = 'close' AND e.seq = (SELECT min(seq) FROM matter_events WHERE matter_id = e.matter_id AND action = 'close') `
    + `AND ${under('r.path')} GROUP BY 1`);
  const orgs = {};
  const org = (id) => (orgs[id] ??= { yellow: 0, red: 0, closed: 0, closed_on_time: 0 });
  for (const m of marks) org(m.org)[m.key] = m.n;
  for (const c of closings) Object.assign(org(c.org), { closed: c.closed, closed_on_time: c.on_time });
  const openByGrid = obj(sql(`SELECT g.code AS k, count(*) AS n FROM matters m JOIN grids g ON g.id = m.grid_id `
    + `WHERE m.state IN ${OPEN} AND ${under('g.path')} GROUP BY 1`));
  return {
    counts: { region: code, by_state: byState, open_by_category: openByCategory, ...tot },
    reported_today: { by_source: todaySource, by_category: todayCategory },
    reported_by_day: byDay,
    orgs,
    open_by_grid: openByGrid,
  };
}

// The dashboard's answer in the same shape (organisations without any number left out).
function shapeOf(d) {
  const orgs = {};
  for (const o of d.organisations) {
    const v = { yellow: o.yellow, red: o.red, closed: o.closed, closed_on_time: o.closed_on_time };
    if (Object.values(v).some((n) => n)) orgs[o.id] = v;
    if (o.closed) assert.equal(o.on_time_rate, o.closed_on_time / o.closed, `on_time_rate of ${o.name}`);
    else assert.equal(o.on_time_rate, null);
  }
  return {
    counts: d.counts,
    reported_today: d.reported_today,
    reported_by_day: d.reported_by_day,
    orgs,
    open_by_grid: Object.fromEntries(d.open_by_grid.map((g) => [g.code, g.open])),
  };
}

async function dashboard(client, region) {
  const r = await client.get(`/api/v1/matters/dashboard${region ? `?region=${region}` : ''}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

// The dashboard of region as client sees it equals the GROUP BY; resolves to the dashboard.
async function assertEqualsGroupBy(client, region) {
  const d = await dashboard(client, region);
  assert.equal(d.region, region);
  assert.match(d.today, /^\d{4}-\d{2}-\d{2}$/);
  assert.deepEqual(shapeOf(d), groupBy(region, d.today, d.week_from), `dashboard of ${region}`);
  return d;
}

// ---- setup ----

// A city-level center operator (the demo has none): made by the administrators through the API.
async function cityOperator() {
  const username = 'dash.city';
  const u = await sys.post('/api/v1/users', { username, display_name: '市级值班员', org_id: 1 });
  assert.equal(u.status, 201, u.text);
  assert.equal((await sec.put(`/api/v1/users/${u.body.id}/roles`, { roles: ['center_operator'] })).status, 200);
  const first = await login(server, username, u.body.one_time_password);
  assert.equal(first.status, 200, first.text);
  const c = clientFor(server, { cookie: first.cookies.wg_session, csrf: first.body.csrf_token, login: first.body });
  const pw = await c.put('/api/v1/session/password', { old_password: u.body.one_time_password, new_password: 'Canal-Bridge-2026!' });
  assert.equal(pw.status, 200, pw.text);
  return { username, password: 'Canal-Bridge-2026!' };
}
let cityAccount;

async function loginAll() {
  [county, leader, township, worker, handler, sys, sec] = await Promise.all([
    loginAs(server, 'operator'), loginAs(server, 'leader'), loginAs(server, 'township'), loginAs(server, 'worker'),
    loginAs(server, 'handler'), loginAs(server, 'sysadmin'), loginAs(server, 'secadmin'),
  ]);
  if (!cityAccount) cityAccount = await cityOperator();
  const r = await login(server, cityAccount.username, cityAccount.password);
  assert.equal(r.status, 200, r.text);
  cityOp = clientFor(server, { cookie: r.cookies.wg_session, csrf: r.body.csrf_token, login: r.body });
}

before(async () => {
  const dir = makeTempDir('wangge-dash-');
  db = path.join(dir, 'wangge.db');
  const made = await runCli(['demo', '--db', db, '--matters', '500'], { env: testEnv });
  assert.equal(made.code, 0, made.stderr);
  server = await startDemoServer({ db, args: ['--enable-internal'] });
  await ensureCalendar(server);
  await loginAll();
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

// ---- the tests ----

describe('on the generated demo', () => {
  test('the city, a county and a township equal a GROUP BY over the matters', async () => {
    const city = await assertEqualsGroupBy(cityOp, CITY);
    assert.ok(city.counts.total >= 500, 'the city holds every generated matter');
    assert.ok(city.counts.by_state.closed > 0 && city.counts.open > 0);
    assert.ok(city.organisations.some((o) => o.closed > 0), 'some organisation closed matters');
    assert.ok(city.open_by_grid.length > 0);
    await assertEqualsGroupBy(cityOp, COUNTY);
    await assertEqualsGroupBy(county, COUNTY);
    await assertEqualsGroupBy(leader, COUNTY);
    await assertEqualsGroupBy(county, TOWNSHIP);
    await assertEqualsGroupBy(township, TOWNSHIP);
  });

  test('without region: the caller\'s own', async () => {
    assert.equal((await dashboard(leader)).region, COUNTY);
    assert.equal((await dashboard(township)).region, TOWNSHIP);
    assert.equal((await dashboard(cityOp)).region, CITY);
  });

  test('departments and grid workers get 403; a region outside the scope 404', async () => {
    for (const c of [handler, worker]) {
      const r = await c.get('/api/v1/matters/dashboard');
      assert.equal(r.status, 403, r.text);
    }
    let r = await county.get(`/api/v1/matters/dashboard?region=${OTHER_COUNTY}`);
    assert.equal(r.status, 404, r.text);
    r = await township.get(`/api/v1/matters/dashboard?region=${COUNTY}`);
    assert.equal(r.status, 404, r.text);
    r = await leader.get(`/api/v1/matters/dashboard?region=${CITY}`);
    assert.equal(r.status, 404, r.text);
    r = await leader.get('/api/v1/matters/dashboard?region=12x');
    assert.equal(r.status, 400, r.text);
  });
});

describe('after live actions', () => {
  const act = (client, m, action, fields = {}) => client.post(`/api/v1/matters/${m.id}/actions`, { action, version: m.version, ...fields });
  async function ok(p) {
    const r = await p;
    assert.ok(r.status === 200 || r.status === 201, r.text);
    return r.body;
  }
  const orgRow = (d, id) => d.organisations.find((o) => o.id === id) || { supervised: 0, reminded: 0, closed: 0, closed_on_time: 0 };

  test('report, accept, dispatch, supervise, remind, close, and red after the clock moves', async () => {
    const grid = (await worker.get('/api/v1/grids?limit=1')).body.items[0];
    const townId = township.login.org.id;
    const before = await dashboard(county, COUNTY);
    const report = () => ok(worker.post('/api/v1/matters', {
      item: 'CG-001', title: '人行道占道经营', description: '早市摊位占用人行道。', grid: grid.code,
    }));
    // Three new reports: one closed by the township, one dispatched and supervised, one left.
    let a = await report(), b = await report();
    const c = await report();
    a = await ok(act(township, a, 'accept'));
    b = await ok(act(township, b, 'accept'));
    b = await ok(act(township, b, 'dispatch', { departments: [{ org: handler.login.org.id, role: 'lead' }] }));
    b = await ok(act(county, b, 'supervise', { level: 'red', message: '限期办结' }));
    assert.equal(b.supervision, 'red');
    b = await ok(act(county, b, 'remind', { message: '请加快办理' }));
    assert.equal(b.reminders, 1);
    const cSup = await ok(act(leader, c, 'supervise', { level: 'yellow', message: '请关注' }));
    assert.equal(cSup.supervision, 'yellow');
    // The list rows carry the supervision level for the queue's 督办 tag.
    const list = await township.get('/api/v1/matters?limit=5');
    assert.equal(list.body.items.find((m) => m.id === b.id).supervision, 'red');
    assert.equal(list.body.items.find((m) => m.id === a.id).supervision, null);
    a = await ok(act(township, a, 'handle'));
    a = await ok(act(township, a, 'submit', { result: '已劝离' }));
    a = await ok(act(township, a, 'verify'));
    a = await ok(act(township, a, 'close'));
    assert.equal(a.state, 'closed');

    let after = await assertEqualsGroupBy(county, COUNTY);
    await assertEqualsGroupBy(township, TOWNSHIP);
    await assertEqualsGroupBy(cityOp, CITY);
    assert.equal(after.counts.total, before.counts.total + 3);
    assert.equal(after.reported_today.by_source.patrol, (before.reported_today.by_source.patrol || 0) + 3);
    const t0 = orgRow(before, townId), t1 = orgRow(after, townId);
    assert.equal(t1.supervised, t0.supervised + 2, 'the township was supervised twice');
    assert.equal(t1.reminded, t0.reminded + 1);
    assert.equal(t1.closed, t0.closed + 1);
    assert.equal(t1.closed_on_time, t0.closed_on_time + 1);
    const h0 = orgRow(before, handler.login.org.id), h1 = orgRow(after, handler.login.org.id);
    assert.equal(h1.supervised, h0.supervised + 1, 'the department holding open work was supervised');

    // A month later everything open is red; the tick turns it, the counters follow.
    await advanceClock(server, 30 * 86400);
    await loginAll();
    const tick = await sys.post('/api/v1/internal/tick', {});
    assert.equal(tick.status, 200, tick.text);
    after = await assertEqualsGroupBy(county, COUNTY);
    await assertEqualsGroupBy(township, TOWNSHIP);
    await assertEqualsGroupBy(cityOp, CITY);
    assert.ok(after.counts.red >= 2, `red: ${after.counts.red}`);
    assert.ok(orgRow(after, townId).red >= 2);
    assert.ok(orgRow(after, handler.login.org.id).red >= 1);
    // Nothing reported "today" a month on; the week is counted from its Monday.
    assert.deepEqual(after.reported_today.by_source, {});

    // Closing a matter that was red does not count as on time.
    let m = (await township.get(`/api/v1/matters/${c.id}`)).body;
    assert.equal(m.alert, 'red');
    const beforeClose = orgRow(await dashboard(county, COUNTY), townId);
    for (const [action, fields] of [['accept', {}], ['handle', {}], ['submit', { result: '已劝离' }], ['verify', {}], ['close', {}]]) {
      const r = await act(township, m, action, fields);
      assert.equal(r.status, 200, `${action}: ${r.text}`);
      m = r.body;
    }
    after = await assertEqualsGroupBy(county, COUNTY);
    const t2 = orgRow(after, townId);
    assert.equal(t2.closed, beforeClose.closed + 1);
    assert.equal(t2.closed_on_time, beforeClose.closed_on_time, 'a red matter closed late is not on time');
  });

  test('`wangge check` finds the counters consistent', async () => {
    const r = await runCli(['check', '--db', db], { env: testEnv });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});

// The life of a matter through the API (issue 10): report, accept, dispatch to two departments
// (joint handling), sign, return with a basis, overdue explanation before the result, verify,
// close; the refusals (bad transitions naming state and action, wrong party, stale version,
// Art. 16 and Art. 19), scope (a department sees only what was dispatched to it), the deadline
// colours, the counters, and the projection rebuilt from the events by `wangge check`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { advanceClock } from '../lib/clock.mjs';
import { runCli } from '../lib/server.mjs';

let server, worker, township, county, handler, handler2, sys;
let grid, otherGrid;

// Items of the demo's published list: one the grid worker may resolve on the spot, one that is
// report-only, and one that is not (or no longer) on the published list.
const RESOLVABLE = 'CG-001';
const REPORT_ONLY = 'CG-004';
const RESIDENT_ITEM = 'CG-001';
const NOT_PUBLISHED = 'QT-001'; // published to take effect a month from now

async function report(client, extra = {}) {
  return client.post('/api/v1/matters', {
    item: RESOLVABLE, title: '人行道占道经营', description: '早市摊位占用人行道，行人绕行机动车道。',
    grid: grid.code, ...extra,
  });
}

async function act(client, m, action, fields = {}) {
  return client.post(`/api/v1/matters/${m.id}/actions`, { action, version: m.version, ...fields });
}

function orgIdOf(client) {
  return client.login.org.id;
}

// Moving the clock days ahead ends every session (idle timeout): log everybody in again.
async function loginAll() {
  [worker, township, county, handler, handler2, sys] = await Promise.all([
    loginAs(server, 'worker'), loginAs(server, 'township'), loginAs(server, 'operator'),
    loginAs(server, 'handler'), loginAs(server, 'handler2'), loginAs(server, 'sysadmin'),
  ]);
}

before(async () => {
  server = await startDemoServer({ args: ['--enable-internal'] });
  await ensureCalendar(server);
  await loginAll();
  const mine = await worker.get('/api/v1/grids?limit=10');
  assert.equal(mine.status, 200, mine.text);
  [grid] = mine.body.items;
  const all = await sys.get('/api/v1/grids?limit=200');
  otherGrid = all.body.items.find((g) => !mine.body.items.some((m) => m.code === g.code));
  assert.ok(grid && otherGrid);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('report', () => {
  test('a grid worker reports in their grid; the township center holds it', async () => {
    const r = await report(worker);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.state, 'reported');
    assert.equal(r.body.state_label, '已上报');
    assert.equal(r.body.version, 1);
    assert.match(r.body.owner.name, /网格化服务管理中心/);
    assert.equal(r.body.grid.code, grid.code);
    assert.match(r.body.due_at, /\+08:00$/);
    assert.equal(r.body.timeline.length, 1);
    assert.equal(r.body.timeline[0].action, 'report');
    assert.deepEqual(r.body.actions.map((a) => a.action).sort(), ['self_handle']);
  });

  test('refusals: outside their grids, unknown item, Art. 16, unknown field, bad text', async () => {
    let r = await report(worker, { grid: otherGrid.code });
    assert.equal(r.status, 404, r.text);
    r = await report(worker, { item: 'NOPE-1' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'item_not_found');
    r = await report(worker, { item: NOT_PUBLISHED });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'item_not_published');
    assert.match(r.body.error.message, /第十六条/);
    r = await report(worker, { colour: 'red' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'unknown_field');
    r = await report(worker, { title: '' });
    assert.equal(r.status, 400);
    r = await report(worker, { title: 'x'.repeat(61) });
    assert.equal(r.status, 400);
    r = await report(worker, { grid: undefined });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'missing_location');
    r = await report(worker, { urgency: 7 });
    assert.equal(r.status, 400);
  });

  test('a location is placed in its grid through the locate index', async () => {
    const g = await sys.get(`/api/v1/grids/${grid.code}`);
    const ring = g.body.boundary.type === 'Polygon' ? g.body.boundary.coordinates[0] : g.body.boundary.coordinates[0][0];
    const pts = ring.slice(0, -1);
    const lng = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    const r = await report(worker, { grid: undefined, location: { lng, lat } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.grid.code, grid.code);
    assert.ok(Math.abs(r.body.location.lng - lng) < 1e-9);
    const far = await report(worker, { grid: undefined, location: { lng: 100, lat: 30 } });
    assert.equal(far.status, 400);
    assert.equal(far.body.error.code, 'outside_grids');
  });
});

describe('self-handling (Art. 16)', () => {
  test('the worker resolves a listed item on the spot; the township verifies and closes', async () => {
    let m = (await report(worker)).body;
    let r = await act(worker, m, 'self_handle', { result: '已劝离摊位，恢复通行。' });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.state, 'done');
    assert.equal(m.handler, 'worker');
    r = await act(township, m, 'verify');
    assert.equal(r.status, 200, r.text);
    r = await act(township, r.body, 'close');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'closed');
    assert.ok(r.body.closed_at);
  });

  test('a report-only item cannot be self-handled, and says why', async () => {
    const m = (await report(worker, { item: REPORT_ONLY, title: '消防通道堵塞' })).body;
    assert.deepEqual(m.actions, [], 'self-handling is not offered for a report-only item');
    const r = await act(worker, m, 'self_handle', { result: '已处理' });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'not_on_list_for_worker');
    assert.match(r.body.error.message, /第十六条/);
  });
});

describe('the whole flow with joint handling', () => {
  let m;

  test('bad transitions name the state and the action; the wrong party is refused', async () => {
    m = (await report(worker)).body;
    let r = await act(township, m, 'dispatch', { departments: [{ org: 1 }] });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'bad_transition');
    assert.match(r.body.error.message, /已上报/);
    assert.match(r.body.error.message, /分流/);
    r = await act(county, m, 'accept');
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'not_your_turn');
    r = await act(worker, m, 'accept');
    assert.equal(r.status, 403);
    r = await act(township, m, 'accept', { colour: 'x' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'unknown_field');
  });

  test('accept; a stale version is 409; two simultaneous actions: one wins', async () => {
    const [a, b] = await Promise.all([act(township, m, 'accept'), act(township, m, 'accept')]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409]);
    const lost = a.status === 409 ? a : b;
    assert.equal(lost.body.error.code, 'version_conflict');
    m = (a.status === 200 ? a : b).body;
    assert.equal(m.state, 'accepted');
    assert.equal(m.version, 2);
  });

  test('dispatch and assign carry their choices: departments and lower centers holding the place', async () => {
    // The township center does not see the county's departments through /api/v1/orgs (its
    // scope is its own subtree): the dispatch action lists them.
    const orgs = await township.get('/api/v1/orgs?kind=department&limit=200');
    assert.equal(orgs.status, 200);
    assert.ok(!orgs.body.items.some((o) => o.id === orgIdOf(handler)));
    const dispatch = m.actions.find((a) => a.action === 'dispatch');
    const ids = dispatch.options.map((o) => o.id);
    assert.ok(ids.includes(orgIdOf(handler)) && ids.includes(orgIdOf(handler2)), JSON.stringify(dispatch));
    assert.ok(dispatch.options.every((o) => o.name && o.region_name));
    // A township center has no center below it to assign to.
    assert.deepEqual(m.actions.find((a) => a.action === 'assign').options, []);
    assert.equal(m.actions.find((a) => a.action === 'accept'), undefined);
  });

  test('dispatch to a lead and a co-handler, each with its own deadline', async () => {
    const d1 = orgIdOf(handler), d2 = orgIdOf(handler2);
    let r = await act(township, m, 'dispatch', { departments: [{ org: d1, role: 'co' }, { org: d2, role: 'co' }] });
    assert.equal(r.status, 400);
    r = await act(township, m, 'dispatch', { departments: [{ org: orgIdOf(township) }] });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'bad_department');
    r = await act(township, m, 'dispatch', {
      departments: [{ org: d1, role: 'lead', working_days: 3 }, { org: d2, role: 'co', requirements: '配合执法' }],
    });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.state, 'in_progress');
    assert.equal(m.assignments.length, 2);
    assert.deepEqual(m.assignments.map((a) => [a.role, a.status]), [['lead', 'pending'], ['co', 'pending']]);
  });

  test('scope: each department sees it; the county sees it; a department not dispatched does not', async () => {
    for (const c of [handler, handler2, county, township, worker]) {
      const r = await c.get(`/api/v1/matters/${m.id}`);
      assert.equal(r.status, 200, r.text);
    }
    // The handler sees only dispatched matters in its list.
    const list = await handler.get('/api/v1/matters?limit=200');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((x) => x.id), [m.id]);
    // Another matter, not dispatched: 404 for the department.
    const other = (await report(worker)).body;
    const r = await handler.get(`/api/v1/matters/${other.id}`);
    assert.equal(r.status, 404);
  });

  test('both sign; the co-handler returns it with a basis', async () => {
    let r = await act(handler, m, 'submit', { result: 'x' });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'sign_first');
    r = await act(handler, m, 'sign');
    assert.equal(r.status, 200, r.text);
    r = await act(handler2, r.body, 'sign');
    assert.equal(r.status, 200, r.text);
    r = await act(handler2, r.body, 'return', {});
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'missing_field');
    r = await act(handler2, (await handler2.get(`/api/v1/matters/${m.id}`)).body, 'return', { basis: '不属于本局职责：依据《城市管理执法办法》第八条' });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.state, 'in_progress');
    assert.equal(m.assignments[1].status, 'returned');
  });

  test('overdue: the result needs a written explanation first (Art. 19)', async () => {
    await advanceClock(server, 10 * 86400);
    await loginAll();
    const tick = await sys.post('/api/v1/internal/tick', {});
    assert.equal(tick.status, 200, tick.text);
    assert.ok(tick.body.changed >= 1);
    m = (await handler.get(`/api/v1/matters/${m.id}`)).body;
    assert.equal(m.alert, 'red');
    assert.equal(m.assignments[0].overdue, true);
    assert.ok(m.actions.some((a) => a.action === 'explain_overdue'));
    let r = await act(handler, m, 'submit', { result: '已取缔' });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'overdue_explanation_required');
    assert.match(r.body.error.message, /第十九条/);
    r = await act(handler, m, 'explain_overdue', { explanation: '当事人多次拒不配合，需联合执法。' });
    assert.equal(r.status, 200, r.text);
    r = await act(handler, r.body, 'submit', { result: '已联合取缔，恢复通行。' });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.state, 'done');
  });

  test('the township verifies, closes and answers the reporter', async () => {
    let r = await act(handler, m, 'verify');
    assert.equal(r.status, 403);
    r = await act(township, m, 'verify');
    assert.equal(r.status, 200, r.text);
    r = await act(township, r.body, 'close');
    assert.equal(r.status, 200, r.text);
    r = await act(township, r.body, 'feedback', { message: '已处理完毕，感谢反映。' });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.state, 'closed');
    assert.deepEqual(m.timeline.map((e) => e.action), [
      'report', 'accept', 'dispatch', 'sign', 'sign', 'return', 'explain_overdue', 'submit', 'verify', 'close', 'feedback',
    ]);
    r = await act(township, m, 'close');
    assert.equal(r.status, 409);
    assert.match(r.body.error.message, /已结案/);
  });
});

describe('escalation, assignment down, rework, extension', () => {
  test('township escalates; the county assigns down; rework; extension', async () => {
    let m = (await report(worker)).body;
    let r = await act(township, m, 'escalate', { reason: '涉及跨街道协调' });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.state, 'reported');
    assert.match(m.owner.name, /区|县|市/);
    r = await act(township, m, 'accept');
    assert.equal(r.status, 403);
    r = await act(county, m, 'accept');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.actions.find((a) => a.action === 'assign').options.map((o) => o.id), [orgIdOf(township)]);
    r = await act(county, r.body, 'assign', { org: orgIdOf(township), requirements: '五个工作日内办结并报告' });
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.assignments[0].kind, 'assign');
    r = await act(township, m, 'sign');
    assert.equal(r.status, 200, r.text);
    r = await act(township, r.body, 'request_extension', { due: '2099-01-01', reason: '需等待天气好转' });
    assert.equal(r.status, 200, r.text);
    r = await act(county, r.body, 'approve_extension', { assignment: 1 });
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.assignments[0].due_at, /^2099-01-0[12]T00:00:00\+08:00$/);
    r = await act(township, r.body, 'submit', { result: '已办结' });
    assert.equal(r.status, 200, r.text);
    r = await act(county, r.body, 'rework', { reason: '现场仍有摊位' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'in_progress');
    assert.equal(r.body.assignments[0].status, 'signed');
  });
});

describe('counters and the rebuild', () => {
  test('the counters equal a count of the matters in the queue', async () => {
    const counts = await township.get('/api/v1/matters/counts');
    assert.equal(counts.status, 200, counts.text);
    let listed = 0, cursor = null;
    do {
      const page = await township.get(`/api/v1/matters?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      listed += page.body.items.length;
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(counts.body.total, listed);
    const dept = await handler.get('/api/v1/matters/counts');
    assert.equal(dept.status, 403);
  });

  test('`wangge check` folds every matter from its events and finds nothing', async () => {
    const r = await runCli(['check', '--db', server.db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /healthy/);
  });
});

describe('locations', () => {
  test('a location that is not {lng, lat} is 400 bad_coordinates, from staff and from residents', async () => {
    const { clientFor } = await import('../lib/auth.mjs');
    for (const location of ['here', 5, [1, 2], { lng: 116 }, { lng: 'x', lat: 36 }, { lng: 116, lat: 36, z: 1 }]) {
      const staff = await report(worker, { grid: undefined, location });
      assert.equal(staff.status, 400, `${JSON.stringify(location)}: ${staff.text}`);
      const pub = await clientFor(server, {}).post('/api/v1/public/reports', {
        item: RESIDENT_ITEM, title: '路灯不亮', description: '门口路灯不亮', contact: '13900003333', location,
      });
      assert.equal(pub.status, 400, `${JSON.stringify(location)}: ${pub.text}`);
      assert.ok(['bad_coordinates', 'unknown_field'].includes(pub.body.error.code), pub.text);
    }
  });
});

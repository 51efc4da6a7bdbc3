// Key-people visits and the registry's data quality (issue 12 parts 5 and 6,
// docs/api-registry.md): the demo population's key people falling due, a visit recorded as a duty
// record linked to the person taking one off the list, who may read the list (person.key_read
// and a reason, every read audited), the quality lists scoped to the caller (a grid worker's
// to-verify list holds only their grids), PATCH verify, and the crowded-house threshold.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, startDemoServer } from '../lib/auth.mjs';
import { makeOfficer, residentId } from '../lib/registry.mjs';

let seq = 500;
const idFor = () => residentId(`37150219770707${seq++}`);
const REASON = encodeURIComponent('月度走访排查');

let server, op, leader, handler, worker, auditor, officer, workerGrid;

async function makeQualityOfficer() {
  return makeOfficer(server, {
    role: { name: 'visit_officer', label: '重点人员走访专管员', permissions: ['registry.read', 'registry.write', 'person.read', 'person.write', 'person.key_read', 'duty.write', 'duty.read'] },
    username: 'visit_officer1',
    display_name: '走访专管员',
  });
}

before(async () => {
  server = await startDemoServer();
  op = await loginAs(server, 'center_operator');
  leader = await loginAs(server, 'center_leader');
  handler = await loginAs(server, 'dept_handler');
  worker = await loginAs(server, 'grid_worker');
  auditor = await loginAs(server, 'auditor');
  workerGrid = worker.login.grids[0].code;
  officer = await makeQualityOfficer();
});
after(async () => { if (server) assert.equal(await server.stop(), 0); });

async function due(client, query = '') {
  const r = await client.get(`/api/v1/people/visits-due?reason=${REASON}&limit=100${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('key-people visits', () => {
  test('the demo key people fall due; the list needs person.key_read and a reason, and is audited', async () => {
    for (const c of [handler, worker, op]) assert.equal((await c.get(`/api/v1/people/visits-due?reason=${REASON}`)).status, 403);
    let r = await leader.get('/api/v1/people/visits-due');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'reason_required');
    const page = await due(leader);
    // Demo: three key people; the one visited two days ago (released prisoner, monthly) is not due.
    assert.equal(page.items.length, 2, JSON.stringify(page));
    for (const it of page.items) {
      assert.match(it.due_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
      assert.equal(it.last_visit, null);
      assert.ok(it.overdue_days >= 0);
    }
    assert.deepEqual(page.items.map((i) => i.interval_days).sort(), [30, 7]);
    r = await leader.get('/api/v1/people/visits-due?reason=x&limit=0');
    assert.equal(r.status, 400);
    const a = await auditor.get('/api/v1/audit?action=person.key_read&limit=50');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.object === 'people:visits-due' && x.outcome === 'success' && x.detail.includes('月度走访排查')), a.text);
  });

  test('a visit is a duty record linked to the person and takes them off the list', async () => {
    const h = await officer.post('/api/v1/houses', { grid: workerGrid, address: '走访路 9 号', type: '住宅', use: '自住' });
    assert.equal(h.status, 201, h.text);
    const p = await officer.post('/api/v1/people', { name: '周某', id_number: idFor(), reg_type: '户籍', house: h.body.id, date: '2026-01-05', tags: ['社区矫正对象'] });
    assert.equal(p.status, 201, p.text);
    const plain = await officer.post('/api/v1/people', { name: '吴某', id_number: idFor(), reg_type: '户籍', house: h.body.id });
    assert.equal(plain.status, 201, plain.text);
    let page = await due(officer, `&grid=${workerGrid}`);
    assert.ok(page.items.some((i) => i.id === p.body.id && i.interval_days === 7), JSON.stringify(page));
    // Only a key-group visit, of a key person of that grid.
    let r = await officer.post('/api/v1/duty-records', { duty: 'data_collection', grid: workerGrid, person: p.body.id });
    assert.equal(r.status, 400, r.text);
    r = await officer.post('/api/v1/duty-records', { duty: 'key_group_visit', grid: workerGrid, person: plain.body.id });
    assert.equal(r.status, 404, r.text);
    r = await officer.post('/api/v1/duty-records', { duty: 'key_group_visit', grid: workerGrid, person: 'x' });
    assert.equal(r.status, 400, r.text);
    r = await officer.post('/api/v1/duty-records', { duty: 'key_group_visit', grid: workerGrid, person: p.body.id, note: '走访' });
    assert.equal(r.status, 201, r.text);
    page = await due(officer, `&grid=${workerGrid}`);
    assert.ok(!page.items.some((i) => i.id === p.body.id), JSON.stringify(page));
  });
});

describe('data quality', () => {
  test('lists are scoped: the grid worker sees only their grids', async () => {
    let r = await op.get('/api/v1/registry/quality?kind=no_house&limit=100');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.kind, 'no_house');
    const all = r.body.items;
    r = await worker.get('/api/v1/registry/quality?kind=no_house&limit=100');
    assert.equal(r.status, 200, r.text);
    const own = new Set(worker.login.grids.map((g) => g.code));
    assert.ok(r.body.items.every((i) => own.has(i.grid)), r.text);
    const reg = await worker.post('/api/v1/people', { name: '钱某', id_number: idFor(), reg_type: '流动', grid: workerGrid });
    assert.equal(reg.status, 201, reg.text);
    r = await worker.get('/api/v1/registry/quality?kind=no_house&limit=100');
    assert.ok(r.body.items.some((i) => i.id === reg.body.id && i.house === null), r.text);
    assert.ok(all.length >= 1);
    r = await worker.get('/api/v1/registry/quality?limit=100');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.kind, 'unverified');
    assert.equal(r.body.threshold, 12);
    assert.equal(r.body.items.length, 0, 'fresh records need no verification yet');
    r = await worker.get('/api/v1/registry/quality?kind=duplicates');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items.length, 0);
    for (const q of ['kind=bogus', 'grid=123']) {
      r = await worker.get(`/api/v1/registry/quality?${q}`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'bad_param');
    }
    // verify
    r = await worker.patch(`/api/v1/people/${reg.body.id}`, { verify: 'yes' });
    assert.equal(r.status, 400, r.text);
    r = await worker.patch(`/api/v1/people/${reg.body.id}`, { verify: true });
    assert.equal(r.status, 200, r.text);
  });

  test('houses with more residents than the threshold are listed', async () => {
    const h = await op.post('/api/v1/houses', { grid: workerGrid, address: '群租路 1 号', type: '住宅', use: '出租' });
    assert.equal(h.status, 201, h.text);
    const crowded = async () => {
      const r = await worker.get(`/api/v1/registry/quality?kind=crowded&grid=${workerGrid}&limit=100`);
      assert.equal(r.status, 200, r.text);
      return r.body.items.find((i) => i.id === h.body.id);
    };
    for (let i = 0; i < 12; i++) {
      const r = await op.post('/api/v1/people', { name: `租户${i}`, id_number: idFor(), reg_type: '流动', house: h.body.id });
      assert.equal(r.status, 201, r.text);
    }
    assert.equal(await crowded(), undefined, 'twelve is the threshold, not over it');
    const r = await op.post('/api/v1/people', { name: '租户12', id_number: idFor(), reg_type: '流动', house: h.body.id });
    assert.equal(r.status, 201, r.text);
    assert.equal((await crowded()).residents, 13);
  });
});

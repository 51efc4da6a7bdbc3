// Edits of houses and units and a person's history (issue 12 parts 1 and 3,
// docs/api-registry.md) in the demo city. What it must show: a grid worker cannot change a house
// outside their grids (404, as if missing), nor move one into a grid that is not theirs; a change
// made on a stale version is refused (409 version_conflict); a change of a house's use is a dated
// record answered with the house; moving a house to another grid moves the houses counter and
// its residents' contributions (the two grids' statistics before and after); a unit's credit code
// is validated and unique; a person's history lists their records in date order after a move;
// a key person's history follows the key-people rules (403 without person.key_read, a reason,
// every read in the audit trail), and key categories never show to a caller without them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, startDemoServer } from '../lib/auth.mjs';
import { makeOfficer, residentId, uscc } from '../lib/registry.mjs';

const WORKER_UNBOUND_GRID = '371502001001601'; // in the demo worker's community, not bound to it

let seq = 500;
const idFor = (birth = '19820202') => residentId(`371502${birth}${seq++}`);

let creditSeq = 0;
const nextCredit = () => uscc(`91371502MA7${String(++creditSeq).padStart(6, '0')}`);

let server, op, leader, handler, worker, auditor, workerGrid;

before(async () => {
  server = await startDemoServer();
  op = await loginAs(server, 'center_operator');
  leader = await loginAs(server, 'center_leader');
  handler = await loginAs(server, 'dept_handler');
  worker = await loginAs(server, 'grid_worker');
  auditor = await loginAs(server, 'auditor');
  workerGrid = worker.login.grids[0].code;
});
after(async () => { if (server) assert.equal(await server.stop(), 0); });

let officerClient;
// A key-people officer: a custom role with person.write and person.key_read (docs/api-registry.md).
async function keyOfficer() {
  officerClient ??= await makeOfficer(server, {
    role: { name: 'key_officer', label: '重点人员专管员', permissions: ['registry.read', 'registry.write', 'person.read', 'person.write', 'person.key_read'] },
    username: 'key_officer2',
  });
  return officerClient;
}

async function house(client, grid, address, extra = {}) {
  const r = await client.post('/api/v1/houses', { grid, address, room: '101', type: '住宅', use: '自住', ...extra });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function person(client, extra) {
  const r = await client.post('/api/v1/people', { name: '赵六', id_number: idFor(), reg_type: '户籍', ...extra });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

async function stats(code) {
  const r = await op.get(`/api/v1/grids/${code}/statistics`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('registry edits', () => {
  test('houses: validation, scope and stale versions', async () => {
    const h = await house(worker, workerGrid, '编辑路 1 号');
    assert.equal(h.version, 1);
    let r = await worker.patch(`/api/v1/houses/${h.id}`, { address: '编辑路 1-1 号' });
    assert.equal(r.status, 400, 'the version is required');
    assert.equal(r.body.error.code, 'bad_field');
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 1, colour: 'red' });
    assert.equal(r.body.error.code, 'unknown_field');
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 1, type: '城堡' });
    assert.equal(r.body.error.code, 'bad_type');
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 1, use: '随便' });
    assert.equal(r.body.error.code, 'bad_use');
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 1, address: '' });
    assert.equal(r.body.error.code, 'bad_field');
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 1, address: '编辑路 1-1 号', type: '商铺', room: null, building: '3' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.address, '编辑路 1-1 号');
    assert.equal(r.body.type_label, '商铺');
    assert.equal(r.body.room, null);
    assert.equal(r.body.building, '3');
    assert.equal(r.body.version, 2);
    // The same change made on the version read before: refused, nothing changed.
    r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, address: '编辑路 9 号' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'version_conflict');
    assert.equal((await op.get(`/api/v1/houses/${h.id}`)).body.address, '编辑路 1-1 号');
    // A house outside the worker's grids answers as missing; so does a grid outside them.
    const outside = await house(op, WORKER_UNBOUND_GRID, '编辑路 2 号');
    r = await worker.patch(`/api/v1/houses/${outside.id}`, { version: 1, address: '编辑路 2-1 号' });
    assert.equal(r.status, 404, r.text);
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 2, grid: WORKER_UNBOUND_GRID });
    assert.equal(r.status, 404, r.text);
    r = await worker.patch(`/api/v1/houses/${h.id}`, { version: 2, grid: '123' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'bad_grid');
    // Without registry.write: 403.
    assert.equal((await handler.patch(`/api/v1/houses/${h.id}`, { version: 2, address: 'x' })).status, 403);
    // Every change is in the audit trail.
    const a = await auditor.get('/api/v1/audit?action=house.update&limit=50');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.object === `house:${h.id}` && x.outcome === 'success'), a.text);
    assert.ok(a.body.items.some((x) => x.object === `house:${outside.id}` && x.outcome === 'denied'), 'the refusal is recorded');
  });

  test('a change of use is a dated record', async () => {
    const h = await house(op, workerGrid, '用途路 1 号', { date: '2024-03-01' });
    assert.equal(h.use_since, '2024-03-01');
    assert.deepEqual(h.use_history.map((u) => [u.use, u.since]), [['self', '2024-03-01']]);
    let r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, use: '出租', date: '2024-01-01' });
    assert.equal(r.status, 400, 'dated before the current use');
    assert.equal(r.body.error.code, 'bad_date');
    r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, use: '出租', date: '2099-01-01' });
    assert.equal(r.body.error.code, 'bad_date');
    r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, date: '2025-01-01' });
    assert.equal(r.status, 400, 'a date without a use');
    r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, use: '出租', date: '2025-05-01' });
    assert.equal(r.status, 200, r.text);
    r = await op.patch(`/api/v1/houses/${h.id}`, { version: 2, use: 'vacant', date: '2025-11-15' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.use, 'vacant');
    assert.equal(r.body.use_label, '空置');
    assert.equal(r.body.use_since, '2025-11-15');
    assert.deepEqual(r.body.use_history.map((u) => [u.use, u.use_label, u.since]), [
      ['self', '自住', '2024-03-01'], ['rent', '出租', '2025-05-01'], ['vacant', '空置', '2025-11-15'],
    ]);
    assert.match(r.body.use_history[2].recorded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    const a = await auditor.get('/api/v1/audit?action=house.update&limit=50');
    assert.ok(a.body.items.some((x) => x.object === `house:${h.id}` && x.detail.includes('出租→空置')), a.text);
  });

  test('moving a house to another grid moves its counters and residents', async () => {
    const h = await house(op, workerGrid, '迁网格路 1 号');
    const p1 = await person(op, { house: h.id, relation: '户主', reg_type: '流动', tags: ['独居老人'] });
    const p2 = await person(op, { house: h.id, relation: '配偶' });
    const a0 = await stats(workerGrid);
    const b0 = await stats(WORKER_UNBOUND_GRID);
    const r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, grid: WORKER_UNBOUND_GRID });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.grid, WORKER_UNBOUND_GRID);
    assert.equal(r.body.residents, 2);
    const a1 = await stats(workerGrid);
    const b1 = await stats(WORKER_UNBOUND_GRID);
    const moved = { houses: 1, residents: 2, households: 1, floating: 1, care: 1, key_people: 0, foreigners: 0, units: 0 };
    for (const [k, n] of Object.entries(moved)) {
      assert.equal(a1[k], a0[k] - n, `${k} of the old grid`);
      assert.equal(b1[k], b0[k] + n, `${k} of the new grid`);
    }
    // The residents' grid followed their house: out of the worker's grids now.
    assert.equal((await op.get(`/api/v1/people/${p1}`)).body.grid, WORKER_UNBOUND_GRID);
    assert.equal((await worker.get(`/api/v1/people/${p2}`)).status, 404);
    assert.equal((await worker.get(`/api/v1/houses/${h.id}`)).status, 404);
    // A move to the same grid changes no counter.
    const same = await op.patch(`/api/v1/houses/${h.id}`, { version: 2, grid: WORKER_UNBOUND_GRID });
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(await stats(WORKER_UNBOUND_GRID), b1);
  });

  test('a house a key person lives in moves only with person.key_read', async () => {
    const officer = await keyOfficer();
    const h = await house(op, workerGrid, '重点路 1 号');
    const id = await person(op, { house: h.id });
    let r = await officer.patch(`/api/v1/people/${id}`, { tags_enter: ['刑满释放人员'] });
    assert.equal(r.status, 200, r.text);
    const a0 = await stats(workerGrid);
    r = await op.patch(`/api/v1/houses/${h.id}`, { version: 1, grid: WORKER_UNBOUND_GRID });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.error.code, 'key_person');
    r = await officer.patch(`/api/v1/houses/${h.id}`, { version: 1, grid: WORKER_UNBOUND_GRID });
    assert.equal(r.status, 200, r.text);
    const a1 = await stats(workerGrid);
    assert.equal(a1.key_people, a0.key_people - 1);
    assert.equal(a1.residents, a0.residents - 1);
  });

  test('units: fields, credit code, scope, versions and grid moves', async () => {
    const credit = nextCredit();
    let r = await op.post('/api/v1/units', { grid: workerGrid, name: '编辑商店', credit_code: credit, kind: '商户', address: '编辑路 5 号', contact_name: '钱七', contact_phone: '0635-1234567' });
    assert.equal(r.status, 201, r.text);
    const u = r.body;
    assert.equal(u.version, 1);
    const other = await op.post('/api/v1/units', { grid: workerGrid, name: '另一商店', credit_code: nextCredit(), kind: '商户', address: '编辑路 6 号' });
    assert.equal(other.status, 201, other.text);
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 1, credit_code: '91350100M000100Y44' });
    assert.equal(r.body.error.code, 'bad_credit_code');
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 1, credit_code: other.body.credit_code });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'duplicate');
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 1, kind: '城堡' });
    assert.equal(r.body.error.code, 'bad_kind');
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 1, name: '' });
    assert.equal(r.body.error.code, 'bad_name');
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 1, web: 'x' });
    assert.equal(r.body.error.code, 'unknown_field');
    const newCode = nextCredit();
    r = await worker.patch(`/api/v1/units/${u.id}`, { version: 1, name: '编辑超市', credit_code: newCode.toLowerCase(), kind: '企业', address: '编辑路 5-1 号', contact_name: null });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.name, '编辑超市');
    assert.equal(r.body.credit_code, newCode, 'stored upper-case');
    assert.equal(r.body.kind_label, '企业');
    assert.equal(r.body.contact_name, null);
    assert.equal(r.body.contact_phone, '0635-1234567');
    assert.equal(r.body.version, 2);
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 1, name: '旧版本' });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'version_conflict');
    // The worker cannot move it out of their grids; the operator can, and the counters follow.
    r = await worker.patch(`/api/v1/units/${u.id}`, { version: 2, grid: WORKER_UNBOUND_GRID });
    assert.equal(r.status, 404);
    const a0 = await stats(workerGrid);
    const b0 = await stats(WORKER_UNBOUND_GRID);
    r = await op.patch(`/api/v1/units/${u.id}`, { version: 2, grid: WORKER_UNBOUND_GRID });
    assert.equal(r.status, 200, r.text);
    assert.equal((await stats(workerGrid)).units, a0.units - 1);
    assert.equal((await stats(WORKER_UNBOUND_GRID)).units, b0.units + 1);
    r = await worker.patch(`/api/v1/units/${u.id}`, { version: 3, name: '看不见' });
    assert.equal(r.status, 404);
  });
});

describe('a person\'s history', () => {
  test('the records of a person who moved, in date order', async () => {
    const a = await house(op, workerGrid, '履历路 1 号');
    const b = await house(op, workerGrid, '履历路 2 号');
    const id = await person(op, { house: a.id, date: '2025-02-03', tags: ['低保'] });
    let r = await op.patch(`/api/v1/people/${id}`, { house: b.id, date: '2025-08-09' });
    assert.equal(r.status, 200, r.text);
    r = await op.patch(`/api/v1/people/${id}`, { phone: '13600001111', date: '2025-09-10' });
    assert.equal(r.status, 200, r.text);
    r = await worker.get(`/api/v1/people/${id}/history`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.person, id);
    assert.equal(r.body.next_cursor, null);
    const items = r.body.items;
    assert.deepEqual(items.map((x) => [x.date, x.kind]), [
      ['2025-02-03', 'move_in'], ['2025-02-03', 'tag_enter'], ['2025-08-09', 'move_in'], ['2025-09-10', 'changed'],
    ]);
    assert.deepEqual(items[0].house, { id: a.id, address: '履历路 1 号' });
    assert.equal(items[0].label, '迁入');
    assert.equal(items[1].tag, 'low_income');
    assert.equal(items[1].label, '纳入低保');
    assert.deepEqual(items[2].house, { id: b.id, address: '履历路 2 号' });
    assert.equal(items[3].house, null);
    assert.equal(items[3].unit, null);
    assert.ok(items[3].detail.includes('联系电话'));
    assert.ok(!JSON.stringify(items).includes('13600001111'), 'no value of a changed field');
    for (const x of items) assert.match(x.recorded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    // Keyset pages walk the same records.
    const seen = [];
    let cursor = '';
    do {
      const p = await worker.get(`/api/v1/people/${id}/history?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(p.status, 200, p.text);
      seen.push(...p.body.items.map((x) => x.id));
      cursor = p.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, items.map((x) => x.id));
    // Scope: a person outside the worker's grids answers as missing; so does nobody.
    const outside = await person(op, { grid: WORKER_UNBOUND_GRID });
    assert.equal((await worker.get(`/api/v1/people/${outside}/history`)).status, 404);
    assert.equal((await op.get('/api/v1/people/99999999/history')).status, 404);
    assert.equal((await auditor.get(`/api/v1/people/${id}/history`)).status, 403);
  });

  test('a key person\'s history: key_read, a reason, every read audited', async () => {
    const officer = await keyOfficer();
    const id = await person(op, { grid: workerGrid, date: '2025-04-01' });
    let r = await officer.patch(`/api/v1/people/${id}`, { tags_enter: ['社区矫正对象'], date: '2025-05-06' });
    assert.equal(r.status, 200, r.text);
    for (const c of [handler, worker, op]) {
      r = await c.get(`/api/v1/people/${id}/history`);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.code, 'key_person');
    }
    r = await leader.get(`/api/v1/people/${id}/history`);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'reason_required');
    const reason = `核查矫正期间居住情况${seq}`;
    r = await leader.get(`/api/v1/people/${id}/history?reason=${encodeURIComponent(reason)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((x) => [x.kind, x.tag ?? null]), [['registered', null], ['tag_enter', 'community_correction']]);
    assert.equal(r.body.items[1].label, '纳入社区矫正对象');
    const a = await auditor.get('/api/v1/audit?action=person.key_read&limit=50');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.object === `person:${id}` && x.outcome === 'success' && x.detail.includes(reason)), a.text);
    assert.equal(a.body.items.filter((x) => x.object === `person:${id}` && x.outcome === 'denied').length, 3, 'each refusal recorded');
    // After the category is left the person is no key person: the history answers without key
    // records to those who may not see them, and with them (audited) to a key reader with a reason.
    r = await officer.patch(`/api/v1/people/${id}`, { tags_leave: ['社区矫正对象'], tags_enter: ['残疾人'], date: '2025-12-01' });
    assert.equal(r.status, 200, r.text);
    r = await handler.get(`/api/v1/people/${id}/history`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((x) => [x.kind, x.tag ?? null]), [['registered', null], ['tag_enter', 'disabled']]);
    assert.ok(!r.text.includes('community_correction') && !r.text.includes('社区矫正'), r.text);
    r = await leader.get(`/api/v1/people/${id}/history`);
    assert.equal(r.status, 200, 'no reason: the key records are left out');
    assert.equal(r.body.items.length, 2);
    const reason2 = `复查历史类别${seq}`;
    r = await leader.get(`/api/v1/people/${id}/history?reason=${encodeURIComponent(reason2)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((x) => x.kind), ['registered', 'tag_enter', 'tag_leave', 'tag_enter']);
    const a2 = await auditor.get('/api/v1/audit?action=person.key_read&limit=50');
    assert.ok(a2.body.items.some((x) => x.object === `person:${id}` && x.detail.includes(reason2)), a2.text);
  });
});

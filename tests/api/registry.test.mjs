// The basic-information registry (issue 12, docs/api-registry.md): houses, units and people in
// the demo city. What it must show: the database file and its -wal hold no plaintext ID number
// or mobile number of created people; exact lookup by ID number through the blind index; a grid
// worker cannot read people outside their grids (404); a department handler cannot read key
// people (403); every read of a key person's record is in the audit trail with its reason; the
// residents of a house on a past date are answered from the dated records after people move; a
// person who leaves a key category leaves every current view; the grid counters follow.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { accountFor, clientFor, login, loginAs, startDemoServer } from '../lib/auth.mjs';
import { makeOfficer, residentId, uscc } from '../lib/registry.mjs';

const WORKER_UNBOUND_GRID = '371502001001601'; // in the demo worker's community, not bound to it

let seq = 300;
const idFor = (birth = '19800101') => residentId(`371502${birth}${seq++}`);

function rawBytes(db) {
  const parts = [readFileSync(db)];
  if (existsSync(`${db}-wal`)) parts.push(readFileSync(`${db}-wal`));
  return Buffer.concat(parts);
}

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
async function keyOfficer() {
  officerClient ??= await makeOfficer(server, {
    role: { name: 'key_officer', label: '重点人员专管员', permissions: ['registry.read', 'person.read', 'person.write', 'person.key_read'] },
    username: 'key_officer1',
  });
  return officerClient;
}

async function house(client, grid, address) {
  const r = await client.post('/api/v1/houses', { grid, address, building: '1', unit_no: '2', room: '301', type: '住宅', use: '自住' });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function person(client, extra) {
  const r = await client.post('/api/v1/people', { name: '张三', id_number: idFor(), reg_type: '户籍', phone: '13800000000', ...extra });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

describe('registry', () => {
  test('houses and units: validation, credit code, scope', async () => {
    let r = await op.post('/api/v1/houses', { grid: workerGrid, address: '测试路 1 号', type: '住宅', use: '随便' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'bad_use');
    r = await op.post('/api/v1/houses', { grid: workerGrid, address: '测试路 1 号', type: '住宅', use: '出租', colour: 'red' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'unknown_field');
    // The grid worker may not register a house in a grid that is not theirs.
    r = await worker.post('/api/v1/houses', { grid: WORKER_UNBOUND_GRID, address: '测试路 2 号', type: '住宅', use: '出租' });
    assert.equal(r.status, 404);
    const h = await house(worker, workerGrid, '测试路 3 号');
    assert.equal(h.use_label, '自住');
    r = await op.post('/api/v1/units', { grid: workerGrid, name: '测试商店', credit_code: '91350100M000100Y44', kind: '商户', address: '测试路 4 号' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'bad_credit_code');
    r = await op.post('/api/v1/units', { grid: workerGrid, name: '测试商店', credit_code: '91350100M000100Y43', kind: '商户', address: '测试路 4 号' });
    assert.equal(r.status, 201, r.text);
    // shop is a unit kind (商户) and a house type (商铺): a unit answers its own label.
    assert.equal(r.body.kind, 'shop');
    assert.equal(r.body.kind_label, '商户');
    r = await op.post('/api/v1/units', { grid: workerGrid, name: '测试商店二', credit_code: '91350100M000100Y43', kind: '商户', address: '测试路 5 号' });
    assert.equal(r.status, 409);
    r = await worker.get('/api/v1/houses?limit=1');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items.length, 1);
  });

  test('a house or a unit registered by its location is placed in its grid', async () => {
    const g = await op.get(`/api/v1/grids/${workerGrid}`);
    assert.equal(g.status, 200, g.text);
    const ring = g.body.boundary.type === 'Polygon' ? g.body.boundary.coordinates[0] : g.body.boundary.coordinates[0][0];
    const pts = ring.slice(0, -1);
    const lng = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    const lat = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    // The grid worker on the spot, with the phone's GPS and no grid chosen.
    let r = await worker.post('/api/v1/houses', { address: '定位路 1 号', type: '住宅', use: '自住', location: { lng, lat } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.grid, workerGrid);
    assert.ok(Math.abs(r.body.location.lng - lng) < 1e-9 && Math.abs(r.body.location.lat - lat) < 1e-9, r.text);
    r = await op.post('/api/v1/units', { name: '定位超市', credit_code: uscc('91371502MA3CL0C01'), kind: '商户', address: '定位路 2 号', location: { lng, lat } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.grid, workerGrid);
    assert.ok(Math.abs(r.body.location.lat - lat) < 1e-9, r.text);
    // A grid chosen wins; the location is kept as given.
    r = await op.post('/api/v1/houses', { grid: workerGrid, address: '定位路 3 号', type: '住宅', use: '自住', location: { lng: lng + 0.0000001, lat } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.grid, workerGrid);
    // Registered without one: location null.
    r = await op.post('/api/v1/houses', { grid: workerGrid, address: '定位路 4 号', type: '住宅', use: '自住' });
    assert.equal(r.body.location, null);
    // Outside every grid, malformed, or with unknown keys: 400, nothing registered.
    r = await worker.post('/api/v1/houses', { address: '定位路 5 号', type: '住宅', use: '自住', location: { lng: 100, lat: 30 } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'outside_grids');
    r = await worker.post('/api/v1/houses', { address: '定位路 5 号', type: '住宅', use: '自住', location: { lng: 'x', lat: 30 } });
    assert.equal(r.body.error.code, 'bad_coordinates');
    r = await worker.post('/api/v1/houses', { address: '定位路 5 号', type: '住宅', use: '自住', location: { lng, lat, alt: 3 } });
    assert.equal(r.body.error.code, 'unknown_field');
    // A location in a grid outside the worker's own: 404, as for a grid chosen there.
    const other = await op.get(`/api/v1/grids/${WORKER_UNBOUND_GRID}`);
    const oring = other.body.boundary.type === 'Polygon' ? other.body.boundary.coordinates[0] : other.body.boundary.coordinates[0][0];
    const opts = oring.slice(0, -1);
    r = await worker.post('/api/v1/houses', { address: '定位路 6 号', type: '住宅', use: '自住',
      location: { lng: opts.reduce((s, p) => s + p[0], 0) / opts.length, lat: opts.reduce((s, p) => s + p[1], 0) / opts.length } });
    assert.equal(r.status, 404, r.text);
  });

  test('ID numbers and phones are sealed at rest and found by exact lookup', async () => {
    const h = await house(op, workerGrid, '密封路 1 号');
    const idn = idFor('19751231');
    const phone = '13912398765';
    const id = await person(op, { id_number: idn, phone, house: h.id });
    const bytes = rawBytes(server.db);
    assert.equal(bytes.indexOf(Buffer.from(idn)), -1, 'ID number in clear in the database');
    assert.equal(bytes.indexOf(Buffer.from(phone)), -1, 'phone number in clear in the database');
    let r = await op.get(`/api/v1/people?id_number=${idn}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items.length, 1);
    assert.equal(r.body.items[0].id, id);
    assert.notEqual(r.body.items[0].id_number, idn, 'masked by default');
    assert.equal(r.body.items[0].birth_date === '1975-12-31', false);
    assert.equal(r.body.items[0].sex, idn[16] % 2 ? 'M' : 'F');
    r = await leader.get(`/api/v1/people/${id}?unmask=1&reason=${encodeURIComponent('核对身份信息')}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.id_number, idn);
    assert.equal(r.body.phone, phone);
    r = await op.post('/api/v1/people', { name: '李四', id_number: idn, reg_type: '户籍', grid: workerGrid });
    assert.equal(r.status, 409);
    r = await op.post('/api/v1/people', { name: '李四', id_number: '371502198001011234', reg_type: '户籍', grid: workerGrid });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'bad_id_number');
  });

  test('search by name: two-character names exactly, within scope, renames followed', async () => {
    const a = await person(op, { name: '欧阳明远', grid: workerGrid });
    const b = await person(op, { name: '明远', grid: workerGrid });
    const c = await person(op, { name: '远明', grid: workerGrid });
    const d = await person(op, { name: '欧阳明远', grid: WORKER_UNBOUND_GRID });
    const ids = async (client, q) => {
      const r = await client.get(`/api/v1/people?name=${encodeURIComponent(q)}&limit=200`);
      assert.equal(r.status, 200, r.text);
      return r.body.items.map((x) => x.id).sort((x, y) => x - y);
    };
    assert.deepEqual(await ids(op, '明远'), [a, b, d].sort((x, y) => x - y)); // not 远明
    assert.deepEqual(await ids(op, '欧阳'), [a, d].sort((x, y) => x - y));
    assert.deepEqual(await ids(worker, '欧阳明远'), [a]); // the worker's grids only
    // A rename is found by the new name at once, not by the old.
    const p = await op.patch(`/api/v1/people/${c}`, { name: '司马远明' });
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(await ids(op, '司马'), [c]);
    assert.ok(!(await ids(op, '远明')).includes(b));
    // What is typed is never FTS5 syntax; nothing to search for is a clear 400.
    assert.deepEqual(await ids(op, '明远" OR name:*'), []);
    const bad = await op.get('/api/v1/people?name=%22%2A%22');
    assert.equal(bad.status, 400);
  });

  test('a grid worker cannot read people outside their grids', async () => {
    const outside = await person(op, { grid: WORKER_UNBOUND_GRID });
    const inside = await person(op, { grid: workerGrid });
    assert.equal((await worker.get(`/api/v1/people/${outside}`)).status, 404);
    assert.equal((await worker.patch(`/api/v1/people/${outside}`, { relation: '户主' })).status, 404);
    assert.equal((await worker.get(`/api/v1/people/${inside}`)).status, 200);
    const list = await worker.get(`/api/v1/people?grid=${WORKER_UNBOUND_GRID}`);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 0);
  });

  test('key people: 403 for a department handler, a reason for the leader, every read audited', async () => {
    const id = await person(op, { grid: workerGrid });
    // The operator lacks person.key_read: it may not put someone in a key category.
    let r = await op.patch(`/api/v1/people/${id}`, { tags_enter: ['社区矫正对象'] });
    assert.equal(r.status, 403);
    // A key-people officer: a custom role with person.write and person.key_read, in the
    // operator's organisation (county scope).
    const officer = await keyOfficer();
    r = await officer.patch(`/api/v1/people/${id}`, { tags_enter: ['社区矫正对象'], date: '2026-01-05' });
    assert.equal(r.status, 200, r.text);
    // Now a key person: the handler gets 403, the operator too (no key_read), and lists hide it.
    assert.equal((await handler.get(`/api/v1/people/${id}`)).status, 403);
    assert.equal((await op.get(`/api/v1/people/${id}`)).status, 403);
    r = await op.get(`/api/v1/people?grid=${workerGrid}&limit=200`);
    assert.ok(!r.body.items.some((x) => x.id === id), 'a key person in a list without key_read');
    // The leader must give a reason; with it, the categories are answered and the read recorded.
    r = await leader.get(`/api/v1/people/${id}`);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'reason_required');
    const reason = `走访前核实情况${seq}`;
    r = await leader.get(`/api/v1/people/${id}?reason=${encodeURIComponent(reason)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.key_categories.map((c) => c.tag), ['community_correction']);
    assert.equal(r.body.key_categories[0].entered_on, '2026-01-05');
    let a = await auditor.get('/api/v1/audit?action=person.key_read&limit=50');
    assert.equal(a.status, 200, a.text);
    assert.ok(a.body.items.some((x) => x.object === `person:${id}` && x.outcome === 'success' && x.detail.includes(reason)), a.text);
    assert.ok(a.body.items.some((x) => x.object === `person:${id}` && x.outcome === 'denied'), 'the refusal is recorded too');
    // Leaving the category leaves every current view.
    r = await officer.patch(`/api/v1/people/${id}`, { tags_leave: ['社区矫正对象'] });
    assert.equal(r.status, 200, r.text);
    r = await handler.get(`/api/v1/people/${id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.key_person, false);
    assert.equal(r.body.key_categories, undefined);
  });

  test('history: the residents of a house on a past date after people move', async () => {
    const a = await house(op, workerGrid, '历史路 1 号');
    const b = await house(op, workerGrid, '历史路 2 号');
    const p1 = await person(op, { house: a.id, date: '2025-01-10', relation: '户主' });
    const p2 = await person(op, { house: a.id, date: '2025-03-01' });
    let r = await op.patch(`/api/v1/people/${p1}`, { house: b.id, date: '2025-06-01' });
    assert.equal(r.status, 200, r.text);
    r = await op.patch(`/api/v1/people/${p2}`, { house: null, date: '2025-09-01' });
    assert.equal(r.status, 200, r.text);
    r = await op.patch(`/api/v1/people/${p2}`, { house: b.id, date: '2025-05-01' });
    assert.equal(r.status, 400, 'a move dated before the last one');
    const at = async (h, date) => {
      const res = await op.get(`/api/v1/houses/${h}/residents?date=${date}`);
      assert.equal(res.status, 200, res.text);
      return res.body.items.map((x) => x.id).sort();
    };
    assert.deepEqual(await at(a.id, '2025-01-01'), []);
    assert.deepEqual(await at(a.id, '2025-02-01'), [p1]);
    assert.deepEqual(await at(a.id, '2025-04-01'), [p1, p2].sort());
    assert.deepEqual(await at(a.id, '2025-07-01'), [p2]);
    assert.deepEqual(await at(a.id, '2025-10-01'), []);
    assert.deepEqual(await at(b.id, '2025-07-01'), [p1]);
    assert.deepEqual(await at(b.id, '2025-05-01'), []);
    r = await op.get(`/api/v1/houses/${a.id}/residents?date=2025-13-01`);
    assert.equal(r.status, 400);
  });

  test('per-grid statistics follow every change', async () => {
    const stats = async () => {
      const r = await op.get(`/api/v1/grids/${workerGrid}/statistics`);
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    const s0 = await stats();
    const h = await house(op, workerGrid, '统计路 1 号');
    const id = await person(op, { house: h.id, relation: '户主', reg_type: '流动', tags: ['独居老人'], date: '2025-12-01' });
    let s = await stats();
    assert.equal(s.houses, s0.houses + 1);
    assert.equal(s.residents, s0.residents + 1);
    assert.equal(s.households, s0.households + 1);
    assert.equal(s.floating, s0.floating + 1);
    assert.equal(s.care, s0.care + 1);
    let r = await op.patch(`/api/v1/people/${id}`, { name: '张三丰', phone: '13700001111', household_no: 'H-1', tags_leave: ['独居老人'] });
    assert.equal(r.status, 200, r.text);
    r = await op.patch(`/api/v1/people/${id}`, { died: '2026-01-02' });
    assert.equal(r.status, 200, r.text);
    s = await stats();
    assert.equal(s.residents, s0.residents);
    assert.equal(s.households, s0.households);
    assert.equal(s.care, s0.care);
    r = await op.patch(`/api/v1/people/${id}`, { relation: '配偶' });
    assert.equal(r.status, 409);
    assert.equal((await handler.get(`/api/v1/grids/${workerGrid}/statistics`)).status, 200);
    assert.equal((await worker.get(`/api/v1/grids/${WORKER_UNBOUND_GRID}/statistics`)).status, 404);
  });
});

// The command-line imports (docs/api-registry.md, "Bulk import"), run against the database the
// server is serving: what they register is at once in the API's answers, sealed at rest, and a
// bad row is named with its line while nothing of its batch is kept.
describe('wangge import people, houses and units beside a running server', () => {
  test('people, houses and units from CSV files', async () => {
    const { runCli } = await import('../lib/server.mjs');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'wangge-import-'));
    const ids = Array.from({ length: 30 }, () => idFor('19900315'));
    const phones = ids.map((_, i) => `1380000${String(1000 + i)}`);
    const rows = ids.map((idn, i) => `导入者${i},${idn},${i % 4 ? '户籍' : '流动'},${workerGrid},${phones[i]},导入路 ${Math.floor(i / 3)} 号,${101 + (i % 3)},D${Math.floor(i / 3)},${i % 3 ? '子女' : '户主'}`);
    const csv = join(dir, 'people.csv');
    const env = { WANGGE_DB: server.db };
    const before = (await op.get(`/api/v1/grids/${workerGrid}/statistics`)).body;

    // A bad row (line 5: a wrong check character): the batch is not kept, the line is named.
    const bad = [...rows];
    bad[3] = bad[3].replace(ids[3], ids[3].slice(0, 17) + (ids[3][17] === '0' ? '1' : '0'));
    writeFileSync(csv, ['姓名,身份证号码,登记类型,网格编码,联系电话,地址,房间,户号,与户主关系', ...bad].join('\n') + '\n');
    let r = await runCli(['import', 'people', csv], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /第 5 行：.*（bad_id_number）/);
    assert.equal((await op.get(`/api/v1/people?name=${encodeURIComponent('导入者')}&limit=100`)).body.items.length, 0);

    // Fixed: all 30 in, found by name, sealed at rest, counted in the grid.
    writeFileSync(csv, ['姓名,身份证号码,登记类型,网格编码,联系电话,地址,房间,户号,与户主关系', ...rows].join('\n') + '\n');
    r = await runCli(['import', 'people', csv], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 30 people/);
    r = await op.get(`/api/v1/people?name=${encodeURIComponent('导入者')}&limit=100`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items.length, 30);
    r = await op.get(`/api/v1/people?id_number=${ids[7]}`);
    assert.equal(r.body.items.length, 1);
    assert.equal(r.body.items[0].name, '导入者7');
    const bytes = rawBytes(server.db);
    for (const s of [...ids, ...phones]) assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${s} in clear in the database`);
    const after = (await op.get(`/api/v1/grids/${workerGrid}/statistics`)).body;
    assert.equal(after.residents - before.residents, 30);
    assert.equal(after.households - before.households, 10);
    assert.equal(after.floating - before.floating, 8);
    assert.equal(after.houses - before.houses, 30); // address + room: three rooms a number
    // A re-run of the same file does nothing.
    r = await runCli(['import', 'people', csv], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported completely before/);

    // Houses and units from their own files.
    const houses = join(dir, 'houses.csv');
    writeFileSync(houses, `网格编码,地址,楼栋,单元,房号,房屋类型,房屋用途,用途起始日期\n${workerGrid},导入路 99 号,2,1,301,住宅,出租,2024-05-01\n${workerGrid},导入路 98 号,,,,商铺,经营,\n`);
    r = await runCli(['import', 'houses', houses], { env });
    assert.equal(r.code, 0, r.stderr);
    r = await op.get(`/api/v1/houses?grid=${workerGrid}&limit=200`);
    const rented = r.body.items.find((h) => h.address === '导入路 99 号');
    assert.ok(rented, r.text);
    assert.equal(rented.use, 'rent');
    r = await op.get(`/api/v1/houses/${rented.id}`);
    assert.equal(r.body.use_since, '2024-05-01', r.text);
    const units = join(dir, 'units.csv');
    writeFileSync(units, `单位名称,统一社会信用代码,单位类别,地址,网格编码\n导入超市,91350100M000100Y43,商户,导入路 98 号,${workerGrid}\n导入学校,91350100M000100Y44,学校,导入路 97 号,${workerGrid}\n`);
    r = await runCli(['import', 'units', units], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /第 2 行：.*（duplicate）/); // registered by the test above
    assert.match(r.stderr, /第 3 行：.*（bad_credit_code）/);
  });
});

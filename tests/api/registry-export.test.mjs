// The .xlsx exports of houses and units (issue 12 part 7, docs/api-registry.md). What they must
// show: each is a workbook attachment whose sheet holds the houses (units) the caller's list
// holds, of one grid with ?grid=, under the import's own column names — so the command-line
// import reads an exported file back; a unit's contact phone leaves masked (not one plaintext
// digit string of it in the bytes); a grid worker given the permission still exports only their
// grids; a department handler and a plain grid worker get 403; a grid outside the scope exports
// nothing; more rows than the cap (lowered on a second server) is 413 and nothing exported; every
// export, refused or not, is in the audit trail with its grid and row count.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accountFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { residentId } from '../lib/registry.mjs';
import { runCli } from '../lib/server.mjs';
import { SHEET, unzip } from '../lib/xlsx.mjs';

const WORKER_UNBOUND_GRID = '371502001001601'; // in the demo worker's community, not bound to it
const HOUSE_HEADER = ['网格编码', '地址', '楼栋', '单元', '房号', '房屋类型', '房屋用途', '用途起始日期', '现住人数', '登记时间'];
const UNIT_HEADER = ['单位名称', '统一社会信用代码', '单位类别', '地址', '网格编码', '联系人', '联系电话', '登记时间'];

// A valid unified social credit code (GB 32100) from its first 17 characters.
function creditCode(first17) {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += alphabet.indexOf(first17[i]) * w[i];
  return first17 + alphabet[(31 - (sum % 31)) % 31];
}


/** The rows of a workbook's first sheet as arrays of cell texts (shared strings resolved). */
function sheetRows(xlsx) {
  const files = unzip(xlsx);
  const shared = files.has('xl/sharedStrings.xml')
    ? [...files.get('xl/sharedStrings.xml').toString().matchAll(/<si>(.*?)<\/si>/gs)].map((m) => [...m[1].matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join(''))
    : [];
  const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const col = (ref) => [...ref.replace(/\d+$/, '')].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
  return [...files.get(SHEET).toString().matchAll(/<row[^>]*>(.*?)<\/row>/gs)].map((row) => {
    const cells = [];
    for (const c of row[1].matchAll(/<c r="([A-Z]+\d+)"([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)) {
      const v = /<v>(.*?)<\/v>/s.exec(c[3] || '');
      cells[col(c[1])] = v ? unescape(/t="s"/.test(c[2]) ? shared[Number(v[1])] : v[1]) : '';
    }
    return Array.from(cells, (x) => x ?? '');
  });
}

let server, op, leader, handler, worker, auditor, sec, workerGrid;

before(async () => {
  server = await startDemoServer();
  op = await loginAs(server, 'center_operator');
  leader = await loginAs(server, 'center_leader');
  handler = await loginAs(server, 'dept_handler');
  worker = await loginAs(server, 'grid_worker');
  auditor = await loginAs(server, 'auditor');
  sec = await loginAs(server, 'secadmin');
  workerGrid = worker.login.grids[0].code;
});
after(async () => { if (server) assert.equal(await server.stop(), 0); });

async function download(srv, client, kind, query = '') {
  const res = await fetch(`${srv.url}/api/v1/${kind}/export.xlsx${query}`, { headers: { cookie: `wg_session=${client.cookie}` } });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

async function auditOf(action) {
  const a = await auditor.get(`/api/v1/audit?action=${encodeURIComponent(action)}&limit=100`);
  assert.equal(a.status, 200, a.text);
  return a.body.items;
}

describe('houses export', () => {
  let rented, shop, elsewhere;

  before(async () => {
    rented = await op.post('/api/v1/houses', { grid: workerGrid, address: '导出巷 1 号', building: '3', unit_no: '2', room: '401', type: '住宅', use: '出租', date: '2024-05-01' });
    assert.equal(rented.status, 201, rented.text);
    shop = await op.post('/api/v1/houses', { grid: workerGrid, address: '导出巷 2 号', type: '商铺', use: '经营' });
    assert.equal(shop.status, 201, shop.text);
    elsewhere = await op.post('/api/v1/houses', { grid: WORKER_UNBOUND_GRID, address: '导出巷 3 号', type: '住宅', use: '自住' });
    assert.equal(elsewhere.status, 201, elsewhere.text);
    const p = await op.post('/api/v1/people', { name: '导出住户', id_number: residentId('37150219800304601'), reg_type: '流动', house: rented.body.id });
    assert.equal(p.status, 201, p.text);
  });

  test('a workbook of the grid\'s houses, as the list holds them, under the import\'s headers', async () => {
    const res = await download(server, op, 'houses', `?grid=${workerGrid}`);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.body.subarray(0, 2).toString(), 'PK');
    assert.match(res.headers.get('content-type'), /spreadsheetml/);
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="houses-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const rows = sheetRows(res.body);
    assert.deepEqual(rows[0], HOUSE_HEADER);
    const list = await op.get(`/api/v1/houses?grid=${workerGrid}&limit=200`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.next_cursor, null);
    assert.deepEqual(rows.slice(1).map((r) => r[1]), list.body.items.map((h) => h.address), 'the list\'s houses in the list\'s order');
    assert.ok(rows.slice(1).every((r) => r[0] === workerGrid), 'only the grid asked for');
    const r1 = rows.find((r) => r[1] === '导出巷 1 号');
    assert.deepEqual(r1.slice(0, 9), [workerGrid, '导出巷 1 号', '3', '2', '401', '住宅', '出租', '2024-05-01', '1']);
    assert.equal(r1[9], rented.body.created_at);
    const r2 = rows.find((r) => r[1] === '导出巷 2 号');
    assert.deepEqual(r2.slice(2, 9), ['', '', '', '商铺', '经营', (await op.get(`/api/v1/houses/${shop.body.id}`)).body.use_since, '0']);
    assert.ok(!rows.some((r) => r[1] === '导出巷 3 号'), 'a house of another grid');

    // Without ?grid=: every house of the scope, the other grid's too.
    const all = await download(server, op, 'houses');
    assert.equal(all.status, 200);
    const allRows = sheetRows(all.body);
    assert.ok(allRows.some((r) => r[1] === '导出巷 3 号'));
    assert.ok(allRows.length > rows.length);

    const audit = await auditOf('house.export');
    assert.ok(audit.some((a) => a.outcome === 'success' && a.object === 'houses' && a.detail.includes(`导出房屋 ${rows.length - 1} 处`) && a.detail.includes(`网格=${workerGrid}`)), JSON.stringify(audit));
    assert.ok(audit.some((a) => a.outcome === 'success' && a.detail.includes(`导出房屋 ${allRows.length - 1} 处`) && a.detail.includes('网格=不限')), JSON.stringify(audit));
  });

  test('the exported file is an import file: wangge import houses reads it back', async () => {
    const res = await download(server, op, 'houses', `?grid=${workerGrid}`);
    assert.equal(res.status, 200);
    const exported = sheetRows(res.body).slice(1);
    const file = join(mkdtempSync(join(tmpdir(), 'wangge-export-')), 'houses.xlsx');
    writeFileSync(file, res.body);
    const r = await runCli(['import', 'houses', file], { env: { WANGGE_DB: server.db } });
    assert.equal(r.code, 0, r.stderr);
    // Houses have no natural key: each row is registered again, with the same fields.
    const list = (await op.get(`/api/v1/houses?grid=${workerGrid}&limit=200`)).body.items;
    assert.equal(list.length, 2 * exported.length);
    const copies = list.filter((h) => h.address === '导出巷 1 号');
    assert.equal(copies.length, 2);
    const copy = copies.find((h) => h.id !== rented.body.id);
    assert.deepEqual([copy.building, copy.unit_no, copy.room, copy.type, copy.use], ['3', '2', '401', 'dwelling', 'rent']);
    assert.equal((await op.get(`/api/v1/houses/${copy.id}`)).body.use_since, '2024-05-01');
  });

  test('a grid outside the scope exports nothing; a malformed grid is 400', async () => {
    // The operator's county is 东昌府区; 371521... is 阳谷县. As the list: nothing, not an error.
    const list = await op.get('/api/v1/houses?grid=371521001001001');
    assert.equal(list.body.items.length, 0);
    const res = await download(server, op, 'houses', '?grid=371521001001001');
    assert.equal(res.status, 200);
    assert.deepEqual(sheetRows(res.body), [HOUSE_HEADER]);
    const bad = await download(server, op, 'houses', '?grid=12345');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body.toString()).error.code, 'bad_param');
    assert.ok((await auditOf('house.export')).some((a) => a.outcome === 'failure' && a.detail.includes('网格=12345')));
  });
});

describe('units export', () => {
  const phone = '13955556666';
  let code;

  before(async () => {
    code = creditCode(`91371502MA${String(Date.now() % 1e7).padStart(7, '0')}`);
    const u = await op.post('/api/v1/units', { grid: workerGrid, name: '导出商店', credit_code: code, kind: '商户', address: '导出巷 2 号', contact_name: '店主甲', contact_phone: phone });
    assert.equal(u.status, 201, u.text);
    const v = await op.post('/api/v1/units', { grid: WORKER_UNBOUND_GRID, name: '另格学校', credit_code: creditCode(`12371502MB${String((Date.now() + 7) % 1e7).padStart(7, '0')}`), kind: '学校', address: '导出巷 5 号' });
    assert.equal(v.status, 201, v.text);
  });

  test('a workbook of the grid\'s units, the contact phone masked', async () => {
    const res = await download(server, leader, 'units', `?grid=${workerGrid}`);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.body.subarray(0, 2).toString(), 'PK');
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="units-\d{4}-\d{2}-\d{2}\.xlsx"$/);
    const rows = sheetRows(res.body);
    assert.deepEqual(rows[0], UNIT_HEADER);
    const row = rows.find((r) => r[0] === '导出商店');
    assert.ok(row, JSON.stringify(rows));
    assert.deepEqual(row.slice(0, 7), ['导出商店', code, '商户', '导出巷 2 号', workerGrid, '店主甲', '139****6666']);
    assert.equal(res.body.indexOf(Buffer.from(phone)), -1, 'the contact phone in clear in the file');
    assert.ok(!rows.some((r) => r[0] === '另格学校'), 'a unit of another grid');
    const list = (await leader.get(`/api/v1/units?grid=${workerGrid}&limit=200`)).body.items;
    assert.deepEqual(rows.slice(1).map((r) => r[1]), list.map((u) => u.credit_code));
    const audit = await auditOf('unit.export');
    assert.ok(audit.some((a) => a.outcome === 'success' && a.object === 'units' && a.detail.includes(`导出单位 ${list.length} 个（联系电话已脱敏）`) && a.detail.includes(`网格=${workerGrid}`)), JSON.stringify(audit));
  });

  test('the exported file is an import file: its units are read, and refused as registered', async () => {
    const res = await download(server, op, 'units', `?grid=${workerGrid}`);
    const file = join(mkdtempSync(join(tmpdir(), 'wangge-export-')), 'units.xlsx');
    writeFileSync(file, res.body);
    const r = await runCli(['import', 'units', file], { env: { WANGGE_DB: server.db } });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /bad_header/);
    assert.match(r.stderr, /第 \d+ 行：.*（duplicate）/); // every column read; the code is registered
  });
});

describe('who may export', () => {
  test('403 for a department handler and a grid worker, recorded', async () => {
    for (const kind of ['houses', 'units']) {
      assert.equal((await download(server, handler, kind)).status, 403);
      assert.equal((await download(server, worker, kind)).status, 403);
      const denied = await auditOf(`GET /api/v1/${kind}/export.xlsx`);
      assert.ok(denied.filter((a) => a.outcome === 'denied').length >= 2, JSON.stringify(denied));
    }
  });

  test('a grid worker given registry.export still exports only their grids', async () => {
    const role = await sec.post('/api/v1/roles', { name: 'registry_exporter', label: '房屋单位导出', permissions: ['registry.read', 'registry.export'] });
    assert.equal(role.status, 201, role.text);
    const w = accountFor(server.db, 'grid_worker');
    const set = await sec.put(`/api/v1/users/${w.user_id}/roles`, { roles: ['grid_worker', 'registry_exporter'] });
    assert.equal(set.status, 200, set.text);
    const exporter = await loginAs(server, 'grid_worker');
    const grids = exporter.login.grids.map((g) => g.code);
    const res = await download(server, exporter, 'houses');
    assert.equal(res.status, 200, res.body.toString());
    const rows = sheetRows(res.body).slice(1);
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => grids.includes(r[0])), `only the worker's grids: ${[...new Set(rows.map((r) => r[0]))]}`);
    assert.ok(rows.some((r) => r[1] === '导出巷 1 号'));
    assert.ok(!rows.some((r) => r[1] === '导出巷 3 号'), 'a house of a grid in the community not bound to the worker');
    const units = sheetRows((await download(server, exporter, 'units', `?grid=${WORKER_UNBOUND_GRID}`)).body);
    assert.deepEqual(units, [UNIT_HEADER], 'an unbound grid exports nothing');
  });
});

describe('the cap', () => {
  let capped;
  before(async () => { capped = await startDemoServer({ env: { WANGGE_REGISTRY_EXPORT_MAX_ROWS: '2' } }); });
  after(async () => { if (capped) assert.equal(await capped.stop(), 0); });

  test('more rows than the cap is 413, nothing exported, audited', async () => {
    const cop = await loginAs(capped, 'center_operator');
    const caud = await loginAs(capped, 'auditor');
    const grid = (await loginAs(capped, 'grid_worker')).login.grids[0].code;
    for (let i = 0; i < 3; i++) {
      const u = await cop.post('/api/v1/units', { grid, name: `限额单位${i}`, credit_code: creditCode(`91371502MC000010${i}`), kind: '企业', address: `限额路 ${i} 号` });
      assert.equal(u.status, 201, u.text);
    }
    const houses = await download(capped, cop, 'houses');
    assert.equal(houses.status, 413);
    let body = JSON.parse(houses.body.toString());
    assert.equal(body.error.code, 'too_many_rows');
    assert.match(body.error.message, /房屋超过 2 处/);
    const units = await download(capped, cop, 'units');
    assert.equal(units.status, 413);
    body = JSON.parse(units.body.toString());
    assert.match(body.error.message, /单位超过 2 个/);
    for (const action of ['house.export', 'unit.export']) {
      const a = await caud.get(`/api/v1/audit?action=${action}&limit=10`);
      assert.ok(a.body.items.some((x) => x.outcome === 'failure' && x.detail.includes('超过 2')), a.text);
    }
  });
});

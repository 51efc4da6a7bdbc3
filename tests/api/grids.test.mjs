// API tests of regions and grids (issue 3, R1) against the real binary on a test-scale demo city,
// logged in as the demo accounts. Covers the must-show list: grid codes rejected with
// reasons (wrong length, wrong parent, sequence outside its band, duplicate, reuse of a retired
// code); locate inside / 404 outside / 400 for bad coordinates / the same answer every time on a
// shared edge; a split keeps the old grid and its lineage; the checks find a planted overlap and
// gap; bad GeoJSON and a bow-tie polygon are refused with a reason; scoping answers 404. Lists
// are keyset pages ({items, next_cursor}; grids-paging.test.mjs walks them) and times are RFC 3339
// in Asia/Shanghai.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoServer, loginAs } from '../lib/auth.mjs';

let server, op;

const rect = (x0, y0, x1, y1) => ({
  type: 'Polygon',
  coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
});
const isChinese = (s) => /[\u4e00-\u9fff]/.test(s);
const RFC3339_CST = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;

// Test-only communities far east of the demo city (which spans 115.27–116.55 E), so planted
// grids never touch the demo's. Parent: 古楼街道 371502001000 of 东昌府区 (demo, test scale).
const TOWN = '371502001000';

async function community(code, name, boundary) {
  const r = await op.post('/api/v1/regions', { code, name, boundary });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function grid(body) {
  return op.post('/api/v1/grids', body);
}

before(async () => {
  server = await startDemoServer();
  op = await loginAs(server, 'center_operator'); // 东昌府区网格化服务管理中心: county level
});
after(async () => { await server?.stop(); });

test('regions: list, get with ancestors, create, update, validation', async () => {
  let r = await op.get('/api/v1/regions?parent=371502000000');
  assert.equal(r.status, 200);
  assert.ok(r.body.items.length >= 1);
  assert.equal(r.body.total, undefined);
  assert.ok(r.body.items.every((x) => x.parent_code === '371502000000' && x.level === 4));

  r = await op.get(`/api/v1/regions/${TOWN}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, '街道');
  assert.deepEqual(r.body.ancestors.map((a) => a.code), ['371502000000']); // the city is out of scope

  r = await op.post('/api/v1/regions', { code: '371502001050', name: '测试新社区' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.path, '371500000000/371502000000/371502001000/371502001050/');
  r = await op.post('/api/v1/regions', { code: '371502001050', name: '重复社区' });
  assert.equal(r.status, 409);
  r = await op.post('/api/v1/regions', { code: '371502077001', name: '无上级社区' });
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 'unknown_parent');
  r = await op.post('/api/v1/regions', { code: '3715', name: '短代码' });
  assert.equal(r.status, 400);
  assert.ok(isChinese(r.body.error.message));
  r = await op.post('/api/v1/regions', { code: '371502001051', name: '多字段', extra: 1 });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'unknown_field');
  r = await op.patch('/api/v1/regions/371502001050', { name: '改名社区' });
  assert.equal(r.status, 200);
  assert.equal(r.body.name, '改名社区');
  // Another county is outside this operator's scope: 404, not 403.
  r = await op.get('/api/v1/regions/371581000000');
  assert.equal(r.status, 404);
  r = await op.post('/api/v1/regions', { code: '371581001050', name: '越界社区' });
  assert.equal(r.status, 404);
});

test('grid codes are rejected with reasons', async () => {
  const comm = '371502001060';
  await community(comm, '编码测试社区', rect(117.0, 36.0, 117.2, 36.1));
  const base = { community: comm, name: '编码测试网格', boundary: rect(117.0, 36.0, 117.1, 36.1) };

  let r = await grid({ ...base, code: `${comm}001` });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.code, `${comm}001`);
  assert.equal(r.body.status, 'active');
  assert.equal(r.body.community.name, '编码测试社区');

  const cases = [
    [`${comm}01`, 400, 'bad_length'],
    [`${comm}0011`, 400, 'bad_length'],
    ['371502001061001', 400, 'wrong_parent'],
    [`${comm}600`, 400, 'sequence_out_of_band'],
    [`${comm}000`, 400, 'sequence_out_of_band'],
    [`${comm}001`, 409, 'duplicate_code'],
  ];
  for (const [code, status, reason] of cases) {
    r = await grid({ ...base, code, boundary: rect(117.1, 36.0, 117.2, 36.1) });
    assert.equal(r.status, status, `${code}: ${r.text}`);
    assert.equal(r.body.error.code, reason, code);
    assert.ok(isChinese(r.body.error.message), r.body.error.message);
  }
  // A dedicated grid needs its band (601–999) and a subtype.
  r = await grid({ ...base, kind: 'dedicated', subtype: '学校', code: `${comm}002` });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'sequence_out_of_band');
  r = await grid({ ...base, kind: 'dedicated', subtype: '网吧' });
  assert.equal(r.body.error.code, 'bad_subtype');
  r = await grid({ ...base, kind: 'dedicated', subtype: '学校', name: '第一中学专属网格', boundary: rect(117.12, 36.02, 117.13, 36.03) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.code, `${comm}601`);
  assert.equal(r.body.kind_label, '专属网格');

  // Retire 001: its code can never be used again, by hand or automatically.
  r = await op.post(`/api/v1/grids/${comm}001/retire`, { reason: '测试撤销' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'retired');
  assert.match(r.body.valid_to, RFC3339_CST);
  assert.ok(r.body.valid_to >= r.body.valid_from);
  for (const k of ['valid_from', 'created_at', 'updated_at']) assert.match(r.body[k], RFC3339_CST, k);
  r = await grid({ ...base, code: `${comm}001` });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'code_retired');
  r = await grid(base);
  assert.equal(r.status, 201);
  assert.equal(r.body.code, `${comm}002`);
  // The retired grid is still there.
  r = await op.get(`/api/v1/grids/${comm}001`);
  assert.equal(r.status, 200);
  assert.equal(r.body.retire_reason, '测试撤销');
});

test('bad GeoJSON and self-intersecting polygons are refused with a reason', async () => {
  const comm = '371502001061';
  await community(comm, '边界测试社区', null);
  const cases = [
    [{ type: 'Polygon', coordinates: 'x' }, '坐标'],
    [{ type: 'Point', coordinates: [117, 36] }, 'Polygon'],
    [{ type: 'Polygon', coordinates: [[[117, 36], [117.1, 36], [117.1, 36.1], [117, 36.1]]] }, '未闭合'],
    [{ type: 'Polygon', coordinates: [[[117, 36], [117.1, 36.1], [117.1, 36], [117, 36.1], [117, 36]]] }, '自相交'],
    [{ type: 'Polygon', coordinates: [[[17, 36], [17.1, 36], [17.1, 36.1], [17, 36]]] }, '超出范围'],
    ['not an object', 'GeoJSON'],
    [null, '缺少边界'],
  ];
  for (const [boundary, needle] of cases) {
    const r = await grid({ community: comm, name: '坏边界网格', boundary });
    assert.equal(r.status, 400, JSON.stringify(boundary));
    assert.equal(r.body.error.code, 'bad_boundary');
    assert.ok(r.body.error.message.includes(needle), `${r.body.error.message} should mention ${needle}`);
  }
  const r = await op.request('POST', '/api/v1/grids', '{"community":', { 'content-type': 'application/json' });
  assert.equal(r.status, 400);
});

test('locate: inside, outside, bad input, shared edge', async () => {
  const comm = '371502001062';
  await community(comm, '定位测试社区', rect(117.3, 36.0, 117.5, 36.1));
  const west = await grid({ community: comm, name: '西网格', boundary: rect(117.3, 36.0, 117.4, 36.1) });
  const east = await grid({ community: comm, name: '东网格', boundary: rect(117.4, 36.0, 117.5, 36.1) });
  assert.equal(west.status, 201);
  assert.equal(east.status, 201);

  let r = await op.get('/api/v1/grids/locate?lng=117.35&lat=36.05');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.code, west.body.code);
  assert.equal(r.body.community.code, comm);
  assert.equal(r.body.community.name, '定位测试社区');
  r = await op.get('/api/v1/grids/locate?lng=117.45&lat=36.05');
  assert.equal(r.body.code, east.body.code);

  // A demo grid: the centre of its vertices lies inside the (convex-ish) quad.
  const demo = (await op.get('/api/v1/grids?region=371502001001&limit=1')).body.items[0];
  const g = (await op.get(`/api/v1/grids/${demo.code}`)).body;
  const ring = g.boundary.coordinates[0].slice(0, -1);
  const cx = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const cy = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  r = await op.get(`/api/v1/grids/locate?lng=${cx}&lat=${cy}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.code, demo.code);

  r = await op.get('/api/v1/grids/locate?lng=120.5&lat=30.5');
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 'not_found');
  assert.ok(isChinese(r.body.error.message));

  for (const q of ['', 'lng=117.35', 'lat=36', 'lng=abc&lat=36', 'lng=NaN&lat=36', 'lng=117&lat=1e999',
    'lng=200&lat=36', 'lng=117&lat=-95', 'lng=117.3x&lat=36', 'lng=&lat=36']) {
    r = await op.get(`/api/v1/grids/locate?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, 'bad_coordinates', q);
  }

  // On the shared edge and the shared corners: the lowest code, every time.
  const lowest = [west.body.code, east.body.code].sort()[0];
  for (const [x, y] of [[117.4, 36.05], [117.4, 36.0], [117.4, 36.1]]) {
    for (let i = 0; i < 20; i++) {
      r = await op.get(`/api/v1/grids/locate?lng=${x}&lat=${y}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.code, lowest);
    }
  }
  // After retiring the lowest, the edge belongs to the other one (the index was rebuilt).
  r = await op.post(`/api/v1/grids/${lowest}/retire`, { reason: '测试索引更新' });
  assert.equal(r.status, 200);
  r = await op.get('/api/v1/grids/locate?lng=117.4&lat=36.05');
  assert.equal(r.body.code, east.body.code);
  r = await op.get('/api/v1/grids/locate?lng=117.35&lat=36.05');
  assert.equal(r.status, 404);
});

test('split keeps the old grid and its lineage; merge and redraw keep history', async () => {
  const comm = '371502001063';
  await community(comm, '拆分测试社区', rect(117.6, 36.0, 117.8, 36.1));
  const big = await grid({ community: comm, name: '大网格', boundary: rect(117.6, 36.0, 117.8, 36.1), households: 800, residents: 2000 });
  assert.equal(big.status, 201);
  const code = big.body.code;

  // Parts that do not cover the grid are refused.
  let r = await op.post(`/api/v1/grids/${code}/split`, { parts: [
    { name: '西', boundary: rect(117.6, 36.0, 117.69, 36.1) },
    { name: '东', boundary: rect(117.7, 36.0, 117.8, 36.1) },
  ] });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'parts_incomplete');
  r = await op.post(`/api/v1/grids/${code}/split`, { parts: [{ name: '只有一块', boundary: rect(117.6, 36.0, 117.8, 36.1) }] });
  assert.equal(r.status, 400);

  r = await op.post(`/api/v1/grids/${code}/split`, { parts: [
    { name: '拆分西网格', boundary: rect(117.6, 36.0, 117.7, 36.1) },
    { name: '拆分东网格', boundary: rect(117.7, 36.0, 117.8, 36.1), residents: 900, households: 350 },
  ] });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.retired, [code]);
  const kids = r.body.created.map((g) => g.code);
  assert.equal(kids.length, 2);
  assert.equal(r.body.created[0].residents, 1000); // half the area, half the people
  assert.equal(r.body.created[1].residents, 900);

  r = await op.get(`/api/v1/grids/${code}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'retired');
  r = await op.get(`/api/v1/grids/${code}/history`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.lineage.down.map((x) => x.code).sort(), [...kids].sort());
  assert.ok(r.body.lineage.down.every((x) => x.op === 'split'));
  r = await op.get(`/api/v1/grids/${kids[0]}/history`);
  assert.deepEqual(r.body.lineage.up.map((x) => x.code), [code]);
  r = await op.get(`/api/v1/grids?region=${comm}&status=all`);
  assert.equal(r.body.items.length, 3);
  r = await op.get(`/api/v1/grids?region=${comm}&status=retired`);
  assert.deepEqual(r.body.items.map((g) => g.code), [code]);
  r = await op.get('/api/v1/grids/locate?lng=117.75&lat=36.05');
  assert.equal(r.body.code, kids[1]);

  // Redraw: a new version, the same code.
  r = await op.post(`/api/v1/grids/${kids[1]}/redraw`, { boundary: rect(117.7, 36.0, 117.8, 36.09), reason: '调整边界' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.version, 2);
  r = await op.get(`/api/v1/grids/${kids[1]}/history`);
  assert.equal(r.body.versions.length, 2);
  assert.equal(r.body.versions[1].reason, '调整边界');
  assert.match(r.body.versions[0].valid_to, RFC3339_CST);
  assert.equal(r.body.versions[1].valid_to, null);
  assert.match(r.body.grid.valid_from, RFC3339_CST);
  // A retired grid cannot be changed.
  r = await op.post(`/api/v1/grids/${code}/redraw`, { boundary: rect(117.6, 36.0, 117.8, 36.1) });
  assert.equal(r.status, 409);

  // Merge the two halves back into one.
  r = await op.post('/api/v1/grids/merge', { codes: kids, name: '合并网格' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.retired, kids);
  const merged = r.body.created[0];
  assert.equal(merged.residents, 1900);
  r = await op.get(`/api/v1/grids/${code}/history`);
  assert.ok(r.body.lineage.down.some((x) => x.code === merged.code && x.op === 'merge' && x.depth === 2));
  for (const x of r.body.lineage.down) assert.match(x.at, RFC3339_CST);

  // PATCH validates every field.
  r = await op.patch(`/api/v1/grids/${merged.code}`, { residents: -3 });
  assert.equal(r.status, 400);
  r = await op.patch(`/api/v1/grids/${merged.code}`, { colour: 'red' });
  assert.equal(r.status, 400);
  r = await op.patch(`/api/v1/grids/${merged.code}`, { name: '合并后网格', households: 600 });
  assert.equal(r.status, 200);
  assert.equal(r.body.households, 600);
});

test('checks find a planted overlap and gap, and size outliers', async () => {
  const comm = '371502001064';
  await community(comm, '检查测试社区', rect(117.0, 36.5, 117.2, 36.6));
  const a = await grid({ community: comm, name: '重叠甲网格', boundary: rect(117.0, 36.5, 117.11, 36.6), residents: 1000, households: 400 });
  const b = await grid({ community: comm, name: '重叠乙网格', boundary: rect(117.1, 36.5, 117.18, 36.6), residents: 3000, households: 900 });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);

  const r = await op.get(`/api/v1/grids/checks?region=${comm}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.area_unit, 'm2');
  assert.equal(r.body.counts.overlap, 1);
  assert.equal(r.body.counts.gap, 1);
  assert.equal(r.body.counts.size, 1);
  const overlap = r.body.findings.find((f) => f.type === 'overlap');
  assert.deepEqual(overlap.grids, [a.body.code, b.body.code]);
  // 0.01° × 0.1° at 36.55°N ≈ 0.894 km × 11.12 km ≈ 9.9 km².
  assert.ok(overlap.area_m2 > 9.5e6 && overlap.area_m2 < 10.5e6, String(overlap.area_m2));
  assert.equal(overlap.geometry.type, 'Polygon');
  assert.ok(isChinese(overlap.message));
  const gap = r.body.findings.find((f) => f.type === 'gap');
  assert.ok(gap.area_m2 > 19e6 && gap.area_m2 < 21e6, String(gap.area_m2));
  assert.equal(gap.community.code, comm);
  const size = r.body.findings.find((f) => f.type === 'size');
  assert.deepEqual(size.grids, [b.body.code]);

  // The demo city's own communities tile exactly: no overlap, gap or stray grid in the county.
  const county = await op.get('/api/v1/grids/checks?region=371502');
  assert.equal(county.status, 200);
  const demoFindings = county.body.findings.filter((f) => !f.community.code.startsWith('3715020010') || Number(f.community.code.slice(9)) < 50);
  assert.deepEqual(demoFindings.filter((f) => ['overlap', 'gap', 'outside'].includes(f.type)), []);

  let bad = await op.get('/api/v1/grids/checks');
  assert.equal(bad.status, 400);
  bad = await op.get('/api/v1/grids/checks?region=371581');
  assert.equal(bad.status, 404);
});

test('lists, filters, GeoJSON for maps', async () => {
  let r = await op.get('/api/v1/grids?region=371502&limit=2');
  assert.equal(r.status, 200);
  assert.equal(r.body.items.length, 2);
  assert.equal(typeof r.body.next_cursor, 'string');
  assert.equal(r.body.total, undefined);
  assert.equal(r.body.offset, undefined);
  r = await op.get('/api/v1/grids?kind=dedicated&region=371502');
  assert.ok(r.body.items.length > 0);
  assert.ok(r.body.items.every((g) => g.kind === 'dedicated' && g.subtype));
  r = await op.get(`/api/v1/grids?q=${encodeURIComponent('第一')}&region=371502`);
  assert.ok(r.body.items.length > 0 && r.body.items.every((g) => g.name.includes('第一')));
  for (const q of ['limit=0', 'limit=abc', 'limit=201', 'status=gone', 'kind=big', 'region=12']) {
    r = await op.get(`/api/v1/grids?${q}`);
    assert.equal(r.status, 400, q);
  }
  r = await op.get('/api/v1/regions/371502000000/grids.geojson');
  assert.equal(r.status, 200);
  assert.equal(r.body.type, 'FeatureCollection');
  assert.equal(r.body.truncated, false);
  assert.equal(r.body.next_cursor, null);
  const f = r.body.features[0];
  assert.equal(f.type, 'Feature');
  for (const k of ['code', 'name', 'kind', 'status', 'residents']) assert.ok(k in f.properties, k);
  assert.ok(['Polygon', 'MultiPolygon'].includes(f.geometry.type));
  for (const q of ['limit=0', 'limit=2001', 'cursor=%21%21', 'status=gone']) {
    r = await op.get(`/api/v1/regions/371502000000/grids.geojson?${q}`);
    assert.equal(r.status, 400, q);
  }
});

test('scope and permissions: 404 outside the scope, 403 without the right (Art. 7)', async () => {
  // A grid of 临清市 exists but is outside 东昌府区's scope.
  const worker = await loginAs(server, 'grid_worker');
  const leader = await loginAs(server, 'center_leader');
  let r = await op.get('/api/v1/grids?region=371581');
  assert.equal(r.status, 404);
  r = await op.get('/api/v1/grids/371581001001001');
  assert.equal(r.status, 404);
  r = await op.post('/api/v1/grids/371581001001001/retire', { reason: '越权' });
  assert.equal(r.status, 404);
  // Only the county-level authority with grid.write may set grids.
  const body = { community: '371502001001', name: '越权网格', boundary: rect(117.9, 36.0, 117.95, 36.05) };
  r = await leader.post('/api/v1/grids', body);
  assert.equal(r.status, 403);
  r = await worker.post('/api/v1/grids', body);
  assert.equal(r.status, 403);
  // A grid worker reads only their own grids.
  r = await worker.get('/api/v1/grids?limit=200');
  assert.equal(r.status, 200);
  assert.ok(r.body.items.length <= 5, `worker sees ${r.body.items.length} grids`);
  assert.equal(r.body.next_cursor, null);
  r = await leader.get('/api/v1/grids/checks?region=371502001001');
  assert.equal(r.status, 200);
});

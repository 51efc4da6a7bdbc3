// Keyset pages of the region and grid lists and of the map's GeoJSON (issue 7): walking every
// page with ?limit=&cursor= gives every row of the caller's scope exactly once, in code order,
// whatever the page size and filters (checked against the database itself); a grid created
// behind the cursor while walking does not shift the pages; a grid worker's pages hold only the
// grids bound to them; a cursor that is not one is 400 bad_cursor, a bad limit 400 bad_limit; no
// answer carries a total or an offset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accountFor, loginAs, startDemoServer } from '../lib/auth.mjs';

let server, op, sys, worker;

const sql = (q) => execFileSync('sqlite3', [server.db, q], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
const rect = (x0, y0, x1, y1) => ({ type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] });

// Every page of path (with query q) for client c at page size limit; resolves to the keys
// (key(item)) in the order seen, after checking page sizes, cursors and the absence of totals.
async function walk(c, path, q, limit, { items = (b) => b.items, key = (x) => x.code } = {}) {
  const seen = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const params = new URLSearchParams({ ...q, limit: String(limit) });
    if (cursor) params.set('cursor', cursor);
    const r = await c.get(`${path}?${params}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.total, undefined);
    assert.equal(r.body.offset, undefined);
    const page = items(r.body);
    assert.ok(page.length <= limit);
    seen.push(...page.map(key));
    if (r.body.next_cursor === null) return seen;
    assert.equal(page.length, limit, 'only the last page is short');
    assert.equal(typeof r.body.next_cursor, 'string');
    cursor = r.body.next_cursor;
  }
  throw new Error('too many pages');
}

function assertOnceInOrder(seen, expected, what) {
  assert.equal(new Set(seen).size, seen.length, `${what}: no duplicates`);
  assert.deepEqual(seen, [...seen].sort(), `${what}: code order`);
  assert.deepEqual(seen, expected, `${what}: nothing missed`);
}

before(async () => {
  server = await startDemoServer();
  op = await loginAs(server, 'center_operator'); // 东昌府区 (county)
  sys = await loginAs(server, 'sysadmin');       // the city
  worker = await loginAs(server, 'grid_worker');
});
after(async () => { if (server) assert.equal(await server.stop(), 0); });

test('grid pages: every grid of the scope once, in code order, for any page size and filter', async () => {
  const county = "path LIKE '371500000000/371502000000/%'";
  const active = sql(`SELECT code FROM grids WHERE ${county} AND status = 'active' ORDER BY code`);
  assert.ok(active.length > 5, `${active.length} grids in the county`);
  for (const limit of [1, 3, 7, 200]) {
    assertOnceInOrder(await walk(op, '/api/v1/grids', {}, limit), active, `limit ${limit}`);
  }
  assertOnceInOrder(await walk(op, '/api/v1/grids', { kind: 'dedicated' }, 2),
    sql(`SELECT code FROM grids WHERE ${county} AND status = 'active' AND kind = 2 ORDER BY code`), 'dedicated');
  const town = '371502001000';
  assertOnceInOrder(await walk(op, '/api/v1/grids', { region: town, status: 'all' }, 4),
    sql(`SELECT code FROM grids WHERE path LIKE '%/${town}/%' ORDER BY code`), 'township');
  assertOnceInOrder(await walk(op, '/api/v1/grids', { q: '第1' }, 3),
    sql(`SELECT code FROM grids WHERE ${county} AND status = 'active' AND name LIKE '%第1%' ORDER BY code`), 'q');
  // The city: all eight counties.
  assertOnceInOrder(await walk(sys, '/api/v1/grids', {}, 50),
    sql("SELECT code FROM grids WHERE status = 'active' ORDER BY code"), 'city');
});

test('a grid created behind the cursor does not shift the pages', async () => {
  const comm = '371502001080';
  let r = await op.post('/api/v1/regions', { code: comm, name: '翻页测试社区', boundary: rect(118.5, 36.0, 118.6, 36.1) });
  assert.equal(r.status, 201, r.text);
  const first = await op.get('/api/v1/grids?limit=5');
  const before = first.body.items.map((g) => g.code);
  // A new grid sorts after the first page (its community code is higher than the first five's).
  r = await op.post('/api/v1/grids', { community: comm, name: '翻页测试网格', boundary: rect(118.5, 36.0, 118.55, 36.1) });
  assert.equal(r.status, 201, r.text);
  const rest = await walk(op, '/api/v1/grids', {}, 5);
  assert.deepEqual(rest.slice(0, 5), before);
  const second = await op.get(`/api/v1/grids?limit=5&cursor=${encodeURIComponent(first.body.next_cursor)}`);
  assert.deepEqual(second.body.items.map((g) => g.code), rest.slice(5, 10));
  assert.ok(rest.includes(r.body.code));
});

test('a grid worker pages through the bound grids only', async () => {
  const me = accountFor(server.db, 'grid_worker');
  const bound = sql(`SELECT g.code FROM grids g JOIN user_grids u ON u.grid_id = g.id WHERE u.user_id = ${me.user_id} AND g.status = 'active' ORDER BY g.code`);
  assert.ok(bound.length >= 1);
  assertOnceInOrder(await walk(worker, '/api/v1/grids', {}, 1), bound, 'worker');
  const comm = me.region_code;
  const features = await walk(worker, `/api/v1/regions/${comm}/grids.geojson`, {}, 1,
    { items: (b) => b.features, key: (f) => f.id });
  assertOnceInOrder(features, bound, 'worker map');
});

test('region pages and map pages', async () => {
  assertOnceInOrder(await walk(op, '/api/v1/regions', {}, 3),
    sql("SELECT code FROM regions WHERE path LIKE '371500000000/371502000000/%' ORDER BY code"), 'regions');
  assertOnceInOrder(await walk(op, '/api/v1/regions', { parent: '371502000000' }, 2),
    sql("SELECT code FROM regions WHERE parent_code = '371502000000' ORDER BY code"), 'children');
  assertOnceInOrder(await walk(op, '/api/v1/regions', { level: '5' }, 4),
    sql("SELECT code FROM regions WHERE level = 5 AND path LIKE '371500000000/371502000000/%' ORDER BY code"), 'level');
  // The map's GeoJSON of the county, five features a page.
  const r = await op.get('/api/v1/regions/371502000000/grids.geojson?limit=5');
  assert.equal(r.body.truncated, true);
  assertOnceInOrder(await walk(op, '/api/v1/regions/371502000000/grids.geojson', {}, 5,
    { items: (b) => b.features, key: (f) => f.id }),
  sql("SELECT code FROM grids WHERE path LIKE '371500000000/371502000000/%' AND status = 'active' ORDER BY code"), 'map');
});

test('bad cursors and limits are refused', async () => {
  const notCode = Buffer.from('abc').toString('base64url');
  const regionCode = Buffer.from('371502000000').toString('base64url');
  for (const [path, q, code] of [
    ['/api/v1/grids', 'cursor=%21%21%21', 'bad_cursor'],
    ['/api/v1/grids', `cursor=${notCode}`, 'bad_cursor'],
    ['/api/v1/grids', `cursor=${regionCode}`, 'bad_cursor'], // a region code is not a grid code
    ['/api/v1/grids', 'limit=0', 'bad_limit'],
    ['/api/v1/grids', 'limit=201', 'bad_limit'],
    ['/api/v1/grids', 'limit=x', 'bad_limit'],
    ['/api/v1/regions', 'cursor=%21', 'bad_cursor'],
    ['/api/v1/regions', `cursor=${notCode}`, 'bad_cursor'],
    ['/api/v1/regions', 'limit=-1', 'bad_limit'],
    ['/api/v1/regions/371502000000/grids.geojson', 'cursor=%21', 'bad_cursor'],
    ['/api/v1/regions/371502000000/grids.geojson', 'limit=99999', 'bad_limit'],
  ]) {
    const r = await op.get(`${path}?${q}`);
    assert.equal(r.status, 400, `${path}?${q}: ${r.text}`);
    assert.equal(r.body.error.code, code, `${path}?${q}`);
    assert.match(r.body.error.message, /[\u4e00-\u9fff]/);
  }
  // A valid cursor past the end is an empty last page.
  const end = Buffer.from('999999999999999').toString('base64url');
  const r = await op.get(`/api/v1/grids?cursor=${end}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { items: [], next_cursor: null });
});

// Photos of matters (issue 10 part 3, docs/api-matters.md): a report as multipart with a PNG and
// a JPEG (the report event lists their hashes), the upload rules of duty records (another type is
// 415 judged by content, over 8 MiB 413, more than nine 400, checked before anything is stored),
// photos as evidence with the actions that carry a result or a note (and refused with the others),
// and who gets a photo: the reporter, the township, a department the matter was dispatched to —
// not a department it was not dispatched to, not a grid worker of another grid (404), not an
// anonymous caller (401); the hash under another matter grants nothing. `wangge check` compares
// the photo links with the events and stays healthy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { ensureCalendar } from '../lib/calendar.mjs';
import { PNG_1X1, pngOfSize, postMultipart } from '../lib/duty.mjs';
import { runCli } from '../lib/server.mjs';
import { loginUser, makeUser } from './fixtures/routes.mjs';

let server, worker, township, handler, handler2, sys;
let grid;

const ITEM = 'CG-001';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0\x01\x01', 'latin1'), Buffer.alloc(300, 7), Buffer.from([0xff, 0xd9])]);
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(200, 0x41)]);
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

const fields = (extra = {}) => ({ item: ITEM, title: '井盖缺失', description: '人行道井盖缺失，已放置警示。', grid: grid.code, ...extra });
const reportForm = (client, files, extra) => postMultipart(server, client, '/api/v1/matters', fields(extra), files);
const actForm = (client, m, action, extra, files) => postMultipart(server, client, `/api/v1/matters/${m.id}/actions`,
  { action, version: m.version, ...extra }, files);
const act = (client, m, action, extra = {}) => client.post(`/api/v1/matters/${m.id}/actions`, { action, version: m.version, ...extra });

async function matterCount() {
  let n = 0, cursor = null;
  do {
    const page = await township.get(`/api/v1/matters?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    n += page.body.items.length;
    cursor = page.body.next_cursor;
  } while (cursor);
  return n;
}

async function fetchAs(client, url, headers = {}) {
  return fetch(server.url + url, { headers: { cookie: `wg_session=${client.cookie}`, ...headers } });
}

before(async () => {
  server = await startDemoServer({ args: ['--enable-internal'] });
  await ensureCalendar(server);
  [worker, township, handler, handler2, sys] = await Promise.all([
    loginAs(server, 'worker'), loginAs(server, 'township'), loginAs(server, 'handler'),
    loginAs(server, 'handler2'), loginAs(server, 'sysadmin'),
  ]);
  [grid] = (await worker.get('/api/v1/grids?limit=10')).body.items;
  assert.ok(grid);
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

describe('a report with photos', () => {
  let m;

  test('multipart with a PNG and a JPEG: 201, the photos listed, the report event names them', async () => {
    const r = await reportForm(worker, [{ data: pngOfSize(3000), name: 'a.png' }, { data: JPEG, name: 'b.jpg', type: 'image/jpeg' }], { urgency: '2' });
    assert.equal(r.status, 201, r.text);
    m = r.body;
    assert.equal(m.urgency, 2);
    assert.equal(m.photos.length, 2);
    assert.deepEqual(m.photos.map((p) => p.mime), ['image/png', 'image/jpeg']);
    for (const p of m.photos) {
      assert.match(p.hash, /^[0-9a-f]{64}$/);
      assert.equal(p.url, `/api/v1/matters/${m.id}/photos/${p.hash}`);
      assert.equal(p.event_seq, 1);
      assert.match(p.added_at, /\+08:00$/);
    }
    assert.equal(m.photos[0].size, 3000);
    const ev = m.timeline[0];
    assert.equal(ev.action, 'report');
    assert.deepEqual(ev.photos.map((p) => p.hash), m.photos.map((p) => p.hash));
    assert.equal(ev.fields.photos, undefined); // shown once, as the event's photos
  });

  test('the same photo twice in one request is one photo', async () => {
    const r = await reportForm(worker, [{ data: PNG_1X1 }, { data: PNG_1X1 }]);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.photos.length, 1);
    assert.equal(r.body.timeline[0].photos.length, 1);
  });

  test('a form without photos, and JSON, still report', async () => {
    let r = await reportForm(worker, []);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.photos, []);
    r = await worker.post('/api/v1/matters', fields());
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.photos, []);
    assert.deepEqual(r.body.timeline[0].photos, []);
  });

  test('refused before anything is stored: type by content 415, over 8 MiB 413, ten 400, bad fields', async () => {
    const before = await matterCount();
    for (const data of [EXE, HTML]) {
      const r = await reportForm(worker, [{ data: PNG_1X1 }, { data, name: 'photo.jpg', type: 'image/jpeg' }]);
      assert.equal(r.status, 415, r.text);
      assert.equal(r.body.error.code, 'unsupported_type');
    }
    let r = await reportForm(worker, [{ data: pngOfSize(8 * 1024 * 1024 + 10) }]);
    assert.equal(r.status, 413, r.text);
    r = await reportForm(worker, Array.from({ length: 10 }, () => ({ data: PNG_1X1 })));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'too_many_photos');
    r = await reportForm(worker, [{ data: PNG_1X1, field: 'picture' }]);
    assert.equal(r.body.error.code, 'unknown_field', r.text);
    r = await reportForm(worker, [{ data: PNG_1X1 }], { colour: 'red' });
    assert.equal(r.body.error.code, 'unknown_field', r.text);
    r = await reportForm(worker, [{ data: PNG_1X1 }], { lng: '115.98' });
    assert.equal(r.body.error.code, 'bad_coordinates', r.text);
    r = await reportForm(worker, [{ data: PNG_1X1 }], { urgency: 'high' });
    assert.equal(r.body.error.code, 'bad_field', r.text);
    r = await reportForm(worker, [{ data: PNG_1X1 }], { title: '' });
    assert.equal(r.status, 400, r.text);
    assert.equal(await matterCount(), before);
  });

  test('a location as lng and lat form fields places the matter', async () => {
    const g = (await worker.get(`/api/v1/grids/${grid.code}`)).body;
    const ring = g.boundary.type === 'Polygon' ? g.boundary.coordinates[0] : g.boundary.coordinates[0][0];
    // The centroid of the corners is inside the (convex, demo) grid.
    const lng = ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1);
    const lat = ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1);
    const r = await postMultipart(server, worker, '/api/v1/matters',
      { item: ITEM, title: '路灯不亮', description: '夜间路灯不亮', lng: String(lng), lat: String(lat) }, [{ data: PNG_1X1 }]);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.grid.code, grid.code);
    assert.ok(Math.abs(r.body.location.lng - lng) < 1e-9);
  });
});

describe('who gets a photo', () => {
  let m, url, hash, otherWorker;

  before(async () => {
    const r = await reportForm(worker, [{ data: pngOfSize(2048), name: 'p.png' }]);
    assert.equal(r.status, 201, r.text);
    m = r.body;
    ({ url, hash } = m.photos[0]);
    let a = await act(township, m, 'accept');
    assert.equal(a.status, 200, a.text);
    a = await act(township, a.body, 'dispatch', { departments: [{ org: handler.login.org.id, role: 'lead' }] });
    assert.equal(a.status, 200, a.text);
    m = a.body;
    // A grid worker of another grid of the same community.
    const w = { server, demo: { sysadmin: sys, secadmin: await loginAs(server, 'secadmin') } };
    const g = (await sys.get('/api/v1/grids/371502001001601')).body;
    const u = await makeUser(w, { orgId: worker.login.org.id, roles: ['grid_worker'], prefix: 'mp_gw' });
    assert.equal((await sys.put(`/api/v1/users/${u.id}/grids`, { grid_ids: [g.id] })).status, 200);
    otherWorker = await loginUser(w, u);
  });

  test('the reporter, the township and the department it was dispatched to: the photo, as duty photos are served', async () => {
    for (const c of [worker, township, handler]) {
      const res = await fetchAs(c, url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-disposition'), 'inline');
      assert.match(res.headers.get('cache-control'), /^private, max-age=31536000/);
      assert.equal(res.headers.get('etag'), `"${hash}"`);
      assert.equal((await res.arrayBuffer()).byteLength, 2048);
      const again = await fetchAs(c, url, { 'if-none-match': `"${hash}"` });
      assert.equal(again.status, 304);
    }
  });

  test('404 for a department not dispatched and a grid worker of another grid; 401 anonymous', async () => {
    for (const c of [handler2, otherWorker]) {
      let r = await c.get(url);
      assert.equal(r.status, 404, r.text);
      r = await c.get(`/api/v1/matters/${m.id}`);
      assert.equal(r.status, 404, r.text);
    }
    const r = await clientFor(server, {}).get(url);
    assert.equal(r.status, 401, r.text);
  });

  test('the hash grants nothing: under another matter, or not a hash, 404', async () => {
    const other = (await worker.post('/api/v1/matters', fields())).body;
    let r = await worker.get(`/api/v1/matters/${other.id}/photos/${hash}`);
    assert.equal(r.status, 404, r.text);
    r = await worker.get(`/api/v1/matters/${m.id}/photos/..%2f..%2fetc%2fpasswd`);
    assert.equal(r.status, 404, r.text);
    r = await worker.get(`/api/v1/matters/${m.id}/photos/${'0'.repeat(64)}`);
    assert.equal(r.status, 404, r.text);
  });

  test('evidence with progress and submit; accept or sign with photos is refused', async () => {
    let r = await actForm(handler, m, 'sign', {}, [{ data: PNG_1X1 }]);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'photos_not_allowed');
    r = await act(handler, m, 'sign');
    assert.equal(r.status, 200, r.text);
    m = r.body;
    r = await actForm(handler, m, 'progress', { note: '已到现场，正在更换井盖' }, [{ data: JPEG, name: 'x.jpg' }]);
    assert.equal(r.status, 200, r.text);
    m = r.body;
    const progress = m.timeline.at(-1);
    assert.equal(progress.action, 'progress');
    assert.equal(progress.fields.note, '已到现场，正在更换井盖');
    assert.equal(progress.photos.length, 1);
    assert.equal(m.photos.length, 2);
    assert.equal(m.photos[1].event_seq, progress.seq);
    r = await postMultipart(server, handler, `/api/v1/matters/${m.id}/actions`, { action: 'submit', version: String(m.version - 1), result: '已更换井盖' }, [{ data: pngOfSize(500) }]);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'version_conflict');
    r = await actForm(handler, m, 'submit', { result: '已更换井盖', assignment: '1' }, [{ data: pngOfSize(500) }]);
    assert.equal(r.status, 200, r.text);
    m = r.body;
    assert.equal(m.timeline.at(-1).photos.length, 1);
    assert.equal(m.photos.length, 3);
    // The photos of the department's own events are served to the township too.
    for (const p of m.photos) assert.equal((await fetchAs(township, p.url)).status, 200);
  });

  test('`wangge check` compares the photo links with the events and finds nothing', async () => {
    const r = await runCli(['check', '--db', server.db]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /healthy/);
  });
});

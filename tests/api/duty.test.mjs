// Duty records over HTTP (docs/api-duty.md): a grid worker records a duty with photos as
// multipart (and without as JSON); the prohibited acts of Art. 13 are refused with 400
// prohibited_act citing the article; a photo too large is 413 and one of another type (an .exe
// or an HTML page named .jpg) 415, judged by content; a photo is served to the recorder and to a
// center in scope, and 404 to a grid worker of another grid and to anonymous; lists filter and
// page by key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientFor, loginAs, startDemoServer } from '../lib/auth.mjs';
import { PNG_1X1, pngOfSize, postDutyMultipart } from '../lib/duty.mjs';
import { loginUser, makeUser } from './fixtures/routes.mjs';

let server, worker, operator, grid;

before(async () => {
  server = await startDemoServer({ args: ['--enable-internal'] });
  worker = await loginAs(server, 'grid_worker');
  operator = await loginAs(server, 'center_operator');
  grid = worker.login.grids[0].code;
});

after(async () => { if (server) assert.equal(await server.stop(), 0); });

const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(200, 0x41)]);
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

describe('recording', () => {
  test('a duty with two photos, fields and location, as multipart', async () => {
    const r = await postDutyMultipart(server, worker, {
      duty: 'key_group_visit', act: 'visit', grid, note: '走访社区矫正对象', lng: '115.98', lat: '36.45',
      at: '2026-11-28T09:30:00+08:00',
    }, [{ data: PNG_1X1, name: 'a.png' }, { data: pngOfSize(4096), name: 'b.png' }]);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.duty, 'key_group_visit');
    assert.equal(r.body.duty_label, '重点人群走访');
    assert.equal(r.body.grid, grid);
    assert.equal(r.body.at, '2026-11-28T09:30:00+08:00');
    assert.deepEqual(r.body.location, { lng: 115.98, lat: 36.45 });
    assert.equal(r.body.photos.length, 2);
    assert.match(r.body.photos[0].hash, /^[0-9a-f]{64}$/);
    assert.equal(r.body.photos[0].mime, 'image/png');
    assert.equal(r.body.recorded_by_name, worker.login.user?.display_name ?? r.body.recorded_by_name);
  });

  test('JSON without photos', async () => {
    const r = await worker.post('/api/v1/duty-records', { duty: 'publicity', act: 'publicize', grid });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.photos, []);
    assert.equal(r.body.location, null);
  });

  test('the prohibited acts are refused citing Art. 13, and store nothing', async () => {
    const before = (await worker.get('/api/v1/duty-records?mine=1&limit=200')).body.items.length;
    for (const act of ['administrative_license', 'administrative_penalty', 'administrative_coercion']) {
      const r = await worker.post('/api/v1/duty-records', { duty: 'safety_hazard', act, grid });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'prohibited_act');
      assert.match(r.body.error.message, /第十三条/);
    }
    // Named in the duty as text, and as multipart with a photo: refused before the photo is kept.
    let r = await worker.post('/api/v1/duty-records', { duty: '对占道经营罚款', grid });
    assert.equal(r.body.error.code, 'prohibited_act', r.text);
    r = await postDutyMultipart(server, worker, { duty: 'safety_hazard', act: 'administrative_coercion', grid }, [{ data: pngOfSize(999) }]);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'prohibited_act');
    assert.match(r.body.error.message, /行政强制措施/);
    const after = (await worker.get('/api/v1/duty-records?mine=1&limit=200')).body.items.length;
    assert.equal(after, before);
  });

  test('bad input: unknown field, duty, location, grid not bound to the worker', async () => {
    let r = await worker.post('/api/v1/duty-records', { duty: 'publicity', grid, extra: 1 });
    assert.equal(r.body.error.code, 'unknown_field', r.text);
    r = await worker.post('/api/v1/duty-records', { duty: 'patrol', grid });
    assert.equal(r.body.error.code, 'bad_duty', r.text);
    r = await worker.post('/api/v1/duty-records', { duty: 'publicity', grid, lng: 200, lat: 36 });
    assert.equal(r.body.error.code, 'bad_location', r.text);
    r = await worker.post('/api/v1/duty-records', { duty: 'publicity', grid, lng: 116 });
    assert.equal(r.body.error.code, 'bad_location', r.text);
    r = await postDutyMultipart(server, worker, { duty: 'publicity', grid, color: 'red' });
    assert.equal(r.body.error.code, 'unknown_field', r.text);
    r = await worker.post('/api/v1/duty-records', { duty: 'publicity', grid: '371502001001601' });
    assert.equal(r.status, 404, r.text);
    // A center operator has duty.read, not duty.write.
    r = await operator.post('/api/v1/duty-records', { duty: 'publicity', grid });
    assert.equal(r.status, 403, r.text);
  });

  test('a photo over 8 MiB is 413, an executable or an HTML page named .jpg is 415', async () => {
    let r = await postDutyMultipart(server, worker, { duty: 'publicity', grid }, [{ data: pngOfSize(8 * 1024 * 1024 + 10) }]);
    assert.equal(r.status, 413, r.text);
    for (const data of [EXE, HTML]) {
      r = await postDutyMultipart(server, worker, { duty: 'publicity', grid }, [{ data, name: 'photo.jpg', type: 'image/jpeg' }]);
      assert.equal(r.status, 415, r.text);
      assert.equal(r.body.error.code, 'unsupported_type');
    }
    const files = Array.from({ length: 10 }, () => ({ data: PNG_1X1 }));
    r = await postDutyMultipart(server, worker, { duty: 'publicity', grid }, files);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'too_many_photos');
  });
});

describe('who sees a photo', () => {
  let rec, url, other, w;

  before(async () => {
    const r = await postDutyMultipart(server, worker, { duty: 'convenience_service', grid }, [{ data: pngOfSize(2048), name: 'p.png' }]);
    assert.equal(r.status, 201, r.text);
    rec = r.body;
    url = rec.photos[0].url;
    // A grid worker of another grid of the same community.
    w = await buildWorldLite();
    const g = (await w.demo.sysadmin.get('/api/v1/grids/371502001001601')).body;
    const u = await makeUser(w, { orgId: w.orgs.workerTeam, roles: ['grid_worker'], prefix: 'duty_gw' });
    assert.equal((await w.demo.sysadmin.put(`/api/v1/users/${u.id}/grids`, { grid_ids: [g.id] })).status, 200);
    other = await loginUser(w, u);
  });

  test('the recorder and a center in scope get it, with type, nosniff, inline and a long cache', async () => {
    for (const c of [worker, operator]) {
      const res = await fetch(server.url + url, { headers: { cookie: `wg_session=${c.cookie}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-disposition'), 'inline');
      assert.match(res.headers.get('cache-control'), /max-age=31536000/);
      assert.equal(res.headers.get('etag'), `"${rec.photos[0].hash}"`);
      assert.equal((await res.arrayBuffer()).byteLength, 2048);
      const again = await fetch(server.url + url, { headers: { cookie: `wg_session=${c.cookie}`, 'if-none-match': `"${rec.photos[0].hash}"` } });
      assert.equal(again.status, 304);
    }
  });

  test('a grid worker of another grid gets 404 (the record too), anonymous 401', async () => {
    let r = await other.get(url);
    assert.equal(r.status, 404, r.text);
    r = await other.get(`/api/v1/duty-records/${rec.id}`);
    assert.equal(r.status, 404, r.text);
    const list = await other.get('/api/v1/duty-records');
    assert.ok(!list.body.items.some((i) => i.id === rec.id));
    // Anonymous: the route needs a login, like every non-public route (401 before any lookup).
    r = await clientFor(server, {}).get(url);
    assert.equal(r.status, 401, r.text);
    // The hash under another record id (one of the other worker's) grants nothing either.
    const mine = await postDutyMultipart(server, other, { duty: 'publicity', grid: '371502001001601' });
    assert.equal(mine.status, 201, mine.text);
    r = await other.get(`/api/v1/duty-records/${mine.body.id}/photos/${rec.photos[0].hash}`);
    assert.equal(r.status, 404, r.text);
  });

  // A minimal world for makeUser: the demo administrators.
  async function buildWorldLite() {
    const demo = { sysadmin: await loginAs(server, 'sysadmin'), secadmin: await loginAs(server, 'secadmin') };
    const orgs = (await demo.sysadmin.get('/api/v1/orgs?limit=200')).body.items;
    return { server, demo, orgs: { workerTeam: worker.login.user?.org_id ?? orgs.find((o) => o.kind === 'grid_team').id } };
  }
});

describe('lists', () => {
  test('filters and keyset pages: no record twice, none missing', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await worker.post('/api/v1/duty-records', { duty: 'dispute_screening', grid, note: `第${i}次` });
      assert.equal(r.status, 201, r.text);
    }
    const seen = new Set();
    let cursor = null;
    do {
      const r = await operator.get(`/api/v1/duty-records?duty=dispute_screening&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      for (const it of r.body.items) {
        assert.ok(!seen.has(it.id));
        assert.equal(it.duty, 'dispute_screening');
        seen.add(it.id);
      }
      cursor = r.body.next_cursor;
    } while (cursor);
    assert.equal(seen.size, 5);
    let r = await operator.get(`/api/v1/duty-records?grid=${grid}&from=2020-01-01&to=2099-12-31`);
    assert.equal(r.status, 200);
    assert.ok(r.body.items.every((i) => i.grid === grid));
    r = await operator.get('/api/v1/duty-records?from=yesterday');
    assert.equal(r.status, 400);
    r = await operator.get('/api/v1/duty-records?cursor=!!');
    assert.equal(r.status, 400);
    r = await worker.get('/api/v1/duty-types');
    assert.equal(r.body.duties.length, 10);
    assert.ok(r.body.acts.filter((a) => a.prohibited).length === 3);
  });
});

